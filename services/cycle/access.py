"""One problem read by its code, and only when the principal may see it.

The workflow, the case page and the photos read a problem the same way:
an unknown code and a code outside the principal's scope get the same
answer (:func:`no_problem`), so a code says nothing of a problem one may
not see.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from citygrid.errors import NotFound
from citygrid.layers.registry import get_layer
from citygrid.services.context import CityContext
from citygrid.services.providers.scoping import scope_filter


def get_problem(ctx: CityContext, code: str, conn: sa.Connection | None = None) -> pd.Series:
    """The problem ``code``.

    Raises
    ------
    NotFound
        There is no problem ``code``.
    """
    found = ctx.store.read("problems", where={"code": code}, conn=conn)
    if found.empty:
        raise no_problem(code)
    return found.iloc[0]


def no_problem(code: str) -> NotFound:
    """The error for a problem code that names none (or none the user may see)."""
    return NotFound(
        "There is no problem {code}; check the code (the map and exports show them).", code=code
    )


def visible_problem(ctx: CityContext, code: str) -> pd.Series:
    """The problem ``code`` when ``ctx.principal`` may read it.

    Raises
    ------
    NotFound
        No such problem, or one outside the principal's scope (the same answer).
    Unauthorized, PermissionDenied
        The principal may not read problems at all.
    """
    layer = get_layer("problems")
    found = scope_filter(ctx, layer)  # refuses those who read no problems at all
    problem = get_problem(ctx, code)
    if ctx.principal.city_wide:
        return problem
    store = ctx.store
    inside = store.read(
        layer.name,
        where={"code": code},
        filters=found.conditions(store.table(layer.name)),
        intersects=found.area,
        columns=["code"],
    )
    if inside.empty:
        raise no_problem(code)
    return problem
