"""A small city in Changsha for the responsibility, routing and workload tests.

Two sub-districts side by side (五一街道 west, 坡子街街道 east), each
0.02 x 0.02 degrees; four cells along their southern half (the northern
half has no cells, so it answers through the sub-district); two streets,
one alley, two points, and units and people with Chinese names.

::

    28.21 +-------------------+-------------------+
          |      J01 (no cells)|      J02          |
    28.20 +----+----+----+----+----+----+----+----+
          | G01     | G02     | G03     | G04     |
    28.19 +---------+---------+---------+---------+
        112.97    112.98    112.99    113.00    113.01
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from citygrid.layers.store import Store


def frame(rows: list[dict], geometry: list | None = None) -> pd.DataFrame:
    """A DataFrame, or a GeoDataFrame in EPSG:4326 when geometries are given."""
    data = pd.DataFrame(rows)
    if geometry is None:
        return data
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")


def build_city(store: Store) -> None:
    """Write the city into an empty store."""
    store.write(
        "jurisdictions",
        frame(
            [
                {"code": "430102001", "name": "五一街道", "level": "subdistrict"},
                {"code": "430102002", "name": "坡子街街道", "level": "subdistrict"},
            ],
            [shapely.box(112.97, 28.19, 112.99, 28.21), shapely.box(112.99, 28.19, 113.01, 28.21)],
        ),
    )
    store.write(
        "units",
        frame(
            [
                {
                    "code": "U_WY",
                    "name": "五一街道办事处",
                    "kind": "subdistrict",
                    "jurisdiction_code": "430102001",
                    "contact": "周主任",
                    "phone": "0731-1111",
                },
                {
                    "code": "U_PZ",
                    "name": "坡子街街道办事处",
                    "kind": "subdistrict",
                    "jurisdiction_code": "430102002",
                    "contact": "吴主任",
                    "phone": "0731-2222",
                },
                {"code": "U_CG", "name": "城管局", "kind": "department", "contact": "郑科长"},
                {"code": "U_SW", "name": "商务局", "kind": "department", "contact": "钱科长"},
            ],
            [shapely.Point(112.98, 28.2)] * 4,
        ),
    )
    store.write(
        "people",
        frame(
            [
                {"code": "P_ZS", "name": "张三", "role": "street_head", "unit_code": "U_CG"},
                {"code": "P_LS", "name": "李四", "role": "grid_manager", "unit_code": "U_WY"},
                {"code": "P_WW", "name": "王五", "role": "point_head", "unit_code": "U_SW"},
                {"code": "P_ZL", "name": "赵六", "role": "alley_head", "unit_code": "U_PZ"},
            ]
        ),
    )
    store.write(
        "grids",
        frame(
            [
                {"code": "G01", "name": "五一一网格", "unit_code": "U_CG", "assigned_by": "manual"},
                {"code": "G02", "name": "五一二网格", "unit_code": None},
                {"code": "G03", "name": "坡子街一网格", "unit_code": None},
                {
                    "code": "G04",
                    "name": "坡子街二网格",
                    "unit_code": "U_SW",
                    "manager_code": None,
                    "assigned_by": "auto",
                },
            ],
            [shapely.box(112.97 + 0.01 * i, 28.19, 112.98 + 0.01 * i, 28.20) for i in range(4)],
        ),
    )
    store.write(
        "streets",
        frame(
            [
                {"code": "S01", "name": "五一大道", "road_class": "main"},
                {
                    "code": "S02",
                    "name": "黄兴路",
                    "road_class": "main",
                    "unit_code": "U_CG",
                    "head_code": "P_ZS",
                    "assigned_by": "manual",
                },
            ],
            [
                shapely.LineString([(112.976, 28.195), (112.988, 28.195)]),
                shapely.LineString([(112.9855, 28.191), (112.9855, 28.199)]),
            ],
        ),
    )
    store.write(
        "alleys",
        frame(
            [{"code": "A01", "name": "太平街", "road_class": "alley"}],
            [shapely.LineString([(112.992, 28.193), (112.998, 28.193)])],
        ),
    )
    store.write(
        "points",
        frame(
            [
                {"code": "D01", "name": "五一广场", "point_type": "park", "radius_m": 40.0},
                {"code": "D02", "name": "南门口农贸市场", "point_type": "market"},
            ],
            [
                shapely.Point(112.973, 28.192),
                shapely.box(113.003, 28.192, 113.006, 28.195),
            ],
        ),
    )
    store.write(
        "catalogue",
        frame(
            [
                {
                    "code": "C01",
                    "name": "乱扔垃圾",
                    "level": "standard",
                    "weight": 0.5,
                    "rectify_days": 1,
                },
                {
                    "code": "C02",
                    "name": "占道经营",
                    "level": "standard",
                    "weight": 1.0,
                    "rectify_days": 3,
                },
            ]
        ),
    )


def add_problems(store: Store) -> None:
    """Three problems: two open, one closed (all still unrouted)."""
    store.write(
        "problems",
        frame(
            [
                {
                    "code": "W001",
                    "catalogue_code": "C01",
                    "status": "open",
                    "reported_at": pd.Timestamp("2026-11-01 09:00"),
                    "deadline": pd.Timestamp("2026-11-02 09:00"),
                },
                {
                    "code": "W002",
                    "catalogue_code": "C02",
                    "status": "dispatched",
                    "reported_at": pd.Timestamp("2026-11-20 09:00"),
                    "deadline": pd.Timestamp("2099-01-01 09:00"),
                },
                {
                    "code": "W003",
                    "catalogue_code": "C01",
                    "status": "closed",
                    "reported_at": pd.Timestamp("2026-10-01 09:00"),
                    "unit_code": "U_WY",
                    "routed_by": "grid",
                    "grid_code": "G02",
                },
            ],
            [
                shapely.Point(112.9835, 28.1925),  # G02, far from streets
                shapely.Point(112.9945, 28.1932),  # 22 m from 太平街, in G03
                shapely.Point(112.9835, 28.1925),  # same place as W001, closed
            ],
        ),
    )
