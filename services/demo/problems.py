"""Inspections and problems of the demo city over 24 months, with planted clusters.

Problems fall at points (weighted by type and by a per-point "dirtiness"),
a few anywhere (citizen reports where no point exists), plus clusters
planted at known cells: ``growing`` (more every month), ``fading`` (fewer
every month), ``persistent`` (steadily many) and ``recurring`` (the same
catalogue item found again and again at one point). Problems found on the
same visit to a point share an inspection; some inspections find nothing,
and in the last :data:`RECENT_DAYS` days before the reference date most
points are checked and found clean, so the coverage analysis's "not
inspected" finding lists the neglected ones only. An inspector's checks of
one kind on one day make a round (``round_code``). Deadlines follow the
demo's registration standards through the working calendar
(:func:`~citygrid.services.cycle.deadlines.deadlines_of`), and statuses are
as of the reference date, so problems of its last days are still within
their deadline; :func:`citygrid.services.demo.generate_demo` routes them
with the real router.

Everything is vectorised over problems; loops run only over clusters,
point types and statuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from citygrid.services.cycle.calendar import WorkingCalendar
from citygrid.services.cycle.deadlines import deadlines_of
from citygrid.services.cycle.inspections import KIND_SOURCES
from citygrid.services.demo import names
from citygrid.services.demo.city import METRIC_CRS, City
from citygrid.services.demo.people import Responsibility

MONTHS = 24
CLUSTER_KINDS = ("growing", "fading", "persistent", "recurring")
TYPE_RATES = {
    "main_road": 4.0,
    "station": 3.0,
    "entrance": 3.0,
    "market": 3.0,
    "urban_village": 2.5,
    "back_alley": 2.0,
    "community": 2.0,
    "residential": 1.5,
    "toilet": 1.5,
    "shopping": 1.5,
    "park": 1.5,
    "school": 1.2,
    "small_business": 1.0,
    "internet_cafe": 0.8,
}
"""Relative rate of problems at a point of each type."""

TYPE_ITEMS = {"market": "G01", "small_business": "G02", "school": "G03", "internet_cafe": "G04"}
"""Catalogue items that apply only at one type of point (half their problems)."""

SOURCES = ("inspection", "unannounced", "mock_evaluation", "citizen")
INSPECTION_KIND = {source: kind for kind, source in KIND_SOURCES.items()}
OFF_POINT_SHARE = 0.06
RECENT_DAYS = 28
"""Days before the reference date in which most points are checked (routine, found clean)."""
RECENT_SHARE = 0.6
"""Share of the inspected points checked in those days."""
RECURRING_PER_MONTH = 2


@dataclass(frozen=True)
class Cluster:
    """A planted cluster of problems.

    Attributes
    ----------
    kind
        ``growing``, ``fading``, ``persistent`` or ``recurring``.
    cell_code
        The grid cell at its centre.
    point_code
        The point nearest its centre; for ``recurring``, the point where the
        same item is found again and again.
    catalogue_code
        For ``recurring``, the catalogue standard found again and again.
    centre
        ``(lon, lat)`` in EPSG:4326.
    radius_m
        Its problems fall at points within this distance (metres) of the centre.
    problems
        How many problems it adds on top of the background.
    """

    kind: str
    cell_code: str
    point_code: str
    catalogue_code: str | None
    centre: tuple[float, float]
    radius_m: float
    problems: int


@dataclass
class Plan:
    """What is planted before any problem is drawn: clusters and never-inspected points."""

    clusters: list[Cluster]
    cluster_points: list[np.ndarray]
    uninspected: np.ndarray


def plan(city: City, leaves: pd.DataFrame, rng: np.random.Generator) -> Plan:
    """Choose the cluster cells and points and the points nobody ever inspects."""
    layout = city.layout
    points = city.points
    n_points = len(points)
    uninspected = np.sort(rng.choice(n_points, max(3, n_points // 500), replace=False))
    eligible = np.ones(n_points, bool)
    eligible[uninspected] = False
    damaged = {code for d in city.defects for code in d.cells}
    cells = city.cells
    nx, ny = layout.shape
    i, j = cells["_i"].to_numpy(), cells["_j"].to_numpy()
    ok = (i > 0) & (j > 0) & (i < nx - 1) & (j < ny - 1) & ~cells["code"].isin(damaged).to_numpy()
    n_clusters = layout.clusters_per_kind * len(CLUSTER_KINDS)
    chosen: list[int] = []
    for k in rng.permutation(np.flatnonzero(ok)):
        if len(chosen) == n_clusters:
            break
        if all(max(abs(i[k] - i[c]), abs(j[k] - j[c])) >= layout.cluster_spacing for c in chosen):
            chosen.append(int(k))
    centres = shapely.get_coordinates(shapely.centroid(cells.geometry.to_numpy()[chosen]))
    xy = _point_xy(points)
    size = max(400, layout.problems // 250)
    radius = layout.cell_m
    to_wgs = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
    standard = leaves[~leaves["negative_list"].astype(bool)]
    clusters, members = [], []
    for n, (cell, centre) in enumerate(zip(chosen, centres, strict=True)):
        kind = CLUSTER_KINDS[n % len(CLUSTER_KINDS)]
        distance = np.hypot(*(xy - centre).T)
        distance[~eligible] = np.inf
        near = np.flatnonzero(distance <= radius)
        nearest = int(np.argmin(distance))
        recurring = kind == "recurring"
        members.append(np.array([nearest]) if recurring or not len(near) else near)
        lon, lat = to_wgs.transform(*centre)
        clusters.append(
            Cluster(
                kind,
                str(cells.at[cell, "code"]),
                str(points["code"].iat[nearest]),
                str(standard["code"].iat[rng.integers(len(standard))]) if recurring else None,
                (round(float(lon), 6), round(float(lat), 6)),
                radius,
                RECURRING_PER_MONTH * MONTHS if recurring else size,
            )
        )
    return Plan(clusters, members, uninspected)


def _point_xy(points: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.get_coordinates(shapely.centroid(points.geometry.to_numpy()))


def _month_starts(reference: datetime) -> np.ndarray:
    """Start of each of the 24 months before ``reference``, plus ``reference`` itself: the
    same day of the month (or the month's last day when shorter) at the same time."""
    end = pd.Timestamp(reference)
    starts = [end - pd.DateOffset(months=MONTHS - k) for k in range(MONTHS + 1)]
    return np.array(starts, dtype="datetime64[s]")


def _draw(
    total: int,
    points: gpd.GeoDataFrame,
    leaves: pd.DataFrame,
    planted: Plan,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point index (-1: no point), month index and fixed catalogue row (-1: to draw) of
    ``total`` problems: background at points, the planted clusters, then off-point ones."""
    rate = points["point_type"].map(TYPE_RATES).to_numpy() * rng.lognormal(0, 0.4, len(points))
    rate[planted.uninspected] = 0
    n_off = round(total * OFF_POINT_SHARE)
    n_background = total - sum(c.problems for c in planted.clusters) - n_off
    season = 1 + 0.15 * np.sin(np.arange(MONTHS) / 12 * 2 * np.pi)
    point_idx = [rng.choice(len(points), n_background, p=rate / rate.sum())]
    month = [np.repeat(np.arange(MONTHS), rng.multinomial(n_background, season / season.sum()))]
    items = [np.full(n_background, -1)]
    row_of = {c: k for k, c in enumerate(leaves["code"])}
    for cluster, members in zip(planted.clusters, planted.cluster_points, strict=True):
        if cluster.kind == "recurring":
            per_month = np.full(MONTHS, RECURRING_PER_MONTH)
        else:
            per_month = rng.multinomial(cluster.problems, _month_weights(cluster.kind))
        month.append(np.repeat(np.arange(MONTHS), per_month))
        point_idx.append(members[rng.integers(0, len(members), cluster.problems)])
        fixed = row_of[cluster.catalogue_code] if cluster.catalogue_code else -1
        items.append(np.full(cluster.problems, fixed))
    month.append(rng.integers(0, MONTHS, n_off))
    point_idx.append(np.full(n_off, -1))
    items.append(np.full(n_off, -1))
    return np.concatenate(point_idx), np.concatenate(month), np.concatenate(items)


def build(
    city: City,
    responsibility: Responsibility,
    leaves: pd.DataFrame,
    planted: Plan,
    reference: datetime,
    rng: np.random.Generator,
    *,
    standards: pd.DataFrame,
    calendar: WorkingCalendar,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Draw the problems and inspections; both in EPSG:32649, sorted by time.

    Deadlines come from ``standards`` (the standards layer's fields) through
    ``calendar``; statuses are as of ``reference``.
    """
    layout = city.layout
    points = city.points
    xy = _point_xy(points)
    starts = _month_starts(reference)
    pidx, month_all, item = _draw(layout.problems, points, leaves, planted, rng)
    n = len(pidx)
    at_point = pidx >= 0

    # when: a day of the month between 08:00 and 19:00
    days = (starts[month_all + 1] - starts[month_all]).astype("timedelta64[D]").astype(int)
    day = (rng.random(n) * days).astype(int)
    reported = (
        starts[month_all]
        + day.astype("timedelta64[D]")
        + rng.integers(8 * 3600, 19 * 3600, n).astype("timedelta64[s]")
    )

    # where exactly
    bounds = shapely.total_bounds(city.jurisdictions.geometry.to_numpy())
    loc = np.column_stack(
        [rng.uniform(bounds[0], bounds[2], n), rng.uniform(bounds[1], bounds[3], n)]
    )
    radius = points["radius_m"].to_numpy(dtype=float)
    spread = np.minimum(radius, 20.0) * 0.4
    offset = rng.normal(0, 1, (int(at_point.sum()), 2)) * spread[pidx[at_point], None]
    loc[at_point] = xy[pidx[at_point]] + _within(offset, 0.9 * radius[pidx[at_point]])

    # what
    recurring = item >= 0
    item = np.where(item >= 0, item, _draw_items(leaves, points, pidx, rng))
    source = np.asarray(SOURCES, dtype=object)[rng.choice(4, n, p=[0.55, 0.15, 0.08, 0.22])]
    source[~at_point] = "citizen"
    source[recurring] = np.where(month_all[recurring] % 2 == 0, "mock_evaluation", "unannounced")

    frame = pd.DataFrame(
        {
            "_point": pidx,
            "_item": item,
            "source": source,
            "reported_at": reported,
            "_x": loc[:, 0],
            "_y": loc[:, 1],
        }
    )
    inspections, frame = _inspections(frame, points, xy, responsibility, planted, starts, rng)
    frame = frame.sort_values(["reported_at", "_point", "_item"], kind="stable").reset_index(
        drop=True
    )
    frame["code"] = names.concat("WT", names.digits(np.arange(1, len(frame) + 1), 8))
    _fill_catalogue(frame, leaves, points)
    deadline = deadlines_of(standards, calendar, frame[["catalogue_code", "reported_at"]])
    _fill_status(frame, deadline.to_numpy(dtype="datetime64[s]"), reference, rng)
    problems = gpd.GeoDataFrame(
        frame, geometry=shapely.points(frame[["_x", "_y"]].to_numpy()), crs=METRIC_CRS
    )
    return problems, inspections


def _within(offset: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Offsets (metres) shortened to at most ``reach``, so a problem found at a point lies in
    the point's zone and the router gives it to that point (NaN reach: unchanged)."""
    length = np.hypot(offset[:, 0], offset[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(length > reach, reach / length, 1.0)
    return offset * scale[:, None]


def _month_weights(kind: str) -> np.ndarray:
    m = np.arange(MONTHS, dtype=float)
    weights = {
        "growing": (m + 1) ** 2,
        "fading": (MONTHS - m) ** 2,
        "persistent": np.ones(MONTHS),
    }[kind]
    return weights / weights.sum()


def _draw_items(
    leaves: pd.DataFrame, points: gpd.GeoDataFrame, pidx: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Catalogue standards: rarer the heavier they weigh and on the negative list; the
    place-specific items (markets, small businesses...) half the time at their places."""
    codes = leaves["code"].to_numpy(dtype=object)
    specific = pd.Series(codes).str[:3].isin(list(TYPE_ITEMS.values())).to_numpy()
    freq = (
        1 / leaves["weight"].to_numpy() * np.where(leaves["negative_list"].astype(bool), 0.2, 1.0)
    )
    general = np.flatnonzero(~specific)
    p = freq[general] / freq[general].sum()
    item = general[rng.choice(len(general), len(pidx), p=p)]
    kinds = np.where(pidx >= 0, points["point_type"].to_numpy(dtype=object)[pidx], "")
    for kind, prefix in TYPE_ITEMS.items():
        own = np.flatnonzero(pd.Series(codes).str.startswith(prefix).to_numpy())
        here = (kinds == kind) & (rng.random(len(pidx)) < 0.5)
        item[here] = own[rng.integers(0, len(own), int(here.sum()))]
    return item


def _inspections(
    frame: pd.DataFrame,
    points: gpd.GeoDataFrame,
    xy: np.ndarray,
    responsibility: Responsibility,
    planted: Plan,
    starts: np.ndarray,
    rng: np.random.Generator,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """One inspection per point, day and source of non-citizen problems, plus visits that
    found nothing and the recent checks (:func:`_recent_checks`); problems of a visit are
    reported a few minutes apart from its start. An inspector's visits of one kind on one
    day share a round code (``XC`` and 8 digits, numbered in time order)."""
    people = responsibility.people
    inspectors = people.loc[people["role"] == "inspector", "name"].to_numpy(dtype=object)
    found = (frame["source"] != "citizen").to_numpy()
    day = frame["reported_at"].to_numpy().astype("datetime64[D]")
    key = pd.DataFrame({"p": frame["_point"], "d": day, "s": frame["source"]})[found]
    group = key.groupby(["p", "d", "s"], sort=True).ngroup().to_numpy()
    first = frame.loc[found, "reported_at"].groupby(group).min()
    rank = pd.Series(group).groupby(group).cumcount().to_numpy()
    reported = frame["reported_at"].to_numpy().copy()
    reported[found] = first.to_numpy()[group] + (rank * 180).astype("timedelta64[s]")
    frame["reported_at"] = reported
    visits = key.assign(t=first.to_numpy()[group], g=group).drop_duplicates("g").sort_values("g")
    n_visits = len(visits)
    n_empty = round(0.15 * n_visits)
    eligible = np.setdiff1d(np.arange(len(points)), planted.uninspected)
    span = int((starts[-1] - starts[0]).astype(int))
    empty = pd.DataFrame(
        {
            "p": eligible[rng.integers(0, len(eligible), n_empty)],
            "s": names.pick(rng, ("inspection", "unannounced", "mock_evaluation"), n_empty),
            "t": starts[0]
            + rng.integers(0, span // 86400, n_empty).astype("timedelta64[D]")
            + rng.integers(8 * 3600, 19 * 3600, n_empty).astype("timedelta64[s]"),
            "g": -1,
            "n": 0,
        }
    )
    visits = visits.assign(n=pd.Series(group).value_counts().sort_index().to_numpy())
    recent = _recent_checks(eligible, starts[-1], rng)
    table = pd.concat([visits[["p", "s", "t", "g", "n"]], empty, recent], ignore_index=True)
    table = table.sort_values(["t", "p"], kind="stable").reset_index(drop=True)
    table["code"] = names.concat("JC", names.digits(np.arange(1, len(table) + 1), 8))
    of_visit = table["g"].to_numpy() >= 0
    code_of_group = pd.Series(
        table["code"].to_numpy()[of_visit], index=table["g"].to_numpy()[of_visit]
    )
    inspection_code = np.full(len(frame), None, dtype=object)
    inspection_code[found] = code_of_group.loc[group].to_numpy()
    frame["inspection_code"] = inspection_code
    inspector = inspectors[rng.integers(0, len(inspectors), len(table))]
    day = table["t"].to_numpy().astype("datetime64[D]")
    rounds = pd.DataFrame({"i": inspector, "d": day, "s": table["s"].to_numpy()})
    round_no = rounds.groupby(["i", "d", "s"], sort=False).ngroup().to_numpy()
    reporter = np.full(len(frame), "12345市民热线", dtype=object)
    reporter[found] = (
        pd.Series(inspector[of_visit], index=code_of_group.index).loc[group].to_numpy()
    )
    frame["reporter"] = reporter
    pts = points.iloc[table["p"].to_numpy()]
    inspections = gpd.GeoDataFrame(
        {
            "code": table["code"],
            "inspected_at": table["t"].to_numpy(),
            "inspector": inspector,
            "kind": table["s"].map(INSPECTION_KIND).to_numpy(),
            "point_code": pts["code"].to_numpy(),
            "street_code": pts["_street"].to_numpy(),
            "alley_code": pts["_alley"].to_numpy(),
            "problems_found": table["n"].to_numpy(),
            "notes": np.where(table["n"].to_numpy() == 0, "未发现问题", None),  # type: ignore[call-overload]  # numpy stubs: None as a value
            "round_code": names.concat("XC", names.digits(round_no + 1, 8)),
            "result": np.where(table["n"].to_numpy() == 0, "clean", "problems"),
        },
        geometry=shapely.points(xy[table["p"].to_numpy()]),
        crs=METRIC_CRS,
    )
    return inspections, frame


def _recent_checks(
    eligible: np.ndarray, end: np.datetime64, rng: np.random.Generator
) -> pd.DataFrame:
    """Routine checks that found nothing at :data:`RECENT_SHARE` of the ``eligible`` points,
    one each, on one of the :data:`RECENT_DAYS` days before ``end`` between 08:00 and 19:00."""
    n = round(RECENT_SHARE * len(eligible))
    days = rng.integers(1, RECENT_DAYS + 1, n).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "p": rng.choice(eligible, n, replace=False),
            "s": "inspection",
            "t": end - days + rng.integers(8 * 3600, 19 * 3600, n).astype("timedelta64[s]"),
            "g": -1,
            "n": 0,
        }
    )


def _fill_catalogue(frame: pd.DataFrame, leaves: pd.DataFrame, points: gpd.GeoDataFrame) -> None:
    """Catalogue code, description and recurrence (earlier problems, same point and item)."""
    item = frame["_item"].to_numpy()
    pidx = frame["_point"].to_numpy()
    at_point = pidx >= 0
    frame["catalogue_code"] = leaves["code"].to_numpy(dtype=object)[item]
    leaf_name = leaves["name"].to_numpy(dtype=object)[item]
    where = np.full(len(frame), "市民反映", dtype=object)
    where[at_point] = points["name"].to_numpy(dtype=object)[pidx[at_point]]
    frame["description"] = names.concat(where, "：", leaf_name)
    recurrence = frame.groupby(["_point", "_item"], sort=False).cumcount().to_numpy()
    frame["recurrence"] = np.where(at_point, recurrence, 0)


def _fill_status(
    frame: pd.DataFrame, deadline: np.ndarray, reference: datetime, rng: np.random.Generator
) -> None:
    """The deadline, and a status as of ``reference``: old problems mostly closed, recent
    ones still in hand; closed ones closed before or somewhat after their deadline."""
    reported = frame["reported_at"].to_numpy(dtype="datetime64[s]")
    limit = deadline - reported
    ref = np.datetime64(reference, "s")
    old = (ref - reported) > np.timedelta64(30, "D")
    u = rng.random(len(frame))
    statuses = np.array(["closed", "reopened", "rectified", "dispatched", "open"], dtype=object)
    old_status = statuses[np.searchsorted([0.92, 0.94, 0.96, 0.98], u, side="right")]
    status = np.where(old, old_status, _recent(u))
    closed_at = reported + (limit.astype(float) * rng.uniform(0.3, 1.4, len(frame))).astype(
        "timedelta64[s]"
    )
    late = (status == "closed") & (closed_at > ref)
    status[late] = "rectified"
    frame["status"] = status
    frame["deadline"] = deadline
    frame["closed_at"] = np.where(status == "closed", closed_at, np.datetime64("NaT"))


def _recent(u: np.ndarray) -> np.ndarray:
    """Status of a problem reported in the last 30 days."""
    recent = np.array(["open", "dispatched", "rectified", "closed"], dtype=object)
    return recent[np.searchsorted([0.2, 0.55, 0.75], u, side="right")]
