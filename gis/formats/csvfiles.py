"""CSV: points as lon/lat columns or any geometry as WKT, in UTF-8 or GBK/GB18030."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.errors import BadInput
from citygrid.gis.formats.catalog import Format
from citygrid.gis.formats.encodings import read_head, text_encoding
from citygrid.gis.formats.source import Source, unreadable

_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "point_x")
_LAT_NAMES = ("lat", "latitude", "y", "纬度", "point_y")
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "坐标")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTED_FORMULA = r"'[=+\-@\t\r]"


def open_csv(path: Path, format_: Format, encoding: str | None, geometry: bool) -> Source:
    head = read_head(path)
    if b"\x00" in head[:65536]:
        raise BadInput(
            "{path} is not a text CSV file (it holds binary data); export it again as CSV.",
            path=str(path),
        )
    if head.startswith(b"\xef\xbb\xbf"):
        encoding = encoding or "utf-8-sig"
    encoding = text_encoding(path, head, encoding)
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


def csv_batches(source: Source, batch_size: int) -> Iterator[gpd.GeoDataFrame]:
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
                chunk = restore_formulas(chunk)
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
        raise unreadable(source.path, source.format, exc) from None


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


def text_dates(table: pd.DataFrame) -> pd.DataFrame:
    """Datetime columns as ISO text (``2025-01-02T10:00:00``), for CSV and dBase."""
    out = table.copy()
    for name in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[name]):
            column = out[name]
            out[name] = column.dt.strftime("%Y-%m-%dT%H:%M:%S").where(column.notna())
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV in UTF-8 with a BOM (Excel reads it as such), formulas neutralised.

    Points get ``lon``/``lat`` columns (``x``/``y`` in a projected CRS), other
    geometries a ``wkt`` column; a frame without geometry is written as it
    is. CSV has no place for the CRS: give it with ``--crs`` when reading a
    projected one back. Text that a spreadsheet would run as a formula is
    written with a leading ``'`` (see :func:`neutralise_formulas`).
    """
    table = pd.DataFrame(frame)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        table = table.drop(columns=frame.geometry.name)
        geoms = frame.geometry
        if len(geoms) and (geoms.geom_type == "Point").all():
            projected = frame.crs is not None and frame.crs.is_projected
            table["x" if projected else "lon"] = geoms.x.to_numpy()
            table["y" if projected else "lat"] = geoms.y.to_numpy()
        else:
            table["wkt"] = shapely.to_wkt(geoms.to_numpy(), rounding_precision=-1)
    # CRLF line ends, as Excel writes them; a field holding CR or LF is then quoted.
    neutralise_formulas(text_dates(table)).to_csv(
        path, index=False, encoding="utf-8-sig", lineterminator="\r\n"
    )


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula, with a ``'`` in front.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading single quote (OWASP's advice against CSV
    injection). Only text is touched: numbers, even negative ones, stay
    numbers.
    """
    out = table.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype != object and not isinstance(column.dtype, pd.StringDtype):
            continue
        text = column.where(column.map(lambda v: isinstance(v, str)), None).astype("string")
        risky = text.str.startswith(_FORMULA_STARTS).fillna(False).to_numpy(dtype=bool)
        if risky.any():
            out[name] = column.where(~risky, "'" + text)
    return out


def restore_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise_formulas` on text read back from a CSV."""
    out = table.copy()
    for name in out.columns:
        text = out[name].astype("string")
        quoted = text.str.match(_QUOTED_FORMULA).fillna(False).to_numpy(dtype=bool)
        if quoted.any():
            out.loc[quoted, name] = text[quoted].str.slice(1)
    return out
