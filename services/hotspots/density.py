"""Kernel density of problems: a heat surface as a GeoTIFF and as contour polygons.

The kernel is the quartic (biweight) kernel of Silverman (1986, eq. 4.5),
as ArcGIS's Kernel Density uses: a point at distance ``d`` adds
``3 / (π h²) · (1 - (d/h)²)²`` for ``d < h`` and nothing beyond the
bandwidth ``h``. Densities are problems per square kilometre.

Bandwidth rule (ArcGIS's default search radius, a spatial variant of
Silverman's rule of thumb)::

    h = 0.9 · min(SD, sqrt(1 / ln 2) · Dm) · n^(-0.2)

with ``SD`` the standard distance of the points, ``Dm`` the median
distance to their mean centre and ``n`` the number of points, all in the
city's metric CRS.

Computation: the points are counted into the raster's cells and the counts
convolved (FFT) with the kernel sampled at the cell centres and normalised
to keep the total mass, so every point is treated as lying at the centre
of its raster cell. With the default cell size (a tenth of the bandwidth)
that shifts a point by at most 7 % of the bandwidth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
import shapely
from affine import Affine
from pyproj import CRS

from citygrid.errors import BadInput
from citygrid.gis.formats import staged_file
from citygrid.gis.geometry import promote_to_multi
from citygrid.services.analysis import Analysis, AnalysisResult, register_analysis
from citygrid.services.context import CityContext
from citygrid.services.hotspots.params import DensityParams
from citygrid.services.hotspots.query import metric_xy, read_problems

MAX_RASTER_CELLS = 16_000_000
"""Largest raster (rows x columns) the default cell size allows."""

CONTOUR_FRACTIONS = (0.1, 0.3, 0.5, 0.7, 0.9)
"""Contour levels as fractions of the peak density."""


@dataclass(frozen=True)
class DensitySurface:
    """A density raster in a metric CRS.

    Attributes
    ----------
    values
        ``(rows, cols)`` problems per km², row 0 at the north edge.
    transform
        Affine transform from (col, row) to metres in ``crs``.
    crs
        The metric CRS.
    bandwidth_m, cell_size_m
        Kernel bandwidth and raster cell size, metres.
    parameters
        Every choice made, for metadata.
    """

    values: np.ndarray
    transform: Affine
    crs: CRS
    bandwidth_m: float
    cell_size_m: float
    parameters: dict[str, Any] = field(default_factory=dict)


def default_bandwidth(xy: np.ndarray) -> float:
    """Bandwidth in metres by the rule in the module docstring (at least 1 m)."""
    n = len(xy)
    centre = xy.mean(axis=0)
    distances = np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1])
    standard_distance = math.sqrt(float((distances**2).mean()))
    median = float(np.median(distances))
    spread = min(standard_distance, math.sqrt(1.0 / math.log(2.0)) * median)
    return max(0.9 * spread * n**-0.2, 1.0)


def quartic_kernel(distance: np.ndarray, bandwidth: float) -> np.ndarray:
    """The quartic kernel per m² at ``distance`` metres (integrates to 1)."""
    u = np.asarray(distance, dtype=float) / bandwidth
    return np.where(u < 1.0, 3.0 / (math.pi * bandwidth**2) * (1.0 - u**2) ** 2, 0.0)


def kernel_density(
    xy: np.ndarray,
    crs: CRS,
    *,
    bandwidth_m: float | None = None,
    cell_size_m: float | None = None,
    weights: np.ndarray | None = None,
) -> DensitySurface:
    """Quartic kernel density of points in a metric CRS.

    Parameters
    ----------
    xy
        ``(n, 2)`` point coordinates, metres in ``crs``.
    crs
        The metric CRS of ``xy``.
    bandwidth_m
        Kernel radius in metres; default :func:`default_bandwidth`.
    cell_size_m
        Raster cell in metres; default a tenth of the bandwidth, enlarged
        if the raster would exceed :data:`MAX_RASTER_CELLS`.
    weights
        Optional weight per point.

    Returns
    -------
    DensitySurface
        Covering the points' bounds plus one bandwidth on every side.
    """
    if len(xy) == 0:
        raise BadInput("There are no problems to make a density surface from; widen the filters.")
    for name, value in (("bandwidth_m", bandwidth_m), ("cell_size_m", cell_size_m)):
        if value is not None and not value > 0:
            raise BadInput(
                "Parameter {param} is {value} m; it must be more than 0, such as 500.",
                param=name,
                value=value,
            )
    bandwidth = float(bandwidth_m or default_bandwidth(xy))
    minx, miny = xy.min(axis=0) - bandwidth
    maxx, maxy = xy.max(axis=0) + bandwidth
    cell = float(
        cell_size_m
        or max(bandwidth / 10.0, math.sqrt((maxx - minx) * (maxy - miny) / MAX_RASTER_CELLS))
    )
    cols, rows = math.ceil((maxx - minx) / cell), math.ceil((maxy - miny) / cell)
    if rows * cols > MAX_RASTER_CELLS:
        raise BadInput(
            "A {cell} m density raster over this extent would have {count} cells, more than "
            "{limit}; choose a larger cell size.",
            cell=cell,
            count=rows * cols,
            limit=MAX_RASTER_CELLS,
        )
    top = miny + rows * cell
    col = np.clip(((xy[:, 0] - minx) / cell).astype(np.int64), 0, cols - 1)
    row = np.clip(((top - xy[:, 1]) / cell).astype(np.int64), 0, rows - 1)
    values = np.ones(len(xy)) if weights is None else np.asarray(weights, dtype=float)
    counts = np.bincount(row * cols + col, weights=values, minlength=rows * cols)
    reach = math.ceil(bandwidth / cell)
    offsets = np.arange(-reach, reach + 1) * cell
    kernel = quartic_kernel(np.hypot(*np.meshgrid(offsets, offsets)), bandwidth)
    kernel = kernel / kernel.sum() / (cell * cell) if kernel.sum() > 0 else kernel
    # Imported here: scipy.signal costs half a second, which every process that lists the
    # analyses (the web server's first map, every CLI command) would pay otherwise.
    from scipy.signal import fftconvolve

    surface = fftconvolve(counts.reshape(rows, cols), kernel, mode="same")
    surface = np.clip(surface, 0.0, None) * 1e6  # per m² -> per km²
    return DensitySurface(
        surface,
        Affine(cell, 0.0, minx, 0.0, -cell, top),
        crs,
        bandwidth,
        cell,
        {
            "bandwidth_m": round(bandwidth, 2),
            "bandwidth_default": bandwidth_m is None,
            "cell_size_m": round(cell, 2),
            "kernel": "quartic",
            "units": "problems per km²",
            "n_points": len(xy),
        },
    )


def write_geotiff(surface: DensitySurface, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the surface as a single-band float32 GeoTIFF (deflate) with its parameters as tags.

    The file is staged beside ``path`` and renamed into place; an existing
    file is refused unless ``overwrite`` (see
    :func:`citygrid.gis.formats.staged_file`).
    """
    with staged_file(path, overwrite=overwrite) as staged:
        _write_geotiff(surface, staged.path)
    return Path(path)


