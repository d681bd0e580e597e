"""Inspection rounds: which places an inspector visits on a day, in what order, by when.

The places are the points in the inspector's cells (the cells they manage,
else their unit's), or for a department's inspector the places their unit
answers for. Each gets its expected deduction if evaluators came
that day (:mod:`.places`: open problems, time since the last inspection,
recurrences, the problem rate of its type), and the reasons it is due:
not inspected for :data:`INSPECT_EVERY_DAYS`, open problems, recurring, in
a cell of an emerging hot spot (:data:`EMERGING`, which also ranks it as if
its expected deduction were half as large again, and ahead of places it
ties with), at risk (in the top quarter of expected deductions). The round
takes places in that order while the route still fits the hours: each is inserted where it lengthens
the round least (cheapest insertion), then 2-opt shortens the order.
Travel follows the street network (:mod:`.network`) at :data:`SPEED_KMH`,
with :data:`DWELL_MINUTES` at each place, from and back to the inspector's
unit.

An unannounced round (暗访) varies what is predictable: places are inserted
in a random order drawn with chances in proportion to their expected
deduction, the direction is drawn, and the start time is drawn within the
working day, so two rounds of the same day differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.errors import BadInput, CitygridError, NotFound
from citygrid.layers.base_layers import POINT_TYPES
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.context import CityContext
from citygrid.services.evaluation.network import StreetNetwork
from citygrid.services.evaluation.places import place_risks
from citygrid.services.evaluation.plans import Plan, PlanType
from citygrid.services.hotspots.emerging import run_emerging
from citygrid.services.hotspots.params import EmergingParams

SPEED_KMH = 15.0
"""Travel speed between places (an electric bicycle in town)."""
DWELL_MINUTES = 10.0
"""Time spent inspecting one place."""
INSPECT_EVERY_DAYS = 30
"""A place not inspected for this many days is due."""
MAX_CANDIDATES = 80
"""The most places (by priority) a round chooses among."""
REASONS = ("due", "open_problems", "recurring", "hot_spot", "at_risk")
EMERGING = ("new_hot", "consecutive_hot", "intensifying_hot", "persistent_hot")
"""Emerging hot-spot patterns whose cells' places are due (新增, 连续, 加强, 持续热点)."""
HOT_SPOT_BOOST = 0.5
"""A place in such a cell ranks as if its expected deduction were this much larger."""


@dataclass(frozen=True)
class Round:
    """A planned round: its stops in order (EPSG:4326) and the route along the streets."""

    inspector: str
    start: datetime
    end: datetime
    stops: gpd.GeoDataFrame
    route: gpd.GeoDataFrame
    left_out: int
    along_streets: bool


def plan_round(
    ctx: CityContext,
    inspector: str,
    day: date,
    hours: float | None = None,
    *,
    unannounced: bool = False,
    seed: int | None = None,
) -> Round:
    """Plan the round of ``inspector`` (a person's code) on ``day`` within ``hours``.

    ``hours`` defaults to the configured working day.

    Raises
    ------
    NotFound
        No person with that code.
    BadInput
        Hours not above 0 or longer than a day; the person has no area (no
        cells of their own or their unit's, and no place of their unit); no
        place lies in their cells.
    """
    person = _person(ctx, inspector)
    budget_h = ctx.calendar.day_hours if hours is None else hours
    if not 0 < budget_h <= 24:
        raise BadInput("hours must be more than 0 and at most 24, not {hours}.", hours=budget_h)
    codes, middle = _area(ctx, person)
    rng = np.random.default_rng(seed)
    start = _start(ctx, day, budget_h, rng if unannounced else None)
    places = _candidates(ctx, codes, start)
    base = _base(ctx, person, middle)
    network = StreetNetwork.build(ctx)
    spots = gpd.GeoSeries([base, *places.geometry.representative_point()], crs=STORAGE_CRS)
    metres, joined = network.distances(spots)
    minutes = metres / (SPEED_KMH * 1000.0 / 60.0)
    order = _insertion_order(places["priority"].to_numpy(), rng if unannounced else None)
    tour = _choose(minutes, order, budget_h * 60.0)
    tour = _two_opt(tour, minutes)
    if unannounced and rng.random() < 0.5:
        tour = tour[::-1]
    stops = _timed(ctx, places, tour, minutes, start)
    path = network.path(spots.iloc[[0, *tour, 0]])
    legs = np.array([0, *tour, 0])
    travel = float(minutes[legs[:-1], legs[1:]].sum())
    route = gpd.GeoDataFrame(
        {"metres": [round(path.length)], "minutes": [round(travel + DWELL_MINUTES * len(tour))]},
        geometry=[path],
        crs=network.crs,
    ).to_crs(STORAGE_CRS)
    end = _after(ctx, start, float(route["minutes"].iloc[0]))
    along = bool(joined[legs[:-1], legs[1:]].all())
    return Round(inspector, start, end, stops, route, len(places) - len(tour), along)


