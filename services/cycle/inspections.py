"""Inspections: a round by an inspector over points, streets and alleys, each clean or not.

An inspection round (巡查) has a kind (:data:`~citygrid.layers.base_layers.INSPECTION_KINDS`:
routine 日常巡查, unannounced 暗访, third-party 第三方测评), a time, an
inspector and the places checked. Each place checked is one row of the
``inspections`` layer, coded ``JC`` and 8 digits, all rows of a round
sharing its ``round_code`` (``XC`` and 8 digits), with its result:
``clean`` (未发现问题; a place found clean counts as much as one with
problems, since it was looked at) or ``problems``, and how many. Each
problem found is reported through the intake
(:func:`~citygrid.services.cycle.intake.report_problem`) with the source of
the round's kind (:data:`KIND_SOURCES`) and the place's inspection code,
at the place unless its own location is given. The whole round is one
transaction: any refusal leaves nothing stored.

What is refused: a round with no places, a place listed twice, a code that
names no point, street or alley (or names more than one), a kind that is
not one, a time in the future, a role that does not record inspections,
and places outside a scoped inspector's area (all of them named).

:func:`last_inspected` gives for every feature of an inspected layer the
time of its last inspection, grouped in SQL over the inspections' indexes;
the coverage analysis's not-inspected findings use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa

from citygrid.errors import BadInput, PermissionDenied
from citygrid.layers.base_layers import INSPECTION_KINDS
from citygrid.layers.columnar import fetch_columns
from citygrid.layers.registry import get_layer, responsible_layers
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.context import CityContext
from citygrid.services.coverage.city import by_end_of
from citygrid.services.cycle.intake import Intake, report_problem
from citygrid.services.cycle.workflow import now_stamp
from citygrid.services.providers.scoping import scope_filter
from citygrid.services.responsibility.layers import duty

KIND_SOURCES = {
    "routine": "inspection",
    "unannounced": "unannounced",
    "third_party": "mock_evaluation",
}
"""The problem source (:data:`~citygrid.layers.base_layers.PROBLEM_SOURCES`) of each
inspection kind."""

ROW_PREFIX = "JC"
"""Inspection codes (one place checked) are ``JC`` and 8 digits, as the demo's."""
ROUND_PREFIX = "XC"
"""Round codes are ``XC`` and 8 digits."""
CODE_DIGITS = 8


@dataclass(frozen=True)
class Finding:
    """A problem found at a place checked.

    Attributes
    ----------
    catalogue_code
        The catalogue item (not a heading).
    description
        What is wrong; required for events.
    lon, lat
        Where exactly (EPSG:4326); both ``None``: at the place.
    """

    catalogue_code: str
    description: str | None = None
    lon: Any = None
    lat: Any = None


@dataclass(frozen=True)
class Check:
    """One place checked in a round: clean when nothing was found there.

    Attributes
    ----------
    place
        The code of a point, street or alley.
    problems
        What was found; empty when the place is clean.
    notes
        A note on the place's inspection.
    """

    place: str
    problems: tuple[Finding, ...] = ()
    notes: str | None = None


@dataclass(frozen=True)
class Round:
    """A recorded inspection round.

    Attributes
    ----------
    code
        The round's code (``XC`` and 8 digits).
    kind
        The inspection kind's value.
    inspected_at
        When the round was made (local time).
    inspections
        One row per place checked, as stored (EPSG:4326).
    problems
        The problems reported, in the order given.
    """

    code: str
    kind: str
    inspected_at: datetime
    inspections: gpd.GeoDataFrame
    problems: tuple[Intake, ...]

    @property
    def clean(self) -> int:
        """How many places were found clean."""
        return int((self.inspections["result"] == "clean").sum())


def place_fields() -> dict[str, str]:
    """Inspected layer -> the inspections' field naming its features (``points`` ->
    ``point_code``), for the responsible layers inspected on a schedule."""
    fields = get_layer("inspections").fields
    return {
        layer.name: next(f.name for f in fields if f.references == layer.name)
        for layer in responsible_layers()
        if duty(layer).inspected
    }


