"""A small city for the inspection-round tests.

A 2 km main street runs east from unit U1 (城管中队); public toilets T1, T2,
T3 stand beside it at 0.5, 1 and 1.5 km, in one cell managed by inspector
P1. P2's unit U2 has no cell and no place. Nothing was ever inspected.
"""

from __future__ import annotations

from datetime import date, datetime

import geopandas as gpd
import pandas as pd
import shapely

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.context import CityContext

MONDAY = date(2026, 6, 1)
Y = 30.0


def write(store: Store, layer: str, rows: dict, geoms: list | None) -> None:
    """Write ``rows`` (with ``geoms`` in EPSG:4326, if any) to ``layer``."""
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=4326) if geoms else pd.DataFrame(rows)
    store.write(layer, frame, actor="test")


def build_city(store: Store) -> CityContext:
    """A 2 km street east from the unit, toilets at 0.5, 1 and 1.5 km, one cell over all."""
    write(
        store,
        "units",
        {"code": ["U1", "U2"], "name": ["城管中队", "无辖区单位"]},
        [shapely.Point(120.0, Y), shapely.Point(120.0, Y)],
    )
    write(
        store,
        "people",
        {
            "code": ["P1", "P2"],
            "name": ["巡查员甲", "无区域"],
            "role": ["inspector"] * 2,
            "unit_code": ["U1", "U2"],
        },
        None,
    )
    write(
        store,
        "grids",
        {"code": ["G1"], "name": ["示范网格"], "manager_code": ["P1"], "unit_code": ["U1"]},
        [shapely.box(119.999, Y - 0.002, 120.021, Y + 0.002)],
    )
    write(
        store,
        "streets",
        {"code": ["J1"], "name": ["示范路"], "road_class": ["main"]},
        [shapely.LineString([(120.0, Y), (120.02, Y)])],
    )
    write(
        store,
        "points",
        {
            "code": ["T1", "T2", "T3"],
            "name": ["近公厕", "中公厕", "远公厕"],
            "point_type": ["toilet"] * 3,
            "unit_code": ["U1"] * 3,
        },
        [
            shapely.Point(120.005, Y + 0.0001),
            shapely.Point(120.010, Y + 0.0001),
            shapely.Point(120.015, Y + 0.0001),
        ],
    )
    write(
        store,
        "catalogue",
        {"code": ["A"], "name": ["公厕不洁"], "level": ["item"], "weight": [1.0]},
        None,
    )
    return CityContext(store, Config(database_url=store.url), now=datetime(2026, 6, 1, 8, 0))
