"""Vector file formats GIS users exchange, read and written through pyogrio.

Formats (name: extensions):

- ``gpkg``: ``.gpkg`` (GeoPackage; choose a layer when it holds several)
- ``geojson``: ``.geojson``, ``.json``
- ``shp``: ``.shp`` or a zipped shapefile ``.zip`` / ``.shp.zip``
- ``kml``: ``.kml`` (always EPSG:4326)
- ``fgb``: ``.fgb`` (FlatGeobuf)
- ``parquet``: ``.parquet``, ``.geoparquet`` (GeoParquet, via geopandas and pyarrow)
- ``csv``: ``.csv``, ``.txt`` with lon/lat columns or a WKT column

Text encodings: shapefiles honour their ``.cpg``; without one, and for CSV,
the encoding is detected (UTF-8, else GB18030, a superset of GBK) from the
bytes; an encoding given by the user is checked against the bytes too, so a
GBK file read as UTF-8 is refused with a hint rather than loaded garbled.

Shapefile field names are limited to 10 bytes (three Chinese characters in
UTF-8). :func:`write_frame` gives longer names a short unique name and
writes the mapping beside the file as ``<name>.fields.csv`` (columns
``short_name,field_name``, UTF-8); :func:`read_batches` reads that file back,
so a round trip restores the full names. Shapefiles are written with a
``.cpg`` of ``UTF-8``.

Every failure to read is a :class:`~citygrid.errors.BadInput` naming the
file and saying what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError
from pyproj import CRS

from citygrid.errors import BadInput, NotFound

MAPPING_SUFFIX = ".fields.csv"
SHAPEFILE_NAME_BYTES = 10
_SNIFF_BYTES = 4 * 1024 * 1024
_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "point_x")
_LAT_NAMES = ("lat", "latitude", "y", "纬度", "point_y")
_NOT_DATA_TABLES = ("layer_styles",)
_KML_STANDARD = frozenset(
    (
        "id",
        "Name",
        "description",
        "timestamp",
        "begin",
        "end",
        "altitudeMode",
        "tessellate",
        "extrude",
        "visibility",
        "drawOrder",
        "icon",
        "snippet",
    )
)
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "坐标")


# What GDAL, pyogrio and pyarrow raise on a damaged or foreign file.
_READ_ERRORS = (
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


# -- reading --------------------------------------------------------------------


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


def open_source(
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    source_layer: str | None = None,
    geometry: bool = True,
) -> Source:
    """Open a file, check it can be read, and describe it.

    Parameters
    ----------
    path
        The file (a ``.zip`` holding one shapefile is read in place).
    fmt
        Format name when the extension does not say it.
    encoding
        Text encoding of the attributes; checked against the bytes.
    source_layer
        Layer to read in a file holding several (GeoPackage, KML).
    geometry
        Whether geometries are wanted; without, a CSV needs no coordinate
        columns.

    Raises
    ------
    BadInput
        The file is missing, unreadable, of the wrong format, in another
        encoding than declared, or a zip without a shapefile.
    NotFound
        ``source_layer`` is not in the file.
    """
    path = Path(path)
    if not path.exists():
        raise BadInput("The file {path} does not exist; check the path.", path=str(path))
    if path.is_dir():
        raise BadInput("{path} is a folder, not a file; name the file inside it.", path=str(path))
    format_ = detect_format(path, fmt)
    if format_.name == "csv":
        return _open_csv(path, format_, encoding, geometry)
    if format_.name == "parquet":
        return _open_parquet(path, format_)
    gdal_path, dbf_bytes, cpg = str(path), None, None
    if format_.name == "shp":
        gdal_path, dbf_bytes, cpg = _shapefile_parts(path)
    layer = _choose_layer(path, gdal_path, format_, source_layer)
    if format_.name == "shp":
        encoding = _text_encoding(path, _dbf_text(dbf_bytes or b""), encoding or cpg)
    try:
        info = pyogrio.read_info(gdal_path, layer=layer, encoding=encoding)
    except _READ_ERRORS as exc:
        raise _unreadable(path, format_, exc) from None
    crs = CRS.from_user_input(info["crs"]) if info.get("crs") else None
    if format_.name == "kml" and crs is None:
        crs = CRS.from_epsg(4326)
    renames = _read_mapping(path) if format_.name == "shp" else ()
    fields = [str(f) for f in info["fields"]]
    if format_.name == "kml":
        fields = _kml_columns(gdal_path, layer, fields)
    columns = tuple(dict(renames).get(c, c) for c in fields)
    return Source(
        path,
        format_,
        gdal_path,
        layer,
        encoding,
        crs,
        int(info["features"]),
        columns,
        renames=renames,
        read_columns=tuple(fields) if format_.name == "kml" else None,
        has_geometry=bool(info.get("geometry_type")),
    )


def _kml_columns(gdal_path: str, layer: str | None, fields: list[str]) -> list[str]:
    """KML's own fields, leaving out LIBKML's standard ones that hold nothing."""
    standard = [f for f in fields if f in _KML_STANDARD]
    if not standard:
        return fields
    values = pyogrio.read_dataframe(gdal_path, layer=layer, columns=standard, read_geometry=False)
    empty = {
        name
        for name in standard
        if name not in ("Name", "description") or values[name].isna().all()
    }
    return [f for f in fields if f not in empty]


def _unreadable(path: Path, format_: Format, exc: BaseException) -> BadInput:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return BadInput(
        "Cannot read {path} as {format}: {reason}. The file may be truncated, damaged or of "
        "another format; export it again or give the right --format.",
        path=str(path),
        format=format_.title,
        reason=reason[:300],
    )


def _shapefile_parts(path: Path) -> tuple[str, bytes | None, str | None]:
    """The GDAL path of a shapefile (or the one in a zip), its .dbf head and .cpg text."""
    if path.suffix.lower() != ".zip":
        dbf = path.with_suffix(".dbf")
        cpg = path.with_suffix(".cpg")
        head = _head(dbf) if dbf.exists() else None
        cpg_text = cpg.read_text("ascii", errors="replace").strip() if cpg.exists() else None
        return str(path), head, cpg_text or None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            shps = [n for n in names if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
            if not shps:
                raise BadInput(
                    "The zip {path} holds no shapefile (.shp); it has: {names}. Zip the .shp "
                    "with its .shx, .dbf, .prj and .cpg.",
                    path=str(path),
                    names=", ".join(names[:10]) or "nothing",
                )
            if len(shps) > 1:
                raise BadInput(
                    "The zip {path} holds several shapefiles ({names}); zip one per file.",
                    path=str(path),
                    names=", ".join(shps[:10]),
                )
            stem = shps[0][:-4]
            by_lower = {n.lower(): n for n in names}
            dbf_name = by_lower.get(f"{stem}.dbf".lower())
            cpg_name = by_lower.get(f"{stem}.cpg".lower())
            head = archive.open(dbf_name).read(_SNIFF_BYTES) if dbf_name else None
            cpg_text = (
                archive.read(cpg_name).decode("ascii", errors="replace").strip()
                if cpg_name
                else None
            )
    except zipfile.BadZipFile:
        raise BadInput(
            "{path} is not a readable zip file; zip the shapefile again.", path=str(path)
        ) from None
    return f"/vsizip/{path.resolve()}/{shps[0]}", head, cpg_text or None


def _dbf_text(head: bytes) -> bytes:
    """The text bytes of a dBase file's start: field names and whole records."""
    if len(head) < 32:
        return b""
    header_length = int.from_bytes(head[8:10], "little")
    record_length = max(int.from_bytes(head[10:12], "little"), 1)
    names = b" ".join(
        head[offset : offset + 11].split(b"\x00")[0]
        for offset in range(32, min(header_length, len(head)) - 31, 32)
        if head[offset] != 0x0D
    )
    records = head[header_length:]
    records = records[: len(records) - len(records) % record_length]
    return names + b" " + records


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(_SNIFF_BYTES)


