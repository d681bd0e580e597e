"""Getis-Ord Gi* with analytic z-scores, pseudo p-values and the false discovery rate.

Gi* (Getis & Ord 1992, Ord & Getis 1995) with binary weights and the cell
counted as its own neighbour. For cell i with ``c_i`` cells in its
neighbourhood (itself included), ``n`` cells, mean ``x̄`` and population
standard deviation ``S`` of the counts::

    z_i = (Σ_j w_ij x_j - x̄ c_i) / (S · sqrt(c_i (n - c_i) / (n - 1)))

which is the z-score of ArcGIS's Hot Spot Analysis and equals esda's
``G_Local(y, w, transform="B", star=True).Zs``. ``p`` is two-sided,
``2 · norm.sf(|z|)`` (esda's ``p_norm`` is the one-sided half of it).

Edge cases, without dividing by zero:

- a cell with no neighbour (isolated) gets esda's value (its own deviation
  ``(x_i - x̄) / S``) but is never put in a hot or cold bin and is left out
  of the false discovery rate family;
- all counts equal (e.g. all zero): ``S = 0``, every z is 0 and p is 1;
- a cell whose neighbourhood is every cell: z is 0 and p is 1.

Confidence bins follow ArcGIS: ±3, ±2, ±1 for 99, 95 and 90 % confidence,
after the Benjamini-Hochberg false discovery rate correction when asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, special

CONFIDENCE_LEVELS = (0.10, 0.05, 0.01)
"""Significance levels of bins 1, 2 and 3 (90, 95 and 99 % confidence)."""

_PERMUTATION_CHUNK = 4_000_000  # simulated values held in memory at once


@dataclass(frozen=True)
class GiStar:
    """Gi* results, one value per cell (per column when counts are 2-D).

    Attributes
    ----------
    z
        Analytic z-scores.
    p
        Two-sided analytic p-values.
    p_sim
        Folded pseudo p-values from conditional permutations (as esda's
        ``p_sim``), or ``None`` without permutations.
    p_fdr
        Benjamini-Hochberg adjusted p-values (of ``p_sim`` when there are
        permutations, else of ``p``); NaN for isolated cells.
    bins
        -3..3: cold or hot at 99, 95 or 90 % confidence; 0 not significant.
    n_neighbors
        Neighbours of each cell, itself not counted.
    """

    z: np.ndarray
    p: np.ndarray
    p_sim: np.ndarray | None
    p_fdr: np.ndarray
    bins: np.ndarray
    n_neighbors: np.ndarray


def with_self(neighbours: sparse.spmatrix) -> sparse.csr_matrix:
    """Binary weights with every cell its own neighbour (the Gi* star)."""
    matrix = sparse.csr_matrix(neighbours, dtype=float, copy=True)
    matrix.setdiag(0.0)
    matrix.eliminate_zeros()
    matrix.data[:] = 1.0
    return (matrix + sparse.identity(matrix.shape[0], format="csr")).tocsr()


def gi_star_z(counts: np.ndarray, weights_star: sparse.csr_matrix) -> np.ndarray:
    """Analytic Gi* z-scores of counts (``(n,)`` or ``(n, t)``) under star binary weights."""
    y = np.asarray(counts, dtype=float)
    n = y.shape[0]
    card = np.asarray(weights_star.sum(axis=1)).ravel()
    if y.ndim == 2:
        card = card[:, None]
    mean = y.mean(axis=0)
    std = y.std(axis=0)
    numerator = weights_star @ y - card * mean
    denominator = std * np.sqrt(card * (n - card) / max(n - 1, 1))
    z = np.zeros(np.broadcast_shapes(numerator.shape, denominator.shape))
    np.divide(numerator, denominator, out=z, where=denominator > 0)
    return z


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) of a 1-D array; NaN stays NaN.

    ``q_(i) = min_{j >= i} p_(j) · m / j`` over the ``m`` finite p-values in
    ascending order, capped at 1. A test is significant at false discovery
    rate ``α`` when ``q <= α``.
    """
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = len(finite)
    if m == 0:
        return q
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q


