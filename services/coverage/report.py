"""Writing a coverage report: every layer into one styled GeoPackage."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd

from citygrid.errors import BadInput
from citygrid.gis.formats import check_target
from citygrid.layers.io import write_layers_file


def write_report(
    layers: Mapping[str, gpd.GeoDataFrame], path: str | Path, *, overwrite: bool = False
) -> Path:
    """Write each layer into one GeoPackage, styled, all in EPSG:4326.

    Parameters
    ----------
    layers
        Layer name to GeoDataFrame (see :meth:`CoverageReport.layers`).
    path
        A ``.gpkg`` path in an existing folder.
    overwrite
        Replace an existing file's layers of these names (other layers
        stay); without it an existing file is refused.

    Returns
    -------
    pathlib.Path
        The file written. It is staged next to ``path`` and moved into
        place, so a failed write leaves any earlier file whole.
    """
    target = check_report_path(path, overwrite=overwrite)
    return write_layers_file(layers, target, overwrite=overwrite)


def check_report_path(path: str | Path, *, overwrite: bool = False) -> Path:
    """Return ``path`` if a report can be written there, else raise :class:`BadInput`."""
    target = Path(path)
    if target.suffix.lower() != ".gpkg":
        raise BadInput(
            "The analysis writes a GeoPackage; give a path ending in .gpkg, not {path}.",
            path=str(target),
        )
    return check_target(target, overwrite=overwrite)