def detect_encoding(data: bytes) -> str:
    """``UTF-8`` when ``data`` decodes as UTF-8 (a cut last character allowed), else ``GB18030``."""
    if _decodes(data, "utf-8"):
        return "UTF-8"
    return "GB18030"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        # A sample cut in the middle of a character still decodes up to its end.
        return exc.start >= len(data) - 4 and exc.reason.startswith("unexpected end")
    except LookupError:
        return True
    return True


def codec_name(declared: str) -> str:
    """An encoding as written in a ``.cpg`` or by a user, as a codec name.

    Windows code pages come as bare numbers (``936``, ``ANSI 936``): they
    become ``CP936``; ``65001`` is UTF-8.
    """
    text = declared.strip()
    number = text.upper().removeprefix("ANSI").strip().removeprefix("CP")
    if number.isdigit():
        return "UTF-8" if number == "65001" else f"CP{number}"
    return text


def _text_encoding(path: Path, data: bytes, declared: str | None) -> str:
    """The encoding to read ``path`` with: ``declared`` if the bytes agree, else detected."""
    if declared is None:
        return detect_encoding(data)
    declared = codec_name(declared)
    try:
        codecs.lookup(declared)
    except LookupError:
        raise BadInput(
            "Unknown text encoding {encoding!r} for {path}; use utf-8, gbk or gb18030.",
            encoding=declared,
            path=str(path),
        ) from None
    if not _decodes(data, declared):
        raise BadInput(
            "{path} is not in {encoding}: its text looks like {detected}. Give "
            "--encoding {detected} (or fix the .cpg).",
            path=str(path),
            encoding=declared,
            detected=detect_encoding(data),
        )
    return declared


