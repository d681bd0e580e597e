"""Counts of problems per grid cell, for the map at low zoom.

The counting runs in SQL (``GROUP BY grid_code``) inside the caller's
scope and the :class:`~citygrid.services.problems.filters.ProblemFilters`,
once for the whole city, and is kept in memory under the scope, the
filters and the data's version (a write makes it stale; with ``overdue``
the minute too), so panning and zooming a city of a million problems
reads no problem at all: a view shows the cells whose representative
point lies in it, with all their problems. Problems routed to no cell
(or to a cell that no longer exists) are counted apart by where they lie.
Overdue means the deadline has passed (at ``ctx.now``) and the problem is
not closed; it is never stored. The kept counts hold the deadline of each
problem not closed, so the overdue count per cell is right at any moment
without counting again.

:func:`warm_counts` counts when the map page is built for a new data version,
so the first low-zoom view of the problems answers from memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from citygrid.layers.base_layers import OPEN_STATUSES
from citygrid.layers.registry import get_layer
from citygrid.params import Bbox
from citygrid.services.context import CityContext
from citygrid.services.problems.filters import ProblemFilters
from citygrid.services.problems.selection import visible_problems
from citygrid.services.providers.cache import ResultCache
from citygrid.services.providers.scoping import may_read, scope_filter

_CACHE = ResultCache(entries=16)


@dataclass(frozen=True)
class ProblemCounts:
    """Counts per cell in a view, and the problems in the view that lie in no cell.

    Attributes
    ----------
    cells
        One row per cell holding problems, sorted by cell code: ``grid_code``,
        ``name``, ``lon`` and ``lat`` (its representative point, EPSG:4326),
        ``count`` and ``overdue``.
    without_cell
        Problems in the view that lie in no known cell.
    """

    cells: pd.DataFrame
    without_cell: int

    @property
    def total(self) -> int:
        """All problems counted."""
        return int(self.cells["count"].sum()) + self.without_cell


@dataclass(frozen=True)
class _CityCounts:
    """Every cell holding problems (code, name, representative point, count), as arrays;
    the cell (position, -1 for none) and deadline of each problem not closed that has
    one; the EPSG:4326 coordinates of the problems in no known cell."""

    codes: np.ndarray
    names: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    count: np.ndarray
    open_cell: np.ndarray
    open_deadline: np.ndarray
    lost_lon: np.ndarray
    lost_lat: np.ndarray

    def overdue(self, now: datetime) -> np.ndarray:
        """Problems per cell whose deadline has passed at ``now`` (and not closed)."""
        late = (self.open_deadline < np.datetime64(now)) & (self.open_cell >= 0)
        return np.bincount(self.open_cell[late], minlength=len(self.codes))

    def inside(self, bbox: Bbox) -> tuple[np.ndarray, int]:
        """Positions of the cells whose point lies in ``bbox``; problems in no cell there."""
        minx, miny, maxx, maxy = bbox
        cells = (self.lon >= minx) & (self.lon <= maxx) & (self.lat >= miny) & (self.lat <= maxy)
        lost = (
            (self.lost_lon >= minx)
            & (self.lost_lon <= maxx)
            & (self.lost_lat >= miny)
            & (self.lost_lat <= maxy)
        )
        return np.flatnonzero(cells), int(lost.sum())


def counts_per_cell(ctx: CityContext, bbox: Bbox, filters: ProblemFilters) -> ProblemCounts:
    """The problems within the caller's scope and ``filters``, counted per grid cell, for the
    cells whose representative point lies in ``bbox``.

    Parameters
    ----------
    ctx
        The request's context: its principal's scope limits the count.
    bbox
        ``(minx, miny, maxx, maxy)`` in EPSG:4326.
    filters
        Which problems count (see :func:`~citygrid.services.problems.selection.problem_conditions`
        for the errors of codes that name nothing).

    Returns
    -------
    ProblemCounts
        A row per cell holding problems, sorted by cell code; and the
        problems in ``bbox`` that lie in no cell.
    """
    city = _city_counts(ctx, filters)
    found, without = city.inside(bbox)
    cells = pd.DataFrame(
        {
            "grid_code": city.codes[found],
            "name": city.names[found],
            "lon": city.lon[found],
            "lat": city.lat[found],
            "count": city.count[found],
            "overdue": city.overdue(ctx.now)[found],
        }
    )
    return ProblemCounts(cells, without)


def warm_counts(ctx: CityContext) -> None:
    """Count the problems ``ctx``'s principal sees, unfiltered, unless they are counted
    for this data version already: what the map's first low-zoom view asks for. A
    principal who may not read problems is skipped."""
    if may_read(ctx, get_layer("problems")):
        _city_counts(ctx, ProblemFilters())


def cell_groups(ctx: CityContext, filters: ProblemFilters) -> pd.DataFrame:
    """The problems the caller sees and ``filters`` select, per ``grid_code`` (``None`` for
    problems in no cell): ``count``, from one GROUP BY on the index led by ``grid_code``.

    Kept in memory like the map's counts (which are made from it), so the hot spots on
    grid cells of a map whose counts are warm read only the first and last report, from
    the index on ``reported_at``.
    """
    scope_filter(ctx, get_layer("problems"))  # refuses a principal who may not read them
    key = ("cell-groups", *_cache_key(ctx, filters))

    def count() -> pd.DataFrame:
        _, conditions = visible_problems(ctx, filters)
        return ctx.store.count_by("problems", ["grid_code"], filters=conditions)

    return _CACHE.get(ctx.store, key, count)  # type: ignore[no-any-return]


def _cache_key(ctx: CityContext, filters: ProblemFilters) -> tuple[object, ...]:
    """What counts of ``filters`` depend on: the scope, the filters, the data version."""
    return (
        "" if ctx.principal.city_wide else str(ctx.principal.scope),
        filters.filters().cache_key(),
        filters.context_key(str(ctx.principal.scope), ctx.now),
        ctx.store.data_version(),
    )


def _city_counts(ctx: CityContext, filters: ProblemFilters) -> _CityCounts:
    scope_filter(ctx, get_layer("problems"))  # refuses a principal who may not read them
    key = ("city-counts", *_cache_key(ctx, filters))
    return _CACHE.get(ctx.store, key, lambda: _count_city(ctx, filters))  # type: ignore[no-any-return]


def _count_city(ctx: CityContext, filters: ProblemFilters) -> _CityCounts:
    table, conditions = visible_problems(ctx, filters)
    # One pass over the (grid_code, status, deadline) index counts every cell; the few
    # problems still open are counted per cell and deadline, to tell the overdue at any time.
    store = ctx.store
    per_cell = cell_groups(ctx, filters)
    rows = dict(zip(per_cell["grid_code"], per_cell["count"].tolist(), strict=True))
    still_open = [table.c.status.in_(OPEN_STATUSES), table.c.deadline.is_not(None)]
    deadlines = store.count_by(
        "problems", ["grid_code", "deadline"], filters=[*conditions, *still_open]
    )
    known = [code for code in rows if code is not None]
    cells = store.read("grids", where={"code": known}, columns=["code", "name"])
    cells = cells.sort_values("code")
    places = shapely.get_coordinates(cells.geometry.representative_point().to_numpy())
    position = pd.Index(cells["code"])
    lost_codes = set(known) - set(cells["code"])
    lost = np.empty((0, 2))
    if None in rows or lost_codes:
        where = [sa.or_(table.c.grid_code.is_(None), table.c.grid_code.in_(sorted(lost_codes)))]
        frame = store.read("problems", filters=[*conditions, *where], columns=[])
        lost = shapely.get_coordinates(frame.geometry.dropna().to_numpy())
    return _CityCounts(
        cells["code"].to_numpy(dtype=object),
        cells["name"].to_numpy(dtype=object),
        places[:, 0],
        places[:, 1],
        np.array([rows[code] for code in cells["code"]], dtype=np.int64),
        np.repeat(position.get_indexer(deadlines["grid_code"]), deadlines["count"]),
        np.repeat(deadlines["deadline"].to_numpy(), deadlines["count"]),
        lost[:, 0],
        lost[:, 1],
    )
