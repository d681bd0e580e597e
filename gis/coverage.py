"""Coverage geometry: where grid cells leave land uncovered, overlap, reach
outside the jurisdiction or fail to tile, and where lines and points fall
outside every cell (problem clusters far from any point are in
:mod:`citygrid.gis.clusters`).

Overlays (union, difference, intersection) run in the CRS of the inputs,
so their results keep the inputs' exact vertices: a gap's edges are its
neighbouring cells' edges bit for bit (and the jurisdiction's, where its
boundary carries the cells' corners), so a fix that adds the gap to a cell
tiles exactly. Every measure (area, width, length, distance) is taken
in ``metric_crs``, in metres. Nothing here loops over features in Python:
spatial joins go through :class:`shapely.STRtree` or
:class:`scipy.spatial.cKDTree` and geometry functions run on whole arrays.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from citygrid.gis.metric import project_xy

AREA_EPSILON_M2 = 0.01
"""Pieces smaller than this (m²) are noise of an overlay and are dropped."""

NOISE_WIDTH_M = 0.01
"""Pieces narrower than this (m) are noise and are dropped: a straight edge
in longitude/latitude bends by millimetres in a projected CRS, so edges
that meet in one CRS leave hair-thin pieces in the other. Misfits that
thin between two cells are still reported by :func:`invalid_edges`."""

WIDTH_PRECISION = 1e-3
"""Relative precision of the widths measured with the maximum inscribed circle."""

_COLLECTION_TYPES = (4, 5, 6, 7)  # Multi*, GeometryCollection
_POINT = 0
_POLYGON = 3


def to_metric(geoms: np.ndarray, crs: Any, metric_crs: Any) -> np.ndarray:
    """Return ``geoms`` (in ``crs``) transformed into ``metric_crs``.

    Parameters
    ----------
    geoms
        Array of shapely geometries (``None`` allowed).
    crs
        Their CRS; ``None`` or the metric CRS itself returns them unchanged.
    metric_crs
        The CRS in metres to measure in.
    """
    geoms = np.asarray(geoms, dtype=object)
    if crs is None or CRS.from_user_input(crs) == CRS.from_user_input(metric_crs):
        return geoms
    if _plain_points(geoms):  # their coordinates projected as arrays: a fifth of the time
        return shapely.points(project_xy(shapely.get_coordinates(geoms), crs, metric_crs))
    return gpd.GeoSeries(geoms, crs=crs).to_crs(metric_crs).to_numpy()


def _plain_points(geoms: np.ndarray) -> bool:
    """Whether ``geoms`` are all 2-D Points, none empty or missing."""
    return bool(
        len(geoms)
        and (shapely.get_type_id(geoms) == _POINT).all()
        and not (shapely.is_empty(geoms) | shapely.has_z(geoms)).any()
    )


def polygon_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every non-empty polygon inside ``geoms``, however deeply nested.

    Returns
    -------
    parts, index
        The polygons, and for each the position in ``geoms`` it came from.
        Lines and points (the lower-dimension leftovers of an overlay) are
        dropped.
    """
    parts = np.asarray(geoms, dtype=object)
    index = np.arange(len(parts))
    while np.isin(shapely.get_type_id(parts), _COLLECTION_TYPES).any():
        parts, sub = shapely.get_parts(parts, return_index=True)
        index = index[sub]
    keep = (shapely.get_type_id(parts) == _POLYGON) & ~shapely.is_empty(parts)
    return parts[keep], index[keep]


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry as a MultiPolygon, ``None`` where there is none."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), None, dtype=object)
    parts, index = polygon_parts(geoms)
    if len(parts):
        shapely.multipolygons(parts, indices=index, out=out)
    return out


def make_valid_polygons(geoms: np.ndarray) -> np.ndarray:
    """Repair invalid polygons (``shapely.make_valid``) keeping only their polygonal part."""
    geoms = np.asarray(geoms, dtype=object).copy()
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        geoms[bad] = polygonal(shapely.make_valid(geoms[bad]))
    return geoms


def union_cells(cells: np.ndarray, *, valid_coverage: bool) -> shapely.Geometry:
    """The union of all cells.

    Parameters
    ----------
    cells
        Polygonal geometries.
    valid_coverage
        The cells form a valid coverage (no overlaps, edges matching
        exactly, see :func:`invalid_edges`): the much faster
        ``shapely.coverage_union_all`` is then exact.
    """
    if len(cells) == 0:
        return shapely.from_wkt("POLYGON EMPTY")
    if valid_coverage:
        return shapely.coverage_union_all(cells)
    return shapely.union_all(cells)


