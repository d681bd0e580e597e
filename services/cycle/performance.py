"""Performance figures (考核指标) per unit, sub-district or grid cell, for any period.

For a period from the start of day ``since`` to the end of day ``until``
(local time), each group being the problems' ``unit_code``,
``subdistrict_code`` or ``grid_code``:

- **on-time closure rate (按期结案率)** = ``closed_on_time / due``: ``due``
  counts the problems whose deadline falls in the period and has passed
  (before ``ctx.now``) or that are closed; ``closed_on_time`` those of
  them closed (``closed_at``) at or before their deadline;
- **rework rate (返工率)** = ``reworked / closed``: ``closed`` counts the
  problems closed in the period (``status`` closed, ``closed_at`` in it);
  ``reworked`` those of them that the audit log shows sent back for
  rework (``transition:rework``) at least once, at any time;
- **on-time registration rate (按时立案率)** = ``registered_on_time /
  registered``: ``registered`` counts the problems registered in the
  period (an audit entry ``transition:register`` at a time in it);
  ``registered_on_time`` those registered within
  :attr:`~citygrid.config.Config.registration_hours` working hours
  (``CITYGRID_REGISTRATION_HOURS``, default 7) of their ``reported_at``,
  counted through the working calendar.

A rate is empty when its denominator is 0. Problems without the group's
field (nobody answers for them) are left out of the groups but counted in
the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from citygrid.errors import BadInput
from citygrid.services.context import CityContext
from citygrid.services.cycle.periods import period
from citygrid.services.cycle.reading import names_of, read_columns, select_frame

GROUPS: dict[str, tuple[str, str]] = {
    "unit": ("unit_code", "units"),
    "subdistrict": ("subdistrict_code", "jurisdictions"),
    "cell": ("grid_code", "grids"),
}
"""Each grouping: the problems' field and the layer naming its codes."""

FIGURE_COLUMNS = [
    "code",
    "name",
    "due",
    "closed_on_time",
    "on_time_closure_rate",
    "closed",
    "reworked",
    "rework_rate",
    "registered",
    "registered_on_time",
    "on_time_registration_rate",
]
"""The columns of the figures, in order (rates from 0 to 1)."""

_COUNTS = ["due", "closed_on_time", "closed", "reworked", "registered", "registered_on_time"]
_RATES = {
    "on_time_closure_rate": ("closed_on_time", "due"),
    "rework_rate": ("reworked", "closed"),
    "on_time_registration_rate": ("registered_on_time", "registered"),
}


@dataclass(frozen=True)
class Performance:
    """The figures of one period.

    Attributes
    ----------
    since, until
        The period's first and last day.
    by
        ``unit``, ``subdistrict`` or ``cell``.
    frame
        :data:`FIGURE_COLUMNS`, one row per group that has any count, by code.
    total
        The same figures over the whole city (``code`` and ``name`` empty).
    """

    since: date
    until: date
    by: str
    frame: pd.DataFrame
    total: pd.Series


def check_group(by: str) -> str:
    """``by`` if the figures can be grouped by it.

    Raises
    ------
    BadInput
        Not ``unit``, ``subdistrict`` or ``cell``.
    """
    if by not in GROUPS:
        raise BadInput(
            "{by!r} is not a grouping of the figures; use one of: {known}.",
            by=by,
            known=", ".join(GROUPS),
        )
    return by


def performance(ctx: CityContext, since: date, until: date, by: str = "unit") -> Performance:
    """The on-time closure, rework and on-time registration rates from ``since`` to ``until``.

    Raises
    ------
    BadInput
        ``since`` after ``until``, an unknown grouping, or no problem was due,
        closed or registered in the period.
    """
    field, layer = GROUPS[check_group(by)]
    start, stop = period(since, until)
    parts = [
        _closures(ctx, field, start, stop),
        _registrations(ctx, field, start, stop),
    ]
    rows = pd.concat(parts, ignore_index=True)
    if rows.empty:
        raise BadInput(
            "No problem was due, closed or registered from {since} to {until}; choose a period "
            "with problems.",
            since=since.isoformat(),
            until=until.isoformat(),
        )
    counts = rows.groupby(field, sort=True)[_COUNTS].sum().astype(np.int64)
    frame = _rates(counts)
    frame.insert(0, "code", frame.index.to_numpy(dtype=object))
    frame.insert(1, "name", names_of(ctx.store, layer).reindex(frame.index).to_numpy(dtype=object))
    total = _rates(rows[_COUNTS].sum().astype(np.int64).to_frame().T).iloc[0]
    return Performance(since, until, by, frame[FIGURE_COLUMNS].reset_index(drop=True), total)


