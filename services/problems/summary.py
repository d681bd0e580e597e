"""Counts of problems per grid cell within a bbox, for the map at low zoom.

The counting runs in SQL (``GROUP BY grid_code``) inside the caller's
scope, so a city of a million problems sends one row per cell. Problems
routed to no cell are counted apart. Overdue means the deadline has
passed (at ``ctx.now``) and the problem is not closed; it is never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from citygrid.layers.registry import get_layer
from citygrid.params import Bbox
from citygrid.services.context import CityContext
from citygrid.services.providers.scoping import scope_filter


@dataclass(frozen=True)
class CellCount:
    """The problems of one grid cell in the bbox: where to draw the count, and the counts."""

    grid_code: str
    name: str | None
    lon: float
    lat: float
    count: int
    overdue: int


@dataclass(frozen=True)
class ProblemCounts:
    """Counts per cell, and the problems in the bbox that lie in no cell."""

    cells: tuple[CellCount, ...]
    without_cell: int

    @property
    def total(self) -> int:
        """All problems counted."""
        return sum(c.count for c in self.cells) + self.without_cell


def overdue_condition(table: sa.Table, ctx: CityContext) -> sa.ColumnElement[bool]:
    """SQL: the deadline has passed at ``ctx.now`` and the problem is not closed."""
    return sa.and_(
        table.c.deadline.is_not(None), table.c.deadline < ctx.now, table.c.status != "closed"
    )


def count_in_bbox(ctx: CityContext, bbox: Bbox, at_most: int) -> int:
    """How many problems within the caller's scope meet ``bbox`` (bounding-box test),
    counting no further than ``at_most + 1`` (so a city-wide bbox costs little)."""
    table, conditions = _scoped(ctx, bbox)
    rows = sa.select(table.c.fid).where(*conditions).limit(at_most + 1).subquery()
    with ctx.store.reader() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one())


def counts_per_cell(ctx: CityContext, bbox: Bbox) -> ProblemCounts:
    """The problems within the caller's scope in ``bbox``, counted per grid cell.

    Parameters
    ----------
    ctx
        The request's context: its principal's scope limits the count.
    bbox
        ``(minx, miny, maxx, maxy)`` in EPSG:4326 (bounding-box test).

    Returns
    -------
    ProblemCounts
        A :class:`CellCount` per cell holding problems (at the cell's
        representative point), sorted by cell code; and the problems in no cell.
    """
    table, conditions = _scoped(ctx, bbox)
    overdue = sa.func.sum(sa.case((overdue_condition(table, ctx), 1), else_=0))
    query = (
        sa.select(table.c.grid_code, sa.func.count(), overdue)
        .where(*conditions)
        .group_by(table.c.grid_code)
    )
    with ctx.store.reader() as conn:
        rows = [(code, int(n), int(late or 0)) for code, n, late in conn.execute(query)]
    without = sum(n for code, n, _ in rows if code is None)
    counted = {code: (n, late) for code, n, late in rows if code is not None}
    cells = ctx.store.read("grids", where={"code": sorted(counted)}, columns=["code", "name"])
    cells = cells.sort_values("code")
    places = cells.geometry.representative_point()
    found = tuple(
        CellCount(code, name, float(p.x), float(p.y), *counted[code])
        for code, name, p in zip(cells["code"], cells["name"], places, strict=True)
    )
    lost = sum(counted[code][0] for code in set(counted) - set(cells["code"]))
    return ProblemCounts(found, without + lost)


def _scoped(ctx: CityContext, bbox: Bbox) -> tuple[sa.Table, list[sa.ColumnElement[bool]]]:
    """The problems table and the conditions of the bbox and the caller's scope."""
    found = scope_filter(ctx, get_layer("problems"))
    table = ctx.store.table("problems")
    return table, [ctx.store.backend.bbox_filter(table, bbox), *found.conditions(table)]