def inscribed_width(geoms_m: np.ndarray, *, narrow_below: float = 0.0) -> np.ndarray:
    """Width (m) of each polygon: the diameter of its maximum inscribed circle.

    ``geoms_m`` are polygons in a metric CRS; a strip 0.5 m wide and 1 km
    long has width 0.5 whatever its area. Pieces narrower than
    ``narrow_below`` (their inward buffer by half of it is empty) are
    measured by bisection of inward buffers, which is fast however long
    and thin they are; the others with ``shapely.maximum_inscribed_circle``.
    Widths are exact to :data:`WIDTH_PRECISION` of themselves (and to 0.1 mm).
    """
    geoms_m = np.asarray(geoms_m, dtype=object)
    width = np.zeros(len(geoms_m))
    narrow = np.zeros(len(geoms_m), dtype=bool)
    if narrow_below > 0 and len(geoms_m):
        narrow = shapely.is_empty(shapely.buffer(geoms_m, -narrow_below / 2.0))
    wide = np.flatnonzero(~narrow)
    if len(wide):
        tolerance = np.maximum(WIDTH_PRECISION * mean_width(geoms_m[wide]), 1e-4)
        circles = shapely.maximum_inscribed_circle(geoms_m[wide], tolerance)
        width[wide] = 2.0 * shapely.length(circles)
    if narrow.any():
        width[narrow] = _bisected_width(geoms_m[narrow], narrow_below)
    return width


def _bisected_width(geoms_m: np.ndarray, upper: float) -> np.ndarray:
    """Widths below ``upper`` (m): the largest ``w`` whose inward buffer by ``w / 2`` is
    not empty."""
    low = np.zeros(len(geoms_m))
    high = np.full(len(geoms_m), float(upper))
    while np.any(high - low > np.maximum(WIDTH_PRECISION * low, 1e-4)):
        middle = (low + high) / 2.0
        gone = shapely.is_empty(shapely.buffer(geoms_m, -middle / 2.0))
        high = np.where(gone, middle, high)
        low = np.where(gone, low, middle)
    return (low + high) / 2.0


def mean_width(geoms_m: np.ndarray) -> np.ndarray:
    """Twice area over perimeter (m): a strip's width, at most the inscribed circle's."""
    perimeter = shapely.length(geoms_m)
    return np.divide(
        2.0 * shapely.area(geoms_m),
        perimeter,
        out=np.zeros(len(geoms_m)),
        where=perimeter > 0,
    )


