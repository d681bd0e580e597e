"""The distance band of hot spots: incremental spatial autocorrelation (Moran's I).

:func:`default_distance_band` picks the band at the first peak of Moran's I
z-scores, as ArcGIS's Optimized Hot Spot Analysis does;
:func:`neighbours_for` builds the neighbour matrix from the given or chosen
weights. Cells are in a metric CRS, distances in metres.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from citygrid.errors import BadInput
from citygrid.services.hotspots.params import WeightsSpec
from citygrid.services.hotspots.weights import build_weights, centroids_xy

MAX_MEAN_NEIGHBOURS = 120
"""Incremental spatial autocorrelation tries no band giving more neighbours on average."""


def moran_z(values: np.ndarray, neighbours: sparse.spmatrix) -> float:
    """Global Moran's I z-score under normality for binary symmetric weights.

    Equals esda's ``Moran(y, w, transformation="B").z_norm``; 0 when the
    values do not vary or no cell has a neighbour.
    """
    y = np.asarray(values, dtype=float)
    w = sparse.csr_matrix(neighbours)
    n = len(y)
    s0 = float(w.sum())
    dev = y - y.mean()
    ss = float(dev @ dev)
    if s0 == 0 or ss == 0 or n < 3:
        return 0.0
    moran = n / s0 * float(dev @ (w @ dev)) / ss
    s1 = 0.5 * float(((w + w.T).power(2)).sum())
    s2 = float(((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2).sum())
    expected = -1.0 / (n - 1)
    variance = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - expected**2
    return (moran - expected) / math.sqrt(variance) if variance > 0 else 0.0


def default_distance_band(
    cells: gpd.GeoDataFrame, counts: np.ndarray, *, steps: int = 10
) -> tuple[float, list[tuple[float, float]]]:
    """Distance band in metres at the first peak of incremental spatial autocorrelation.

    Moran's I z-scores of the counts are computed at ``steps`` distances,
    starting at the distance that gives every cell a neighbour (the largest
    nearest-neighbour distance between centroids) and growing by the mean
    nearest-neighbour distance, leaving out distances at which cells would
    have more than :data:`MAX_MEAN_NEIGHBOURS` neighbours on average
    (estimated from the mean cell area). The band is the first distance
    whose z is higher than both its neighbours' (a peak). Without a peak it
    is the mean distance to the K nearest centroids, K = 5 % of the cells,
    between 3 and 30 (a fallback modelled on Optimized Hot Spot Analysis).

    Returns
    -------
    tuple
        The band in metres, and the ``(distance, z)`` profile.
    """
    xy = centroids_xy(cells)
    n = len(xy)
    if n < 3:
        raise BadInput(
            "Only {n} cells: hot spots need at least 3; use smaller cells or a larger area.", n=n
        )
    tree = cKDTree(xy)
    nearest = tree.query(xy, k=2)[0][:, 1]
    start, step = float(nearest.max()), float(nearest.mean())
    if step <= 0:
        step = start or 1.0
    cell_area = float(np.mean(shapely.area(cells.geometry.to_numpy()))) or step * step
    widest = max(start, math.sqrt(MAX_MEAN_NEIGHBOURS * cell_area / math.pi))
    distances = [d for d in (start + i * step for i in range(steps)) if d <= widest]
    profile = list(zip(distances, moran_profile(xy, counts, distances), strict=True))
    for i in range(1, len(profile) - 1):
        if profile[i][1] > profile[i - 1][1] and profile[i][1] >= profile[i + 1][1]:
            return profile[i][0], profile
    k = int(min(30, max(3, round(0.05 * n)), n - 1))
    fallback = float(tree.query(xy, k=k + 1)[0][:, 1:].mean())
    return fallback, profile


def moran_profile(xy: np.ndarray, values: np.ndarray, distances: list[float]) -> list[float]:
    """Moran's I z-scores (as :func:`moran_z`) of ``values`` under distance bands of increasing
    ``distances`` (metres), from one set of pairs, each tallied in the first band holding it."""
    y = np.asarray(values, dtype=float)
    n, m = len(y), len(distances)
    dev = y - y.mean()
    ss = float(dev @ dev)
    if not distances or ss == 0 or n < 3:
        return [0.0] * m
    pairs = cKDTree(xy).query_pairs(max(distances), output_type="ndarray")
    gaps = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    band = np.searchsorted(distances, gaps, side="left")  # m: beyond the widest (rounding)
    in_band = np.cumsum(np.bincount(band, minlength=m + 1)[:m])
    cross = np.cumsum(np.bincount(band, dev[pairs[:, 0]] * dev[pairs[:, 1]], minlength=m + 1)[:m])
    ends = np.repeat(band, 2) * n + pairs.ravel()
    degrees = np.cumsum(np.bincount(ends, minlength=(m + 1) * n).reshape(m + 1, n)[:m], axis=0)
    expected = -1.0 / (n - 1)
    zs = []
    for pairs_in, cross_in, degree in zip(in_band, cross, degrees, strict=True):
        if pairs_in == 0:
            zs.append(0.0)
            continue
        s0 = 2.0 * pairs_in  # both directions of every pair, binary weights
        s1, s2 = 2.0 * s0, float((4.0 * degree.astype(float) ** 2).sum())
        moran = n / s0 * 2.0 * float(cross_in) / ss
        variance = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - expected**2
        zs.append(float((moran - expected) / math.sqrt(variance)) if variance > 0 else 0.0)
    return zs


def neighbours_for(
    cells: gpd.GeoDataFrame, counts: np.ndarray, spec: WeightsSpec | None
) -> tuple[sparse.csr_matrix, WeightsSpec, list[tuple[float, float]]]:
    """Neighbour matrix of the cells; a distance band chosen from the counts when ``spec`` is
    ``None``. Returns the matrix, the spec used and the Moran profile (empty when given).

    Raises
    ------
    BadInput
        The weights leave every cell without a neighbour.
    """
    profile: list[tuple[float, float]] = []
    if spec is None:
        band, profile = default_distance_band(cells, counts)
        spec = WeightsSpec("distance", round(band, 1))
    neighbours = build_weights(cells, spec)
    if neighbours.nnz == 0:
        raise BadInput(
            "Weights {weights} leave every cell without a neighbour; choose a larger distance, "
            "knn:K or queen.",
            weights=str(spec),
        )
    return neighbours, spec, profile
