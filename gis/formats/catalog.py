"""The formats citygrid reads and writes: names, GDAL drivers and extensions."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from citygrid.errors import BadInput


@dataclass(frozen=True)
class Format:
    """One file format: its short name, GDAL driver and file extensions."""

    name: str
    driver: str | None
    extensions: tuple[str, ...]
    title: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("gpkg", "GPKG", (".gpkg",), "GeoPackage"),
        Format("geojson", "GeoJSON", (".geojson", ".json"), "GeoJSON"),
        Format("shp", "ESRI Shapefile", (".shp", ".zip"), "Shapefile"),
        Format("kml", "LIBKML", (".kml",), "KML"),
        Format("fgb", "FlatGeobuf", (".fgb",), "FlatGeobuf"),
        Format("parquet", None, (".parquet", ".geoparquet"), "GeoParquet"),
        Format("csv", None, (".csv", ".txt"), "CSV"),
    )
}
_ALIASES = {
    "geopackage": "gpkg",
    "json": "geojson",
    "shapefile": "shp",
    "esri shapefile": "shp",
    "zip": "shp",
    "flatgeobuf": "fgb",
    "geoparquet": "parquet",
    "libkml": "kml",
}


def format_names() -> list[str]:
    """The short names of the supported formats."""
    return list(FORMATS)


def detect_format(path: str | os.PathLike[str], fmt: str | None = None) -> Format:
    """The format of ``path``: ``fmt`` when given (a name or alias), else from the extension.

    Raises
    ------
    BadInput
        ``fmt`` is not a known format, or the extension says nothing.
    """
    if fmt:
        key = fmt.strip().lower().lstrip(".")
        key = _ALIASES.get(key, key)
        if key not in FORMATS:
            raise BadInput(
                "Unknown format {format!r}; use one of: {known}.",
                format=fmt,
                known=", ".join(FORMATS),
            )
        return FORMATS[key]
    suffix = Path(path).suffix.lower()
    for format_ in FORMATS.values():
        if suffix in format_.extensions:
            return format_
    raise BadInput(
        "Cannot tell the format of {path} from its extension {suffix!r}; name the file with "
        "one of {extensions} or give --format ({known}).",
        path=str(path),
        suffix=suffix,
        extensions=", ".join(e for f in FORMATS.values() for e in f.extensions),
        known=", ".join(FORMATS),
    )
