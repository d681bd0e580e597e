"""Reading a city for the coverage analysis, and the day boundaries it filters by."""

from __future__ import annotations

import weakref
from datetime import date, datetime, timedelta
from functools import cached_property

import geopandas as gpd
import sqlalchemy as sa
from pyproj import CRS

from citygrid.errors import BadInput
from citygrid.gis import coverage as geo
from citygrid.layers.registry import Layer, get_layer, responsible_layers
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.analysis import LazyLayers
from citygrid.services.context import CityContext
from citygrid.services.responsibility.layers import duty

SUMMARY_LEVELS = ("subdistrict", "community", "district", "city")
"""Jurisdiction levels the summary is made per: the first one loaded."""

CELL_LAYER = "grids"
"""The layer of grid cells that must tile the jurisdiction."""


class City:
    """The stored layers the coverage analysis needs, in EPSG:4326, each read when first used.

    The jurisdictions are read at once (without them there is nothing to
    check); the cells, streets, alleys, points, units, people and the
    problems of ``problem_days`` days up to ``as_of`` when a finding first
    needs them, so one finding asked for by the map reads only its own
    layers. The city holds its store weakly: a cached analysis result must
    not keep a closed store alive.

    Raises
    ------
    BadInput
        No jurisdictions are loaded.
    """

    def __init__(self, ctx: CityContext, as_of: date, problem_days: int) -> None:
        store = ctx.store
        self.jurisdictions = store.read("jurisdictions")
        if self.jurisdictions.empty:
            raise BadInput(
                "No jurisdictions are loaded in {url}, so there is no land to check. Import the "
                "jurisdiction boundaries (city, districts, sub-districts) first, or build the "
                "demo city with `citygrid demo`.",
                url=store.url,
            )
        self.metric_crs: CRS = ctx.metric_crs
        self.as_of = as_of
        self.problem_days = problem_days
        self._store = weakref.ref(store)
        self._settings = (ctx.config, ctx.actor, ctx.now, ctx.principal)
        self.features = LazyLayers([layer.name for layer in responsible_layers()], self._feature)

    def context(self) -> CityContext:
        """The context the city was read with (for services that take one)."""
        store = self._store()
        if store is None:
            raise RuntimeError("The store this city was read from is gone.")
        return CityContext(store, *self._settings)

    @property
    def grids(self) -> gpd.GeoDataFrame:
        """The grid cells, their polygons made valid."""
        return self.features[CELL_LAYER]

    @property
    def points(self) -> gpd.GeoDataFrame:
        """The points (点位): the places problems are expected at."""
        return self.features["points"]

    @cached_property
    def unit_codes(self) -> set[str]:
        """The codes of every unit."""
        return set(self.context().store.read("units", columns=["code"])["code"])

    @cached_property
    def people_codes(self) -> set[str]:
        """The codes of every person."""
        return set(self.context().store.read("people", columns=["code"])["code"])

    @cached_property
    def problems(self) -> gpd.GeoDataFrame:
        """The problems reported in the ``problem_days`` days up to ``as_of`` (geometry only)."""
        store = self.context().store
        reported_at = store.table("problems").c.reported_at
        return store.read(
            "problems",
            columns=[],
            filters=[
                by_end_of(reported_at, self.as_of),
                from_start_of(reported_at, self.as_of, self.problem_days),
            ],
        )

    def _feature(self, name: str) -> gpd.GeoDataFrame:
        frame = self.context().store.read(name, columns=_feature_columns(get_layer(name)))
        if name != CELL_LAYER:
            return frame
        valid = geo.make_valid_polygons(frame.geometry.to_numpy())
        return frame.set_geometry(valid, crs=STORAGE_CRS)


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
