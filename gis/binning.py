"""Cells to count points in: fishnet squares, hexagons and H3 cells, and the counting.

Fishnet squares and hexagons are generated in a projected CRS in metres
(the city's metric CRS) over the bounds of an area polygon and kept where
they intersect it, whole (not clipped), as ArcGIS's Generate Tessellation
does. H3 cells are generated in EPSG:4326 at a resolution and returned in
the area's CRS. Every generator refuses a size that would make more than
``max_cells`` cells, naming the count it would make.

Counting assigns every point to exactly one cell: by arithmetic for
fishnets (row and column of the point), and with a shapely STRtree for any
other polygons (a point on a shared edge goes to the first cell in order).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from citygrid.errors import BadInput
from citygrid.gis.metric import utm_crs

MAX_CELLS = 1_000_000
"""Default limit on the number of cells a generator may make."""

RASTER_FROM = 50_000
"""From this many points on, :func:`cell_index` sends only points near cell edges to the
STRtree (see there)."""

_RASTER_PIXELS = 16_000_000  # largest lookup raster
_PIXELS_ACROSS_CELL = 32  # lookup pixels across a typical cell
_UNDECIDED = -2

_SQRT3 = math.sqrt(3.0)


def _check_size(size_m: float) -> None:
    if not math.isfinite(size_m) or size_m <= 0:
        raise BadInput(
            "The cell size {size} m is not a positive number of metres; give one such as 250.",
            size=size_m,
        )


def _refuse_too_many(count: int, limit: int, cells: str) -> None:
    if count > limit:
        raise BadInput(
            "Cells {cells} would make {count} cells over this extent, more than the limit of "
            "{limit}; choose a larger cell size or a coarser H3 resolution.",
            cells=cells,
            count=count,
            limit=limit,
        )


def _area_geometry(area: gpd.GeoSeries | gpd.GeoDataFrame) -> shapely.Geometry:
    geoms = area.geometry if isinstance(area, gpd.GeoDataFrame) else area
    if geoms.empty or geoms.is_empty.all():
        raise BadInput(
            "The area to cover with cells is empty; load the jurisdiction boundaries first."
        )
    return shapely.union_all(shapely.make_valid(geoms.to_numpy()))


def _require_metric(crs: CRS | None) -> CRS:
    if crs is None or not CRS.from_user_input(crs).is_projected:
        raise BadInput(
            "Cells must be generated in a projected CRS in metres, got {crs}; project the "
            "area to the city's metric CRS first.",
            crs=str(crs),
        )
    return CRS.from_user_input(crs)


def _metric_area(
    area: gpd.GeoSeries | gpd.GeoDataFrame, size_m: float
) -> tuple[CRS, shapely.Geometry]:
    """The metric CRS and the united area to cover with cells of ``size_m`` metres."""
    crs = _require_metric(area.crs)
    _check_size(size_m)
    return crs, _area_geometry(area)


def fishnet_shape(bounds: tuple[float, float, float, float], size_m: float) -> tuple[int, int]:
    """Rows and columns of a fishnet of ``size_m`` squares covering ``bounds`` (metres)."""
    _check_size(size_m)
    minx, miny, maxx, maxy = bounds
    cols = max(1, math.ceil((maxx - minx) / size_m))
    rows = max(1, math.ceil((maxy - miny) / size_m))
    return rows, cols


def fishnet(
    area: gpd.GeoSeries | gpd.GeoDataFrame, size_m: float, *, max_cells: int = MAX_CELLS
) -> gpd.GeoDataFrame:
    """Square cells of ``size_m`` metres over an area, kept where they intersect it.

    Parameters
    ----------
    area
        Polygons in a projected CRS in metres (the jurisdiction).
    size_m
        Side of a square, metres.
    max_cells
        Refuse when the bounding fishnet would have more cells than this.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell_id`` (``"r{row}c{col}"``), ``row``, ``col`` and square
        polygons in the area's CRS; row 0 is the southern edge. The frame's
        ``attrs["fishnet"]`` holds ``(minx, miny, size_m, rows, cols)`` for
        :func:`count_points` to count by arithmetic.

    Raises
    ------
    BadInput
        The size is not positive, the CRS is not projected, or the count
        would exceed ``max_cells`` (the message names the count).
    """
    crs, shape = _metric_area(area, size_m)
    minx, miny = shape.bounds[:2]
    rows, cols = fishnet_shape(shape.bounds, size_m)
    _refuse_too_many(rows * cols, max_cells, f"fishnet:{size_m:g}")
    row, col = np.divmod(np.arange(rows * cols), cols)
    x0 = minx + col * size_m
    y0 = miny + row * size_m
    squares = shapely.box(x0, y0, x0 + size_m, y0 + size_m)
    shapely.prepare(shape)
    keep = shapely.intersects(shape, squares)
    cells = gpd.GeoDataFrame(
        {
            "cell_id": np.char.add(
                np.char.add("r", row[keep].astype(str)), np.char.add("c", col[keep].astype(str))
            ),
            "row": row[keep],
            "col": col[keep],
        },
        geometry=squares[keep],
        crs=crs,
    )
    cells.attrs["fishnet"] = (minx, miny, float(size_m), rows, cols)
    return cells


def hexagons(
    area: gpd.GeoSeries | gpd.GeoDataFrame, size_m: float, *, max_cells: int = MAX_CELLS
) -> gpd.GeoDataFrame:
    """Pointy-topped regular hexagons over an area, kept where they intersect it.

    Parameters
    ----------
    area
        Polygons in a projected CRS in metres (the jurisdiction).
    size_m
        Width of a hexagon across its flat sides, metres: the distance
        between the centres of two side-by-side hexagons. Its area is
        ``sqrt(3) / 2 * size_m**2``.
    max_cells
        Refuse when the covering lattice would have more cells than this.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell_id`` (``"q{q}r{r}"``, axial coordinates) and hexagons in the
        area's CRS.
    """
    crs, shape = _metric_area(area, size_m)
    minx, miny, maxx, maxy = shape.bounds
    radius = size_m / _SQRT3  # centre to corner
    row_step = 1.5 * radius
    rows = math.ceil((maxy - miny) / row_step) + 2
    cols = math.ceil((maxx - minx) / size_m) + 2
    _refuse_too_many(rows * cols, max_cells, f"hex:{size_m:g}")
    r_idx, c_idx = np.divmod(np.arange(rows * cols), cols)
    cx = minx - size_m / 2 + c_idx * size_m + (r_idx % 2) * size_m / 2
    cy = miny - row_step / 2 + r_idx * row_step
    angles = np.deg2rad(30.0 + 60.0 * np.arange(6))
    ring_x = cx[:, None] + radius * np.cos(angles)[None, :]
    ring_y = cy[:, None] + radius * np.sin(angles)[None, :]
    hexes = shapely.polygons(np.stack([ring_x, ring_y], axis=-1))
    shapely.prepare(shape)
    keep = shapely.intersects(shape, hexes)
    r_ax = r_idx[keep]
    q_ax = c_idx[keep] - (r_ax - (r_ax & 1)) // 2
    ids = np.char.add(np.char.add("q", q_ax.astype(str)), np.char.add("r", r_ax.astype(str)))
    return gpd.GeoDataFrame({"cell_id": ids}, geometry=hexes[keep], crs=crs)


def h3_cells(
    area: gpd.GeoSeries | gpd.GeoDataFrame, resolution: int, *, max_cells: int = MAX_CELLS
) -> gpd.GeoDataFrame:
    """The H3 cells of a resolution that overlap an area.

    Parameters
    ----------
    area
        Polygons in any CRS with a known transformation to EPSG:4326.
    resolution
        H3 resolution, 0 (coarsest) to 15.
    max_cells
        Refuse when the area would need more cells than this (estimated
        from the area and the average cell area of the resolution).

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell_id`` (the H3 index) and hexagons in the area's CRS.
    """
    if not isinstance(resolution, int) or not 0 <= resolution <= 15:
        raise BadInput(
            "H3 resolution {resolution} is not an integer from 0 to 15; give one such as 9.",
            resolution=resolution,
        )
    crs = area.crs
    if crs is None:
        _require_metric(crs)  # refuses an area without a CRS
    shape = _area_geometry(area)
    area_m2 = (
        shape.area
        if CRS.from_user_input(crs).is_projected
        else float(gpd.GeoSeries([shape], crs=crs).to_crs(_utm_of(shape, crs)).area.iloc[0])
    )
    import h3  # only H3 cells need it: commands start faster

    estimate = math.ceil(area_m2 / h3.average_hexagon_area(resolution, unit="m^2"))
    _refuse_too_many(estimate, max_cells, f"h3:{resolution}")
    lonlat = gpd.GeoSeries([shape], crs=crs).to_crs(4326).iloc[0]
    cells = h3.h3shape_to_cells_experimental(
        h3.geo_to_h3shape(lonlat), resolution, contain="overlap"
    )
    ids = np.array(sorted(cells), dtype=object)
    boundaries = [h3.cell_to_boundary(c) for c in ids]  # (lat, lng) tuples per cell
    rings = [[(lng, lat) for lat, lng in b] for b in boundaries]
    polygons = shapely.polygons(rings) if rings else np.array([], dtype=object)
    frame = gpd.GeoDataFrame({"cell_id": ids.astype(str)}, geometry=polygons, crs=4326)
    return frame.to_crs(crs)


def _utm_of(shape: shapely.Geometry, crs: CRS) -> CRS:
    centre = gpd.GeoSeries([shape.centroid], crs=crs).to_crs(4326).iloc[0]
    return utm_crs(centre.x, centre.y)


def count_points(
    cells: gpd.GeoDataFrame,
    points: gpd.GeoSeries | gpd.GeoDataFrame | np.ndarray,
    *,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Count (or sum weights of) points per cell, each point counted in one cell at most.

    Parameters
    ----------
    cells
        Polygons. A fishnet from :func:`fishnet` is counted by arithmetic
        (a point on a shared edge goes to the cell north or east of it);
        other polygons through a shapely STRtree (a point on a shared edge
        goes to the cell that comes first in ``cells``).
    points
        Points in the same CRS as ``cells``, or an ``(n, 2)`` array of x, y.
    weights
        Optional weight per point; the result is their sum per cell.

    Returns
    -------
    numpy.ndarray
        One float per cell, in the order of ``cells``. Points outside
        every cell are not counted.
    """
    index = cell_index(cells, points)
    values = np.ones(len(index)) if weights is None else np.asarray(weights, dtype=float)
    inside = index >= 0
    return np.bincount(index[inside], weights=values[inside], minlength=len(cells)).astype(float)


