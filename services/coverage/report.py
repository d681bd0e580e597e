"""Writing a coverage report: every layer into one styled GeoPackage."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pyogrio

from citygrid.errors import BadInput
from citygrid.gis.qgis_style import add_gpkg_style
from citygrid.layers.registry import get_layer


def write_report(layers: Mapping[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """Write each layer into one GeoPackage (replacing the file), all in EPSG:4326.

    Parameters
    ----------
    layers
        Layer name to GeoDataFrame (see :meth:`CoverageReport.layers`).
    path
        A ``.gpkg`` path in an existing folder.

    Returns
    -------
    pathlib.Path
        The file written. It is written next to ``path`` first and moved
        into place, so a failed write leaves any earlier file whole.
    """
    target = check_report_path(path)
    partial = target.with_name(f".{target.stem}.partial.gpkg")
    partial.unlink(missing_ok=True)
    try:
        for name, frame in layers.items():
            _write_gpkg_layer(frame, partial, name)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def check_report_path(path: str | Path) -> Path:
    """Return ``path`` if a report can be written there, else raise :class:`BadInput`."""
    target = Path(path)
    if target.suffix.lower() != ".gpkg":
        raise BadInput(
            "The analysis writes a GeoPackage; give a path ending in .gpkg, not {path}.",
            path=str(target),
        )
    if not target.parent.is_dir():
        raise BadInput(
            "The folder {folder} does not exist; create it or write somewhere else.",
            folder=str(target.parent),
        )
    return target


def _write_gpkg_layer(frame: gpd.GeoDataFrame, path: Path, name: str) -> None:
    """Add one styled layer to a GeoPackage.

    Written with pyogrio directly: ``citygrid.layers.io.write_layer_file``
    replaces the whole file, and a report is several layers in one file.
    The layer's declared style goes into ``layer_styles`` so QGIS opens it
    styled.
    """
    layer = get_layer(name)
    declared = layer.geometry_type or ""
    geometry_type = {"Geometry": "Unknown"}.get(declared, declared)
    pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", geometry_type=geometry_type)
    add_gpkg_style(path, name, layer.style, layer.geometry_type, title=layer.title())
