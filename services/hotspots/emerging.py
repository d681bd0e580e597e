"""Emerging hot spots: is each cluster new, persistent, intensifying or fading?

Problems are binned by calendar month over the range; Gi* is computed for
every month at once (one sparse product for all months, the same cells and
weights every month, FDR per month), or, with a time window of K months,
over the space-time cube as ArcGIS does (a cell-month's neighbours include
the K months before; see :func:`monthly_gi_star`); the Mann-Kendall test gives the trend
of each cell's series of Gi* z-scores; each cell is then classified with
the definitions of ArcGIS's Emerging Hot Spot Analysis. With ``T`` months,
"hot in a month" meaning a hot bin (90 % confidence or more, after FDR)
and the trend significant at ``trend_alpha`` (default 0.05):

New hot spot
    Hot in the final month and never hot before.
Consecutive hot spot
    A single uninterrupted run of at least two hot months ending in the
    final month, never hot before that run, and hot in less than 90 % of
    the months.
Intensifying hot spot
    Hot in at least 90 % of the months, including the final one, with a
    significant upward trend in the z-scores.
Persistent hot spot
    Hot in at least 90 % of the months, including the final one, with no
    significant trend.
Diminishing hot spot
    Hot in at least 90 % of the months, including the final one, with a
    significant downward trend.
Sporadic hot spot
    Hot in the final month, on and off before, hot in less than 90 % of
    the months, and never cold.
Oscillating hot spot
    Hot in the final month, cold in some earlier month, hot in less than
    90 % of the months.
Historical hot spot
    Not hot in the final month but hot in at least 90 % of the months.

Cold spots mirror these with "cold" for "hot" (an intensifying cold spot
has a significant downward trend, a diminishing one an upward trend). A
cell matching none is ``none`` (no pattern detected). The rules are
checked in the order listed, so a cell that could be both new and
oscillating is new.

Mann-Kendall: ``S = Σ_{i<j} sign(x_j - x_i)``, ``Var(S) = [T(T-1)(2T+5) -
Σ_g t_g(t_g-1)(2t_g+5)] / 18`` where ``t_g`` are the sizes of groups of
tied values (z-scores are rounded to 1e-9 first, so months with no
variation, z = 0, tie exactly), ``Z = (S - sign(S)) / sqrt(Var(S))`` and
a two-sided normal p-value. A series with ``Var(S) = 0`` has Z = 0, p = 1.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse, special

from citygrid.errors import BadInput
from citygrid.services.analysis import Analysis, AnalysisResult, register_analysis
from citygrid.services.context import CityContext
from citygrid.services.hotspots.gistar import gi_star, with_self
from citygrid.services.hotspots.hot_spots import cell_layer_frame
from citygrid.services.hotspots.params import EmergingParams
from citygrid.services.hotspots.setup import prepare

MIN_MONTHS = 3
"""Fewest months a trend is computed over."""

PATTERNS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)


def mann_kendall(series: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test of each row of an ``(n, T)`` array.

    Returns
    -------
    tuple of numpy.ndarray
        ``S``, ``Var(S)`` (tie-corrected), ``Z`` and the two-sided p-value,
        one per row (see the module docstring).
    """
    x = np.round(np.asarray(series, dtype=float), 9)
    if x.ndim == 1:
        x = x[None, :]
    n, t = x.shape
    s = np.zeros(n)
    for lag in range(1, t):
        s += np.sign(x[:, lag:] - x[:, :-lag]).sum(axis=1)
    ordered = np.sort(x, axis=1)
    starts = np.ones((n, t), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    sizes = np.bincount(np.cumsum(starts.ravel()) - 1).astype(float)
    row_of_group = np.repeat(np.arange(n), starts.sum(axis=1))
    ties = np.bincount(row_of_group, weights=sizes * (sizes - 1) * (2 * sizes + 5), minlength=n)
    variance = (t * (t - 1) * (2 * t + 5) - ties) / 18.0
    z = np.zeros(n)
    np.divide(
        s - np.sign(s),
        np.sqrt(variance, where=variance > 0, out=np.zeros(n)),
        out=z,
        where=variance > 0,
    )
    return s, variance, z, 2.0 * special.ndtr(-np.abs(z))


def _trailing_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True at the end of each row."""
    return np.cumprod(flags[:, ::-1], axis=1).sum(axis=1)


def _side_patterns(
    on: np.ndarray, other: np.ndarray, trend_up: np.ndarray, trend_down: np.ndarray, side: str
) -> np.ndarray:
    """Pattern codes for one side (hot or cold), ``""`` where none applies.

    ``on`` marks the months the cell is on this side, ``other`` the months
    on the opposite side; ``trend_up`` means intensifying for this side.
    """
    t = on.shape[1]
    total = on.sum(axis=1)
    mostly = total >= 0.9 * t
    last = on[:, -1]
    run = _trailing_run(on)
    earlier_other = other[:, :-1].any(axis=1)
    conditions = [
        last & mostly & trend_up,
        last & mostly & trend_down,
        last & mostly,
        last & (total == 1),
        last & (run >= 2) & (run == total),
        last & earlier_other,
        last,
        ~last & mostly,
    ]
    names = [
        "intensifying",
        "diminishing",
        "persistent",
        "new",
        "consecutive",
        "oscillating",
        "sporadic",
        "historical",
    ]
    return np.select(conditions, [f"{name}_{side}" for name in names], default="")


def classify(
    bins: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray, *, trend_alpha: float = 0.05
) -> np.ndarray:
    """Pattern code per cell (``new_hot`` ... ``historical_cold`` or ``none``).

    Parameters
    ----------
    bins
        ``(n, T)`` Gi* confidence bins per month (-3..3).
    trend_z, trend_p
        Mann-Kendall Z and p-value of each cell's z-score series.
    trend_alpha
        Significance level of the trend.
    """
    hot, cold = bins > 0, bins < 0
    up = (trend_p < trend_alpha) & (trend_z > 0)
    down = (trend_p < trend_alpha) & (trend_z < 0)
    hot_pattern = _side_patterns(hot, cold, up, down, "hot")
    cold_pattern = _side_patterns(cold, hot, down, up, "cold")
    pattern = np.where(hot_pattern != "", hot_pattern, cold_pattern)
    return np.where(pattern != "", pattern, "none").astype(object)


def month_bins(
    reported_at: pd.Series, since: pd.Timestamp | None, until: pd.Timestamp | None
) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Month number of each problem and the months of the range.

    The range runs from the month of ``since`` (else the first problem) to
    the month before ``until`` (exclusive; else the last problem's month).
    """
    periods = pd.PeriodIndex(pd.to_datetime(reported_at), freq="M")
    first = pd.Period(since, freq="M") if since is not None else periods.min()
    last = (
        pd.Period(until - pd.Timedelta(microseconds=1), freq="M")
        if until is not None
        else periods.max()
    )
    months = pd.period_range(first, last, freq="M")
    index = ((periods.year - first.year) * 12 + (periods.month - first.month)).to_numpy(
        dtype=np.int64
    )
    return index, months


def monthly_gi_star(
    counts: np.ndarray, neighbours: sparse.csr_matrix, *, time_window: int = 0, fdr: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and bins of monthly counts ``(n_cells, T)``, each ``(n_cells, T)``.

    With ``time_window`` 0 every month is analysed on its own (its own mean
    and deviation, FDR per month). With ``time_window`` K > 0 the bins form
    a space-time cube as in ArcGIS: a cell-month's neighbours are its
    spatial neighbours (and itself) in that month and the K months before,
    the mean and deviation are those of the whole cube, and FDR runs over
    all cell-months.
    """
    if time_window < 0:
        raise BadInput(
            "Parameter time_window must be 0 or more months, not {n}.",
            n=time_window,
            param="time_window",
        )
    if time_window == 0:
        result = gi_star(counts, neighbours, fdr=fdr)
        return result.z, result.bins
    n, t = counts.shape
    months = np.arange(t)
    lag = months[:, None] - months[None, :]
    window = sparse.csr_matrix(((lag >= 0) & (lag <= time_window)).astype(float))
    cube = sparse.kron(window, with_self(neighbours), format="csr")
    result = gi_star(counts.T.ravel(), cube, fdr=fdr)  # month-major: index month * n + cell
    return result.z.reshape(t, n).T, result.bins.reshape(t, n).T


def emerging_frame(
    cells: gpd.GeoDataFrame,
    counts: np.ndarray,
    neighbours: sparse.csr_matrix,
    *,
    fdr: bool = True,
    trend_alpha: float = 0.05,
    time_window: int = 0,
) -> gpd.GeoDataFrame:
    """The ``emerging_hotspots`` layer from monthly counts ``(n_cells, T)`` (cells' CRS).

    Columns: ``cell_id``, ``pattern``, ``count`` (all months), ``trend_s``,
    ``trend_z``, ``trend_p``, ``hot_months``, ``cold_months``, ``n_months``,
    ``last_zscore``, ``last_bin``, ``n_neighbors``. ``time_window`` as in
    :func:`monthly_gi_star`.
    """
    z, bins = monthly_gi_star(counts, neighbours, time_window=time_window, fdr=fdr)
    s, _, trend_z, trend_p = mann_kendall(z)
    columns: dict[str, Any] = {
        "cell_id": cells["cell_id"].astype(str).to_numpy(),
        "pattern": classify(bins, trend_z, trend_p, trend_alpha=trend_alpha),
        "count": counts.sum(axis=1),
        "trend_s": s,
        "trend_z": trend_z,
        "trend_p": trend_p,
        "hot_months": (bins > 0).sum(axis=1).astype(np.int64),
        "cold_months": (bins < 0).sum(axis=1).astype(np.int64),
        "n_months": np.full(len(cells), counts.shape[1], dtype=np.int64),
        "last_zscore": z[:, -1],
        "last_bin": bins[:, -1].astype(np.int64),
        "n_neighbors": np.diff(with_self(neighbours).indptr).astype(np.int64) - 1,
    }
    return cell_layer_frame(columns, cells)


def run_emerging(ctx: CityContext, params: EmergingParams) -> AnalysisResult:
    """The ``emerging_hotspots`` layer (EPSG:4326) for the problems the parameters select.

    Cells and weights default as in :func:`citygrid.services.hotspots.setup.prepare`
    (chosen on all months together); ``result.chosen`` holds every choice made.

    Raises
    ------
    BadInput
        Fewer than three months in the range.
    """
    setup = prepare(ctx, params, monthly=True)
    tallies = setup.tallies
    assert tallies.reported_at is not None
    start, stop = params.start(), params.stop()
    month, months = month_bins(
        tallies.reported_at,
        pd.Timestamp(start) if start else None,
        pd.Timestamp(stop) if stop else None,
    )
    if len(months) < MIN_MONTHS:
        raise BadInput(
            "The range covers {n} month(s); emerging hot spots need at least {min} months. "
            "Widen the dates (since, until).",
            n=len(months),
            min=MIN_MONTHS,
            param="since",
        )
    inside = tallies.cell_of >= 0
    t = len(months)
    flat = np.bincount(
        tallies.cell_of[inside] * t + month[inside],
        weights=tallies.values[inside],
        minlength=len(setup.cells) * t,
    )
    frame = emerging_frame(
        setup.cells,
        flat.reshape(len(setup.cells), t),
        setup.neighbours,
        fdr=params.fdr,
        trend_alpha=params.trend_alpha,
        time_window=params.time_window,
    ).to_crs(4326)
    chosen = {
        **setup.chosen,
        "months": [str(months[0]), str(months[-1])],
        "n_months": t,
        "patterns": {str(k): int(v) for k, v in frame["pattern"].value_counts().items()},
    }
    return AnalysisResult({"emerging_hotspots": frame}, params, chosen)


EMERGING = register_analysis(
    Analysis("emerging", EmergingParams, ("emerging_hotspots",), run_emerging)
)