def cell_index(
    cells: gpd.GeoDataFrame,
    points: gpd.GeoSeries | gpd.GeoDataFrame | np.ndarray,
    *,
    raster_from: int = RASTER_FROM,
) -> np.ndarray:
    """Position in ``cells`` of the cell each point falls in, -1 outside every cell.

    Same rules as :func:`count_points`: arithmetic for a fishnet; otherwise
    an STRtree, which from ``raster_from`` points on only sees the points
    near a cell edge: the cells are burnt into a fine raster (each pixel
    by its centre, the first cell on top) and a point in a pixel that no
    cell edge touches (GDAL's all-touched burning of the cell outlines)
    takes that pixel's cell, which is exact because such a pixel lies
    wholly inside one cell or outside all of them.
    """
    xy = _xy(points, cells.crs)
    if len(xy) == 0 or len(cells) == 0:
        return np.full(len(xy), -1, dtype=np.int64)
    if "fishnet" in cells.attrs:
        return _fishnet_index(cells, xy)
    polygons = cells.geometry.to_numpy()
    if len(xy) < raster_from:
        return _tree_index(polygons, xy)
    index = _raster_index(polygons, xy)
    undecided = index == _UNDECIDED
    index[undecided] = _tree_index(polygons, xy[undecided])
    return index


