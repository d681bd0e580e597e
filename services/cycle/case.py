"""A problem's case: its names, deadline, days overdue and timeline.

Nothing here is stored: the timeline is read from the audit log (each
transition is one audit entry, :mod:`citygrid.services.cycle.workflow`),
and how overdue a problem is is counted in working days through the
working calendar at the moment asked, so it is never stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from citygrid.layers.registry import get_layer
from citygrid.services.context import CityContext
from citygrid.services.cycle.access import visible_problem
from citygrid.services.cycle.deadlines import overdue_working_days
from citygrid.services.cycle.workflow import ACTION_PREFIX, TRANSITIONS
from citygrid.services.providers.scoping import withhold_personal

TIMELINE_COLUMNS = ["at", "actor", "action", "status_before", "status", "note"]

_NAMED = {
    "catalogue_code": ("catalogue", "name"),
    "unit_code": ("units", "name"),
    "head_code": ("people", "name"),
    "point_code": ("points", "name"),
    "street_code": ("streets", "name"),
    "alley_code": ("alleys", "name"),
    "grid_code": ("grids", "name"),
    "subdistrict_code": ("jurisdictions", "name"),
}
"""The problem's code fields shown with the name of what they refer to."""


@dataclass(frozen=True)
class Case:
    """A problem with what its page shows.

    Attributes
    ----------
    problem
        The problem's fields (personal ones only for principals who see them).
    names
        Code field -> the name of what it refers to (``unit_code`` -> the unit's name).
    overdue_days
        Working days past the deadline (:func:`overdue_days`), ``None`` without a deadline.
    timeline
        :func:`timeline`.
    """

    problem: pd.Series
    names: dict[str, str]
    overdue_days: float | None
    timeline: pd.DataFrame


def overdue_days(ctx: CityContext, problem: pd.Series, now: datetime | None = None) -> float | None:
    """Working days the problem is (or was) past its deadline, counted now.

    A closed problem is counted to its ``closed_at`` (how late it was
    closed); any other to ``now`` (default ``ctx.now``). 0 when not past
    its deadline; ``None`` when it has none (not registered yet).

    Raises
    ------
    OutsideCalendar
        A day between them lies in a year the calendar does not know.
    """
    deadline = problem.get("deadline")
    if deadline is None or pd.isna(deadline):
        return None
    end = problem.get("closed_at") if problem.get("status") == "closed" else None
    if end is None or pd.isna(end):
        end = ctx.now if now is None else now
    return overdue_working_days(ctx, pd.Timestamp(deadline).to_pydatetime(), pd.Timestamp(end))


def timeline(ctx: CityContext, code: str) -> pd.DataFrame:
    """The case's steps, oldest first, from the audit log of the problem ``code``.

    Returns
    -------
    pandas.DataFrame
        :data:`TIMELINE_COLUMNS`: when, who (``actor``; withheld from roles
        that do not see personal data), the ``action`` (a transition's name,
        or ``reroute``, ``update``...), the status before and after (empty
        when the step did not change it) and the ``note`` (the audit's reason).
    """
    history = ctx.store.history("problems", code)
    rows = []
    for entry in history.itertuples(index=False):
        before, after = _changes(entry.before), _changes(entry.after)
        action = str(entry.action).removeprefix(ACTION_PREFIX)
        status = after.get("status")
        if status is None and action == "report":
            status = TRANSITIONS["report"].target
        rows.append(
            {
                "at": entry.at,
                "actor": entry.actor,
                "action": action,
                "status_before": before.get("status"),
                "status": status,
                "note": entry.reason,
            }
        )
    steps = pd.DataFrame(rows, columns=TIMELINE_COLUMNS)
    return steps if ctx.principal.personal else steps.drop(columns="actor")


def case(ctx: CityContext, code: str) -> Case:
    """The problem ``code`` with names, days overdue and timeline, for its page.

    Raises
    ------
    NotFound
        No such problem, or none the principal may see (the same answer,
        so a code outside one's scope says nothing of the problem).
    """
    layer = get_layer("problems")
    problem = visible_problem(ctx, code)
    shown = withhold_personal(ctx, layer, problem.to_frame().T).iloc[0]
    return Case(shown, names(ctx, problem), overdue_days(ctx, problem), timeline(ctx, code))


def names(ctx: CityContext, problem: pd.Series) -> dict[str, str]:
    """The names of what the problem's code fields refer to (``unit_code`` -> the unit's name)."""
    found_names = {}
    for field, (layer, column) in _NAMED.items():
        value = problem.get(field)
        if value is None or pd.isna(value):
            continue
        found = ctx.store.read(layer, where={"code": value}, columns=["code", column])
        if not found.empty:
            found_names[field] = str(found[column].iloc[0])
    return found_names


def _changes(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        values = json.loads(text)
    except ValueError:
        return {}
    return values if isinstance(values, dict) else {}