def _significant(pieces_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(keep, area_m2)`` of polygonal pieces in a metric CRS; noise is not kept.

    Noise is smaller than :data:`AREA_EPSILON_M2` or narrower on average
    (:func:`mean_width`) than :data:`NOISE_WIDTH_M`.
    """
    pieces_m = np.asarray(pieces_m, dtype=object)
    area = np.nan_to_num(shapely.area(pieces_m))
    present = ~shapely.is_missing(pieces_m)
    width = np.zeros(len(pieces_m))
    width[present] = mean_width(pieces_m[present])
    return (area > AREA_EPSILON_M2) & (width > NOISE_WIDTH_M), area


def uncovered_land(
    territory: shapely.Geometry,
    covered: shapely.Geometry,
    *,
    crs: Any,
    metric_crs: Any,
    min_area_m2: float,
    min_width_m: float,
) -> gpd.GeoDataFrame:
    """Land of the territory that no cell covers, one row per connected piece.

    Parameters
    ----------
    territory
        The jurisdiction (union of its boundaries), in ``crs``.
    covered
        The union of all cells (:func:`union_cells`), in ``crs``.
    crs, metric_crs
        The CRS of the geometries, and the CRS in metres to measure in.
    min_area_m2, min_width_m
        A piece smaller than ``min_area_m2`` or narrower than
        ``min_width_m`` is a sliver (a digitising slip between cells)
        rather than a real gap.

    Returns
    -------
    geopandas.GeoDataFrame
        ``area_m2``, ``width_m`` (diameter of the maximum inscribed circle),
        ``sliver`` (bool) and the piece's Polygon in ``crs``, largest first.
        Noise (:data:`AREA_EPSILON_M2`, :data:`NOISE_WIDTH_M`) is dropped.
    """
    pieces, _ = polygon_parts(np.array([shapely.difference(territory, covered)], dtype=object))
    pieces_m = to_metric(pieces, crs, metric_crs)
    keep, area = _significant(pieces_m)
    pieces, area = pieces[keep], area[keep]
    width = inscribed_width(pieces_m[keep], narrow_below=min_width_m)
    frame = gpd.GeoDataFrame(
        {
            "area_m2": area,
            "width_m": width,
            "sliver": (area < min_area_m2) | (width < min_width_m),
        },
        geometry=gpd.GeoSeries(pieces, crs=crs),
    )
    return frame.sort_values("area_m2", ascending=False, kind="stable").reset_index(drop=True)


def invalid_edges(cells_m: gpd.GeoDataFrame, *, key: str, gap_width_m: float) -> gpd.GeoDataFrame:
    """Edges where neighbouring cells almost, but not exactly, share an edge.

    Uses ``shapely.coverage_invalid_edges``: an edge is invalid when it
    is not matched exactly by a neighbour's edge and crosses into the
    neighbour, or when it borders a gap narrower than ``gap_width_m``.

    Parameters
    ----------
    cells_m
        Valid polygonal cells in a metric CRS, with a ``key`` column.
    key
        Column naming each cell.
    gap_width_m
        Gaps narrower than this many metres make their edges invalid.

    Returns
    -------
    geopandas.GeoDataFrame
        ``key``, ``length_m`` and the invalid edges of each cell that has
        any, in the CRS of ``cells_m``.
    """
    geoms = cells_m.geometry.to_numpy()
    if len(geoms) == 0:
        edges = np.zeros(0, dtype=object)
    else:
        edges = np.asarray(
            shapely.coverage_invalid_edges(geoms, gap_width=gap_width_m), dtype=object
        )
    bad = ~shapely.is_empty(edges) & ~shapely.is_missing(edges)
    return gpd.GeoDataFrame(
        {key: cells_m[key].to_numpy()[bad], "length_m": shapely.length(edges[bad])},
        geometry=gpd.GeoSeries(edges[bad], crs=cells_m.crs),
    )


def overlapping_pairs(
    cells: gpd.GeoDataFrame,
    *,
    key: str,
    metric_crs: Any,
    candidates: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Every pair of cells whose interiors overlap, with the shared area.

    Parameters
    ----------
    cells
        Polygonal cells with a ``key`` column.
    key
        Column naming each cell; ``key_a`` is always the smaller one.
    metric_crs
        The CRS in metres the areas are measured in.
    candidates
        Boolean mask of the cells that may overlap another (for example
        those with invalid edges: in a valid coverage nothing overlaps);
        ``None`` checks every cell.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code_a``, ``code_b``, ``area_m2``, ``share_a`` and ``share_b``
        (the shared area as a fraction of each cell) and the shared area's
        MultiPolygon in the cells' CRS, sorted by ``code_a, code_b``.
    """
    geoms = cells.geometry.to_numpy()
    codes = cells[key].astype(str).to_numpy()
    queried = np.arange(len(geoms)) if candidates is None else np.flatnonzero(candidates)
    q, j = spatial_pairs(geoms, geoms[queried], "intersects")
    i = queried[q]
    a, b = np.minimum(i, j), np.maximum(i, j)
    distinct = a != b
    pair_ids = np.unique(a[distinct].astype(np.int64) * len(geoms) + b[distinct])
    a, b = pair_ids // max(len(geoms), 1), pair_ids % max(len(geoms), 1)
    shared = polygonal(shapely.intersection(geoms[a], geoms[b]))
    keep, area = _significant(to_metric(shared, cells.crs, metric_crs))
    a, b, shared, area = a[keep], b[keep], shared[keep], area[keep]
    swap = codes[a] > codes[b]
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    involved = np.unique(np.concatenate([a, b]))
    cell_area = np.zeros(len(geoms))
    cell_area[involved] = shapely.area(to_metric(geoms[involved], cells.crs, metric_crs))
    frame = gpd.GeoDataFrame(
        {
            "code_a": codes[a],
            "code_b": codes[b],
            "area_m2": area,
            "share_a": area / cell_area[a] if len(a) else np.zeros(0),
            "share_b": area / cell_area[b] if len(b) else np.zeros(0),
        },
        geometry=gpd.GeoSeries(shared, crs=cells.crs),
    )
    return frame.sort_values(["code_a", "code_b"], kind="stable").reset_index(drop=True)


def outside_parts(
    cells: gpd.GeoDataFrame, territory: shapely.Geometry, *, key: str, metric_crs: Any
) -> gpd.GeoDataFrame:
    """The part of each cell that lies outside the territory.

    Returns
    -------
    geopandas.GeoDataFrame
        ``key``, ``area_m2`` (outside), ``share`` (of the cell's area) and
        the outside part's MultiPolygon in the cells' CRS, for the cells
        that reach outside by more than noise (:data:`NOISE_WIDTH_M`).
    """
    geoms = cells.geometry.to_numpy()
    shapely.prepare(territory)
    reaching = np.flatnonzero(~shapely.covers(territory, geoms) & ~shapely.is_missing(geoms))
    outside = polygonal(shapely.difference(geoms[reaching], territory))
    present = ~shapely.is_missing(outside)
    reaching, outside = reaching[present], outside[present]
    keep, area = _significant(to_metric(outside, cells.crs, metric_crs))
    cell_area = shapely.area(to_metric(geoms[reaching], cells.crs, metric_crs))
    return gpd.GeoDataFrame(
        {
            key: cells[key].to_numpy()[reaching[keep]],
            "area_m2": area[keep],
            "share": area[keep] / cell_area[keep],
        },
        geometry=gpd.GeoSeries(outside[keep], crs=cells.crs),
    )


def length_outside(
    lines: np.ndarray, covered: shapely.Geometry, *, crs: Any, metric_crs: Any
) -> np.ndarray:
    """Length (m) of each line that lies outside ``covered`` (0 where it is all inside)."""
    lines = np.asarray(lines, dtype=object)
    shapely.prepare(covered)
    outside = np.zeros(len(lines))
    partly = np.flatnonzero(~shapely.covers(covered, lines) & ~shapely.is_missing(lines))
    rest = shapely.difference(lines[partly], covered)
    outside[partly] = shapely.length(to_metric(rest, crs, metric_crs))
    return outside


def outside_all(geoms: np.ndarray, covered: shapely.Geometry) -> np.ndarray:
    """Boolean mask of the geometries that touch no part of ``covered``."""
    shapely.prepare(covered)
    return ~shapely.intersects(covered, np.asarray(geoms, dtype=object))


def locate(geoms: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """For each geometry, the position of the area holding its representative point.

    The representative point (``shapely.point_on_surface``) lies on the
    geometry itself, so a gap or a street is located where it is. Returns
    -1 where no area holds it; when areas overlap the first one wins.
    """
    where = np.full(len(geoms), -1, dtype=np.int64)
    if len(geoms) == 0 or len(areas) == 0:
        return where
    points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    found, area_idx = spatial_pairs(areas, points, "intersects")
    where[found[::-1]] = area_idx[::-1]
    return where


def longest_shared_edge(
    pieces: np.ndarray,
    cells: gpd.GeoDataFrame,
    *,
    metric_crs: Any,
    tolerance_m: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """For each piece, the cell sharing the longest stretch of its boundary.

    Parameters
    ----------
    pieces
        Polygons in the cells' CRS (gaps, slivers).
    cells
        The cells.
    metric_crs
        The CRS in metres lengths are measured in.
    tolerance_m
        Boundary within this many metres of a cell counts as shared.

    Returns
    -------
    cell_index, shared_m
        Position in ``cells`` of the chosen cell (-1 when no cell touches
        the piece) and the length of boundary they share, in metres. Ties
        go to the cell that comes first in ``cells``.
    """
    pieces_m = to_metric(pieces, cells.crs, metric_crs)
    cells_m = to_metric(cells.geometry.to_numpy(), cells.crs, metric_crs)
    chosen = np.full(len(pieces_m), -1, dtype=np.int64)
    shared_m = np.zeros(len(pieces_m))
    if len(pieces_m) == 0 or len(cells_m) == 0:
        return chosen, shared_m
    p, c = spatial_pairs(cells_m, pieces_m, "dwithin", distance=tolerance_m)
    near = np.unique(c)
    widened = np.empty(len(cells_m), dtype=object)
    widened[near] = shapely.buffer(cells_m[near], tolerance_m)
    length = shapely.length(shapely.intersection(shapely.boundary(pieces_m[p]), widened[c]))
    length = np.round(length, 2)  # to the centimetre, so equal edges tie whatever the noise
    order = np.lexsort((c, -length, p))
    p, c, length = p[order], c[order], length[order]
    first = np.r_[True, p[1:] != p[:-1]] & (length > 0)
    chosen[p[first]] = c[first]
    shared_m[p[first]] = length[first]
    return chosen, shared_m


def area_m2(geoms: np.ndarray, *, crs: Any, metric_crs: Any) -> np.ndarray:
    """Area (m²) of each geometry, measured in ``metric_crs``; 0 for missing ones."""
    geoms = np.asarray(geoms, dtype=object)
    return np.nan_to_num(shapely.area(to_metric(geoms, crs, metric_crs)))


def spatial_pairs(
    tree_geoms: np.ndarray, queries: np.ndarray, predicate: str, distance: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(query_index, tree_index)`` of every pair meeting ``predicate`` (an STRtree join)."""
    if len(queries) == 0 or len(tree_geoms) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    tree = shapely.STRtree(np.asarray(tree_geoms, dtype=object))
    found = tree.query(np.asarray(queries, dtype=object), predicate=predicate, distance=distance)
    return found[0], found[1]