def record_round(
    ctx: CityContext,
    kind: str,
    checks: Sequence[Check],
    *,
    inspected_at: datetime | None = None,
    inspector: str | None = None,
    notes: str | None = None,
) -> Round:
    """Record an inspection round: every place checked, clean or with the problems found.

    Parameters
    ----------
    ctx
        The city; ``ctx.principal`` must record inspections (admin,
        inspector) and, when scoped, every place must lie in its scope.
    kind
        ``routine``, ``unannounced`` or ``third_party`` (or a zh/en label).
    checks
        The places checked, each once.
    inspected_at
        When (local time, not in the future; default ``ctx.now``).
    inspector
        Who inspected (default the principal's user name).
    notes
        A note for places whose check has none.

    Returns
    -------
    Round
        The round's code, its rows and the problems reported.

    Raises
    ------
    BadInput
        No places, a place twice, an unknown or ambiguous place code, an
        unknown kind, a time in the future, or a problem the intake refuses.
    Unauthorized, PermissionDenied
        A role that does not record inspections, or places outside the scope.
    """
    inspections = get_layer("inspections")
    ctx.principal.check_write(inspections)
    kind_value = parse_kind(kind)
    at = _check_time(ctx, inspected_at)
    places = _places(ctx, checks)
    _check_scope(ctx, places)
    who = (inspector or "").strip() or ctx.principal.user or None
    store = ctx.store
    with store.transaction() as conn:
        round_code = _next_code(conn, store.table("inspections").c.round_code, ROUND_PREFIX, 1)[0]
        codes = _next_code(conn, store.table("inspections").c.code, ROW_PREFIX, len(checks))
        rows = places.assign(
            code=codes,
            round_code=round_code,
            inspected_at=at,
            inspector=who,
            kind=kind_value,
            problems_found=[len(c.problems) for c in checks],
            result=["problems" if c.problems else "clean" for c in checks],
            notes=[(c.notes or notes or "").strip() or None for c in checks],
        )
        store.write("inspections", rows, actor=ctx.actor, reason=f"inspect {round_code}", conn=conn)
        reported = []
        for check, code, here in zip(checks, codes, rows.geometry, strict=True):
            for found in check.problems:
                given = found.lon is not None or found.lat is not None
                reported.append(
                    report_problem(
                        ctx,
                        found.lon if given else here.x,
                        found.lat if given else here.y,
                        found.catalogue_code,
                        found.description,
                        KIND_SOURCES[kind_value],
                        who,
                        reported_at=at,
                        inspection_code=code,
                        conn=conn,
                    )
                )
        stored = store.read("inspections", where={"round_code": [round_code]}, conn=conn)
    stored = stored.set_index("code").loc[codes].reset_index()
    return Round(round_code, kind_value, at, stored, tuple(reported))


def parse_kind(text: str) -> str:
    """An inspection kind by its value or its zh or en label (``third-party`` too).

    Raises
    ------
    BadInput
        Not a kind; the message lists them.
    """
    wanted = (text or "").strip()
    for choice in INSPECTION_KINDS:
        if wanted in (choice.value, choice.value.replace("_", "-"), choice.zh, choice.en):
            return choice.value
    raise BadInput(
        "{kind!r} is not a kind of inspection; use one of: {known}.",
        kind=text,
        known=", ".join(f"{c.value} ({c.zh})" for c in INSPECTION_KINDS),
    )


def _check_time(ctx: CityContext, inspected_at: datetime | None) -> datetime:
    """The round's time to the second, refused when later than now."""
    now = now_stamp(ctx)
    if inspected_at is None:
        return now
    at = pd.Timestamp(inspected_at).tz_localize(None).to_pydatetime().replace(microsecond=0)
    if at > now:
        raise BadInput(
            "The inspection time {at} is in the future (now is {now}); give the time the "
            "places were checked.",
            at=at.strftime("%Y-%m-%d %H:%M"),
            now=now.strftime("%Y-%m-%d %H:%M"),
        )
    return at