def _person(ctx: CityContext, code: str) -> pd.Series:
    people = ctx.store.read("people", where={"code": code}, columns=["code", "name", "unit_code"])
    if people.empty:
        raise NotFound("No person with code {code!r}; list people with `citygrid who`.", code=code)
    return people.iloc[0]


def _area(ctx: CityContext, person: pd.Series) -> tuple[pd.Series, shapely.Geometry]:
    """The codes of the places a person inspects, and the middle of their area.

    The points in the cells they manage; else in their unit's cells; else the
    points their unit answers for (a department's inspector).
    """
    unit = person["unit_code"] if isinstance(person["unit_code"], str) else None
    for where in ({"manager_code": person["code"]}, {"unit_code": unit}):
        if where.get("unit_code", "") is None:
            continue
        cells = ctx.store.read("grids", where=where, columns=["code"])
        if not cells.empty:
            area = shapely.union_all(cells.geometry.to_numpy())
            inside = ctx.store.read("points", intersects=area, columns=["code"])
            return inside["code"], area.representative_point()
    own = ctx.store.read("points", where={"unit_code": unit}, columns=["code"]) if unit else None
    if own is None or own.empty:
        raise BadInput(
            "{name} ({code}) has no cells and their unit answers for no place; assign them "
            "cells (`citygrid assign grids CELL --head {code}`) or their unit places first.",
            name=person["name"],
            code=person["code"],
        )
    return own["code"], shapely.union_all(own.geometry.to_numpy()).representative_point()