def _choose_layer(
    path: Path, gdal_path: str, format_: Format, source_layer: str | None
) -> str | None:
    try:
        layers = pyogrio.list_layers(gdal_path)
    except _READ_ERRORS as exc:
        raise _unreadable(path, format_, exc) from None
    names = [str(name) for name, _ in layers if str(name) not in _NOT_DATA_TABLES]
    if source_layer is not None:
        if source_layer not in names:
            raise NotFound(
                "{path} has no layer {layer!r}; its layers are: {known}.",
                path=str(path),
                layer=source_layer,
                known=", ".join(names),
            )
        return source_layer
    if len(names) > 1:
        raise BadInput(
            "{path} holds several layers ({known}); choose one with --source-layer.",
            path=str(path),
            known=", ".join(names),
        )
    return names[0] if names else None


def _open_parquet(path: Path, format_: Format) -> Source:
    try:
        schema = pq.read_schema(path)
        metadata = pq.read_metadata(path)
    except (pa.ArrowException, OSError) as exc:
        raise _unreadable(path, format_, exc) from None
    geo = (schema.metadata or {}).get(b"geo")
    if geo is None:
        raise BadInput(
            "{path} is a Parquet file without GeoParquet metadata; write it with "
            "GeoDataFrame.to_parquet or export it as GeoParquet.",
            path=str(path),
        )
    frame_meta = json.loads(geo)
    primary = frame_meta["primary_column"]
    crs_json = frame_meta["columns"][primary].get("crs", "OGC:CRS84")
    crs = CRS.from_user_input(crs_json) if crs_json is not None else None
    columns = tuple(n for n in schema.names if n != primary and not n.startswith("__index_level_"))
    return Source(path, format_, str(path), None, None, crs, metadata.num_rows, columns)


def _open_csv(path: Path, format_: Format, encoding: str | None, geometry: bool) -> Source:
    head = _head(path)
    if b"\x00" in head[:65536]:
        raise BadInput(
            "{path} is not a text CSV file (it holds binary data); export it again as CSV.",
            path=str(path),
        )
    if head.startswith(b"\xef\xbb\xbf"):
        encoding = encoding or "utf-8-sig"
    encoding = _text_encoding(path, head, encoding)
    text = head.decode(encoding, errors="ignore")
    try:
        header = next(csv.reader(io.StringIO(text)))
    except (StopIteration, csv.Error):
        header = []
    header = [h.strip().lstrip("\ufeff") for h in header]
    if not header:
        raise BadInput(
            "{path} is empty; a CSV needs a header row and one row per feature.", path=str(path)
        )
    found = _csv_geometry(header)
    if found is None and geometry:
        raise BadInput(
            "{path} has no coordinate columns: give lon and lat columns (lon/lng/longitude/经度 "
            "and lat/latitude/纬度) or a WKT column (wkt/geometry); its columns are: {columns}.",
            path=str(path),
            columns=", ".join(header[:30]),
        )
    found = found or ()
    columns = tuple(h for h in header if h not in found[1:])
    return Source(
        path, format_, str(path), None, encoding, None, -1, columns, found, has_geometry=bool(found)
    )


def _csv_geometry(header: Sequence[str]) -> tuple[str, ...] | None:
    lower = {h.lower(): h for h in header}
    lon = next((lower[n] for n in _LON_NAMES if n in lower), None)
    lat = next((lower[n] for n in _LAT_NAMES if n in lower), None)
    if lon and lat:
        return ("xy", lon, lat)
    wkt = next((lower[n] for n in _WKT_NAMES if n in lower), None)
    return ("wkt", wkt) if wkt else None


