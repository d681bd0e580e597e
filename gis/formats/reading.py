"""Reading features from any supported file, in batches, in the file's own CRS."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely
from pyproj import CRS

from citygrid.errors import BadInput, NotFound
from citygrid.gis.formats.catalog import Format, detect_format
from citygrid.gis.formats.csvfiles import csv_batches, open_csv
from citygrid.gis.formats.encodings import known_codec, text_encoding
from citygrid.gis.formats.shapefile import dbf_text, read_mapping, shapefile_parts
from citygrid.gis.formats.source import READ_ERRORS, Source, unreadable

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
    if encoding is not None:
        encoding = known_codec(path, encoding)
    if format_.name == "csv":
        return open_csv(path, format_, encoding, geometry)
    if format_.name == "parquet":
        return _open_parquet(path, format_)
    gdal_path, dbf_bytes, cpg = str(path), None, None
    if format_.name == "shp":
        gdal_path, dbf_bytes, cpg = shapefile_parts(path)
    layer = _choose_layer(path, gdal_path, format_, source_layer)
    if format_.name == "shp":
        encoding = text_encoding(path, dbf_text(dbf_bytes or b""), encoding or cpg)
    try:
        info = pyogrio.read_info(gdal_path, layer=layer, encoding=encoding)
    except READ_ERRORS as exc:
        raise unreadable(path, format_, exc) from None
    crs = CRS.from_user_input(info["crs"]) if info.get("crs") else None
    if format_.name == "kml" and crs is None:
        crs = CRS.from_epsg(4326)
    renames = read_mapping(path) if format_.name == "shp" else ()
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


def _choose_layer(
    path: Path, gdal_path: str, format_: Format, source_layer: str | None
) -> str | None:
    try:
        layers = pyogrio.list_layers(gdal_path)
    except READ_ERRORS as exc:
        raise unreadable(path, format_, exc) from None
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
        raise unreadable(path, format_, exc) from None
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
        yield from csv_batches(source, batch_size)
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
    except READ_ERRORS as exc:
        raise unreadable(source.path, source.format, exc) from None


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
    except READ_ERRORS as exc:
        raise unreadable(source.path, source.format, exc) from None
