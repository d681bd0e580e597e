"""A small city for the evaluation tests: four markets in two sub-districts, one unit.

Nothing is wrong in it yet: every market was inspected on :data:`DAY`, no
problem was ever reported. Tests add problems and inspections.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import geopandas as gpd
import pandas as pd
import shapely

from citygrid.layers.store import Store

DAY = datetime(2026, 6, 1, 10, 0)
MARKET = "market"


def write(store: Store, layer: str, rows: dict, geoms: list | None = None) -> None:
    """Write ``rows`` (with ``geoms`` in EPSG:4326, if any) to ``layer``."""
    frame = (
        gpd.GeoDataFrame(rows, geometry=geoms, crs=4326)
        if geoms is not None
        else pd.DataFrame(rows)
    )
    store.write(layer, frame, actor="test")


def build_city(store: Store) -> None:
    """Write the city into an empty store."""
    write(
        store,
        "jurisdictions",
        {"code": ["W", "E"], "name": ["西街道", "东街道"], "level": ["subdistrict"] * 2},
        [shapely.box(120.0, 30.0, 120.01, 30.01), shapely.box(120.01, 30.0, 120.02, 30.01)],
    )
    write(
        store,
        "catalogue",
        {
            "code": ["S1", "S1.1", "S1.2"],
            "name": ["市容环境", "暴露垃圾", "乱张贴"],
            "level": ["section", "item", "item"],
            "parent_code": [None, "S1", "S1"],
            "weight": [None, 2.0, 0.5],
        },
    )
    write(store, "units", {"code": ["U1"], "name": ["市场监管所"]}, [shapely.Point(120.0, 30.0)])
    write(
        store,
        "points",
        {
            "code": ["P1", "P2", "P3", "P4"],
            "name": ["菜市场一", "菜市场二", "菜市场三", "菜市场四"],
            "point_type": [MARKET] * 4,
            "unit_code": ["U1"] * 4,
            "radius_m": [1000.0, 0.001, 0.001, 0.001],
        },
        [shapely.Point(120.002 + 0.002 * i, 30.005) for i in range(3)]
        + [shapely.Point(120.015, 30.005)],
    )
    inspect(store, ["P1", "P2", "P3", "P4"], DAY)


def inspect(store: Store, codes: list[str], at: datetime) -> None:
    """Inspections of the points ``codes`` at ``at``, codes ``X<point><day of year>``."""
    write(
        store,
        "inspections",
        {
            "code": [f"X{c}{at:%j}" for c in codes],
            "inspected_at": [at] * len(codes),
            "kind": ["routine"] * len(codes),
            "point_code": codes,
        },
        [shapely.Point(120.0, 30.0)] * len(codes),
    )


def problem(
    store: Store,
    code: str,
    point: str,
    item: str,
    status: str,
    at: datetime,
    closed: datetime | None = None,
) -> None:
    write(
        store,
        "problems",
        {
            "code": [code],
            "catalogue_code": [item],
            "status": [status],
            "reported_at": [at],
            "closed_at": [closed],
            "point_code": [point],
            "unit_code": ["U1"],
            "deadline": [at + timedelta(days=3)],
        },
        [shapely.Point(120.002, 30.005)],
    )