def _write_geotiff(surface: DensitySurface, out: Path) -> None:
    rows, cols = surface.values.shape
    with rasterio.open(
        out,
        "w",
        driver="GTiff",
        height=rows,
        width=cols,
        count=1,
        dtype="float32",
        crs=surface.crs.to_wkt(),
        transform=surface.transform,
        compress="deflate",
    ) as dst:
        dst.write(surface.values.astype(np.float32), 1)
        dst.update_tags(**{k: str(v) for k, v in surface.parameters.items()})
        dst.set_band_description(1, "problems per km2")


def density_contours(
    surface: DensitySurface, fractions: tuple[float, ...] = CONTOUR_FRACTIONS
) -> gpd.GeoDataFrame:
    """Filled contour bands of the surface, the ``density_contours`` layer (EPSG:4326).

    Band ``level`` k holds the area where the density is at least
    ``fractions[k-1]`` of the peak and below the next level. Columns:
    ``level``, ``density_min`` and ``density_max`` (problems per km²).
    """
    peak = float(surface.values.max())
    if peak <= 0:
        return gpd.GeoDataFrame(
            {"level": [], "density_min": [], "density_max": []}, geometry=[], crs=4326
        )
    breaks = np.array(fractions) * peak
    classes = np.digitize(surface.values, breaks).astype(np.int32)
    shapes = list(rasterio.features.shapes(classes, mask=classes > 0, transform=surface.transform))
    polygons = np.array([shapely.geometry.shape(geom) for geom, _ in shapes], dtype=object)
    levels = np.array([int(value) for _, value in shapes])
    frame = gpd.GeoDataFrame({"level": levels}, geometry=polygons, crs=surface.crs)
    frame = frame.dissolve(by="level", as_index=False)
    upper = np.append(breaks[1:], peak)
    frame["density_min"] = breaks[frame["level"].to_numpy() - 1]
    frame["density_max"] = upper[frame["level"].to_numpy() - 1]
    frame["level"] = frame["level"].astype(np.int64)
    multi = promote_to_multi(frame.geometry.to_numpy(), "MultiPolygon")
    frame = frame.set_geometry(gpd.GeoSeries(multi, index=frame.index, crs=surface.crs))
    return frame[["level", "density_min", "density_max", "geometry"]].to_crs(4326)


def density_surface(ctx: CityContext, params: DensityParams) -> DensitySurface:
    """Kernel density of the problems the parameters select, in ``ctx.metric_crs``.

    ``surface.parameters`` holds what was chosen (bandwidth, cell size, CRS).
    """
    problems = read_problems(ctx, params)
    crs = ctx.metric_crs
    xy = metric_xy(problems, crs)
    surface = kernel_density(
        xy, crs, bandwidth_m=params.bandwidth_m, cell_size_m=params.cell_size_m
    )
    surface.parameters["metric_crs"] = crs.to_string()
    return surface


def density_result(surface: DensitySurface, params: DensityParams) -> AnalysisResult:
    """The ``density_contours`` layer of a surface, with the surface's choices."""
    return AnalysisResult(
        {"density_contours": density_contours(surface)}, params, surface.parameters
    )


def run_density(ctx: CityContext, params: DensityParams) -> AnalysisResult:
    """The ``density_contours`` layer (EPSG:4326) of the problems the parameters select."""
    return density_result(density_surface(ctx, params), params)


DENSITY = register_analysis(Analysis("density", DensityParams, ("density_contours",), run_density))
