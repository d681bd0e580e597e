"""A small city in Suzhou (姑苏区) for the web tests, written through ``store.write``.

One district with two sub-districts side by side, six grid cells (three
per sub-district), two main streets, two alleys, six points, three units,
four people, two inspections and five problems, all with Chinese names.

::

    31.32 +-----------+-----------+-----------+-----------+
          | G04       | G05       | G06       |           |
    31.31 +-----------+-----------+-----------+  (no cell)|
          | G01       | G02       | G03       |           |
    31.30 +-----------+-----------+-----------+-----------+
       120.60      120.61      120.62      120.63      120.64
          |<--- 平江街道 320508001 --->|<--- 沧浪街道 320508002 -->|
"""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import pandas as pd
import shapely

from citygrid.layers.store import Store

EXTENT = (120.60, 31.30, 120.64, 31.32)
"""(minx, miny, maxx, maxy) of the district, EPSG:4326."""

WEST = (120.600, 31.300, 120.620, 31.320)
"""The western sub-district (平江街道): grids G01, G02, G04, G05 and points P01-P03."""


def _frame(rows: list[dict], geometry: list | None = None) -> pd.DataFrame:
    data = pd.DataFrame(rows)
    if geometry is None:
        return data
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")


def _cells() -> tuple[list[dict], list]:
    rows, geoms = [], []
    for index, (col, row) in enumerate([(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)], 1):
        x, y = 120.60 + 0.01 * col, 31.30 + 0.01 * row
        subdistrict = "320508001" if x < 120.62 else "320508002"
        rows.append(
            {
                "code": f"G{index:02d}",
                "name": f"姑苏第{index}网格",
                "kind": "general",
                "unit_code": "U_PJ" if subdistrict == "320508001" else "U_CL",
                "manager_code": "P_LI" if index % 2 else None,
                "subdistrict_code": subdistrict,
            }
        )
        geoms.append(shapely.box(x, y, x + 0.01, y + 0.01))
    return rows, geoms


def build_city(store: Store) -> None:
    """Write the city into an empty store."""
    store.write(
        "jurisdictions",
        _frame(
            [
                {"code": "320508", "name": "姑苏区", "level": "district"},
                {
                    "code": "320508001",
                    "name": "平江街道",
                    "level": "subdistrict",
                    "parent_code": "320508",
                },
                {
                    "code": "320508002",
                    "name": "沧浪街道",
                    "level": "subdistrict",
                    "parent_code": "320508",
                },
            ],
            [shapely.box(*EXTENT), shapely.box(*WEST), shapely.box(120.62, 31.30, 120.64, 31.32)],
        ),
    )
    store.write(
        "units",
        _frame(
            [
                {
                    "code": "U_PJ",
                    "name": "平江街道办事处",
                    "kind": "subdistrict",
                    "contact": "周主任",
                },
                {
                    "code": "U_CL",
                    "name": "沧浪街道办事处",
                    "kind": "subdistrict",
                    "contact": "吴主任",
                },
                {"code": "U_CG", "name": "姑苏区城管局", "kind": "department", "phone": "0512-123"},
            ],
            [shapely.Point(120.605, 31.305), shapely.Point(120.625, 31.305), None],
        ),
    )
    store.write(
        "people",
        _frame(
            [
                {"code": "P_LI", "name": "李网格", "role": "grid_manager", "unit_code": "U_PJ"},
                {"code": "P_ZH", "name": "张街长", "role": "street_head", "unit_code": "U_CG"},
                {"code": "P_WA", "name": "王巷长", "role": "alley_head", "unit_code": "U_PJ"},
                {"code": "P_ZA", "name": "赵点长", "role": "point_head", "unit_code": "U_CL"},
            ]
        ),
    )
    rows, geoms = _cells()
    store.write("grids", _frame(rows, geoms))
    store.write(
        "streets",
        _frame(
            [
                {"code": "S01", "name": "人民路", "road_class": "main", "unit_code": "U_CG"},
                {"code": "S02", "name": "干将路", "road_class": "main", "head_code": "P_ZH"},
            ],
            [
                shapely.LineString([(120.615, 31.300), (120.615, 31.320)]),
                shapely.LineString([(120.600, 31.310), (120.640, 31.310)]),
            ],
        ),
    )
    store.write(
        "alleys",
        _frame(
            [
                {"code": "A01", "name": "平江路小巷", "road_class": "alley", "head_code": "P_WA"},
                {"code": "A02", "name": "大儒巷", "road_class": "alley"},
            ],
            [
                shapely.LineString([(120.603, 31.312), (120.608, 31.318)]),
                shapely.LineString([(120.625, 31.302), (120.632, 31.306)]),
            ],
        ),
    )
    store.write(
        "points",
        _frame(
            [
                {
                    "code": "P01",
                    "name": "观前农贸市场",
                    "point_type": "market",
                    "unit_code": "U_PJ",
                },
                {"code": "P02", "name": "平江公厕", "point_type": "toilet"},
                {"code": "P03", "name": "苏州中学周边", "point_type": "school"},
                {"code": "P04", "name": "沧浪新村", "point_type": "residential"},
                {"code": "P05", "name": "苏州站", "point_type": "station", "head_code": "P_ZA"},
                {"code": "P06", "name": "南门广场", "point_type": "park"},
            ],
            [
                shapely.Point(120.605, 31.305),
                shapely.Point(120.612, 31.316),
                shapely.Point(120.617, 31.303),
                shapely.box(120.625, 31.312, 120.628, 31.315),
                shapely.Point(120.635, 31.318),
                shapely.Point(120.632, 31.301),
            ],
        ),
    )
    store.write(
        "inspections",
        _frame(
            [
                {
                    "code": "I01",
                    "inspected_at": datetime(2025, 3, 1, 9, 30),
                    "inspector": "陈检查",
                    "kind": "unannounced",
                    "point_code": "P01",
                },
                {
                    "code": "I02",
                    "inspected_at": datetime(2025, 3, 8, 14, 0),
                    "inspector": "陈检查",
                    "kind": "routine",
                    "point_code": "P04",
                },
            ],
            [shapely.Point(120.605, 31.305), shapely.Point(120.626, 31.313)],
        ),
    )
    store.write(
        "problems",
        _frame(
            [
                {
                    "code": f"Q{i:02d}",
                    "catalogue_code": "C01",
                    "description": description,
                    "status": status,
                    "reported_at": datetime(2025, 3, 1 + i, 10, 0),
                    "unit_code": "U_PJ" if x < 120.62 else "U_CL",
                }
                for i, (description, status, x) in enumerate(
                    [
                        ("垃圾堆放", "open", 120.606),
                        ("占道经营", "open", 120.611),
                        ("小广告", "closed", 120.618),
                        ("设施损坏", "dispatched", 120.627),
                        ("乱停车", "open", 120.633),
                    ],
                    1,
                )
            ],
            [shapely.Point(x, 31.305) for x in (120.606, 120.611, 120.618, 120.627, 120.633)],
        ),
    )