def _xy(points: gpd.GeoSeries | gpd.GeoDataFrame | np.ndarray, crs: CRS | None) -> np.ndarray:
    if isinstance(points, np.ndarray):
        return points.reshape(-1, 2).astype(float)
    series = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if (
        crs is not None
        and series.crs is not None
        and not CRS.from_user_input(crs).equals(series.crs)
    ):
        series = series.to_crs(crs)
    return shapely.get_coordinates(series.to_numpy())


def _fishnet_index(cells: gpd.GeoDataFrame, xy: np.ndarray) -> np.ndarray:
    minx, miny, size, rows, cols = cells.attrs["fishnet"]
    col = np.floor((xy[:, 0] - minx) / size).astype(np.int64)
    row = np.floor((xy[:, 1] - miny) / size).astype(np.int64)
    # a point on the far edge of the extent belongs to the last row/column
    col[(col == cols) & (xy[:, 0] == minx + cols * size)] = cols - 1
    row[(row == rows) & (xy[:, 1] == miny + rows * size)] = rows - 1
    valid = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    lookup = np.full(rows * cols, -1, dtype=np.int64)
    lookup[cells["row"].to_numpy() * cols + cells["col"].to_numpy()] = np.arange(len(cells))
    index = np.full(len(xy), -1, dtype=np.int64)
    index[valid] = lookup[row[valid] * cols + col[valid]]
    return index


