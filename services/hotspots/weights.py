"""Spatial weights between cells: queen, rook, distance band and k nearest neighbours.

Weights are binary scipy CSR matrices with an empty diagonal (a cell is not
its own neighbour here; :mod:`citygrid.services.hotspots.gistar` adds the diagonal
for Gi*). Everything is built vectorised: contiguity with a shapely STRtree
query, distances with a scipy cKDTree over cell centroids. Cells must be in
a projected CRS in metres.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from citygrid.errors import BadInput
from citygrid.services.hotspots.params import WeightsSpec


def centroids_xy(cells: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """``(n, 2)`` centroids of cells in their (metric) CRS."""
    return shapely.get_coordinates(shapely.centroid(cells.geometry.to_numpy()))


def build_weights(cells: gpd.GeoDataFrame | gpd.GeoSeries, spec: WeightsSpec) -> sparse.csr_matrix:
    """Binary neighbour matrix of cells, without the diagonal.

    Parameters
    ----------
    cells
        Polygons in a projected CRS in metres.
    spec
        Which neighbours (see :class:`WeightsSpec`).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``n x n``, 1.0 where column j is a neighbour of row i. Symmetric
        except for ``knn``.
    """
    n = len(cells)
    if spec.kind in ("queen", "rook"):
        rows, cols = _contiguity_pairs(cells.geometry.to_numpy(), rook=spec.kind == "rook")
    elif spec.kind == "distance":
        rows, cols = distance_pairs(centroids_xy(cells), float(spec.value or 0))
    else:
        rows, cols = _knn_pairs(centroids_xy(cells), int(spec.value or 0))
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _contiguity_pairs(geoms: np.ndarray, *, rook: bool) -> tuple[np.ndarray, np.ndarray]:
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    if rook and len(left):
        shared = shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
        keep = shapely.length(shared) > 0
        left, right = left[keep], right[keep]
    return left, right


def distance_pairs(xy: np.ndarray, distance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Ordered pairs ``(i, j)``, ``i != j``, of points at most ``distance_m`` apart (both ways)."""
    pairs = cKDTree(xy).query_pairs(distance_m, output_type="ndarray")
    return np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1], pairs[:, 0]])


def _knn_pairs(xy: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(xy)
    if k >= n:
        raise BadInput(
            "knn:{k} needs more than {k} cells but there are {n}; choose a smaller K.", k=k, n=n
        )
    _, idx = cKDTree(xy).query(xy, k=k + 1)
    own = idx == np.arange(n)[:, None]
    # duplicate centroids can push a cell out of its own k+1 list: drop the farthest instead
    own[~own.any(axis=1), -1] = True
    rows = np.repeat(np.arange(n), k)
    return rows, idx[~own].reshape(n, k).ravel()
