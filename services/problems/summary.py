"""Counts of problems per grid cell within a bbox, for the map at low zoom.

The counting runs in SQL (``GROUP BY grid_code``) inside the caller's
scope and the :class:`~citygrid.services.problems.filters.ProblemFilters`,
so a city of a million problems sends one row per cell. Problems routed
to no cell are counted apart. Overdue means the deadline has
passed (at ``ctx.now``) and the problem is not closed; it is never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from citygrid.params import Bbox
from citygrid.services.context import CityContext
from citygrid.services.problems.filters import ProblemFilters
from citygrid.services.problems.selection import overdue_condition, visible_problems


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


def count_in_bbox(ctx: CityContext, bbox: Bbox, at_most: int, filters: ProblemFilters) -> int:
    """How many problems within the caller's scope and ``filters`` meet ``bbox``
    (bounding-box test), counting no further than ``at_most + 1`` (so a city-wide
    bbox costs little)."""
    table, conditions = visible_problems(ctx, filters, bbox)
    rows = sa.select(table.c.fid).where(*conditions).limit(at_most + 1).subquery()
    with ctx.store.reader() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one())


def counts_per_cell(ctx: CityContext, bbox: Bbox, filters: ProblemFilters) -> ProblemCounts:
    """The problems within the caller's scope and ``filters`` in ``bbox``, counted per cell.

    Parameters
    ----------
    ctx
        The request's context: its principal's scope limits the count.
    bbox
        ``(minx, miny, maxx, maxy)`` in EPSG:4326 (bounding-box test).
    filters
        Which problems count (see :func:`~citygrid.services.problems.selection.problem_conditions`
        for the errors of codes that name nothing).

    Returns
    -------
    ProblemCounts
        A :class:`CellCount` per cell holding problems (at the cell's
        representative point), sorted by cell code; and the problems in no cell.
    """
    table, conditions = visible_problems(ctx, filters, bbox)
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
