"""Deadlines from the catalogue's registration conditions, and how overdue a problem is.

A problem's deadline is its report time plus the time limit of its
item's registration condition (``standards`` layer): the item's first
condition (in the order the catalogue file gave them) unless one is
named, by its code or its text. Urgent hours run on the wall clock;
working hours and working days through the city's working calendar
(:class:`~citygrid.services.cycle.calendar.WorkingCalendar`), so nights,
weekends and holidays do not count and adjusted working weekends do.
Overdue time is counted in working time too.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from citygrid.errors import BadInput
from citygrid.services.context import CityContext
from citygrid.services.cycle.calendar import WorkingCalendar

_SHOWN = 10


def deadline_for(
    ctx: CityContext,
    catalogue_code: str,
    reported_at: datetime,
    condition: str | None = None,
) -> datetime:
    """The deadline of a problem of ``catalogue_code`` reported at ``reported_at``.

    Parameters
    ----------
    ctx
        The city context (its store's standards, its working calendar).
    catalogue_code
        The problem's catalogue item (a leaf of the catalogue).
    reported_at
        When it was reported (local time, naive).
    condition
        The registration condition that applies, by its code or its text;
        ``None`` takes the item's first.

    Raises
    ------
    BadInput
        The item is unknown or has no condition, or it has no such
        condition; the message names what exists.
    OutsideCalendar
        A working-time limit reaches a year the calendar does not know.
    """
    standards = _standards_of(ctx, catalogue_code)
    row = 0 if condition is None else _condition_row(standards, catalogue_code, condition)
    standard = standards.iloc[row]
    return _add(ctx.calendar, reported_at, float(standard["limit_value"]), standard["limit_unit"])


def _add(calendar: WorkingCalendar, start: datetime, value: float, unit: str) -> datetime:
    if unit == "urgent_hours":
        return calendar.add_wall_hours(start, value)
    if unit == "working_hours":
        return calendar.add_working_hours(start, value)
    return calendar.add_working_days(start, value)


def _standards_of(ctx: CityContext, catalogue_code: str) -> pd.DataFrame:
    """The item's conditions in file order; an unknown item or one without any is refused."""
    standards = ctx.store.read("standards", where={"catalogue_code": catalogue_code})
    if standards.empty:
        raise _no_conditions(ctx, [catalogue_code])
    return standards


def _no_conditions(ctx: CityContext, codes: list[str]) -> BadInput:
    """The error for items without conditions: unknown ones first, naming items that have some."""
    known = set(ctx.store.read("catalogue", columns=["code"])["code"])
    unknown = [c for c in codes if c not in known]
    if unknown:
        leaves = ctx.store.read("standards", columns=["catalogue_code"])["catalogue_code"]
        examples = list(dict.fromkeys(leaves))[:_SHOWN]
        return BadInput(
            "Unknown catalogue items: {codes}. Items with conditions include: {known} "
            "(`citygrid catalogue show` lists them all).",
            codes=", ".join(unknown[:_SHOWN]),
            known=", ".join(examples) or "-",
        )
    return BadInput(
        "Catalogue items {codes} have no registration condition, so no deadline. Load the "
        "catalogue with its standards (`citygrid catalogue load FILE --replace`).",
        codes=", ".join(codes[:_SHOWN]),
    )


def deadlines(ctx: CityContext, frame: pd.DataFrame) -> pd.Series:
    """The deadlines of many problems at once (a million in about a second).

    Parameters
    ----------
    ctx
        The city context.
    frame
        ``catalogue_code`` and ``reported_at`` (local times) per problem,
        and optionally ``condition``: the code or text of the condition
        that applies (empty: the item's first).

    Returns
    -------
    pandas.Series
        ``deadline`` (``datetime64[us]``) on ``frame``'s index; ``NaT``
        where ``reported_at`` is missing.

    Raises
    ------
    BadInput
        An item is unknown or has no condition, or a named condition is
        not one of its item's (as for :func:`deadline_for`).
    OutsideCalendar
        A working-time limit reaches a year the calendar does not know.
    """
    standards = ctx.store.read("standards").drop(columns=["fid", "version"])
    missing = sorted(
        set(frame["catalogue_code"].astype(object).fillna("")) - set(standards["catalogue_code"])
    )
    if missing:
        raise _no_conditions(ctx, missing)
    return deadlines_of(standards, ctx.calendar, frame)


def deadlines_of(
    standards: pd.DataFrame, calendar: WorkingCalendar, frame: pd.DataFrame
) -> pd.Series:
    """:func:`deadlines` from a frame of standards (the ``standards`` layer's fields, in
    file order) and a calendar, for data not yet stored (the demo city).

    Every item of ``frame`` must have a condition in ``standards``.

    Raises
    ------
    BadInput
        A named condition is not one of its item's.
    OutsideCalendar
        A working-time limit reaches a year the calendar does not know.
    """
    first: dict[str, int] = {}
    for n, item in enumerate(standards["catalogue_code"]):
        first.setdefault(item, n)
    items = frame["catalogue_code"].astype(object)
    rows = items.map(first).to_numpy(dtype=np.int64, copy=True)
    if "condition" in frame.columns:
        named = frame["condition"].astype(object).fillna("").to_numpy()
        for k in np.flatnonzero(named != ""):
            rows[k] = _condition_row(standards, items.iloc[k], named[k])
    value = standards["limit_value"].to_numpy(dtype=float)[rows]
    unit = standards["limit_unit"].to_numpy(dtype=object)[rows]
    hours = np.where(unit == "working_days", value * calendar.day_hours, value)
    reported = frame["reported_at"].to_numpy(dtype="datetime64[us]")
    urgent = unit == "urgent_hours"
    deadline = calendar.add_working_hours_array(reported, np.where(urgent, 0.0, hours))
    wall = np.round(hours[urgent] * 3_600_000_000).astype("timedelta64[us]")
    deadline[urgent] = reported[urgent] + wall
    return pd.Series(deadline, index=frame.index, name="deadline")


def _condition_row(standards: pd.DataFrame, item: str, condition: str) -> int:
    """The row of ``item``'s condition named by code or text, refused naming the item's own."""
    of_item = standards["catalogue_code"] == item
    chosen = np.flatnonzero(
        of_item & ((standards["code"] == condition) | (standards["condition"] == condition))
    )
    if not len(chosen):
        raise _unknown_condition(item, condition, standards[of_item])
    return int(chosen[0])


def _unknown_condition(item: str, condition: str, of_item: pd.DataFrame) -> BadInput:
    return BadInput(
        "Catalogue item {code} has no condition {condition!r}; its conditions are: {known}.",
        code=item,
        condition=condition,
        known="; ".join(
            f"{c} ({t})" for c, t in zip(of_item["code"], of_item["condition"], strict=True)
        ),
    )


def overdue_working_days(
    ctx: CityContext, deadline: datetime, now: datetime | None = None
) -> float:
    """Working days from ``deadline`` to ``now`` (default ``ctx.now``); 0 when not yet due.

    A fraction counts the working hours of a part day (``day_hours`` per
    day): 3.5 working hours past a deadline is 0.5 working days overdue.

    Raises
    ------
    OutsideCalendar
        A day between them lies in a year the calendar does not know.
    """
    calendar = ctx.calendar
    late = calendar.working_time_between(deadline, ctx.now if now is None else now)
    return max(0.0, late.total_seconds() / 3600 / calendar.day_hours)