def _rates(counts: pd.DataFrame) -> pd.DataFrame:
    out = counts.copy()
    for rate, (numerator, denominator) in _RATES.items():
        whole = out[denominator].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[rate] = np.where(whole > 0, out[numerator] / whole, np.nan)
    return out


def _closures(ctx: CityContext, field: str, start: datetime, stop: datetime) -> pd.DataFrame:
    """Per problem due or closed in the period: ``due``, ``closed_on_time``, ``closed``,
    ``reworked`` (0 or 1)."""
    store = ctx.store
    table = store.table("problems")
    in_period = [
        sa.and_(table.c.deadline >= start, table.c.deadline < stop),
        sa.and_(table.c.closed_at >= start, table.c.closed_at < stop),
    ]
    problems = read_columns(
        store,
        "problems",
        ["code", field, "status", "deadline", "closed_at"],
        filters=[sa.or_(*in_period)],
    )
    deadline, closed_at = problems["deadline"], problems["closed_at"]
    is_closed = (problems["status"] == "closed").to_numpy() & closed_at.notna().to_numpy()
    due = ((deadline >= start) & (deadline < stop)).to_numpy() & (
        is_closed | (deadline < pd.Timestamp(ctx.now)).to_numpy()
    )
    closed = is_closed & ((closed_at >= start) & (closed_at < stop)).to_numpy()
    out = problems[[field]].copy()
    out["due"] = due.astype(np.int64)
    out["closed_on_time"] = (due & is_closed & (closed_at <= deadline).to_numpy()).astype(np.int64)
    out["closed"] = closed.astype(np.int64)
    reworked = problems["code"].isin(_reworked(ctx, stop)).to_numpy()
    out["reworked"] = (closed & reworked).astype(np.int64)
    out["registered"] = 0
    out["registered_on_time"] = 0
    return out


def _reworked(ctx: CityContext, stop: datetime) -> np.ndarray:
    """Codes of every problem sent back for rework before ``stop``."""
    audit = ctx.store.table("audit")
    stmt = (
        sa.select(audit.c.feature_code)
        .distinct()
        .where(
            audit.c.layer == "problems",
            audit.c.action == "transition:rework",
            audit.c.at < stop,
        )
    )
    with ctx.store.reader() as conn:
        return np.array(conn.execute(stmt).scalars().all(), dtype=object)


def _registrations(ctx: CityContext, field: str, start: datetime, stop: datetime) -> pd.DataFrame:
    """Per registration in the period: ``registered`` 1 and ``registered_on_time`` 0 or 1."""
    store = ctx.store
    audit, problems = store.table("audit"), store.table("problems")
    stmt = (
        sa.select(
            sa.type_coerce(audit.c.at, sa.String).label("at"),
            sa.type_coerce(problems.c.reported_at, sa.String).label("reported_at"),
            problems.c[field],
        )
        .join(problems, problems.c.code == audit.c.feature_code)
        .where(
            audit.c.layer == "problems",
            audit.c.action == "transition:register",
            audit.c.at >= start,
            audit.c.at < stop,
        )
    )
    found = select_frame(store, stmt)
    at = pd.to_datetime(found["at"], format="ISO8601")
    reported = pd.to_datetime(found["reported_at"], format="ISO8601")
    hours = ctx.calendar.working_hours_between_array(reported.to_numpy(), at.to_numpy())
    out = found[[field]].copy()
    for column in ("due", "closed_on_time", "closed", "reworked"):
        out[column] = 0
    out["registered"] = 1
    out["registered_on_time"] = (hours <= ctx.config.registration_hours).astype(np.int64)
    return out
