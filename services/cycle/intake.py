"""Intake: a problem reported at a place, coded, routed at once and left ``reported``.

A report names a location, a catalogue item, a description, a source
(:data:`~citygrid.layers.base_layers.PROBLEM_SOURCES`) and a reporter. The
problem gets the next code of the demo's pattern (``WT`` and 8 digits),
status ``reported`` (已上报待立案), and is routed by the router
(:mod:`citygrid.services.routing`): unit, head, point, street, alley,
cell and sub-district. It is written, then routed with
``action="transition:report"`` in the same transaction, so the audit log
holds the report by its reporter's account and the case's timeline starts
with it.

Photos taken with the report are stored with it
(:mod:`citygrid.services.cycle.photos`, kind ``report``) in the same
transaction. A report of an item within
:attr:`~citygrid.config.Config.duplicate_metres` of an open problem of
the same item is merged into that problem (:mod:`.recurrence`; only one
the reporter may see, else it is a new problem): no new problem; the
open one's ``reports`` goes up by one, with an audit entry
``transition:merge`` holding the reporter, and its photos go to it. A
new problem near one of its item closed lately is linked to it as a
recurrence (``recurrence_of``, ``recurrence``; audited as ``recurrence``).

What is refused: an item the catalogue does not have, or a heading of it
(an item with items below it); a missing description for an event (事件:
what happened needs saying; a component, 部件, is named by its item); a
source that is not one of the sources. A place outside every sub-district
is accepted (the city's edge is not always drawn well) and routed
``outside``; :class:`Intake` says so, with the nearest sub-district.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa

from citygrid.errors import BadInput, NotFound, PermissionDenied
from citygrid.layers.base_layers import PROBLEM_SOURCES
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.context import CityContext
from citygrid.services.cycle.access import visible_problem
from citygrid.services.cycle.photos import PhotoFile, add_photos
from citygrid.services.cycle.recurrence import nearby
from citygrid.services.cycle.workflow import (
    ACTION_PREFIX,
    TRANSITIONS,
    check_role,
    get_problem,
    now_stamp,
)
from citygrid.services.providers.scoping import scope_area
from citygrid.services.routing import RoutingIndex, check_lon_lat, route_locations, routed_fields

CODE_PREFIX = "WT"
"""Problem codes are ``WT`` and 8 digits, as the demo's."""
CODE_DIGITS = 8


@dataclass(frozen=True)
class Intake:
    """A reported problem.

    Attributes
    ----------
    problem
        The problem as stored (status ``reported``, routed).
    outside_distance_m
        Metres to the nearest sub-district when the place is outside every
        one (``routed_by == "outside"``), else ``None``.
    merged
        The report duplicated an open problem and was merged into it:
        ``problem`` is that problem, not a new one.
    """

    problem: pd.Series
    outside_distance_m: float | None = None
    merged: bool = False

    @property
    def outside(self) -> bool:
        """Whether the place lies outside the city's sub-districts."""
        return self.outside_distance_m is not None

    @property
    def recurs(self) -> str | None:
        """The code of the closed problem this one recurs, or ``None``."""
        value = self.problem.get("recurrence_of")
        return None if value is None or pd.isna(value) else str(value)