def read_batches(source: Source, batch_size: int = 65536) -> Iterator[gpd.GeoDataFrame]:
    """Read features in batches, as GeoDataFrames in the file's own CRS.

    Each batch's index holds the features' positions in the file (from 0),
    so row ``index + 1`` is the row number to report. The CRS of every
    batch is ``source.crs`` (``None`` when the file declares none); a
    file without geometries gives GeoDataFrames without a geometry column.

    Raises
    ------
    BadInput
        The file turns out unreadable part-way (truncated or damaged).
    """
    if source.format.name == "csv":
        yield from _csv_batches(source, batch_size)
        return
    if source.format.name == "parquet":
        yield from _parquet_batches(source, batch_size)
        return
    renames = dict(source.renames)
    start = 0
    try:
        with pyogrio.open_arrow(
            source.gdal_path,
            layer=source.layer,
            encoding=source.encoding,
            columns=source.read_columns,
            batch_size=batch_size,
            use_pyarrow=True,
        ) as (meta, reader):
            geometry_name = meta["geometry_name"] or (
                "wkb_geometry" if meta.get("geometry_type") else ""
            )
            for batch in reader:
                frame = _arrow_frame(batch, geometry_name, source.crs, start)
                start += len(frame)
                yield frame.rename(columns=renames) if renames else frame
    except _READ_ERRORS as exc:
        raise _unreadable(source.path, source.format, exc) from None


def _arrow_frame(
    batch: pa.RecordBatch, geometry_name: str, crs: CRS | None, start: int
) -> gpd.GeoDataFrame:
    names = [n for n in batch.schema.names if n != geometry_name]
    attributes = batch.select(names).to_pandas(types_mapper=_types_mapper)
    index = pd.RangeIndex(start, start + batch.num_rows)
    attributes.index = index
    if geometry_name not in batch.schema.names:
        return gpd.GeoDataFrame(attributes)
    wkb = batch.column(geometry_name).to_numpy(zero_copy_only=False)
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    return gpd.GeoDataFrame(attributes, geometry=gpd.GeoSeries(geoms, index=index), crs=crs)


def _types_mapper(arrow_type: pa.DataType) -> Any:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    return None


def _parquet_batches(source: Source, batch_size: int) -> Iterator[gpd.GeoDataFrame]:
    """GeoParquet in row-group batches (WKB geometries), else read whole by geopandas."""
    try:
        parquet = pq.ParquetFile(source.path)
        meta = json.loads((parquet.schema_arrow.metadata or {})[b"geo"])
        primary = meta["primary_column"]
        if meta["columns"][primary].get("encoding", "WKB").upper() != "WKB":
            frame = gpd.read_parquet(source.path).reset_index(drop=True)
            for start in range(0, max(len(frame), 1), batch_size):
                yield frame.iloc[start : start + batch_size]
            return
        columns = [*source.columns, primary]
        start = 0
        for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
            frame = _arrow_frame(batch, primary, source.crs, start)
            start += len(frame)
            yield frame
    except _READ_ERRORS as exc:
        raise _unreadable(source.path, source.format, exc) from None


def _csv_batches(source: Source, batch_size: int) -> Iterator[gpd.GeoDataFrame]:
    kind, *geometry_columns = source.csv_geometry or ("none",)
    try:
        with pd.read_csv(
            source.path,
            encoding=source.encoding,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            chunksize=batch_size,
            skipinitialspace=True,
        ) as chunks:
            start = 0
            for chunk in chunks:
                chunk.columns = [c.strip().lstrip("\ufeff") for c in chunk.columns]
                chunk.index = pd.RangeIndex(start, start + len(chunk))
                start += len(chunk)
                if kind == "none":
                    yield gpd.GeoDataFrame(chunk)
                    continue
                geoms = (
                    _csv_points(source, chunk, *geometry_columns)
                    if kind == "xy"
                    else _csv_wkt(source, chunk, geometry_columns[0])
                )
                attributes = chunk.drop(columns=geometry_columns)
                yield gpd.GeoDataFrame(attributes, geometry=geoms, crs=None)
    except UnicodeDecodeError:
        raise BadInput(
            "{path} is not in {encoding} further down the file; give its encoding with "
            "--encoding (gb18030 for GBK files, or utf-8).",
            path=str(source.path),
            encoding=source.encoding,
        ) from None
    except pd.errors.ParserError as exc:
        raise _unreadable(source.path, source.format, exc) from None


