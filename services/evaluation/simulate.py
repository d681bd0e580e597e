"""The simulated evaluation: the plan drawn many times over the places' expected findings.

Each run draws the plan's places (:mod:`.plans`), then at each visited place
draws what the evaluators find from the model of :mod:`.places`: each open
problem seen with probability ``q`` (its place's mean weight), unreported
problems as a Poisson count of mean ``q * λ_p`` at the type's mean weight,
the place's deduction capped at the plan's ``base``. A run's score is
``base`` less the mean deduction over the places it visited. The expected
losses per item, type, unit and place are ``π_p * E[D_p] / n``, with ``π_p``
the share of runs that visited ``p`` and ``n`` the places a run visits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd

from citygrid.errors import BadInput
from citygrid.services.context import CityContext
from citygrid.services.evaluation.places import place_risks
from citygrid.services.evaluation.plans import Plan, PlanType

RUN_CHUNK = 200
"""Runs drawn at once (bounds the memory of the draw matrices)."""
MAX_RUNS = 100_000


@dataclass(frozen=True)
class Evaluation:
    """What the simulation predicts.

    Attributes
    ----------
    score, low, high
        The mean score over the runs and its 5th and 95th percentiles.
    places
        Every place with ``visited`` (π_p, the share of runs that visited it),
        ``expected`` (E[D_p]) and ``loss`` (points of the score it costs in
        expectation), costliest first.
    found
        The open problems and expected unreported problems with their ``loss``.
    notes
        What the plan asked that the city could not give (fewer places of a
        type than the plan visits).
    """

    plan: Plan
    as_of: datetime
    runs: int
    score: float
    low: float
    high: float
    places: gpd.GeoDataFrame
    found: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    def by(self, column: str) -> pd.DataFrame:
        """Expected loss summed by a column of ``places`` (``point_type``, ``unit_code``...)."""
        grouped = self.places.groupby(column, dropna=False)
        return (
            pd.DataFrame(
                {
                    "places": grouped.size(),
                    "visits": grouped["visited"].sum(),
                    "loss": grouped["loss"].sum(),
                }
            )
            .sort_values("loss", ascending=False)
            .reset_index()
        )

    def by_item(self) -> pd.DataFrame:
        """Expected loss per catalogue item, from open and unreported problems."""
        return (
            self.found.groupby("catalogue_code")["loss"]
            .sum()
            .sort_values(ascending=False)
            .reset_index()
        )


def evaluate(
    ctx: CityContext, plan: Plan, as_of: datetime, runs: int = 1000, seed: int | None = None
) -> Evaluation:
    """Simulate ``runs`` evaluations of ``plan`` on day ``as_of``.

    Raises
    ------
    BadInput
        ``runs`` not between 1 and 100,000; a weighted draw's field that is
        not a number field of the points; no place of any of the plan's types.
    """
    if not 1 <= runs <= MAX_RUNS:
        raise BadInput(
            "runs must be between 1 and {most}, not {runs}.", most=f"{MAX_RUNS:,}", runs=runs
        )
    places, found = place_risks(ctx, plan, as_of)
    if places.empty:
        raise BadInput(
            "The city has no place of the plan's point types ({types}); check the plan or "
            "import the points.",
            types=", ".join(t.point_type for t in plan.types),
        )
    rng = np.random.default_rng(seed)
    notes = _shortfalls(plan, places)
    visitable = sum(
        min(t.count, int((places["point_type"] == t.point_type).sum())) for t in plan.types
    )
    visits = np.zeros(len(places))
    scores = []
    for chosen in _draws(plan, places, runs, rng):
        visits += chosen.sum(axis=0)
        scores.append(_scores(plan, places, chosen, visitable, rng))
    score = np.concatenate(scores)
    places = places.assign(visited=visits / runs)
    places["loss"] = places["visited"] * places["expected"] / visitable
    share = places.set_index("code")["visited"]
    found = found.assign(
        loss=found["point_code"].map(share) * plan.detection * found["weight"] / visitable
    )
    return Evaluation(
        plan,
        as_of,
        runs,
        float(score.mean()),
        float(np.percentile(score, 5)),
        float(np.percentile(score, 95)),
        places.sort_values("loss", ascending=False).reset_index(drop=True),
        found.sort_values("loss", ascending=False).reset_index(drop=True),
        notes,
    )


def _shortfalls(plan: Plan, places: gpd.GeoDataFrame) -> tuple[str, ...]:
    counts = places["point_type"].value_counts()
    return tuple(
        f"{t.point_type}: {t.count} > {int(counts.get(t.point_type, 0))}"
        for t in plan.types
        if t.count > counts.get(t.point_type, 0)
    )


def _draws(
    plan: Plan, places: gpd.GeoDataFrame, runs: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Boolean matrices (runs of a chunk x places): which places each run visits."""
    for start in range(0, runs, RUN_CHUNK):
        n = min(RUN_CHUNK, runs - start)
        chosen = np.zeros((n, len(places)), dtype=bool)
        for entry in plan.types:
            members = np.flatnonzero((places["point_type"] == entry.point_type).to_numpy())
            if len(members) == 0:
                continue
            for group, count in _strata(entry, places, members):
                picks = _pick(entry, places, group, count, n, rng)
                np.put_along_axis(chosen, picks, True, axis=1)
        yield chosen