def report_problem(
    ctx: CityContext,
    lon: Any,
    lat: Any,
    catalogue_code: str,
    description: str | None,
    source: str = "inspection",
    reporter: str | None = None,
    *,
    crs: str | None = None,
    reported_at: datetime | None = None,
    photos: Sequence[PhotoFile] = (),
    inspection_code: str | None = None,
    conn: sa.Connection | None = None,
) -> Intake:
    """Report a problem at ``lon, lat``: a new ``reported`` problem, routed at once.

    Parameters
    ----------
    ctx
        The city; ``ctx.principal`` may report (admin, grid manager,
        inspector) at that place (inside their scope); ``ctx.actor`` goes to
        the audit log.
    lon, lat
        The place, EPSG:4326 unless ``crs`` is given (:func:`check_lon_lat`).
    catalogue_code
        The catalogue item (not a heading with items below it).
    description
        What is wrong; required for events, optional for components.
    source
        One of :data:`PROBLEM_SOURCES` by value or label (default ``inspection``).
    reporter
        Who found it (personal data).
    reported_at
        When it was found (default ``ctx.now``).
    photos
        Photos of it, stored with it (kind ``report``).
    inspection_code
        The inspection that found it (:mod:`citygrid.services.cycle.inspections`).
    conn
        A write transaction to report in (an inspection round's); default a new one.

    Returns
    -------
    Intake
        The problem (a new one, or the open one the report was merged
        into), and how far outside the city it is when it is.

    Raises
    ------
    BadInput
        A location that is not one, an unknown item or a heading, a missing
        description, an unknown source, a photo that is not an image or
        too big.
    Unauthorized, PermissionDenied
        A role that may not report, or a place outside the principal's scope.
    """
    check_role(ctx, TRANSITIONS["report"])
    x, y = check_lon_lat(lon, lat, crs)
    item = check_item(ctx, catalogue_code)
    text = check_description(item, description)
    location = gpd.GeoSeries([shapely.Point(x, y)], crs=STORAGE_CRS)
    _check_place(ctx, location.iloc[0])
    found = {
        "catalogue_code": catalogue_code,
        "description": text,
        "status": TRANSITIONS["report"].target,
        "source": parse_source(source),
        "reported_at": (reported_at or now_stamp(ctx)),
        "reporter": (reporter or "").strip() or None,
        "inspection_code": inspection_code,
    }
    store = ctx.store
    with nullcontext(conn) if conn is not None else store.transaction() as conn:
        near = nearby(ctx, catalogue_code, x, y, found["reported_at"], conn)
        if near.duplicate is not None and _may_see(ctx, str(near.duplicate["code"])):
            return _merge(ctx, str(near.duplicate["code"]), found, photos, conn)
        index = RoutingIndex.from_store(ctx, around=(x, y, x, y), conn=conn)
        routed = route_locations(index, location).iloc[0]
        code = next_code(ctx, conn)
        new = gpd.GeoDataFrame(
            [{"code": code, **found, "reports": 1, "recurrence": 0}],
            geometry=location,
            crs=STORAGE_CRS,
        )
        store.write("problems", new, actor=ctx.actor, reason=f"report {code}", conn=conn)
        routing = {f: (None if pd.isna(routed[f]) else routed[f]) for f in routed_fields()}
        store.update(
            "problems",
            pd.DataFrame([{"code": code, **routing}]),
            actor=ctx.actor,
            action=ACTION_PREFIX + "report",
            reason=text,
            conn=conn,
        )
        if near.recurs is not None:
            _link_recurrence(ctx, code, near.recurs, conn)
        add_photos(ctx, code, photos, "report", conn=conn)
        problem = get_problem(ctx, code, conn=conn)
    distance = routed["outside_distance_m"]
    return Intake(problem, None if pd.isna(distance) else round(float(distance), 1))


def _merge(
    ctx: CityContext,
    code: str,
    found: dict[str, Any],
    photos: Sequence[PhotoFile],
    conn: sa.Connection,
) -> Intake:
    """Merge a duplicate report into the open problem ``code``: one more report, audited."""
    held = get_problem(ctx, code, conn=conn)
    reports = 1 if pd.isna(held["reports"]) else int(held["reports"])
    ctx.store.update(
        "problems",
        pd.DataFrame([{"code": code, "reports": reports + 1}]),
        actor=ctx.actor,
        action=ACTION_PREFIX + "merge",
        reason=found["description"],
        conn=conn,
        audit_after={
            "reporter": found["reporter"],
            "source": found["source"],
            "reported_at": found["reported_at"],
        },
    )
    add_photos(ctx, code, photos, "report", conn=conn)
    return Intake(get_problem(ctx, code, conn=conn), merged=True)


def _may_see(ctx: CityContext, code: str) -> bool:
    """Whether the principal sees the problem ``code`` (a report merges only into those)."""
    try:
        visible_problem(ctx, code)
    except NotFound:
        return False
    return True


