"""Recurrences (反弹, 屡改屡犯) and duplicates (重复上报) among problems.

A problem **recurs** a closed one when both are of the same catalogue
item, they lie within :attr:`~citygrid.config.Config.recurrence_metres`
of each other (in the city's metric CRS) and it was reported at most
:attr:`~citygrid.config.Config.recurrence_days` days after the other was
closed. It is linked to the one closed last before it (the nearest of
those closed at the same moment, then the lowest code): ``recurrence_of``
holds that problem's code and ``recurrence`` how many links the chain
has up to this one (1 for the first recurrence, 2 when the closed one was
itself a recurrence...).

A report is a **duplicate** when a problem of the same item within
:attr:`~citygrid.config.Config.duplicate_metres` is still open (any status
but ``closed``): it is merged into that problem (the nearest) rather than
counted again (:func:`~citygrid.services.cycle.intake.report_problem`).

:func:`recurrence_links` finds the links of a whole frame of problems at
once: one STRtree of the closed problems, queried with every problem
within the distance, each item moved far from the others along x so that
one tree holds them all apart; then the time window and the choice of the
last closed, all in arrays. :func:`detect_recurrences` runs it over the
store and writes the links that changed, audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
import sqlalchemy as sa
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree

from citygrid.layers.base_layers import OPEN_STATUSES
from citygrid.layers.registry import Choice, get_layer
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.context import CityContext

ACTIONS = {
    c.value: c
    for c in (
        Choice("merge", "重复上报合并", "duplicate report merged"),
        Choice("recurrence", "反弹关联", "recurrence linked"),
    )
}
"""The timeline's steps this module writes (audit actions ``transition:merge`` and
``recurrence``), with their zh and en labels."""

LINK_COLUMNS = ["code", "recurrence_of", "recurrence"]
"""What :func:`recurrence_links` gives for each problem."""

FRAME_COLUMNS = ["code", "catalogue_code", "reported_at", "closed_at"]
"""What :func:`recurrence_links` reads of each problem (besides its location)."""

_DAY_US = 86_400_000_000
_MISSING = np.iinfo(np.int64).min
"""A missing time as :func:`_micros` gives it (``NaT``)."""


@dataclass(frozen=True)
class Nearby:
    """What lies near a new report of an item (:func:`nearby`).

    Attributes
    ----------
    duplicate
        The nearest open problem of the item within the duplicate distance, or ``None``.
    recurs
        The problem closed last of the item within the recurrence distance
        and time window, or ``None``.
    """

    duplicate: pd.Series | None
    recurs: pd.Series | None


@dataclass(frozen=True)
class RecurrenceReport:
    """What :func:`detect_recurrences` found and changed.

    Attributes
    ----------
    problems
        Problems looked at (reported since the date given, or all).
    recurrences
        Of those, how many recur a closed problem.
    longest
        The longest chain of recurrences among them (0 when none recurs).
    changed
        How many problems' links were written (0 for a dry run).
    links
        :data:`LINK_COLUMNS` of the problems looked at.
    """

    problems: int
    recurrences: int
    longest: int
    changed: int
    links: pd.DataFrame


def metric_xy(
    lon: npt.ArrayLike, lat: npt.ArrayLike, crs: CRS
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """EPSG:4326 longitudes and latitudes as x and y in metres in ``crs``."""
    transformer = Transformer.from_crs(STORAGE_CRS, crs, always_xy=True)
    x, y = transformer.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def recurrence_links(
    frame: pd.DataFrame,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    metres: float,
    days: float,
) -> pd.DataFrame:
    """The recurrence link of every problem of ``frame``.

    Parameters
    ----------
    frame
        Problems with :data:`FRAME_COLUMNS` (``closed_at`` empty for those
        not closed).
    x, y
        Their locations in metres, in one metric CRS.
    metres
        The recurrence distance.
    days
        The recurrence time window, from a closure to a new report.

    Returns
    -------
    pandas.DataFrame
        :data:`LINK_COLUMNS`, one row per problem in frame order:
        ``recurrence_of`` ``None`` and ``recurrence`` 0 for a problem that
        recurs none.
    """
    n = len(frame)
    codes = frame["code"].to_numpy(dtype=object)
    px = np.asarray(x, dtype=float)
    py = np.asarray(y, dtype=float)
    reported = _micros(frame["reported_at"])
    closed = _micros(frame["closed_at"])
    parent = np.full(n, -1, dtype=np.int64)
    placed = np.flatnonzero(np.isfinite(px) & np.isfinite(py))
    if len(placed) > 1 and (closed != _MISSING).any():
        query, other = _pairs_within(
            pd.factorize(frame["catalogue_code"])[0][placed], px[placed], py[placed], metres
        )
        query, other = placed[query], placed[other]
        gap = reported[query] - closed[other]
        keep = (closed[other] != _MISSING) & (gap >= 0) & (gap <= days * _DAY_US)
        query, other = query[keep], other[keep]
        distance = np.hypot(px[query] - px[other], py[query] - py[other])
        # per problem: the last closed first, then the nearest, then the one stored first
        order = np.lexsort((other, distance, -closed[other], query))
        query, other = query[order], other[order]
        first = np.r_[True, query[1:] != query[:-1]] if len(query) else np.zeros(0, bool)
        parent[query[first]] = other[first]
    depth = _chain_lengths(parent)
    return pd.DataFrame(
        {
            "code": codes,
            "recurrence_of": np.where(parent >= 0, codes[np.maximum(parent, 0)], None),
            "recurrence": depth,
        },
        index=frame.index,
    )


def _pairs_within(
    item: npt.NDArray[np.int64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    metres: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every ordered pair ``(i, j)``, ``i != j``, of the same item within ``metres``.

    Each item is moved along x by more than the city's width plus the
    distance, so one KD-tree holds every item and no pair crosses items.
    """
    span = float(x.max() - x.min()) + 10.0 * metres + 1.0
    shifted = np.column_stack([x - x.min() + item * span, y])
    tree = cKDTree(shifted, balanced_tree=False, compact_nodes=False)
    pairs = tree.query_pairs(metres, output_type="ndarray").astype(np.int64)
    return np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]


