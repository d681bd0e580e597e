"""Writing frames to files, always through a staged file (:mod:`.staging`)."""

from __future__ import annotations

import os
from collections.abc import Collection
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyogrio

from citygrid.errors import BadInput
from citygrid.gis.formats import shapefile
from citygrid.gis.formats.catalog import Format, detect_format
from citygrid.gis.formats.csvfiles import write_csv
from citygrid.gis.formats.staging import StagedFile, staged_file


def write_frame(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    layer: str | None = None,
    overwrite: bool = False,
    protected: Collection[str | os.PathLike[str]] = (),
    encoding: str | None = None,
) -> list[Path]:
    """Write a frame to a file, safely (see :mod:`citygrid.gis.formats.staging`).

    Parameters
    ----------
    frame
        Features in the CRS to write (KML is always written in EPSG:4326),
        or a plain DataFrame (CSV and GeoPackage only).
    path
        Output file; its extension gives the format unless ``fmt`` does.
        A ``.zip`` path with format ``shp`` writes a zipped shapefile.
    fmt
        Format name (see :data:`FORMATS`).
    layer
        Layer name inside the file (GeoPackage, KML, FlatGeobuf); default
        the file's stem.
    overwrite
        Replace an existing file; in an existing GeoPackage only the layer
        ``layer`` is replaced and the other layers stay.
    protected
        Files never to write (the store's own database).
    encoding
        A shapefile's .dbf encoding, ``GBK`` (default) or ``UTF-8``.

    Returns
    -------
    list of pathlib.Path
        The files written: the main file first, then any sidecar (the
        shapefile's field-name mapping).

    Raises
    ------
    BadInput, Conflict
        See :func:`~citygrid.gis.formats.staging.check_target`; nothing on
        disk changed.
    """
    format_ = detect_format(path, fmt)
    with stage(path, format_, overwrite=overwrite, protected=protected) as staged:
        write_into(staged, frame, format_, layer, encoding)
    mapping = [p for p in staged.written if p.name.endswith(shapefile.MAPPING_SUFFIX)]
    return [staged.target, *mapping]


def stage(
    path: str | os.PathLike[str],
    format_: Format,
    *,
    overwrite: bool = False,
    protected: Collection[str | os.PathLike[str]] = (),
) -> AbstractContextManager[StagedFile]:
    """A :func:`~citygrid.gis.formats.staging.staged_file` for a file of ``format_``.

    Shapefiles bring their companion files; GeoPackages keep the layers not
    written.
    """
    target = Path(path).expanduser().absolute()
    return staged_file(
        path,
        overwrite=overwrite,
        protected=protected,
        companions=shapefile.companions(target) if format_.name == "shp" else (),
        keep_layers=format_.name == "gpkg",
    )


def write_into(
    staged: StagedFile,
    frame: pd.DataFrame,
    format_: Format,
    layer: str | None = None,
    encoding: str | None = None,
    geometry_type: str | None = None,
) -> None:
    """Write one frame (one layer) into a staged file of ``format_``.

    Several calls with different ``layer`` names fill one GeoPackage; a
    layer already in it is replaced. ``encoding`` is a shapefile's (GBK by
    default, see :func:`~.shapefile.dbf_encoding`); other formats are UTF-8.
    ``geometry_type`` is the layer's declared type, which a frame without
    features cannot show (``None``: found from the geometries).
    """
    layer = layer or staged.target.stem
    frame = frame.reset_index(drop=True)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        _write_table(pd.DataFrame(frame), staged.path, format_, layer)
    elif format_.name == "shp":
        shapefile.write_shapefile(frame, staged, layer, encoding)
    elif format_.name == "parquet":
        frame.to_parquet(staged.path, index=False)
    elif format_.name == "csv":
        write_csv(frame, staged.path)
    else:
        if format_.name == "kml" and frame.crs is not None and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
        pyogrio.write_dataframe(
            frame,
            staged.path,
            layer=layer,
            driver=format_.driver,
            use_arrow=True,
            **_geometry_type(frame, format_, geometry_type),
        )


def _write_table(table: pd.DataFrame, path: Path, format_: Format, layer: str) -> None:
    """A table without geometry, in the formats that can hold one."""
    if format_.name == "csv":
        write_csv(table, path)
    elif format_.name == "gpkg":
        pyogrio.write_dataframe(table, path, layer=layer, driver=format_.driver)
    else:
        raise BadInput(
            "This layer has no geometry; export it as CSV (.csv) or GeoPackage (.gpkg), not "
            "{format}.",
            format=format_.title,
        )


def _geometry_type(
    frame: gpd.GeoDataFrame, format_: Format, declared: str | None
) -> dict[str, Any]:
    """Let formats with one geometry type per layer hold a frame of mixed types; give a
    frame without features its layer's declared type."""
    if frame.empty and declared in ONE_GEOMETRY_TYPE:
        return {"geometry_type": declared}
    if format_.name in ("gpkg", "fgb") and frame.geometry.geom_type.nunique(dropna=True) > 1:
        return {"geometry_type": "Unknown"}
    return {}


class ArrowStream(Protocol):
    """Anything that gives an Arrow C stream (a ``pyarrow.RecordBatchReader``, ...)."""

    def __arrow_c_stream__(self, requested_schema: object = None) -> object: ...


ONE_GEOMETRY_TYPE = ("Point", "MultiPoint", "MultiLineString", "MultiPolygon")
"""Declared geometry types a file's layer is written as (the others say "any type")."""


def write_table_into(
    staged: StagedFile,
    table: pa.Table | ArrowStream,
    format_: Format,
    layer: str,
    *,
    geometry_column: str,
    geometry_type: str,
) -> None:
    """Write an Arrow table or stream with WKB geometries in EPSG:4326 (``geometry_column``,
    all of ``geometry_type``) as one layer of a staged GeoPackage or FlatGeobuf, as
    :func:`write_into` writes the same features from a frame."""
    if format_.name not in ARROW_FORMATS:
        raise ValueError(f"{format_.title} is written from frames only")
    pyogrio.write_arrow(
        table,
        staged.path,
        layer=layer,
        driver=format_.driver,
        geometry_name=geometry_column,
        geometry_type=geometry_type,
        crs="EPSG:4326",
    )


ARROW_FORMATS = ("gpkg", "fgb")
"""The formats :func:`write_table_into` writes."""
