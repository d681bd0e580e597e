"""What each place would cost if the evaluators visited it on a given day.

The model, per place ``p`` of a point type ``t`` in the plan, on day ``D``:

- **Open problems.** Every problem at ``p`` reported by ``D`` and not closed
  by then, of an item the plan checks at ``t``, is there to be seen; an
  evaluator sees each with the plan's ``detection`` probability ``q`` and
  deducts its item's weight ``w`` (the catalogue's 扣分分值, else the nearest
  heading's, else 1).
- **Problems nobody has reported yet.** Problems appear at ``p`` at a rate
  estimated from its last year: ``r_p = (n_p + r_t * m) / (H + m)`` per day,
  where ``n_p`` is the problems reported at ``p`` in the ``H = 365`` days
  before ``D``, ``r_t`` the rate per place of its type, and ``m = 90`` days
  the weight of that prior (a place with little history is judged by its
  type). Those that appeared since the last inspection (``d_p`` days ago,
  at most ``H``; never inspected counts ``H``) are there unreported:
  ``λ_p = r_p * d_p * (1 + 0.5 * min(k_p, 4))``, where ``k_p`` counts the
  recurrences (反弹) at ``p`` in the last 90 days. Each costs the mean weight
  ``w_t`` of the checked problems at places of type ``t`` and is seen with
  probability ``q``.
- **Expected deduction** ``E[D_p] = q * Σ w_open + q * λ_p * w_t``, never more
  than the plan's ``base`` (a place cannot lose more than its score).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd

from citygrid.errors import BadInput
from citygrid.layers.registry import get_layer
from citygrid.services.context import CityContext
from citygrid.services.evaluation.plans import Plan

HISTORY_DAYS = 365
PRIOR_DAYS = 90.0
RECURRENCE_DAYS = 90
RECURRENCE_BOOST = 0.5
RECURRENCE_CAP = 4
DEFAULT_WEIGHT = 1.0


def item_weights(ctx: CityContext) -> pd.DataFrame:
    """Every catalogue code with its ancestors (itself included) and its deduction weight.

    Returns a frame ``code, ancestor, weight``, one row per (code, ancestor)
    pair; the weight is the code's own, else its nearest heading's, else 1.
    """
    catalogue = ctx.store.read("catalogue", columns=["code", "parent_code", "weight"])
    parent = catalogue.set_index("code")["parent_code"].dropna()
    level = pd.DataFrame({"code": catalogue["code"], "ancestor": catalogue["code"]})
    levels = [level]
    for _depth in range(len(catalogue)):  # the catalogue's loader refuses cycles
        level = level.assign(ancestor=level["ancestor"].map(parent)).dropna(subset=["ancestor"])
        if level.empty:
            break
        levels.append(level)
    pairs = pd.concat(levels, ignore_index=True)  # nearest ancestor first
    own = catalogue.set_index("code")["weight"].astype(float)
    weighted = pairs.assign(w=pairs["ancestor"].map(own)).dropna(subset=["w"])
    nearest = weighted.drop_duplicates("code").set_index("code")["w"]
    return pairs.assign(weight=pairs["code"].map(nearest).fillna(DEFAULT_WEIGHT))


def weight_fields(plan: Plan) -> list[str]:
    """The number fields of the points the plan's weighted draws weigh by, checked.

    Raises
    ------
    BadInput
        A field the points do not have, or one that is not a number.
    """
    points = get_layer("points")
    fields = sorted({t.weight_field for t in plan.types if t.weight_field})
    for name in fields:
        if points.field(name).type not in ("int", "float"):
            raise BadInput(
                "The points' field {field} is not a number; a weighted draw needs a number "
                "field such as {example}.",
                field=name,
                example="radius_m",
            )
    return fields


def checked_items(plan: Plan, weights: pd.DataFrame) -> pd.DataFrame:
    """The (point type, catalogue code, weight) triples the plan checks."""
    codes = weights.drop_duplicates("code")[["code", "weight"]]
    frames = []
    for entry in plan.types:
        if entry.items:
            under = weights.loc[weights["ancestor"].isin(entry.items), "code"].unique()
            chosen = codes[codes["code"].isin(under)]
        else:
            chosen = codes
        frames.append(chosen.assign(point_type=entry.point_type))
    return pd.concat(frames, ignore_index=True)[["point_type", "code", "weight"]]


def place_risks(
    ctx: CityContext, plan: Plan, as_of: datetime
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Every place of the plan's point types with its expected deduction on ``as_of``.

    Returns
    -------
    places
        One row per point: ``code, name, point_type, unit_code,
        subdistrict_code, open_count, open_weight, reported_year,
        days_since_inspection, recurrences, hidden, type_weight, expected``
        and the plan's weighting fields (``hidden`` is λ_p, ``type_weight``
        w_t, ``expected`` is ``E[D_p]`` in points, see the module's model).
    found
        The problems an evaluator could see: ``point_code, code,
        catalogue_code, weight, deadline, unit_code, kind`` where kind is
        ``open`` for each open problem and ``hidden`` for each point's
        expected unreported share of an item (``weight`` then is its
        expected deduction before detection).
    """
    types = [t.point_type for t in plan.types]
    points = ctx.store.read(
        "points",
        where={"point_type": types},
        columns=["code", "name", "point_type", "unit_code", *weight_fields(plan)],
    )
    points = points.assign(subdistrict_code=_subdistricts(ctx, points))
    checked = checked_items(plan, item_weights(ctx))
    since = as_of - timedelta(days=HISTORY_DAYS)
    problems = ctx.store.read(
        "problems",
        where={"point_code": points["code"].tolist()},
        columns=[
            "code",
            "catalogue_code",
            "status",
            "reported_at",
            "closed_at",
            "deadline",
            "point_code",
            "unit_code",
            "recurrence",
        ],
    )
    problems = problems[problems["reported_at"] <= as_of]
    problems = problems.merge(
        points[["code", "point_type"]].rename(columns={"code": "point_code"}), on="point_code"
    ).merge(checked.rename(columns={"code": "catalogue_code"}), on=["point_type", "catalogue_code"])
    still_open = problems["closed_at"].isna() | (problems["closed_at"] > as_of)
    open_now = problems[
        still_open & ((problems["status"] != "closed") | problems["closed_at"].notna())
    ]
    recent = problems[problems["reported_at"] > since]
    per_point = points.set_index("code")
    per_point["open_count"] = open_now.groupby("point_code").size()
    per_point["open_weight"] = open_now.groupby("point_code")["weight"].sum()
    per_point["reported_year"] = recent.groupby("point_code").size()
    recurring = recent[
        (recent["recurrence"].fillna(0) > 0)
        & (recent["reported_at"] > as_of - timedelta(days=RECURRENCE_DAYS))
    ]
    per_point["recurrences"] = recurring.groupby("point_code").size()
    per_point[["open_count", "open_weight", "reported_year", "recurrences"]] = per_point[
        ["open_count", "open_weight", "reported_year", "recurrences"]
    ].fillna(0)
    per_point["days_since_inspection"] = _days_since_inspection(ctx, per_point.index, as_of)
    rate_t = per_point.groupby("point_type")["reported_year"].transform("mean") / HISTORY_DAYS
    rate = (per_point["reported_year"] + rate_t * PRIOR_DAYS) / (HISTORY_DAYS + PRIOR_DAYS)
    boost = 1.0 + RECURRENCE_BOOST * per_point["recurrences"].clip(upper=RECURRENCE_CAP)
    per_point["hidden"] = rate * per_point["days_since_inspection"] * boost
    shares = _item_shares(recent, checked)
    mean_weight = (
        per_point["point_type"]
        .map(shares.assign(w=shares["share"] * shares["weight"]).groupby("point_type")["w"].sum())
        .fillna(DEFAULT_WEIGHT)
    )
    per_point["type_weight"] = mean_weight
    expected = plan.detection * (per_point["open_weight"] + per_point["hidden"] * mean_weight)
    per_point["expected"] = expected.clip(upper=plan.base)
    places = gpd.GeoDataFrame(per_point.reset_index(), geometry="geometry", crs=points.crs)
    found = _found(open_now, per_point, shares)
    return places, found


