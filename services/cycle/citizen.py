"""Citizen requests: the catalogue's public items as services, reports sent in, their state.

What other systems and citizen apps see of the problem cycle (the
Open311 API of :mod:`citygrid.web.open311` sits on this):

- **Public items.** An item of the catalogue is offered to citizens when
  ``config.open311_services`` names it, or a heading above it; when that
  list is empty, every item (every entry with no entry below it) is.
  Headings are never offered: a problem is reported against an item.
- **Reports.** :func:`citizen_report` takes a report at a place inside the
  city (outside every sub-district and grid cell is refused, nothing is
  written) for a public item, and hands it to intake
  (:func:`~citygrid.services.cycle.intake.report_problem`) with source
  ``citizen``: it is coded, routed at once and left ``reported``. Who
  reports is the caller's principal (an API key's user, whose role must
  report problems), or, when ``config.open311_anonymous`` allows it and
  nobody signed in, the service itself, audited as :data:`CITIZEN_ACTOR`.
- **State.** :func:`citizen_requests` reads problems through the problems
  provider (the principal's scope; personal fields withheld), with the
  responsible unit's name and the problem's last change (when, which
  transition, its note) from the audit log. An anonymous reader, when
  allowed, reads every problem without personal fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
import shapely

from citygrid.errors import BadInput, NotFound, Unauthorized
from citygrid.layers.base_layers import PROBLEM_STATUSES
from citygrid.services.accounts.principal import SYSTEM, anonymous
from citygrid.services.context import CityContext
from citygrid.services.cycle.intake import Intake, report_problem
from citygrid.services.providers import provider_for
from citygrid.services.routing import check_lon_lat

CITIZEN_ACTOR = "open311"
"""The audit log's name for anonymous citizen reports."""

MAX_REQUESTS = 1000
"""The most requests one listing returns."""

OPEN_STATUSES = tuple(c.value for c in PROBLEM_STATUSES if c.value != "closed")
"""Every status but ``closed``: what a citizen calls open."""


def public_items(ctx: CityContext) -> pd.DataFrame:
    """The catalogue items offered to citizens (see the module), in catalogue order.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``kind``, ``parent_code`` and ``group`` (the
        parent's name, ``None`` at the top).
    """
    catalogue = ctx.store.read("catalogue", columns=["code", "name", "kind", "parent_code"])
    names = dict(zip(catalogue["code"], catalogue["name"], strict=True))
    items = catalogue[~catalogue["code"].isin(catalogue["parent_code"])].copy()
    wanted = set(ctx.config.open311_services)
    if wanted:
        parents = dict(zip(catalogue["code"], catalogue["parent_code"], strict=True))
        items = items[[_under(code, wanted, parents) for code in items["code"]]]
    items["group"] = items["parent_code"].map(names)
    return items.drop(columns=["fid"], errors="ignore").reset_index(drop=True)


def _under(code: str, wanted: set[str], parents: dict[str, Any]) -> bool:
    """Whether ``code`` or an entry above it is in ``wanted``."""
    seen: set[str] = set()
    current: Any = code
    while isinstance(current, str) and current not in seen:
        if current in wanted:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def public_item(ctx: CityContext, code: str) -> pd.Series:
    """The public item ``code``.

    Raises
    ------
    NotFound
        No public item has that code (unknown, a heading, or not offered).
    """
    items = public_items(ctx)
    found = items[items["code"] == code]
    if found.empty:
        raise NotFound(
            "There is no service {code}; the list of services names those you can report.",
            code=code,
        )
    return found.iloc[0]


def _reporting(ctx: CityContext) -> CityContext:
    """The context a report is made in: the caller's, or the service's for citizens."""
    if not ctx.principal.anonymous:
        return ctx
    if not ctx.config.open311_anonymous:
        raise Unauthorized("Send your api_key: this server takes no anonymous requests.")
    return dataclasses.replace(ctx, principal=SYSTEM, actor=CITIZEN_ACTOR)


def _reading(ctx: CityContext) -> CityContext:
    """The context requests are read in: the caller's, or an anonymous reader of problems."""
    if not ctx.principal.anonymous:
        return ctx
    if not ctx.config.open311_anonymous:
        raise Unauthorized("Send your api_key: this server takes no anonymous requests.")
    return dataclasses.replace(ctx, principal=anonymous(("problems",)))


