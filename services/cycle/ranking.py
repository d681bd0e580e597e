"""The monthly ranking (月评排名) of points, streets, alleys, cells and units.

Each problem reported in the month (``reported_at`` within it) costs the
feature it was routed to (its ``point_code``, ``street_code``,
``alley_code``, ``grid_code`` or ``unit_code``)::

    penalty = deduction + w_r * recurrence + w_o * overdue + w_w * rework

- ``deduction``: its catalogue item's deduction weight: the ``deduction``
  of the item's first registration condition that has one (``standards``
  layer, in the catalogue file's order), else the item's ``weight`` in the
  catalogue, else 0;
- ``recurrence`` 1 when it is a recurrence (反弹: ``recurrence`` above 0),
  else 0;
- ``overdue`` 1 when it has a deadline and was closed after it, or is not
  closed and its deadline has passed when the ranking is made
  (``ctx.now``), else 0;
- ``rework`` 1 when the audit log holds a ``transition:rework`` of it
  (返工), else 0.

A feature's score is ``base - sum of its problems' penalties``; the
weights ``base``, ``w_r``, ``w_o``, ``w_w`` come from
:attr:`citygrid.config.Config.ranking_weights` (``CITYGRID_RANKING_WEIGHTS``,
default 100, 2, 1, 1). Every feature of the level is ranked, those without
problems at ``base``; the highest score ranks first and equal scores share
a rank (1, 1, 3: the next rank skips). ``failed`` marks scores below
:attr:`~citygrid.config.Config.ranking_pass_score` (点未达标).

The change from the month before compares with that month's published
ranking when there is one, else with its ranking computed now
(``rank_change`` positive: moved up); empty when the feature was not
ranked then or that month has no problems. A published month
(:mod:`.publishing`) is read back as published, whatever arrived since.

Everything is vectorised: the month's problems are read in SQL with only
the columns needed, and each feature's sums are one ``numpy.bincount`` over
the features' positions (a group-by without the sort).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from citygrid.config import RANKING_WEIGHTS
from citygrid.errors import BadInput
from citygrid.layers.ranking_layers import RANKING_LEVELS
from citygrid.services.context import CityContext
from citygrid.services.cycle.periods import Month, parse_month
from citygrid.services.cycle.reading import names_of, read_columns

LEVELS: dict[str, tuple[str, str]] = {
    "point": ("point_code", "points"),
    "street": ("street_code", "streets"),
    "alley": ("alley_code", "alleys"),
    "cell": ("grid_code", "grids"),
    "unit": ("unit_code", "units"),
}
"""Each level: the problems' field naming the feature, and the feature's layer."""

RANKING_COLUMNS = [
    "rank",
    "code",
    "name",
    "score",
    "problems",
    "deductions",
    "recurrences",
    "overdue",
    "rework",
    "previous_rank",
    "rank_change",
    "score_change",
    "failed",
]
"""The columns of a ranking, in order."""

_COUNTS = ["problems", "recurrences", "overdue", "rework"]
_CHANGES = ["previous_rank", "rank_change", "score_change"]


@dataclass(frozen=True)
class Ranking:
    """One month's ranking at one level.

    Attributes
    ----------
    month
        The month.
    level
        ``point``, ``street``, ``alley``, ``cell`` or ``unit``.
    frame
        :data:`RANKING_COLUMNS`, best first.
    published_at, published_by
        When and by whom it was published; ``None`` for a ranking computed now.
    """

    month: Month
    level: str
    frame: pd.DataFrame
    published_at: datetime | None = None
    published_by: str | None = None

    @property
    def failed(self) -> pd.DataFrame:
        """The rows whose score is below the pass score (点未达标)."""
        return self.frame[self.frame["failed"].fillna(False).astype(bool)]


def check_level(level: str) -> str:
    """``level`` if it is one a ranking ranks (its name or its zh/en label).

    Raises
    ------
    BadInput
        No such level; the message lists them.
    """
    for choice in RANKING_LEVELS:
        if level.strip() in (choice.value, choice.zh, choice.en):
            return choice.value
    raise BadInput(
        "{level!r} is not a level of the ranking; use one of: {known}.",
        level=level,
        known=", ".join(LEVELS),
    )


def monthly_ranking(ctx: CityContext, month: str | Month, level: str = "point") -> Ranking:
    """The ranking of ``month`` at ``level``: as published, else computed now.

    Parameters
    ----------
    ctx
        The city (its config's weights and pass score; ``ctx.now`` for overdue).
    month
        ``YYYY-MM`` or a :class:`Month`.
    level
        ``point``, ``street``, ``alley``, ``cell`` or ``unit``.

    Raises
    ------
    BadInput
        A bad month or level, or no problem was reported in the month and
        it was never published.
    """
    found = parse_month(month)
    wanted = check_level(level)
    published = published_ranking(ctx, found, wanted)
    if published is not None:
        return published
    return computed_rankings(ctx, found, (wanted,))[wanted]


def monthly_rankings(
    ctx: CityContext, month: str | Month, levels: tuple[str, ...]
) -> dict[str, Ranking]:
    """The rankings of ``month`` at ``levels``, as :func:`monthly_ranking` gives each, with
    the unpublished ones computed in one pass over the month's problems.

    Raises
    ------
    BadInput
        As for :func:`monthly_ranking`.
    """
    found = parse_month(month)
    wanted = [check_level(level) for level in levels]
    published = {level: published_ranking(ctx, found, level) for level in wanted}
    missing = tuple(level for level, ranking in published.items() if ranking is None)
    computed = computed_rankings(ctx, found, missing) if missing else {}
    return {level: published[level] or computed[level] for level in wanted}


def computed_rankings(
    ctx: CityContext, month: str | Month, levels: tuple[str, ...] = tuple(LEVELS)
) -> dict[str, Ranking]:
    """The rankings of ``month`` at ``levels`` computed now, with changes from the month before.

    Raises
    ------
    BadInput
        A bad month or level, or no problem was reported in the month.
    """
    found = parse_month(month)
    wanted = [check_level(level) for level in levels]
    costs = deductions(ctx)
    problems = month_problems(ctx, found, costs, tuple(wanted))
    try:
        before: pd.DataFrame | None = month_problems(ctx, found.previous(), costs, tuple(wanted))
    except BadInput:
        before = None
    rankings = {}
    for level in wanted:
        names = names_of(ctx.store, LEVELS[level][1])
        frame = score(ctx, problems, level, names)
        previous = published_ranking(ctx, found.previous(), level)
        if previous is not None:
            frame = _with_changes(frame, previous.frame)
        elif before is not None:
            frame = _with_changes(frame, score(ctx, before, level, names))
        rankings[level] = Ranking(found, level, frame[RANKING_COLUMNS])
    return rankings


def published_ranking(ctx: CityContext, month: Month, level: str) -> Ranking | None:
    """The ranking of ``month`` at ``level`` as published, ``None`` if it was not."""
    stored = ctx.store.read("rankings", where={"month": str(month), "level": level})
    if stored.empty:
        return None
    frame = stored[RANKING_COLUMNS].reset_index(drop=True)
    return Ranking(
        month,
        level,
        frame,
        pd.Timestamp(stored["published_at"].iloc[0]).to_pydatetime(),
        stored["published_by"].iloc[0],
    )


def month_problems(
    ctx: CityContext,
    month: Month,
    costs: pd.Series | None = None,
    levels: tuple[str, ...] = tuple(LEVELS),
) -> pd.DataFrame:
    """The month's problems with what each costs: one row per problem.

    Parameters
    ----------
    ctx
        The city.
    month
        The month.
    costs
        :func:`deductions`, when already read.
    levels
        The levels whose fields to read (default all).

    Returns
    -------
    pandas.DataFrame
        ``code``, the fields of ``levels`` (:data:`LEVELS`), ``deduction`` (float) and
        ``recurrence``, ``overdue``, ``rework`` (0 or 1).

    Raises
    ------
    BadInput
        No problem was reported in the month.
    """
    store = ctx.store
    table = store.table("problems")
    fields = [LEVELS[level][0] for level in levels]
    problems = read_columns(
        store,
        "problems",
        [
            "code",
            *fields,
            "catalogue_code",
            "status",
            "deadline",
            "closed_at",
            "recurrence",
        ],
        filters=[table.c.reported_at >= month.start, table.c.reported_at < month.stop],
    )
    if problems.empty:
        raise BadInput(
            "No problem was reported in {month}, so there is nothing to rank; choose a month "
            "with problems.",
            month=str(month),
        )
    deadline, closed_at = problems["deadline"], problems["closed_at"]
    closed = (problems["status"] == "closed").to_numpy()
    late = np.where(closed, closed_at > deadline, deadline < pd.Timestamp(ctx.now))
    out = problems[["code", *fields]].copy()
    if costs is None:
        costs = deductions(ctx)
    out["deduction"] = problems["catalogue_code"].map(costs).fillna(0.0).to_numpy()
    out["recurrence"] = (problems["recurrence"].fillna(0) > 0).to_numpy(dtype=np.int64)
    out["overdue"] = (late & deadline.notna().to_numpy()).astype(np.int64)
    out["rework"] = out["code"].isin(reworked(ctx, month)).to_numpy(dtype=np.int64)
    return out


def deductions(ctx: CityContext) -> pd.Series:
    """Each catalogue item's deduction weight by its code: its first condition's
    ``deduction`` that is set, else its catalogue ``weight``."""
    standards = ctx.store.read("standards", columns=["catalogue_code", "deduction"])
    given = standards.dropna(subset=["deduction"]).drop_duplicates("catalogue_code")
    catalogue = ctx.store.read("catalogue", columns=["code", "weight"]).dropna(subset=["weight"])
    weights = pd.Series(catalogue["weight"].to_numpy(float), index=catalogue["code"].to_numpy())
    own = pd.Series(given["deduction"].to_numpy(float), index=given["catalogue_code"].to_numpy())
    return own.combine_first(weights)


def reworked(ctx: CityContext, month: Month) -> np.ndarray:
    """Codes of the month's problems that the audit log shows sent back for rework."""
    store = ctx.store
    audit, problems = store.table("audit"), store.table("problems")
    stmt = (
        sa.select(audit.c.feature_code)
        .distinct()
        .join(problems, problems.c.code == audit.c.feature_code)
        .where(
            audit.c.layer == "problems",
            audit.c.action == "transition:rework",
            audit.c.at >= month.start,
            problems.c.reported_at >= month.start,
            problems.c.reported_at < month.stop,
        )
    )
    with store.reader() as conn:
        return np.array(conn.execute(stmt).scalars().all(), dtype=object)


def score(ctx: CityContext, problems: pd.DataFrame, level: str, names: pd.Series) -> pd.DataFrame:
    """Score and rank every feature of ``level`` from the month's problems
    (:func:`month_problems`); ``names`` are the level's features' names by code
    (:func:`~citygrid.services.cycle.reading.names_of`). No changes from the month before."""
    field = LEVELS[level][0]
    weights = dict(RANKING_WEIGHTS) | dict(ctx.config.ranking_weights)
    codes = problems[field]
    index = names.index
    where = index.get_indexer(codes)
    unknown = codes[(where < 0) & codes.notna().to_numpy()].unique()
    if len(unknown):  # problems of features the layer no longer holds are ranked too
        index = index.append(pd.Index(unknown))
        where = index.get_indexer(codes)
    found = where >= 0
    frame = pd.DataFrame(index=index)
    frame["problems"] = np.bincount(where[found], minlength=len(index))
    for column, measure in (
        ("deductions", "deduction"),
        ("recurrences", "recurrence"),
        ("overdue", "overdue"),
        ("rework", "rework"),
    ):
        values = problems[measure].to_numpy(dtype=float)[found]
        frame[column] = np.bincount(where[found], weights=values, minlength=len(index))
    frame[_COUNTS] = frame[_COUNTS].round().astype(np.int64)
    penalty = (
        frame["deductions"]
        + weights["recurrence"] * frame["recurrences"]
        + weights["overdue"] * frame["overdue"]
        + weights["rework"] * frame["rework"]
    )
    frame["score"] = (weights["base"] - penalty).round(4)
    frame["rank"] = frame["score"].rank(method="min", ascending=False).astype(np.int64)
    frame["code"] = frame.index.to_numpy(dtype=object)
    frame["name"] = np.concatenate([names.to_numpy(dtype=object), np.full(len(unknown), None)])
    frame["failed"] = frame["score"] < ctx.config.ranking_pass_score
    frame = frame.sort_values(["rank", "code"], kind="stable").reset_index(drop=True)
    for column in _CHANGES:
        frame[column] = pd.Series(
            pd.NA, index=frame.index, dtype="Float64" if "score" in column else "Int64"
        )
    return frame[RANKING_COLUMNS]


def _with_changes(frame: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the rank and score changes from ``previous`` (matched by code)."""
    before = previous.set_index("code")
    rank = before["rank"].reindex(frame["code"]).to_numpy()
    old_score = before["score"].reindex(frame["code"]).to_numpy(dtype=float, na_value=np.nan)
    out = frame.copy()
    out["previous_rank"] = pd.array(rank, dtype="Int64")
    out["rank_change"] = out["previous_rank"] - pd.array(out["rank"], dtype="Int64")
    out["score_change"] = pd.array((out["score"] - old_score).round(4), dtype="Float64")
    return out


def failed_points(ctx: CityContext, month: str | Month) -> pd.DataFrame:
    """The points that failed the standard in ``month`` (点未达标), worst first."""
    failed = monthly_ranking(ctx, month, "point").failed
    return failed.sort_values(["score", "code"], kind="stable").reset_index(drop=True)