def _start(ctx: CityContext, day: date, hours: float, rng: np.random.Generator | None) -> datetime:
    """The round's start: the working day's start, or for 暗访 a time drawn within the day."""
    periods = ctx.calendar.periods
    first, last = periods[0][0], periods[-1][1]
    latest = max(first, int(last - hours * 60))
    minute = first if rng is None else int(rng.integers(first // 5, latest // 5 + 1)) * 5
    return datetime.combine(day, time()) + timedelta(minutes=minute)


def _candidates(ctx: CityContext, codes: pd.Series, start: datetime) -> gpd.GeoDataFrame:
    """The places ``codes`` with their expected deduction and reasons, best first."""
    if codes.empty:
        raise BadInput("No place lies in the inspector's cells; import the points first.")
    every_type = Plan("round", tuple(PlanType(c.value, 1) for c in POINT_TYPES), detection=1.0)
    places, _found = place_risks(ctx, every_type, start)
    places = places[places["code"].isin(codes)].copy()
    places["due"] = places["days_since_inspection"] >= INSPECT_EVERY_DAYS
    places["open_problems"] = places["open_count"] > 0
    places["recurring"] = places["recurrences"] > 0
    places["hot_spot"] = _in_emerging_hot_spot(ctx, places)
    places["at_risk"] = places["expected"] >= places["expected"].quantile(0.75)
    boost = 1.0 + HOT_SPOT_BOOST * places["hot_spot"]
    places["priority"] = places["expected"] * boost
    # Equal priorities (none expected, say): hot spots first, then due, then the longest unseen.
    keys = ["priority", "hot_spot", "due", "days_since_inspection"]
    ranked = places.sort_values(keys, ascending=False, kind="stable")
    return ranked.head(MAX_CANDIDATES).reset_index(drop=True)


def _in_emerging_hot_spot(ctx: CityContext, places: gpd.GeoDataFrame) -> pd.Series:
    """Whether each place lies in a grid cell of an emerging hot spot (:data:`EMERGING`).

    The emerging analysis with its defaults, on the grid cells; a city with
    too little history for it has none.
    """
    try:
        cells = run_emerging(ctx, EmergingParams(cells="grids")).frame
    except CitygridError:
        return pd.Series(False, index=places.index)
    hot = cells[cells["pattern"].isin(EMERGING)][["geometry"]]
    spots = gpd.GeoDataFrame(geometry=places.geometry.representative_point(), crs=places.crs)
    inside = spots.sjoin(hot.to_crs(places.crs), predicate="within", how="inner").index
    return pd.Series(places.index.isin(inside), index=places.index)


def _base(ctx: CityContext, person: pd.Series, middle: shapely.Geometry) -> shapely.Geometry:
    """Where the round starts and ends: the person's unit, else the middle of their area."""
    unit = person["unit_code"]
    if isinstance(unit, str):
        units = ctx.store.read("units", where={"code": unit}, columns=["code"])
        if not units.empty and units.geometry.iloc[0] is not None:
            return units.geometry.iloc[0]
    return middle


def _insertion_order(expected: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    """Candidates' positions (1-based: 0 is the base) in the order they are offered."""
    if rng is None:
        return np.arange(1, len(expected) + 1)
    weight = np.maximum(expected, 1e-9)
    keys = rng.random(len(expected)) ** (1.0 / weight)  # weighted order without replacement
    return np.argsort(-keys) + 1


def _choose(minutes: np.ndarray, order: np.ndarray, budget: float) -> list[int]:
    """Cheapest insertion of each offered place while base → ... → base fits the budget."""
    tour: list[int] = []
    used = 0.0
    for place in order:
        legs = np.array([0, *tour, 0])
        added = minutes[legs[:-1], place] + minutes[place, legs[1:]] - minutes[legs[:-1], legs[1:]]
        best = int(np.argmin(added))
        cost = float(added[best]) + DWELL_MINUTES
        if used + cost <= budget:
            tour.insert(best, int(place))
            used += cost
    return tour


def _two_opt(tour: list[int], minutes: np.ndarray) -> list[int]:
    """Reverse stretches of the round while that shortens it (2-opt), base fixed at both ends."""
    route = [0, *tour, 0]
    improved = True
    while improved and len(route) > 4:
        improved = False
        for i in range(1, len(route) - 2):
            a, b = route[i - 1], route[i]
            ends = np.array(route[i + 1 :])
            before = np.array(route[i:-1])
            gain = minutes[a, b] + minutes[before, ends] - minutes[a, before] - minutes[b, ends]
            j = int(np.argmax(gain))
            if gain[j] > 1e-9:
                k = i + 1 + j
                route[i:k] = route[i:k][::-1]
                improved = True
    return route[1:-1]


def _timed(
    ctx: CityContext,
    places: gpd.GeoDataFrame,
    tour: list[int],
    minutes: np.ndarray,
    start: datetime,
) -> gpd.GeoDataFrame:
    """The stops in order with arrival and departure times and the reasons they are due.

    On a working day the clock stops outside the working hours (the lunch
    break); on a day off it runs on.
    """
    stops = places.iloc[[p - 1 for p in tour]].reset_index(drop=True)
    travel = minutes[[0, *tour[:-1]], tour] if tour else np.array([])
    elapsed = np.cumsum(travel) + DWELL_MINUTES * np.arange(len(tour))
    arrive = [_after(ctx, start, m) for m in elapsed]
    leave = [_after(ctx, start, m + DWELL_MINUTES) for m in elapsed]
    flags = stops[list(REASONS)].to_numpy()
    stops = stops.assign(
        order=np.arange(1, len(tour) + 1),
        arrive=pd.to_datetime(pd.Series(arrive, dtype=object)),
        leave=pd.to_datetime(pd.Series(leave, dtype=object)),
        reasons=[",".join(np.array(REASONS)[row]) for row in flags],
    )
    columns = [
        "order",
        "code",
        "name",
        "point_type",
        "unit_code",
        "arrive",
        "leave",
        "expected",
        "days_since_inspection",
        "open_count",
        "reasons",
        "geometry",
    ]
    return gpd.GeoDataFrame(stops[columns], geometry="geometry", crs=places.crs)


def _after(ctx: CityContext, start: datetime, minutes: float) -> datetime:
    """``minutes`` of work after ``start``: working time on a working day, else wall time."""
    if ctx.calendar.is_working_day(start.date()):
        return ctx.calendar.add_working_hours(start, minutes / 60.0)
    return start + timedelta(minutes=float(minutes))