def citizen_report(
    ctx: CityContext,
    lon: Any,
    lat: Any,
    service_code: str,
    description: str | None,
    reporter: str | None = None,
) -> Intake:
    """Report a problem of the public item ``service_code`` at ``lon, lat`` (EPSG:4326).

    Returns
    -------
    Intake
        The problem, coded, routed and ``reported``.

    Raises
    ------
    BadInput
        Not a public item, not a location, a place outside the city, or a
        missing description for an event; nothing is written.
    Unauthorized, PermissionDenied
        Anonymous when that is not allowed, or a role that may not report
        at that place.
    """
    reporting = _reporting(ctx)
    try:
        item = public_item(reporting, service_code)
    except NotFound as error:
        raise BadInput(error.msgid, **error.params) from None
    x, y = check_lon_lat(lon, lat)
    if not inside_city(reporting, shapely.Point(x, y)):
        raise BadInput(
            "The place ({lon}, {lat}) lies outside the city; report problems inside it "
            "(longitude and latitude in degrees, WGS 84).",
            lon=x,
            lat=y,
        )
    return report_problem(
        reporting, x, y, item["code"], description, source="citizen", reporter=reporter
    )


def inside_city(ctx: CityContext, point: shapely.Point) -> bool:
    """Whether ``point`` (EPSG:4326) lies in a grid cell or a sub-district: where the router
    would not answer ``outside`` (:mod:`citygrid.services.routing`)."""
    store = ctx.store
    if not store.read("grids", intersects=point, columns=["code"], limit=1).empty:
        return True
    found = store.read(
        "jurisdictions",
        where={"level": "subdistrict"},
        intersects=point,
        columns=["code"],
        limit=1,
    )
    return not found.empty


def citizen_requests(
    ctx: CityContext,
    *,
    codes: Sequence[str] = (),
    services: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Sequence[str] = (),
    limit: int = MAX_REQUESTS,
) -> pd.DataFrame:
    """Problems as citizen requests, oldest first, at most ``limit``.

    Parameters
    ----------
    codes, services
        Only these problem codes, or these catalogue items (empty: any).
    start, end
        Reported from ``start`` to ``end`` (local time, both inclusive; ``None``: open).
    statuses
        ``open`` (any status but closed) and ``closed`` (empty: both).

    Returns
    -------
    pandas.DataFrame
        The problems' fields (personal ones only for principals who see
        them) with ``lon``, ``lat``, ``service_name``, ``unit_name``,
        ``updated_at``, ``last_action`` and ``last_note``.

    Raises
    ------
    Unauthorized, PermissionDenied
        Anonymous when that is not allowed, or a role that does not read problems.
    """
    reading = _reading(ctx)
    texts: dict[str, list[str]] = {}
    if codes:
        texts["code"] = list(codes)
    if services:
        texts["catalogue_code"] = list(services)
    if start is not None or end is not None:
        texts["reported_at"] = [f"{_iso(start)}/{_iso(end)}"]
    if statuses:
        texts["status"] = [
            s
            for s in (*OPEN_STATUSES, "closed")
            if ("closed" if s == "closed" else "open") in statuses
        ]
    provider = provider_for("problems")
    frame = provider.features(reading, provider.query(texts, limit=limit)).frame
    return _with_state(reading, frame)


def _kind(status: str) -> str:
    return "closed" if status == "closed" else "open"


def _iso(moment: datetime | None) -> str:
    return ".." if moment is None else moment.isoformat()


def _with_state(ctx: CityContext, frame: pd.DataFrame) -> pd.DataFrame:
    """Add the location, names and last change of each problem."""
    found = pd.DataFrame(frame.drop(columns="geometry"))
    found["lon"] = frame.geometry.x.to_numpy()
    found["lat"] = frame.geometry.y.to_numpy()
    store = ctx.store
    units = store.read("units", where={"code": list(found["unit_code"].dropna().unique())})
    found["unit_name"] = found["unit_code"].map(
        dict(zip(units["code"], units["name"], strict=True))
    )
    catalogue = store.read("catalogue", columns=["code", "name"])
    names = dict(zip(catalogue["code"], catalogue["name"], strict=True))
    found["service_name"] = found["catalogue_code"].map(names)
    audit = store.read(
        "audit",
        where={"layer": "problems", "feature_code": list(found["code"])},
        columns=["feature_code", "at", "action", "reason"],
    )
    last = audit.sort_values(["at", "fid"]).groupby("feature_code").last()
    updated = found["code"].map(last["at"]) if len(found) else found["reported_at"]
    found["updated_at"] = updated.fillna(found["reported_at"])
    found["last_action"] = found["code"].map(last["action"])
    found["last_note"] = found["code"].map(last["reason"])
    return found.reset_index(drop=True)
