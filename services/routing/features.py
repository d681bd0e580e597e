"""The features of one link of the routing chain, and the tie rules that pick one of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from citygrid.services.routing.nearby import group_min

#: Distances (metres) closer than this are equal, for the tie rules.
TIE_TOLERANCE_M = 0.01


@dataclass(frozen=True)
class Features:
    """Features of one link: codes, units, heads, tie ranks, metric geometries."""

    codes: np.ndarray
    geoms: np.ndarray
    units: np.ndarray
    heads: np.ndarray
    rank: np.ndarray
    by_rank: np.ndarray
    has_unit: np.ndarray

    @classmethod
    def build(
        cls,
        codes: Sequence[Any],
        geoms: np.ndarray,
        units: Sequence[Any],
        heads: Sequence[Any],
        order: Sequence[Any] | None = None,
    ) -> Features:
        """Features ranked by ``order`` (default: by code) for the tie rules."""
        codes_arr = np.asarray(codes, dtype=object)
        keys = codes_arr if order is None else np.asarray(order, dtype=object)
        by_rank = np.argsort(keys.astype(str), kind="stable")
        rank = np.empty(len(keys), dtype=np.int64)
        rank[by_rank] = np.arange(len(keys))
        unit_arr = _objects(units)
        return cls(
            codes_arr,
            np.asarray(geoms, dtype=object),
            unit_arr,
            _objects(heads),
            rank,
            by_rank,
            pd.notna(unit_arr).astype(bool),
        )

    def __len__(self) -> int:
        return len(self.codes)

    def position(self, code: Any, among: np.ndarray | None = None) -> int:
        """Index of the feature with ``code`` (it must be there), among a mask if given."""
        match = self.codes == code
        return int(np.flatnonzero(match if among is None else match & among)[0])


def _objects(values: Sequence[Any]) -> np.ndarray:
    """An object array with ``None`` for every missing value (NaN, NA, None)."""
    out = np.asarray(values, dtype=object).copy()
    out[pd.isna(out)] = None
    return out


def pick(
    n: int, loc: np.ndarray, feat: np.ndarray, dist: np.ndarray, features: Features
) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``n`` locations, the nearest candidate; ties go to the lowest rank.

    Returns the chosen feature index (-1 for none) and its distance (NaN).
    """
    if len(loc) >= 2 and not bool(np.all(loc[1:] >= loc[:-1])):
        order = np.argsort(loc, kind="stable")
        loc, feat, dist = loc[order], feat[order], dist[order]
    if len(loc) < 2 or bool(np.all(loc[1:] > loc[:-1])):  # one candidate each: no tie to break
        chosen, distance = np.full(n, -1, dtype=np.int64), np.full(n, np.nan)
        chosen[loc], distance[loc] = feat, dist
        return chosen, distance
    nearest = group_min(n, loc, dist)
    close = dist <= nearest[loc] + TIE_TOLERANCE_M
    lowest = group_min(n, loc[close], features.rank[feat[close]])
    found = np.isfinite(lowest)
    chosen = np.full(n, -1, dtype=np.int64)
    chosen[found] = features.by_rank[lowest[found].astype(np.int64)]
    return chosen, np.where(found, nearest, np.nan)


def lowest_holding(tree: shapely.STRtree, features: Features, locations: np.ndarray) -> np.ndarray:
    """Index of the lowest-ranked feature of ``tree`` holding (or touching) each location."""
    if len(features) == 0 or len(locations) == 0:
        return np.full(len(locations), -1, dtype=np.int64)
    loc, feat = tree.query(locations, predicate="intersects")
    return pick(len(locations), loc, feat, np.zeros(len(loc)), features)[0]