def _found(open_now: pd.DataFrame, per_point: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    opened = open_now.assign(kind="open")[
        ["point_code", "code", "catalogue_code", "weight", "deadline", "unit_code", "kind"]
    ]
    hidden = (
        per_point[["point_type", "hidden", "unit_code"]]
        .rename_axis("point_code")
        .reset_index()
        .merge(shares, on="point_type")
    )
    hidden = hidden.assign(
        code=None,
        deadline=pd.NaT,
        kind="hidden",
        weight=hidden["hidden"] * hidden["share"] * hidden["weight"],
    )[["point_code", "code", "catalogue_code", "weight", "deadline", "unit_code", "kind"]]
    return pd.concat([opened, hidden[hidden["weight"] > 0]], ignore_index=True)


def _item_shares(recent: pd.DataFrame, checked: pd.DataFrame) -> pd.DataFrame:
    """Per point type, each checked item's share of last year's problems (``share``, ``weight``).

    A type with no problems last year shares evenly among its checked items.
    """
    counts = recent.groupby(["point_type", "catalogue_code"]).size().rename("n").reset_index()
    table = checked.rename(columns={"code": "catalogue_code"}).merge(
        counts, on=["point_type", "catalogue_code"], how="left"
    )
    table["n"] = table["n"].fillna(0)
    total = table.groupby("point_type")["n"].transform("sum")
    even = 1.0 / table.groupby("point_type")["n"].transform("size")
    table["share"] = np.where(total > 0, table["n"] / total.where(total > 0, 1), even)
    return table[["point_type", "catalogue_code", "share", "weight"]]


def _days_since_inspection(ctx: CityContext, codes: pd.Index, as_of: datetime) -> pd.Series:
    """Days from each point's last inspection to ``as_of`` (never inspected: a year)."""
    inspections = ctx.store.read(
        "inspections", where={"point_code": codes.tolist()}, columns=["point_code", "inspected_at"]
    )
    inspections = inspections[inspections["inspected_at"] <= as_of]
    last = inspections.groupby("point_code")["inspected_at"].max()
    days = (pd.Timestamp(as_of) - last.reindex(codes)).dt.total_seconds() / 86400.0
    return days.fillna(float(HISTORY_DAYS)).clip(lower=0.0, upper=float(HISTORY_DAYS))


def _subdistricts(ctx: CityContext, points: gpd.GeoDataFrame) -> pd.Series:
    """The sub-district code each point lies in (``None`` outside every one)."""
    subdistricts = ctx.store.read("jurisdictions", where={"level": "subdistrict"}, columns=["code"])
    spots = gpd.GeoDataFrame(
        {"point": points.index}, geometry=points.geometry.representative_point(), crs=points.crs
    )
    joined = spots.sjoin(subdistricts[["code", "geometry"]], predicate="within", how="left")
    first = joined.drop_duplicates("point").set_index("point")["code"]
    return first.reindex(points.index)
