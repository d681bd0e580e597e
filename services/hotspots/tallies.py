"""What each cell counts: problems tallied per grid cell by GROUP BY, or placed one by one.

On the city's grid cells, problems are counted where they were routed:
one ``GROUP BY grid_code`` (and month, and catalogue item when weighted)
in the database, with the same filters as every problem reader, instead of
reading every problem. Routing puts a problem in the cell that holds its
point, so this equals counting points in cells. Problems without a
``grid_code``, or with one naming no current cell (not routed, outside
every cell, or a cell since removed), are read as points and placed in
the cells by geometry, as fishnets, hexagons and H3 cells always are.

A :class:`Tallies` holds one row per group: what the group adds to its
cell (its problem count, or summed deduction weights), the cell and, for
monthly analyses, the month.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa

from citygrid.gis import binning
from citygrid.layers.registry import get_layer
from citygrid.layers.sql import one_of
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.hotspots.params import CellParams
from citygrid.services.hotspots.query import metric_xy, read_problems, refuse_none
from citygrid.services.problems.selection import problem_conditions
from citygrid.services.problems.summary import cell_groups
from citygrid.services.providers.scoping import may_read


@dataclass
class Tallies:
    """Groups of problems, each in one cell.

    Attributes
    ----------
    cell_of
        Position in the cells of each group's cell (-1 outside every cell).
    values
        What each group adds to its cell: its problem count, or the summed
        deduction weights of its problems.
    problems
        How many problems each group holds.
    reported_at
        A time in each group's month (``None`` unless monthly).
    """

    cell_of: np.ndarray
    values: np.ndarray
    problems: np.ndarray
    reported_at: pd.Series | None

    def plus(self, other: Tallies) -> Tallies:
        """These groups and ``other``'s."""
        months = None
        if self.reported_at is not None and other.reported_at is not None:
            months = pd.concat([self.reported_at, other.reported_at], ignore_index=True)
        return Tallies(
            np.concatenate([self.cell_of, other.cell_of]),
            np.concatenate([self.values, other.values]),
            np.concatenate([self.problems, other.problems]),
            months,
        )


@dataclass
class Points:
    """Problems read one by one: coordinates in the city's metric CRS and only the columns
    an analysis needs (``None`` where not needed)."""

    xy: np.ndarray
    reported_at: pd.Series | None
    catalogue_code: pd.Series | None


def conditions(ctx: CityContext, params: CellParams) -> list[sa.ColumnElement[bool]]:
    """The filters' conditions on the problems table.

    No condition on the geometry: every problem has one (a feature is not
    created without), and a test on it would make the database read every
    row instead of the grid index alone.
    """
    return problem_conditions(ctx, params, ctx.store.table("problems"))


Span = tuple[int, pd.Timestamp, pd.Timestamp]
"""How many problems match, and their first and last report."""


def span(ctx: CityContext, params: CellParams) -> Span:
    """How many problems match (one indexed aggregate), and their first and last report.

    Raises
    ------
    BadInput
        No problem matches (the message repeats the filters).
    """
    matching = conditions(ctx, params)
    found = ctx.store.count_by("problems", [], filters=matching)
    return _span_of(ctx, params, matching, int(found["count"].sum()))


def _sees_every_problem(ctx: CityContext) -> bool:
    """Whether the caller's counts of problems are the whole city's (the analysis counts
    every problem, whoever asks; what it shows is scoped afterwards)."""
    return ctx.principal.city_wide and may_read(ctx, get_layer("problems"))


def _span_of(
    ctx: CityContext,
    params: CellParams,
    matching: Sequence[sa.ColumnElement[bool]],
    total: int,
) -> Span:
    """The span of the ``total`` problems passing ``matching`` (the conditions of
    ``params``): their first and last report (each read from the index on
    ``reported_at``), refusing none."""
    if total == 0:
        refuse_none(params)
    first, last = ctx.store.value_range("problems", "reported_at", filters=matching)
    return total, pd.Timestamp(first), pd.Timestamp(last)


def _weights(store: Store, codes: pd.Series | None, n: int, weight_by: str) -> np.ndarray:
    """1 per problem for ``count``; the catalogue item's deduction weight for ``deduction``
    (items without a weight count 1)."""
    if weight_by == "count" or codes is None:
        return np.ones(n)
    catalogue = store.read("catalogue", columns=["code", "weight"])
    weights = catalogue.set_index("code")["weight"]
    values = codes.map(weights).to_numpy(dtype=float)
    return np.where(np.isfinite(values), values, 1.0)


def read_points(
    ctx: CityContext,
    params: CellParams,
    *,
    monthly: bool,
    extra: Sequence[sa.ColumnElement[bool]] = (),
) -> Points:
    """The matching problems (and ``extra`` conditions) as points in the metric CRS."""
    weighted = params.weight_by == "deduction"
    columns = (["reported_at"] if monthly else []) + (["catalogue_code"] if weighted else [])
    problems = read_problems(ctx, params, columns=columns, extra=extra)
    xy = metric_xy(problems, ctx.metric_crs) if len(problems) else np.zeros((0, 2))
    return Points(
        xy,
        problems["reported_at"] if monthly else None,
        problems["catalogue_code"] if weighted else None,
    )


def point_tallies(
    store: Store, params: CellParams, points: Points, cells: gpd.GeoDataFrame
) -> Tallies:
    """One group per problem, placed in ``cells`` (the metric CRS) by geometry."""
    n = len(points.xy)
    return Tallies(
        binning.cell_index(cells, points.xy) if n else np.zeros(0, dtype=np.int64),
        _weights(store, points.catalogue_code, n, params.weight_by),
        np.ones(n, dtype=np.int64),
        points.reported_at,
    )


def grid_tallies(
    ctx: CityContext, params: CellParams, cells: gpd.GeoDataFrame, *, monthly: bool
) -> tuple[Tallies, Span]:
    """Tallies on the city's grid cells (``cells["cell_id"]`` are grid codes), grouped in SQL,
    and the span of the problems; problems not routed to a current cell are placed by
    geometry.

    Raises
    ------
    BadInput
        No problem matches (the message repeats the filters).
    """
    store = ctx.store
    table = store.table("problems")
    weighted = params.weight_by == "deduction"
    matching = conditions(ctx, params)
    if not (weighted or monthly) and _sees_every_problem(ctx):
        groups = cell_groups(ctx, params)  # kept in memory with the map's counts
    else:
        groups = store.count_by(
            "problems",
            ["grid_code"] + (["catalogue_code"] if weighted else []),
            filters=matching,
            month_of="reported_at" if monthly else None,
        )
    found = _span_of(ctx, params, matching, int(groups["count"].sum()))
    position = pd.Series(np.arange(len(cells)), index=cells["cell_id"].to_numpy())
    cell_of = groups["grid_code"].map(position)
    routed = cell_of.notna().to_numpy()
    kept = groups[routed].reset_index(drop=True)
    counts = kept["count"].to_numpy(dtype=np.int64)
    tallies = Tallies(
        cell_of[routed].to_numpy(dtype=np.int64),
        counts * _weights(store, kept.get("catalogue_code"), len(kept), params.weight_by),
        counts,
        kept["month"] if monthly else None,
    )
    if routed.all():
        return tallies, found
    strays = sorted({c for c in groups.loc[~routed, "grid_code"] if c is not None})
    unrouted = table.c.grid_code.is_(None)
    if strays:
        unrouted = sa.or_(unrouted, one_of(table.c.grid_code, strays))
    points = read_points(ctx, params, monthly=monthly, extra=[unrouted])
    return tallies.plus(point_tallies(store, params, points, cells)), found
