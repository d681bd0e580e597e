"""Reading a city for the coverage analysis, and the day boundaries it filters by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import geopandas as gpd
import sqlalchemy as sa
from pyproj import CRS

from citygrid.errors import BadInput
from citygrid.gis import coverage as geo
from citygrid.layers.registry import Layer, responsible_layers
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.context import CityContext
from citygrid.services.responsibility.layers import duty

SUMMARY_LEVELS = ("subdistrict", "community", "district", "city")
"""Jurisdiction levels the summary is made per: the first one loaded."""

CELL_LAYER = "grids"
"""The layer of grid cells that must tile the jurisdiction."""


@dataclass
class City:
    """The stored layers an analysis needs, in EPSG:4326."""

    jurisdictions: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    features: dict[str, gpd.GeoDataFrame]
    unit_codes: set[str]
    people_codes: set[str]
    problems: gpd.GeoDataFrame
    metric_crs: CRS

    @property
    def points(self) -> gpd.GeoDataFrame:
        """The points (点位): the places problems are expected at."""
        return self.features["points"]


def read_city(ctx: CityContext, as_of: date, problem_days: int) -> City:
    """The layers the coverage analysis reads, with the problems of ``problem_days`` days
    up to ``as_of``.

    Raises
    ------
    BadInput
        No jurisdictions are loaded.
    """
    store = ctx.store
    jurisdictions = store.read("jurisdictions")
    if jurisdictions.empty:
        raise BadInput(
            "No jurisdictions are loaded in {url}, so there is no land to check. Import the "
            "jurisdiction boundaries (city, districts, sub-districts) first, or build the demo "
            "city with `citygrid demo`.",
            url=store.url,
        )
    features = {
        layer.name: store.read(layer.name, columns=_feature_columns(layer))
        for layer in responsible_layers()
    }
    grids = features[CELL_LAYER]
    grids = grids.set_geometry(geo.make_valid_polygons(grids.geometry.to_numpy()), crs=STORAGE_CRS)
    features[CELL_LAYER] = grids
    problems_table = store.table("problems")
    return City(
        jurisdictions=jurisdictions,
        grids=grids,
        features=features,
        unit_codes=set(store.read("units", columns=["code"])["code"]),
        people_codes=set(store.read("people", columns=["code"])["code"]),
        problems=store.read(
            "problems",
            columns=[],
            filters=[
                by_end_of(problems_table.c.reported_at, as_of),
                from_start_of(problems_table.c.reported_at, as_of, problem_days),
            ],
        ),
        metric_crs=ctx.metric_crs,
    )


def _feature_columns(layer: Layer) -> list[str]:
    columns = ["code", "name", duty(layer).unit_field, duty(layer).head_field]
    return [c for c in columns if c is not None]


def day_end(day: date) -> datetime:
    """Midnight at the end of ``day``: everything before it happened by that day."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time())


def by_end_of(column: sa.Column, day: date) -> sa.ColumnElement[bool]:
    """``column`` falls on or before ``day`` (before the midnight that ends it)."""
    return column < day_end(day)


def from_start_of(column: sa.Column, day: date, days: int) -> sa.ColumnElement[bool]:
    """``column`` falls in the ``days`` days ending with ``day`` (or later)."""
    return column >= day_end(day) - timedelta(days=days)


def summary_areas(jurisdictions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The jurisdictions the summary is made per: sub-districts, else the finest level loaded."""
    for level in SUMMARY_LEVELS:
        chosen = jurisdictions[jurisdictions["level"] == level]
        if not chosen.empty:
            return chosen.reset_index(drop=True)
    return jurisdictions.reset_index(drop=True)