def confidence_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """-3..3 from z-scores and (adjusted) p-values; NaN p-values give 0."""
    p = np.where(np.isfinite(p), p, 1.0)
    level = sum((p <= alpha).astype(np.int8) for alpha in CONFIDENCE_LEVELS)
    return (np.sign(z).astype(np.int8) * level).astype(np.int8)


def pseudo_p_values(
    counts: np.ndarray, weights_star: sparse.csr_matrix, permutations: int, seed: int | None
) -> np.ndarray:
    """Folded pseudo p-values of Gi* by conditional randomisation, vectorised.

    Each cell keeps its own count; its ``k_i`` neighbours' counts are drawn
    without replacement from the other cells, ``permutations`` times, with
    the same random draws for every cell (shifted past the cell itself), as
    esda does. ``p = (min(larger, P - larger) + 1) / (P + 1)`` where
    ``larger`` counts simulated sums at least the observed one.
    """
    y = np.asarray(counts, dtype=float)
    n = len(y)
    k = np.asarray(weights_star.sum(axis=1)).ravel().astype(np.int64) - 1
    k_max = int(k.max()) if n else 0
    if n < 2 or k_max == 0:
        return np.ones(n)
    rng = np.random.default_rng(seed)
    draws = np.stack([rng.choice(n - 1, size=k_max, replace=False) for _ in range(permutations)])
    observed = weights_star @ y
    larger = np.zeros(n)
    chunk = max(1, _PERMUTATION_CHUNK // (permutations * k_max))
    slots = np.arange(k_max)
    for start in range(0, n, chunk):
        cells = np.arange(start, min(start + chunk, n))
        idx = draws[None, :, :] + (draws[None, :, :] >= cells[:, None, None])
        mask = slots[None, None, :] < k[cells, None, None]
        simulated = np.where(mask, y[idx], 0.0).sum(axis=2) + y[cells, None]
        larger[cells] = (simulated >= observed[cells, None] - 1e-12).sum(axis=1)
    folded = np.minimum(larger, permutations - larger)
    return (folded + 1.0) / (permutations + 1.0)


def gi_star(
    counts: np.ndarray,
    neighbours: sparse.spmatrix,
    *,
    permutations: int = 0,
    seed: int | None = None,
    fdr: bool = True,
) -> GiStar:
    """Gi* hot and cold spots of counts per cell.

    Parameters
    ----------
    counts
        Count (or weight) per cell, ``(n,)``; or ``(n, t)`` for ``t``
        separate periods (each column analysed on its own; no permutations).
    neighbours
        Binary ``n x n`` neighbour matrix (the diagonal is ignored and the
        cell added as its own neighbour).
    permutations
        Number of conditional permutations for pseudo p-values; 0 for none.
    seed
        Seed of the permutations' random generator.
    fdr
        Apply the Benjamini-Hochberg false discovery rate correction (per
        column) before binning.

    Returns
    -------
    GiStar
    """
    y = np.asarray(counts, dtype=float)
    weights_star = with_self(neighbours)
    n_neighbors = np.diff(weights_star.indptr) - 1
    z = gi_star_z(y, weights_star)
    p = 2.0 * special.ndtr(-np.abs(z))
    p_sim = None
    tested = p
    if permutations:
        if y.ndim != 1:
            raise ValueError("permutations need one column of counts")
        p_sim = pseudo_p_values(y, weights_star, permutations, seed)
        tested = p_sim
    isolated = n_neighbors == 0
    tested = np.where(isolated[:, None] if tested.ndim == 2 else isolated, np.nan, tested)
    if fdr:
        adjusted = (
            np.column_stack([benjamini_hochberg(col) for col in tested.T])
            if tested.ndim == 2
            else benjamini_hochberg(tested)
        )
    else:
        adjusted = tested
    return GiStar(z, p, p_sim, adjusted, confidence_bins(z, adjusted), n_neighbors)