def _strata(
    entry: PlanType, places: gpd.GeoDataFrame, members: np.ndarray
) -> list[tuple[np.ndarray, int]]:
    """The groups places are drawn from and how many from each (largest remainders)."""
    count = min(entry.count, len(members))
    if entry.draw != "stratified":
        return [(members, count)]
    keys = places["subdistrict_code"].to_numpy(dtype=object)[members]
    keys = np.where(pd.isna(keys), "", keys).astype(str)
    names, inverse = np.unique(keys, return_inverse=True)
    sizes = np.bincount(inverse)
    quota = count * sizes / sizes.sum()
    whole = np.floor(quota).astype(int)
    order = np.argsort(-(quota - whole), kind="stable")
    whole[order[: count - whole.sum()]] += 1
    return [(members[inverse == i], int(whole[i])) for i in range(len(names)) if whole[i] > 0]


def _pick(
    entry: PlanType,
    places: gpd.GeoDataFrame,
    group: np.ndarray,
    count: int,
    runs: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``count`` places of ``group`` per run, without replacement (positions in ``places``)."""
    keys = rng.random((runs, len(group)))
    if entry.draw == "weighted":
        weight = pd.to_numeric(places[entry.weight_field], errors="coerce").to_numpy()[group]
        weight = np.where(np.isfinite(weight) & (weight > 0), weight, 1e-9)
        keys = keys ** (1.0 / weight)  # Efraimidis-Spirakis: the largest keys win
    top = np.argpartition(-keys, count - 1, axis=1)[:, :count]
    return group[top]


def _scores(
    plan: Plan,
    places: gpd.GeoDataFrame,
    chosen: np.ndarray,
    visitable: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Each run's score: base less the mean capped deduction over its visited places."""
    run, place = np.nonzero(chosen)
    open_count = places["open_count"].to_numpy()[place].astype(int)
    open_weight = places["open_weight"].to_numpy()[place]
    mean_open = np.divide(open_weight, open_count, out=np.zeros(len(place)), where=open_count > 0)
    seen_open = rng.binomial(open_count, plan.detection) * mean_open
    hidden = places["hidden"].to_numpy()[place]
    type_weight = places["type_weight"].to_numpy()[place]
    seen_hidden = rng.poisson(plan.detection * hidden) * type_weight
    deduction = np.minimum(seen_open + seen_hidden, plan.base)
    lost = np.bincount(run, weights=deduction, minlength=len(chosen))
    return plan.base - lost / visitable