def _link_recurrence(ctx: CityContext, code: str, recurs: pd.Series, conn: sa.Connection) -> None:
    """Link the new problem ``code`` to the closed problem it recurs, audited."""
    chain = 0 if pd.isna(recurs["recurrence"]) else int(recurs["recurrence"])
    ctx.store.update(
        "problems",
        pd.DataFrame(
            [{"code": code, "recurrence_of": str(recurs["code"]), "recurrence": chain + 1}]
        ),
        actor=ctx.actor,
        action="recurrence",
        reason=f"recurs {recurs['code']}",
        conn=conn,
    )


def check_item(ctx: CityContext, code: str) -> pd.Series:
    """The catalogue item ``code``, refused when unknown or a heading with items below it.

    Raises
    ------
    BadInput
        No such item (naming a few that exist), or items lie below it
        (naming them).
    """
    catalogue = ctx.store.read("catalogue", columns=["code", "name", "parent_code", "kind"])
    found = catalogue[catalogue["code"] == code]
    if found.empty:
        leaves = catalogue[~catalogue["code"].isin(catalogue["parent_code"])]
        raise BadInput(
            "There is no catalogue item {code}; items include: {known} "
            "(`citygrid catalogue show` lists them all).",
            code=code,
            known=_listed(leaves.head(5)),
        )
    below = catalogue[catalogue["parent_code"] == code]
    if not below.empty:
        raise BadInput(
            "Catalogue item {code} is a heading; report one of the items below it: {items}.",
            code=code,
            items=_listed(below.head(10)),
        )
    return found.iloc[0]


def _listed(entries: pd.DataFrame) -> str:
    """Catalogue entries as ``code name, code name``."""
    return ", ".join(f"{c} {n}" for c, n in zip(entries["code"], entries["name"], strict=True))


def check_description(item: pd.Series, description: str | None) -> str | None:
    """The description, stripped; refused when missing for an event (a component may go without).

    Raises
    ------
    BadInput
        No description for an item that is not a component.
    """
    text = (description or "").strip()
    if not text and item["kind"] != "component":
        raise BadInput(
            "A problem of item {code} ({name}) needs a description of what is wrong "
            "(--description).",
            code=item["code"],
            name=item["name"],
        )
    return text or None


def parse_source(text: str) -> str:
    """A problem source by its value or its zh or en label.

    Raises
    ------
    BadInput
        Not a source; the message lists them.
    """
    wanted = (text or "").strip()
    for choice in PROBLEM_SOURCES:
        if wanted in (choice.value, choice.zh, choice.en):
            return choice.value
    raise BadInput(
        "{source!r} is not a source of problems; use one of: {known}.",
        source=text,
        known=", ".join(f"{c.value} ({c.zh})" for c in PROBLEM_SOURCES),
    )


def next_code(ctx: CityContext, conn: sa.Connection) -> str:
    """The code after the highest ``WT`` and 8 digits held (``WT00000001`` for the first)."""
    table = ctx.store.table("problems")
    pattern = CODE_PREFIX + "_" * CODE_DIGITS
    held = conn.execute(
        sa.select(table.c.code)
        .where(table.c.code.like(pattern))
        .order_by(table.c.code.desc())
        .limit(100)
    ).scalars()
    last = next((int(c[len(CODE_PREFIX) :]) for c in held if c[len(CODE_PREFIX) :].isdigit()), 0)
    return f"{CODE_PREFIX}{last + 1:0{CODE_DIGITS}d}"


def _check_place(ctx: CityContext, point: shapely.Point) -> None:
    """Refuse a report outside a scoped principal's area."""
    principal = ctx.principal
    if principal.city_wide:
        return
    if not scope_area(ctx, principal.scope).intersects(point):
        raise PermissionDenied(
            "The place ({lon}, {lat}) is outside your scope ({scope}); report problems "
            "where you work.",
            lon=point.x,
            lat=point.y,
            scope=str(principal.scope),
        )
