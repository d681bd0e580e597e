"""Problem clusters far from every managed point: blind spots.

Density clusters follow DBSCAN's rule on a k-d tree and a sparse graph;
nearness to points goes through a k-d tree (points) or an STRtree join
(polygons). Everything is in a metric CRS, distances in metres, and
nothing loops over features in Python.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from citygrid.gis.coverage import spatial_pairs

_POINT = 0


def density_clusters(xy: np.ndarray, *, k: int, radius: float) -> np.ndarray:
    """Label points by density clusters (DBSCAN's rule, with a k-d tree and a graph).

    A point with at least ``k`` points (itself included) within
    ``radius`` is a core point; core points within ``radius`` of each
    other share a cluster, and a point within ``radius`` of a core point
    joins that core's cluster.

    Parameters
    ----------
    xy
        ``(n, 2)`` coordinates in metres.
    k
        Least number of points within ``radius`` of a core point.
    radius
        Neighbourhood radius in metres.

    Returns
    -------
    numpy.ndarray
        Cluster label of each point (0, 1, ... in order of each cluster's
        first point), -1 for points in no cluster.
    """
    labels = np.full(len(xy), -1, dtype=np.int64)
    if len(xy) < k:
        return labels
    pairs = cKDTree(xy).query_pairs(radius, output_type="ndarray")
    neighbours = 1 + np.bincount(pairs.ravel(), minlength=len(xy))  # itself included
    core = neighbours >= k
    if not core.any():
        return labels
    both_core = core[pairs[:, 0]] & core[pairs[:, 1]]
    links = pairs[both_core]
    graph = coo_matrix(
        (np.ones(len(links), dtype=np.int8), (links[:, 0], links[:, 1])), shape=(len(xy), len(xy))
    )
    _, component = connected_components(graph, directed=False)
    core_idx = np.flatnonzero(core)
    _, dense = np.unique(component[core_idx], return_inverse=True)
    labels[core_idx] = dense
    one_core = core[pairs[:, 0]] != core[pairs[:, 1]]
    border = pairs[one_core]
    from_core = np.where(core[border[:, 0]], border[:, 0], border[:, 1])
    to_border = np.where(core[border[:, 0]], border[:, 1], border[:, 0])
    labels[to_border] = labels[from_core]
    return _renumber(labels)


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Relabel clusters 0, 1, ... in order of each cluster's first point."""
    clustered = labels >= 0
    if not clustered.any():
        return labels
    values, first = np.unique(labels[clustered], return_index=True)
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(values))
    out = labels.copy()
    out[clustered] = rank[np.searchsorted(values, labels[clustered])]
    return out


def blind_spots(
    problems_m: np.ndarray,
    points_m: gpd.GeoDataFrame,
    *,
    key: str,
    k: int,
    radius_m: float,
    far_m: float,
) -> gpd.GeoDataFrame:
    """Clusters of problems far from every point: places that need a point and a head.

    Only problems more than ``far_m`` metres from every point are
    clustered (a busy street with a point on it is not a blind spot,
    however many problems it has); a cluster whose centre lies within
    ``far_m`` of a point is dropped too.

    Parameters
    ----------
    problems_m
        Problem locations (Points) in a metric CRS.
    points_m
        The managed points (Point or Polygon) in the same CRS, with ``key``.
    key
        Column naming each point.
    k, radius_m
        A cluster has problems with at least ``k`` problems within
        ``radius_m`` metres (:func:`density_clusters`).
    far_m
        Distance in metres from every point that makes a problem, and a
        cluster's centre, lonely.

    Returns
    -------
    geopandas.GeoDataFrame
        ``problems`` (count), ``center_x``, ``center_y`` (metric
        coordinates of the mean of its problems), ``nearest_point_code``,
        ``nearest_point_m`` and the convex hull of its problems widened by
        ``radius_m / 2``, in the metric CRS; largest clusters first.
    """
    point_geoms = points_m.geometry.to_numpy()
    problems_m = np.asarray(problems_m, dtype=object)
    problems_m = problems_m[shapely.get_type_id(problems_m) == _POINT]
    problems_m = problems_m[~near_any(problems_m, point_geoms, far_m)]
    xy = shapely.get_coordinates(problems_m)
    labels = density_clusters(xy, k=k, radius=radius_m)
    members = np.flatnonzero(labels >= 0)
    members = members[np.argsort(labels[members], kind="stable")]
    n = int(labels.max()) + 1 if len(members) else 0
    count = np.bincount(labels[members], minlength=n)
    center = (
        np.column_stack(
            [np.bincount(labels[members], weights=xy[members, i], minlength=n) for i in (0, 1)]
        )
        / np.maximum(count, 1)[:, None]
    )
    nearest_code = np.full(n, None, dtype=object)
    nearest_m = np.full(n, np.inf)
    if n and len(point_geoms):
        found, dist = shapely.STRtree(point_geoms).query_nearest(
            shapely.points(center), return_distance=True, all_matches=False
        )
        nearest_code[found[0]] = points_m[key].to_numpy()[found[1]]
        nearest_m[found[0]] = dist
    hulls = np.full(n, None, dtype=object)
    if n:
        shapely.multipoints(problems_m[members], indices=labels[members], out=hulls)
        hulls = shapely.buffer(shapely.convex_hull(hulls), radius_m / 2.0)
    far = nearest_m > far_m
    frame = gpd.GeoDataFrame(
        {
            "problems": count[far],
            "center_x": center[far, 0],
            "center_y": center[far, 1],
            "nearest_point_code": nearest_code[far],
            "nearest_point_m": np.where(np.isinf(nearest_m[far]), np.nan, nearest_m[far]),
        },
        geometry=gpd.GeoSeries(hulls[far], crs=points_m.crs),
    )
    return frame.sort_values("problems", ascending=False, kind="stable").reset_index(drop=True)


def near_any(queries: np.ndarray, geoms: np.ndarray, distance: float) -> np.ndarray:
    """Boolean mask of the Points ``queries`` within ``distance`` of any of ``geoms``.

    Point geometries go through a k-d tree (fast for tens of thousands),
    the others (polygons) through an STRtree ``dwithin`` join.
    """
    queries = np.asarray(queries, dtype=object)
    geoms = np.asarray(geoms, dtype=object)
    near = np.zeros(len(queries), dtype=bool)
    if len(queries) == 0 or len(geoms) == 0:
        return near
    is_point = shapely.get_type_id(geoms) == _POINT
    if is_point.any():
        tree = cKDTree(shapely.get_coordinates(geoms[is_point]))
        gap, _ = tree.query(shapely.get_coordinates(queries), distance_upper_bound=distance)
        near |= gap <= distance
    others = geoms[~is_point & ~shapely.is_missing(geoms)]
    undecided = np.flatnonzero(~near)
    found, _ = spatial_pairs(others, queries[undecided], "dwithin", distance=distance)
    near[undecided[found]] = True
    return near
