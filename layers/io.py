"""Import files into stored layers and export any layer to the files GIS users use.

- :func:`write_layer_file` writes a frame of a layer (stored or derived:
  hot spots, gaps) to a file in any supported format and CRS, with the
  layer's style inside GeoPackages.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from citygrid.gis import formats, qgis_style
from citygrid.gis.crs import STORAGE_CRS, CrsSpec, from_storage, parse_crs
from citygrid.layers.registry import Layer, get_layer


def write_layer_file(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    layer: Layer | str | None = None,
    fmt: str | None = None,
    crs: str | int | CrsSpec | None = None,
) -> Path:
    """Write features to a file for QGIS, ArcGIS or a report.

    Parameters
    ----------
    frame
        A GeoDataFrame (any CRS; none is read as EPSG:4326), or a plain
        DataFrame for layers without geometry (written as CSV or GeoPackage
        only).
    path
        Output file; the extension chooses the format unless ``fmt`` does
        (see :mod:`citygrid.gis.formats`). An existing file is replaced.
    layer
        The layer (or its name) the features belong to: names the layer
        inside the file and, for GeoPackages, adds its style so QGIS opens
        it styled.
    fmt
        Format name: ``gpkg``, ``geojson``, ``shp``, ``kml``, ``fgb``,
        ``parquet``, ``csv``.
    crs
        CRS to write in (default EPSG:4326): an EPSG code, WKT, PROJ string
        or ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09`` (the last two shift
        coordinates onto the Chinese web maps' offsets).

    Returns
    -------
    pathlib.Path
        The file written. A shapefile with field names over 10 bytes also
        gets ``<name>.fields.csv`` beside it (see :mod:`citygrid.gis.formats`).

    Raises
    ------
    BadInput
        Unknown format or CRS, a folder that does not exist, or a frame the
        format cannot hold (mixed geometry types in a shapefile).
    """
    resolved = get_layer(layer) if isinstance(layer, str) else layer
    spec = parse_crs(crs if crs is not None else "EPSG:4326")
    out = Path(path)
    format_ = formats.detect_format(out, fmt)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geoseries = frame.geometry if frame.crs is not None else frame.geometry.set_crs(STORAGE_CRS)
        frame = frame.set_geometry(from_storage(geoseries, spec))
    table = resolved.name if resolved is not None else None
    written = formats.write_frame(frame, out, fmt=format_.name, layer=table)[0]
    if format_.name == "gpkg" and resolved is not None and resolved.has_geometry:
        qgis_style.add_gpkg_style(
            written,
            resolved.name,
            resolved.style,
            resolved.geometry_type,
            title=resolved.title(),
        )
    return written