def _places(ctx: CityContext, checks: Sequence[Check]) -> gpd.GeoDataFrame:
    """The places of ``checks`` in order: their layer's field set to the code, and a point
    on each (EPSG:4326) where its problems are reported unless located."""
    if not checks:
        raise BadInput(
            "An inspection round needs at least one place checked (a point, street or alley "
            "code), clean or with the problems found."
        )
    codes = [str(c.place).strip() for c in checks]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise BadInput(
            "{codes} are listed twice in the round; list each place once with all the "
            "problems found there.",
            codes=", ".join(twice[:20]),
        )
    found = {
        layer: ctx.store.read(layer, where={"code": codes}, columns=["code"])
        for layer in place_fields()
    }
    layers_of: dict[str, list[str]] = {}
    for layer, frame in found.items():
        for code in frame["code"]:
            layers_of.setdefault(code, []).append(layer)
    unknown = [c for c in codes if c not in layers_of]
    if unknown:
        raise BadInput(
            "There is no point, street or alley {codes}; check the codes (`citygrid export` "
            "lists the places).",
            codes=", ".join(unknown[:20]),
        )
    ambiguous = [c for c in codes if len(layers_of[c]) > 1]
    if ambiguous:
        raise BadInput(
            "The codes {codes} each name more than one place ({layers}); they cannot be "
            "inspected by code until one is renamed.",
            codes=", ".join(ambiguous[:20]),
            layers=", ".join(layers_of[ambiguous[0]]),
        )
    geometry: dict[str, shapely.Geometry] = {}
    for frame in found.values():
        points = shapely.point_on_surface(frame.geometry.to_numpy())
        geometry.update(zip(frame["code"], points, strict=True))
    links = place_fields()
    columns = {
        field: [code if layers_of[code][0] == layer else None for code in codes]
        for layer, field in links.items()
    }
    return gpd.GeoDataFrame(columns, geometry=[geometry[c] for c in codes], crs=STORAGE_CRS).assign(
        _place=codes
    )


def _check_scope(ctx: CityContext, places: gpd.GeoDataFrame) -> None:
    """Refuse places outside a scoped principal's area, naming them."""
    if ctx.principal.city_wide:
        return
    outside: list[str] = []
    for layer, field in place_fields().items():
        wanted = [str(c) for c in places[field] if isinstance(c, str)]
        if not wanted:
            continue
        scope = scope_filter(ctx, get_layer(layer))
        inside = ctx.store.read(
            layer,
            where={"code": wanted},
            filters=scope.conditions(ctx.store.table(layer)),
            intersects=scope.area,
            columns=["code"],
        )
        outside += [c for c in wanted if c not in set(inside["code"])]
    if outside:
        raise PermissionDenied(
            "{codes} lie outside your scope ({scope}); you may record inspections only of "
            "places in your scope. Nothing was recorded.",
            codes=", ".join(outside[:20]),
            scope=str(ctx.principal.scope),
        )


def _next_code(conn: sa.Connection, column: sa.Column, prefix: str, count: int) -> list[str]:
    """``count`` codes after the highest ``prefix`` and 8 digits held in ``column``."""
    pattern = prefix + "_" * CODE_DIGITS
    last = conn.execute(sa.select(sa.func.max(column)).where(column.like(pattern))).scalar()
    tail = (last or "")[len(prefix) :]
    start = int(tail) if tail.isdigit() else 0
    return [f"{prefix}{n:0{CODE_DIGITS}d}" for n in range(start + 1, start + 1 + count)]


def last_inspected(ctx: CityContext, layer: str, as_of: date | None = None) -> pd.Series:
    """Each feature of ``layer`` and the time of its last inspection on or before ``as_of``.

    The inspections are aggregated in SQL: for each feature, ``MAX(inspected_at)``
    of its inspections, one seek in the layer's ``(field, inspected_at)``
    index; only the layer's codes are read.

    Parameters
    ----------
    ctx
        The city.
    layer
        An inspected layer: ``points``, ``streets`` or ``alleys`` (:func:`place_fields`).
    as_of
        Count inspections up to the end of this day (default: all).

    Returns
    -------
    pandas.Series
        Feature code -> last inspection time (``datetime64``, local time), NaT
        for features never inspected; named ``last_inspected_at``.

    Raises
    ------
    BadInput
        ``layer`` is not inspected.
    """
    links = place_fields()
    if layer not in links:
        raise BadInput(
            "Layer {layer} is not inspected; use one of: {known}.",
            layer=layer,
            known=", ".join(links),
        )
    table = ctx.store.table("inspections")
    features = ctx.store.table(layer)
    where = [table.c[links[layer]] == features.c.code]
    if as_of is not None:
        where.append(by_end_of(table.c.inspected_at, as_of))
    # One index seek per feature: the newest entry of its (link, inspected_at) index.
    last = sa.select(sa.func.max(table.c.inspected_at)).where(*where).scalar_subquery()
    stmt = sa.select(features.c.code, last.label("last")).order_by(features.c.fid)
    with ctx.store.reader() as conn:
        found = fetch_columns(conn, stmt, {"code": "str", "last": "datetime"})
    return pd.Series(found["last"], index=found["code"], name="last_inspected_at")