def _csv_points(source: Source, chunk: pd.DataFrame, lon: str, lat: str) -> gpd.GeoSeries:
    x = pd.to_numeric(chunk[lon], errors="coerce")
    y = pd.to_numeric(chunk[lat], errors="coerce")
    bad = (x.isna() & chunk[lon].notna()) | (y.isna() & chunk[lat].notna())
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0] + chunk.index[0] + 1)
        raise BadInput(
            "{path} row {row}: {lon}/{lat} are not numbers ({value}); fix the coordinates.",
            path=str(source.path),
            row=row,
            lon=lon,
            lat=lat,
            value=f"{chunk[lon].iloc[row - 1 - chunk.index[0]]}, "
            f"{chunk[lat].iloc[row - 1 - chunk.index[0]]}",
        )
    geoms = shapely.points(x.to_numpy(), y.to_numpy())
    geoms[(x.isna() | y.isna()).to_numpy()] = None
    return gpd.GeoSeries(geoms, index=chunk.index)


def _csv_wkt(source: Source, chunk: pd.DataFrame, column: str) -> gpd.GeoSeries:
    text = chunk[column].to_numpy(dtype=object)
    geoms = shapely.from_wkt(text, on_invalid="ignore")
    bad = pd.isna(geoms) & chunk[column].notna().to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise BadInput(
            "{path} row {row}: the {column} column is not WKT ({value!r}); write geometries "
            "like POINT (116.39 39.91).",
            path=str(source.path),
            row=int(chunk.index[position]) + 1,
            column=column,
            value=str(text[position])[:60],
        )
    return gpd.GeoSeries(geoms, index=chunk.index)


def _read_mapping(path: Path) -> tuple[tuple[str, str], ...]:
    """Short and full field names from the ``.fields.csv`` beside a shapefile or in its zip."""
    mapping = mapping_path(path)
    if mapping.exists():
        text = mapping.read_text(encoding="utf-8-sig")
    elif path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            inside = [n for n in archive.namelist() if n.endswith(MAPPING_SUFFIX)]
            text = archive.read(inside[0]).decode("utf-8-sig") if inside else ""
    else:
        return ()
    rows = csv.DictReader(io.StringIO(text))
    return tuple(
        (r["short_name"], r["field_name"])
        for r in rows
        if r.get("short_name") and r.get("field_name")
    )


def mapping_path(path: str | os.PathLike[str]) -> Path:
    """Where the field-name mapping of a shapefile (or zipped shapefile) is kept."""
    path = Path(path)
    name = path.name
    for suffix in (".shp.zip", ".zip", ".shp"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + MAPPING_SUFFIX)


# -- writing --------------------------------------------------------------------


def write_frame(
    frame: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    layer: str | None = None,
    append: bool = False,
) -> list[Path]:
    """Write a GeoDataFrame to a file, replacing any file of that name.

    Parameters
    ----------
    frame
        Features in the CRS to write (KML is always written in EPSG:4326).
    path
        Output file; its extension gives the format unless ``fmt`` does.
        A ``.zip`` path with format ``shp`` writes a zipped shapefile.
    fmt
        Format name (see :data:`FORMATS`).
    layer
        Layer name inside the file (GeoPackage, KML, FlatGeobuf); default
        the file's stem.
    append
        Add ``layer`` to an existing GeoPackage (replacing a layer of that
        name) instead of replacing the file (GeoPackage only).

    Returns
    -------
    list of pathlib.Path
        The files written: the main file first, then any sidecar (the
        shapefile's field-name mapping).
    """
    path = Path(path)
    format_ = detect_format(path, fmt)
    if not path.parent.is_dir():
        raise BadInput(
            "The folder {folder} does not exist; create it or choose another --out.",
            folder=str(path.parent),
        )
    layer = layer or path.stem
    frame = frame.reset_index(drop=True)
    if append and format_.name != "gpkg":
        raise BadInput(
            "Only a GeoPackage holds several layers; write {path} as .gpkg.", path=str(path)
        )
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        return _write_table(pd.DataFrame(frame), path, format_, layer, append)
    if format_.name == "shp":
        return _write_shapefile(frame, path, layer)
    if not append:
        _remove(path)
    if format_.name == "parquet":
        frame.to_parquet(path, index=False)
    elif format_.name == "csv":
        _write_csv(frame, path)
    else:
        if format_.name == "kml" and frame.crs is not None and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
        pyogrio.write_dataframe(
            frame,
            path,
            layer=layer,
            driver=format_.driver,
            use_arrow=True,
            **_geometry_type(frame, format_),
        )
    return [path]