def _tree_index(polygons: np.ndarray, xy: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(shapely.points(xy))
    cell_idx, point_idx = tree.query(polygons, predicate="intersects")
    index = np.full(len(xy), -1, dtype=np.int64)
    # assign in reverse order so the first cell (lowest index) wins on shared edges
    order = np.argsort(-cell_idx, kind="stable")
    index[point_idx[order]] = cell_idx[order]
    return index


def _raster_index(polygons: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Cell of each point from a raster of the cells; ``_UNDECIDED`` near an edge."""
    minx, miny, maxx, maxy = shapely.total_bounds(polygons)
    typical = math.sqrt(float(np.median(shapely.area(polygons))))
    pixel = max(
        typical / _PIXELS_ACROSS_CELL,
        math.sqrt((maxx - minx) * (maxy - miny) / _RASTER_PIXELS),
        1e-6,
    )
    cols = max(1, math.ceil((maxx - minx) / pixel))
    rows = max(1, math.ceil((maxy - miny) / pixel))
    # Imported here: only many points are placed by raster, and commands start faster.
    import rasterio.features
    from affine import Affine

    transform = Affine(pixel, 0.0, minx, 0.0, -pixel, miny + rows * pixel)

    order = np.arange(len(polygons) - 1, -1, -1)  # burnt last = on top: the first cell wins
    ids = rasterio.features.rasterize(
        zip(polygons[order], order + 1, strict=True),
        out_shape=(rows, cols),
        transform=transform,
        fill=0,
        dtype="int32",
    )
    edges = rasterio.features.rasterize(
        ((line, 1) for line in shapely.boundary(polygons)),
        out_shape=(rows, cols),
        transform=transform,
        fill=0,
        all_touched=True,
        dtype="uint8",
    ).astype(bool)
    col = np.floor((xy[:, 0] - minx) / pixel).astype(np.int64)
    row = np.floor((miny + rows * pixel - xy[:, 1]) / pixel).astype(np.int64)
    inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    index = np.full(len(xy), -1, dtype=np.int64)
    # points on the far edges of the bounds fall just outside the raster: check them exactly
    on_far_edge = (xy[:, 0] >= minx) & (xy[:, 0] <= maxx) & (xy[:, 1] >= miny) & (xy[:, 1] <= maxy)
    index[~inside & on_far_edge] = _UNDECIDED
    r, c = row[inside], col[inside]
    index[inside] = np.where(edges[r, c], _UNDECIDED, ids[r, c].astype(np.int64) - 1)
    return index
