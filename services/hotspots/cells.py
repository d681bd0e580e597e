"""The cells problems are counted in: the city's grids, a fishnet, hexagons or H3 cells.

:func:`make_cells` builds them over the jurisdiction in the city's metric
CRS; :func:`default_cell_size` fills in the size the user left out, in the
spirit of ArcGIS's Optimized Hot Spot Analysis.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from citygrid.errors import BadInput
from citygrid.gis import binning
from citygrid.layers.store import Store
from citygrid.services.hotspots.params import CellsSpec

TARGET_CELLS = 10_000
"""Default cell size aims at no more than this many cells over the area's bounds."""

MEAN_COUNT = 5
"""Default cell size aims at least at this many problems per cell on average."""

_NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def city_area(store: Store, crs: CRS) -> gpd.GeoSeries:
    """The jurisdiction (or, without one, the union of the grids) in ``crs``."""
    for layer in ("jurisdictions", "grids"):
        frame = store.read(layer, columns=["code"])
        if not frame.empty:
            return gpd.GeoSeries([shapely.union_all(frame.geometry.to_numpy())], crs=4326).to_crs(
                crs
            )
    raise BadInput(
        "There is no jurisdiction or grid to put cells over; import the jurisdictions first."
    )


def _nice(value: float) -> float:
    """Round up to 1, 2, 2.5 or 5 times a power of ten."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in _NICE_STEPS if step * power >= value * (1 - 1e-12))


def default_cell_size(
    xy: np.ndarray, bounds: tuple[float, float, float, float], *, target_cells: int = TARGET_CELLS
) -> float:
    """Cell size in metres from the points' spacing (in the spirit of Optimized Hot Spot
    Analysis; the rule is citygrid's own).

    Rule: the largest of (a) the mean distance from each distinct problem
    location to its nearest neighbour, (b) the side of a square that cuts
    the bounds into ``target_cells`` cells and (c) the side of a square that
    would hold :data:`MEAN_COUNT` problems if they were spread evenly over
    the bounds, rounded up to 1, 2, 2.5 or 5 times a power of ten. (a)
    keeps cells from being finer than the points; (b) keeps dense data from
    making millions of cells; (c) keeps problems found again and again at
    the same few places from leaving most cells empty.
    """
    minx, miny, maxx, maxy = bounds
    area = max((maxx - minx) * (maxy - miny), 1.0)
    extent_side = math.sqrt(area / target_cells)
    count_side = math.sqrt(area * MEAN_COUNT / max(len(xy), 1))
    unique = np.unique(np.round(xy, 3), axis=0)
    spacing = 0.0
    if len(unique) >= 2:
        distances, _ = cKDTree(unique).query(unique, k=2)
        spacing = float(distances[:, 1].mean())
    return _nice(max(spacing, extent_side, count_side, 1.0))


def lattice_count(kind: str, bounds: tuple[float, float, float, float], size_m: float) -> int:
    """How many ``fishnet`` or ``hex`` cells of ``size_m`` metres a lattice over ``bounds``
    (metres) holds, as :mod:`citygrid.gis.binning` lays them out before clipping."""
    minx, miny, maxx, maxy = bounds
    if kind == "fishnet":
        rows, cols = binning.fishnet_shape(bounds, size_m)
        return rows * cols
    rows = math.ceil((maxy - miny) / (1.5 * size_m / math.sqrt(3))) + 2
    cols = math.ceil((maxx - minx) / size_m) + 2
    return rows * cols


def smallest_size(kind: str, bounds: tuple[float, float, float, float], max_cells: int) -> int:
    """The smallest whole number of metres whose ``kind`` lattice over ``bounds`` holds at
    most ``max_cells`` cells."""
    low, high = 1, max(2, math.ceil(max(bounds[2] - bounds[0], bounds[3] - bounds[1])) + 1)
    while lattice_count(kind, bounds, high) > max_cells:
        high *= 2
    while low < high:
        middle = (low + high) // 2
        if lattice_count(kind, bounds, middle) > max_cells:
            low = middle + 1
        else:
            high = middle
    return low


def refuse_too_fine(
    spec: CellsSpec, bounds: tuple[float, float, float, float], max_cells: int
) -> None:
    """Refuse a fishnet or hexagon size that would make more than ``max_cells`` cells.

    Raises
    ------
    BadInput
        Too many cells; the message gives the smallest size allowed over ``bounds``.
    """
    if spec.kind not in ("fishnet", "hex") or spec.size is None:
        return
    count = lattice_count(spec.kind, bounds, spec.size)
    if count > max_cells:
        raise BadInput(
            "Cells {cells} would make {count} cells over this city, more than the limit of "
            "{limit}; the smallest size allowed here is {kind}:{smallest} (metres).",
            cells=str(spec),
            count=count,
            limit=max_cells,
            kind=spec.kind,
            smallest=smallest_size(spec.kind, bounds, max_cells),
            param="cells",
        )


def make_cells(
    store: Store, spec: CellsSpec, crs: CRS, xy: np.ndarray, *, max_cells: int = binning.MAX_CELLS
) -> tuple[gpd.GeoDataFrame, CellsSpec]:
    """Cells in ``crs`` (metres) with a ``cell_id``; the spec with its size filled in.

    ``xy`` are the problems in ``crs``, used for the default cell size. A
    fishnet or hexagon size that would make more than ``max_cells`` cells is
    refused before any is made (:func:`refuse_too_fine`).
    """
    if spec.kind == "grids":
        grids = store.read("grids", columns=["code", "name"])
        if grids.empty:
            raise BadInput(
                "There are no grid cells to count in; import grids or choose fishnet cells.",
                param="cells",
            )
        cells = grids.to_crs(crs).rename(columns={"code": "cell_id"})
        return cells[["cell_id", "name", "geometry"]].reset_index(drop=True), spec
    area = city_area(store, crs)
    refuse_too_fine(spec, tuple(area.total_bounds), max_cells)
    if spec.kind == "h3":
        return binning.h3_cells(area, int(spec.size or 0), max_cells=max_cells), spec
    size = spec.size or default_cell_size(xy, area.total_bounds)
    make = binning.fishnet if spec.kind == "fishnet" else binning.hexagons
    return make(area, size, max_cells=max_cells), CellsSpec(spec.kind, size)
