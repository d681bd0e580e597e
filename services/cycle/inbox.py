"""A unit's inbox: the problems its user must handle, soonest deadline first, a page at a time.

What a user must handle follows from the workflow: the statuses from which
their role may make a transition (a unit handler: dispatched and reopened
problems to rectify; a grid manager: reported ones to register, open ones
to dispatch, rectified ones to verify...). Roles that make none (viewers)
see every open problem. The principal's scope applies in SQL, as do the
filters, the order and the paging, so a city of a million problems reads
one page; names and working days overdue are worked out for that page only
(through the working calendar for those past their deadline; 0 for the others).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from citygrid.errors import BadInput
from citygrid.layers.base_layers import OPEN_STATUSES, PROBLEM_STATUSES
from citygrid.layers.registry import get_layer
from citygrid.services.accounts.principal import Principal
from citygrid.services.context import CityContext
from citygrid.services.cycle.case import overdue_days
from citygrid.services.cycle.workflow import TRANSITIONS
from citygrid.services.problems.selection import overdue_condition
from citygrid.services.providers.scoping import scope_filter

PER_PAGE = 20
"""Problems on one page of the inbox."""
MAX_PER_PAGE = 200
STATUS_CHOICES = PROBLEM_STATUSES
"""The statuses the inbox filters by, with their zh and en labels."""

INBOX_COLUMNS = [
    "code",
    "version",
    "status",
    "deadline",
    "reported_at",
    "catalogue_name",
    "place",
    "overdue_days",
]

_PLACES = (
    ("point_code", "points"),
    ("street_code", "streets"),
    ("alley_code", "alleys"),
    ("grid_code", "grids"),
)
"""Where a problem is, most precise first: its place is the first of these it has."""


@dataclass(frozen=True)
class InboxPage:
    """One page of an inbox.

    Attributes
    ----------
    rows
        :data:`INBOX_COLUMNS`, soonest deadline first (problems without one last).
    total
        How many problems match in all.
    page
        This page's number, from 1.
    per_page
        Problems per page.
    statuses
        The statuses the inbox holds (the filter's, or those the role handles).
    """

    rows: pd.DataFrame
    total: int
    page: int
    per_page: int
    statuses: tuple[str, ...]

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1)."""
        return max(1, -(-self.total // self.per_page))


def handled_statuses(principal: Principal) -> tuple[str, ...]:
    """The statuses from which ``principal``'s role makes a transition; every open status
    for roles that make none (viewers) and for the system and administrators."""
    if principal.system or principal.role is None:
        return OPEN_STATUSES
    role = principal.role.name
    found = {s for t in TRANSITIONS.values() if role in t.roles for s in t.sources}
    return tuple(s for s in OPEN_STATUSES if s in found) or OPEN_STATUSES


def inbox(
    ctx: CityContext,
    status: str | None = None,
    overdue: bool = False,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> InboxPage:
    """The page ``page`` of the problems ``ctx.principal`` must handle, soonest deadline first.

    Parameters
    ----------
    status
        Only problems of this status (its value or zh or en label; any status,
        closed included); default
        those the principal's role handles (:func:`handled_statuses`).
    overdue
        Only problems past their deadline and not closed.
    page, per_page
        Which page, from 1, of how many problems (at most :data:`MAX_PER_PAGE`).

    Raises
    ------
    BadInput
        An unknown status, a page below 1 or a page size out of range.
    Unauthorized, PermissionDenied
        Nobody signed in, or a role that does not read problems.
    """
    layer = get_layer("problems")
    statuses = (layer.field("status").parse(status),) if status else handled_statuses(ctx.principal)
    if page < 1:
        raise BadInput("Page {page} does not exist; pages count from 1.", page=page)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadInput(
            "Show between 1 and {limit} problems per page, not {count}.",
            limit=MAX_PER_PAGE,
            count=per_page,
        )
    table = ctx.store.table(layer.name)
    conditions = [
        table.c.status.in_(statuses),
        *scope_filter(ctx, layer).conditions(table),
    ]
    if overdue:
        conditions.append(overdue_condition(table, ctx))
    ordered = (
        sa.select(table.c.code)
        .where(*conditions)
        .order_by(table.c.deadline.is_(None), table.c.deadline, table.c.reported_at, table.c.fid)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    with ctx.store.reader() as conn:
        total = int(
            conn.execute(sa.select(sa.func.count()).select_from(table).where(*conditions)).scalar()
            or 0
        )
        codes = list(conn.execute(ordered).scalars())
    return InboxPage(_rows(ctx, codes), total, page, per_page, statuses)


def _rows(ctx: CityContext, codes: list[str]) -> pd.DataFrame:
    """The problems ``codes`` in that order, with item and place names and days overdue."""
    if not codes:
        return pd.DataFrame(columns=INBOX_COLUMNS)
    found = ctx.store.read("problems", where={"code": codes}, order_by=None)
    frame = pd.DataFrame(found.drop(columns="geometry")).set_index("code").loc[codes]
    frame = frame.reset_index()
    items = _names(ctx, "catalogue", frame["catalogue_code"])
    frame["catalogue_name"] = frame["catalogue_code"].map(items).fillna(frame["catalogue_code"])
    place = pd.Series(None, index=frame.index, dtype=object)
    for field, layer in _PLACES:
        place = place.fillna(frame[field].map(_names(ctx, layer, frame[field])))
    frame["place"] = place.fillna("")
    late = frame["deadline"].notna() & (frame["deadline"] < ctx.now)
    frame["overdue_days"] = [
        overdue_days(ctx, row) if is_late else (None if pd.isna(row["deadline"]) else 0.0)
        for is_late, (_, row) in zip(late, frame.iterrows(), strict=True)
    ]
    return frame[INBOX_COLUMNS]


def _names(ctx: CityContext, layer: str, codes: Iterable[object]) -> pd.Series:
    """Code -> name of the features ``codes`` of ``layer``, in one read."""
    wanted = sorted({str(c) for c in codes if c is not None and not pd.isna(c)})
    if not wanted:
        return pd.Series(dtype=object)
    found = ctx.store.read(layer, where={"code": wanted}, columns=["code", "name"])
    return pd.Series(list(found["name"]), index=list(found["code"]), dtype=object)
