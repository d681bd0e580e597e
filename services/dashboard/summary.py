"""Counts, the monthly trend and the worst cells and points of the problems a caller sees.

Everything is counted in SQL over the problems the caller's scope and the
:class:`~citygrid.services.problems.filters.ProblemFilters` select
(:func:`~citygrid.services.problems.selection.visible_problems`), so a city
of a million problems sends a few dozen rows. Open means a status of
:data:`~citygrid.layers.base_layers.OPEN_STATUSES`; overdue means open with
its deadline passed at ``ctx.now``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from citygrid.layers.base_layers import OPEN_STATUSES
from citygrid.services.context import CityContext
from citygrid.services.problems.filters import ProblemFilters
from citygrid.services.problems.selection import overdue_condition, visible_problems
from citygrid.services.responsibility.panel import named

WORST = 10
"""How many cells and points the worst lists hold."""


def _month(store_dialect: str, column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """SQL: ``YYYY-MM`` of a timestamp column, on SQLite and PostgreSQL."""
    if store_dialect == "sqlite":
        return sa.func.strftime("%Y-%m", column)
    return sa.func.to_char(column, "YYYY-MM")


def dashboard_summary(ctx: CityContext, filters: ProblemFilters) -> dict[str, Any]:
    """The dashboard's figures for the problems the caller sees that ``filters`` select.

    Returns
    -------
    dict
        ``counts`` (``open``, ``overdue``, ``closed``, ``total``); ``trend``:
        ``{"months": ["2025-01", ...], "reported": [...], "closed": [...]}``
        (problems reported, and closed, per month, by their own dates); and
        ``worst_cells`` and ``worst_points``: up to :data:`WORST` of
        ``{"code", "name", "open", "overdue"}``, most overdue first, then
        most open.

    Raises
    ------
    Unauthorized, PermissionDenied
        The caller may not read problems.
    NotFound, BadInput
        A filter names nothing (unknown unit, category, sub-district), or
        ``mine`` for a caller with no cells.
    """
    table, conditions = visible_problems(ctx, filters)
    is_open = table.c.status.in_(OPEN_STATUSES)
    late = overdue_condition(table, ctx)
    dialect = ctx.store.engine.dialect.name
    counts_query = sa.select(
        sa.func.count(),
        sa.func.sum(sa.case((is_open, 1), else_=0)),
        sa.func.sum(sa.case((late, 1), else_=0)),
        sa.func.sum(sa.case((table.c.status == "closed", 1), else_=0)),
    ).where(*conditions)
    reported = _month(dialect, table.c.reported_at)
    closed = _month(dialect, table.c.closed_at)
    with ctx.store.reader() as conn:
        total, open_, overdue, closed_count = conn.execute(counts_query).one()
        by_reported = dict(
            conn.execute(
                sa.select(reported, sa.func.count()).where(*conditions).group_by(reported)
            ).all()
        )
        by_closed = dict(
            conn.execute(
                sa.select(closed, sa.func.count())
                .where(*conditions, table.c.closed_at.is_not(None))
                .group_by(closed)
            ).all()
        )
        worst = {
            kind: _worst(conn, table.c[column], conditions, is_open, late)
            for kind, column in (("grids", "grid_code"), ("points", "point_code"))
        }
    months = sorted(m for m in {*by_reported, *by_closed} if m)
    return {
        "counts": {
            "total": int(total or 0),
            "open": int(open_ or 0),
            "overdue": int(overdue or 0),
            "closed": int(closed_count or 0),
        },
        "trend": {
            "months": months,
            "reported": [int(by_reported.get(m, 0)) for m in months],
            "closed": [int(by_closed.get(m, 0)) for m in months],
        },
        "worst_cells": _named(ctx, "grids", worst["grids"]),
        "worst_points": _named(ctx, "points", worst["points"]),
    }


def _worst(
    conn: sa.Connection,
    column: sa.ColumnElement[Any],
    conditions: list[sa.ColumnElement[bool]],
    is_open: sa.ColumnElement[bool],
    late: sa.ColumnElement[bool],
) -> list[tuple[str, int, int]]:
    """``(code, open, overdue)`` of the places with the most overdue, then open, problems."""
    open_count = sa.func.sum(sa.case((is_open, 1), else_=0))
    late_count = sa.func.sum(sa.case((late, 1), else_=0))
    query = (
        sa.select(column, open_count, late_count)
        .where(*conditions, column.is_not(None), is_open)
        .group_by(column)
        .order_by(late_count.desc(), open_count.desc(), column)
        .limit(WORST)
    )
    return [(str(code), int(n), int(m)) for code, n, m in conn.execute(query)]


def _named(ctx: CityContext, layer: str, rows: list[tuple[str, int, int]]) -> list[dict[str, Any]]:
    names = named(ctx, layer, [code for code, _, _ in rows])
    return [
        {"code": code, "name": names.get(code, code), "open": n, "overdue": late}
        for code, n, late in rows
    ]
