"""A file opened for reading (:class:`Source`) and the error for an unreadable one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from pyogrio.errors import DataLayerError, DataSourceError, FieldError
from pyproj import CRS

from citygrid.errors import BadInput
from citygrid.gis.formats.catalog import Format

# What GDAL, pyogrio and pyarrow raise on a damaged or foreign file.
READ_ERRORS = (
    DataSourceError,
    DataLayerError,
    FieldError,
    OSError,
    UnicodeDecodeError,
    IndexError,
    ValueError,
    pa.ArrowException,
)


@dataclass(frozen=True)
class Source:
    """A file opened for reading, before any feature is read.

    Attributes
    ----------
    path
        The file the user named.
    format
        Its format.
    gdal_path
        What pyogrio opens (``/vsizip/...`` inside a zip).
    layer
        The layer read in a multi-layer file, else ``None``.
    encoding
        Text encoding of attribute values (``None``: the driver's own, UTF-8).
    crs
        The CRS the file declares, or ``None`` (no ``.prj``, a CSV).
    feature_count
        Number of features, or -1 when the driver cannot tell cheaply.
    columns
        Attribute column names (full names: shapefile names are mapped
        back through a ``.fields.csv`` beside the file).
    csv_geometry
        For CSV: ``("xy", lon_col, lat_col)`` or ``("wkt", col)``.
    renames
        Short shapefile field names and the full names they stand for.
    read_columns
        The file's columns to read, when not all of them (KML).
    has_geometry
        Whether the features carry geometries (not in an attribute table
        or a CSV without coordinates).
    """

    path: Path
    format: Format
    gdal_path: str
    layer: str | None
    encoding: str | None
    crs: CRS | None
    feature_count: int
    columns: tuple[str, ...]
    csv_geometry: tuple[str, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()
    read_columns: tuple[str, ...] | None = None
    has_geometry: bool = True


def unreadable(path: Path, format_: Format, exc: BaseException) -> BadInput:
    """The error for a file that GDAL, pyogrio or pyarrow could not read."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return BadInput(
        "Cannot read {path} as {format}: {reason}. The file may be truncated, damaged or of "
        "another format; export it again or give the right --format.",
        path=str(path),
        format=format_.title,
        reason=reason[:300],
    )