def _micros(values: pd.Series) -> npt.NDArray[np.int64]:
    """Times as microseconds since the epoch (the int64 minimum for missing ones)."""
    stamps = pd.to_datetime(values).to_numpy(dtype="datetime64[us]")
    return stamps.astype(np.int64)


def _chain_lengths(parent: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Links from each problem up to the first of its chain, by pointer jumping.

    ``parent`` holds the index each problem recurs, or -1. Links always run
    from a later report to an earlier closure, so there are no cycles; each
    round doubles the distance jumped, so a chain of k links takes log2(k)
    rounds.
    """
    depth = (parent >= 0).astype(np.int64)
    up = parent.copy()
    while (up >= 0).any():
        jumping = up >= 0
        next_depth = depth.copy()
        next_depth[jumping] += depth[up[jumping]]
        next_up = up.copy()
        next_up[jumping] = up[up[jumping]]
        depth, up = next_depth, next_up
    return depth


def detect_recurrences(
    ctx: CityContext, *, since: datetime | None = None, dry_run: bool = False
) -> RecurrenceReport:
    """Find the recurrence links of the stored problems and write those that changed.

    Every problem is looked at, so chains run through problems reported
    before ``since``; only those reported since then are counted and
    written. Each change is one audited update (``action="recurrence"``).

    Parameters
    ----------
    ctx
        The city (its metric CRS and ``config.recurrence_metres`` and
        ``recurrence_days``); the principal must be allowed to change
        problems city-wide (the command line is).
    since
        Count and write only problems reported on or after this moment.
    dry_run
        Count only; write nothing.
    """
    store = ctx.store
    problems = store.read("problems", columns=[*FRAME_COLUMNS, "recurrence_of", "recurrence"])
    coords = shapely.get_coordinates(problems.geometry.to_numpy())
    x, y = metric_xy(coords[:, 0], coords[:, 1], ctx.metric_crs)
    links = recurrence_links(
        problems, x, y, metres=ctx.config.recurrence_metres, days=ctx.config.recurrence_days
    )
    looked = (
        np.ones(len(problems), bool)
        if since is None
        else (problems["reported_at"] >= pd.Timestamp(since)).to_numpy()
    )
    links = links[looked]
    stored = problems.loc[looked]
    held_of = stored["recurrence_of"].fillna("").astype(str).to_numpy()
    held_n = stored["recurrence"].fillna(0).astype("int64").to_numpy()
    changed = (held_of != links["recurrence_of"].fillna("").astype(str).to_numpy()) | (
        held_n != links["recurrence"].to_numpy()
    )
    written = 0
    if not dry_run and changed.any():
        ctx.principal.check_write(get_layer("problems"))
        update = links[changed].copy()
        update["recurrence"] = update["recurrence"].astype("int64")
        log = store.update(
            "problems", update, actor=ctx.actor, action="recurrence", reason="recurrence links"
        )
        written = len(log)
    recurring = links["recurrence"].to_numpy() > 0
    return RecurrenceReport(
        problems=len(links),
        recurrences=int(recurring.sum()),
        longest=int(links["recurrence"].max()) if len(links) else 0,
        changed=written,
        links=links.reset_index(drop=True),
    )


def nearby(
    ctx: CityContext,
    catalogue_code: str,
    x: float,
    y: float,
    reported_at: datetime,
    conn: sa.Connection,
) -> Nearby:
    """The open problem a new report at ``(x, y)`` duplicates, and the closed one it recurs.

    Parameters
    ----------
    ctx
        The city (its metric CRS and the ``config`` distances and window).
    catalogue_code
        The item reported.
    x, y
        The place, EPSG:4326.
    reported_at
        When it was found.
    conn
        The report's transaction.
    """
    config = ctx.config
    reach = max(config.duplicate_metres, config.recurrence_metres)
    crs = ctx.metric_crs
    mx, my = metric_xy([x], [y], crs)
    back = Transformer.from_crs(crs, STORAGE_CRS, always_xy=True)
    lons, lats = back.transform(
        [mx[0] - reach, mx[0] + reach, mx[0] - reach, mx[0] + reach],
        [my[0] - reach, my[0] - reach, my[0] + reach, my[0] + reach],
    )
    bbox = (min(lons), min(lats), max(lons), max(lats))
    found = ctx.store.read(
        "problems",
        bbox=bbox,
        where={"catalogue_code": catalogue_code},
        columns=["code", "status", "closed_at", "recurrence"],
        conn=conn,
    )
    if found.empty:
        return Nearby(None, None)
    coords = shapely.get_coordinates(found.geometry.to_numpy())
    fx, fy = metric_xy(coords[:, 0], coords[:, 1], crs)
    found = found.assign(_m=np.hypot(fx - mx[0], fy - my[0]))
    open_ = found[found["status"].isin(OPEN_STATUSES) & (found["_m"] <= config.duplicate_metres)]
    window = pd.Timedelta(days=config.recurrence_days)
    stamp = pd.Timestamp(reported_at)
    closed = found[
        (found["status"] == "closed")
        & (found["_m"] <= config.recurrence_metres)
        & (found["closed_at"] <= stamp)
        & (found["closed_at"] >= stamp - window)
    ]
    duplicate = open_.sort_values(["_m", "code"]).iloc[0] if len(open_) else None
    recurs = (
        closed.sort_values(["closed_at", "_m", "code"], ascending=[False, True, True]).iloc[0]
        if len(closed)
        else None
    )
    return Nearby(duplicate, recurs)