def _write_table(
    table: pd.DataFrame, path: Path, format_: Format, layer: str, append: bool
) -> list[Path]:
    """A table without geometry, in the formats that can hold one."""
    if format_.name not in ("csv", "gpkg"):
        raise BadInput(
            "This layer has no geometry; export it as CSV (.csv) or GeoPackage (.gpkg), not "
            "{format}.",
            format=format_.title,
        )
    if not append:
        _remove(path)
    if format_.name == "csv":
        _text_dates(table).to_csv(path, index=False, encoding="utf-8-sig")
    else:
        pyogrio.write_dataframe(table, path, layer=layer, driver=format_.driver)
    return [path]


def _text_dates(table: pd.DataFrame) -> pd.DataFrame:
    """Datetime columns as ISO text (``2025-01-02T10:00:00``), for CSV and dBase."""
    out = table.copy()
    for name in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[name]):
            column = out[name]
            out[name] = column.dt.strftime("%Y-%m-%dT%H:%M:%S").where(column.notna())
    return out


def _geometry_type(frame: gpd.GeoDataFrame, format_: Format) -> dict[str, Any]:
    """Let formats with one geometry type per layer hold a frame of mixed types."""
    if format_.name in ("gpkg", "fgb") and frame.geometry.geom_type.nunique(dropna=True) > 1:
        return {"geometry_type": "Unknown"}
    return {}


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _write_csv(frame: gpd.GeoDataFrame, path: Path) -> None:
    """CSV in UTF-8 with a BOM (Excel reads it as such).

    Points get ``lon``/``lat`` columns (``x``/``y`` in a projected CRS), other
    geometries a ``wkt`` column. CSV has no place for the CRS: give it with
    ``--crs`` when reading a projected one back.
    """
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    geoms = frame.geometry
    if len(geoms) and (geoms.geom_type == "Point").all():
        projected = frame.crs is not None and frame.crs.is_projected
        table["x" if projected else "lon"] = geoms.x.to_numpy()
        table["y" if projected else "lat"] = geoms.y.to_numpy()
    else:
        table["wkt"] = shapely.to_wkt(geoms.to_numpy(), rounding_precision=-1)
    _text_dates(table).to_csv(path, index=False, encoding="utf-8-sig")


def shapefile_names(names: Sequence[str]) -> dict[str, str]:
    """Short unique shapefile field names (at most 10 bytes in UTF-8) for ``names``.

    Names that fit are kept; longer ones are cut on a character boundary
    and numbered when the cut collides (``问题描述长``, ``问题描述_1``).

    Returns
    -------
    dict
        ``{full_name: short_name}`` for every name.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        short = name if _nbytes(name) <= SHAPEFILE_NAME_BYTES else _cut(name, SHAPEFILE_NAME_BYTES)
        number = 1
        while short.lower() in used:
            tail = f"_{number}"
            short = _cut(name, SHAPEFILE_NAME_BYTES - len(tail)) + tail
            number += 1
        used.add(short.lower())
        out[name] = short
    return out


def _nbytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _write_shapefile(frame: gpd.GeoDataFrame, path: Path, layer: str) -> list[Path]:
    kinds = set(frame.geometry.geom_type.dropna().str.removeprefix("Multi"))
    if len(kinds) > 1:
        raise BadInput(
            "A shapefile holds one geometry type, but this layer has {kinds}; export it as "
            "GeoPackage (.gpkg) or write one file per type.",
            kinds=", ".join(sorted(kinds)),
        )
    attributes = [c for c in frame.columns if c != frame.geometry.name]
    names = shapefile_names(attributes)
    # dBase has dates only; datetimes are kept as ISO text.
    table = _text_dates(frame.rename(columns=names))
    renamed = {full: short for full, short in names.items() if full != short}
    mapping = mapping_path(path)
    zipped = path.suffix.lower() == ".zip"
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        target = Path(tmp) / f"{layer}.shp" if zipped else path
        if not zipped:
            for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                _remove(path.with_suffix(suffix))
        pyogrio.write_dataframe(
            table,
            target,
            driver="ESRI Shapefile",
            encoding="UTF-8",
        )
        if zipped:
            _remove(path)
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for part in sorted(Path(tmp).iterdir()):
                    archive.write(part, part.name)
                if renamed:
                    archive.writestr(f"{layer}{MAPPING_SUFFIX}", _mapping_text(renamed))
    _remove(mapping)
    if not renamed:
        return [path]
    mapping.write_text(_mapping_text(renamed), encoding="utf-8", newline="")
    return [path, mapping]


def _mapping_text(renamed: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["short_name", "field_name"])
    writer.writerows((short, full) for full, short in renamed.items())
    return buffer.getvalue()
