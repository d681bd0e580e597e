"""The SQL of a :class:`~citygrid.services.problems.filters.ProblemFilters`.

:func:`problem_conditions` turns the filters into conditions on the
problems table, checking first that the codes they name exist (a
catalogue item, a unit, a sub-district) and that "my cells" has cells to
mean. Every reader of problems (the map's counts and points, the analyses)
adds these conditions to its own query, so filtering always runs in the
database. A sub-district holds the problems routed to it or to one of its
cells (as a sub-district scope does). Overdue means the deadline has passed at ``ctx.now`` and the
problem is not closed; it is never stored.
"""

from __future__ import annotations

import sqlalchemy as sa

from citygrid.errors import BadInput, NotFound
from citygrid.layers.base_layers import OPEN_STATUSES
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.params import Bbox
from citygrid.services.accounts.scope import Scope
from citygrid.services.context import CityContext
from citygrid.services.problems.filters import ProblemFilters
from citygrid.services.providers.scoping import scope_cells, scope_filter


def overdue_condition(table: sa.Table, ctx: CityContext) -> sa.ColumnElement[bool]:
    """SQL: the deadline has passed at ``ctx.now`` and the problem is not closed.

    "Not closed" is written as the list of the other statuses, so the status index
    finds the few problems still open among a city's million mostly closed ones.
    """
    return sa.and_(
        table.c.status.in_(OPEN_STATUSES), table.c.deadline.is_not(None), table.c.deadline < ctx.now
    )


def problem_conditions(
    ctx: CityContext, filters: ProblemFilters, table: sa.Table
) -> list[sa.ColumnElement[bool]]:
    """The conditions on the problems ``table`` that select what ``filters`` say.

    Raises
    ------
    NotFound
        The category, unit or sub-district names nothing.
    BadInput
        ``mine`` for a caller whose scope holds no cells (the whole city, or a unit).
    """
    conditions: list[sa.ColumnElement[bool]] = []
    start, stop = filters.start(), filters.stop()
    if start is not None:
        conditions.append(table.c.reported_at >= start)
    if stop is not None:
        conditions.append(table.c.reported_at < stop)
    if filters.category:
        conditions.append(table.c.catalogue_code.in_(category_codes(ctx.store, filters.category)))
    if filters.statuses:
        conditions.append(table.c.status.in_(filters.status_list()))
    if filters.overdue:
        conditions.append(overdue_condition(table, ctx))
    if filters.unit:
        _check_exists(ctx.store, "units", filters.unit, _UNKNOWN_UNIT)
        conditions.append(table.c.unit_code == filters.unit)
    if filters.subdistrict:
        _check_exists(ctx.store, "jurisdictions", filters.subdistrict, _UNKNOWN_SUBDISTRICT)
        cells = scope_cells(ctx, Scope("jurisdiction", (filters.subdistrict,)))
        conditions.append(
            sa.or_(table.c.subdistrict_code == filters.subdistrict, table.c.grid_code.in_(cells))
        )
    if filters.mine:
        conditions.append(table.c.grid_code.in_(my_cells(ctx)))
    return conditions


def visible_problems(
    ctx: CityContext, filters: ProblemFilters, bbox: Bbox | None = None
) -> tuple[sa.Table, list[sa.ColumnElement[bool]]]:
    """The problems table and the conditions selecting the problems the caller sees (their
    scope), that ``filters`` select, and (bounding-box test) that meet ``bbox`` (EPSG:4326).

    Raises
    ------
    Unauthorized, PermissionDenied
        The caller may not read problems.
    NotFound, BadInput
        As :func:`problem_conditions`.
    """
    found = scope_filter(ctx, get_layer("problems"))
    table = ctx.store.table("problems")
    area = [] if bbox is None else [ctx.store.backend.bbox_filter(table, bbox)]
    return table, [*area, *found.conditions(table), *problem_conditions(ctx, filters, table)]


def my_cells(ctx: CityContext) -> tuple[str, ...]:
    """The grid cells of the caller's scope ("my cells").

    Raises
    ------
    BadInput
        The caller's scope is the whole city or a unit: it holds no cells.
    """
    scope = ctx.principal.scope
    if scope.kind not in ("grid", "jurisdiction"):
        raise BadInput(
            "My cells (mine=true) is for accounts whose scope is grid cells or sub-districts; "
            "yours ({scope}) holds none, so leave it out.",
            scope=str(scope) or "city",
            param="mine",
        )
    return scope_cells(ctx, scope)


def category_codes(store: Store, category: str) -> list[str]:
    """The catalogue code and every code below it.

    Raises
    ------
    NotFound
        No catalogue item has the code.
    """
    catalogue = store.read("catalogue", columns=["code", "parent_code"])
    if category not in set(catalogue["code"]):
        raise NotFound(
            "Unknown category {code!r}: no catalogue item has this code; list the catalogue "
            "with `citygrid layers` and give an item code.",
            code=category,
        )
    codes = {category}
    frontier = {category}
    while frontier:
        frontier = set(catalogue.loc[catalogue["parent_code"].isin(frontier), "code"]) - codes
        codes |= frontier
    return sorted(codes)


_UNKNOWN_UNIT = "Unknown unit {code!r}; give the code of a responsible unit."
_UNKNOWN_SUBDISTRICT = "Unknown sub-district {code!r}; give the code of a sub-district."


def _check_exists(store: Store, layer: str, code: str, message: str) -> None:
    if store.read(layer, where={"code": code}, columns=["code"]).empty:
        raise NotFound(message, code=code)
