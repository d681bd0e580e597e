"""The transitions a principal may make on a problem now, for the buttons of its page,
the units a dispatch may send it to, and how a registration condition's time limit
is counted, in the user's words.

One rule, the workflow's (:data:`~citygrid.services.cycle.workflow.TRANSITIONS`):
a transition is offered when the problem's status is one it applies to
and the principal's role is one that makes it. Scope is not asked again:
a page shows only a problem the principal sees, and
:func:`~citygrid.services.cycle.workflow.transition` checks it once more
when the form is sent.
"""

from __future__ import annotations

import pandas as pd

from citygrid.layers.cycle_layers import LIMIT_UNITS
from citygrid.services.context import CityContext
from citygrid.services.cycle.workflow import TRANSITIONS, Transition


def actions_for(ctx: CityContext, problem: pd.Series) -> list[Transition]:
    """The transitions ``ctx.principal`` may make on ``problem`` from its status, in
    workflow order (``report`` is never one: the problem exists)."""
    principal = ctx.principal
    if principal.anonymous:
        return []
    role = None if principal.role is None else principal.role.name
    return [
        step
        for step in TRANSITIONS.values()
        if problem.get("status") in step.sources and (principal.system or role in step.roles)
    ]


def dispatch_units(ctx: CityContext) -> pd.DataFrame:
    """The units a problem may be dispatched to by hand (``code``, ``name``), by name."""
    units = ctx.store.read("units", columns=["code", "name"])
    return pd.DataFrame(units[["code", "name"]]).sort_values(["name", "code"], ignore_index=True)


def limit_label(unit: str, lang: str | None = None) -> str:
    """A time limit's unit in ``lang`` (工作日, working days); the value itself when unknown."""
    return next((c.label(lang) for c in LIMIT_UNITS if c.value == unit), unit)
