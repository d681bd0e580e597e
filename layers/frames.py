"""Frames and rows: converting between (Geo)DataFrames and what the database stores.

Values go to the database as Python objects of each field's declared type
and come back as pandas columns of that type; geometries are stored in
EPSG:4326 as WKB, multi-typed as the layer declares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
import sqlalchemy as sa
from pyproj import CRS

from citygrid.errors import BadInput
from citygrid.gis.geometry import promote_to_multi
from citygrid.layers.registry import Layer

STORAGE_CRS = "EPSG:4326"
Bbox = tuple[float, float, float, float]


def raw(column: sa.Column, field_type: str) -> sa.ColumnElement[Any]:
    """Select dates as the driver gives them; pandas parses them column-wise, much faster."""
    if field_type in ("date", "datetime"):
        return sa.type_coerce(column, sa.String).label(column.name)
    return column


def region(bbox: Bbox | None, intersects: shapely.Geometry | None) -> shapely.Geometry | None:
    if bbox is not None:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        if not (minx <= maxx and miny <= maxy):
            raise BadInput(
                "The bbox {bbox} is not minx,miny,maxx,maxy with min <= max.", bbox=list(bbox)
            )
        box = shapely.box(minx, miny, maxx, maxy)
        return box if intersects is None else shapely.intersection(box, intersects)
    return intersects


def plain(value: Any) -> Any:
    """A JSON-friendly scalar for comparing and auditing values."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (datetime, date)):
        return pd.Timestamp(value).isoformat(sep=" ")
    if isinstance(value, np.generic):
        return value.item()
    return value


def storage_wkb(frame: pd.DataFrame, layer: Layer) -> np.ndarray:
    """The frame's geometries in EPSG:4326 as WKB, multi-typed as the layer says."""
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise BadInput("Layer {layer} needs geometries; the data has none.", layer=layer.name)
    geoseries = frame.geometry
    if geoseries.crs is not None and not same_as_storage(geoseries.crs):
        geoseries = geoseries.to_crs(STORAGE_CRS)
    geoms = promote_to_multi(geoseries.to_numpy(dtype=object), layer.geometry_type or "")
    return shapely.to_wkb(geoms)


def same_as_storage(crs: Any) -> bool:
    """EPSG:4326 itself, or CGCS2000 (EPSG:4490), stored as equivalent."""
    epsg = CRS.from_user_input(crs).to_epsg()
    return epsg in (4326, 4490)


DATETIME_TEXT = "%Y-%m-%d %H:%M:%S.%f"
"""How datetimes are stored as text (SQLAlchemy's SQLite format; PostgreSQL parses it)."""

_CONVERTERS: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "datetime": lambda v: pd.Timestamp(v).strftime(DATETIME_TEXT),
    "date": lambda v: pd.Timestamp(v).strftime("%Y-%m-%d"),
    "bytes": bytes,
}


def column_values(series: pd.Series, field_type: str) -> list[Any]:
    """Values of one column as the database takes them, ``None`` for missing ones.

    Whole columns are converted at once where their dtype allows: dates and
    datetimes become ISO text (``YYYY-MM-DD``, and :data:`DATETIME_TEXT`),
    numbers and booleans Python scalars, strings stay as they are; other
    columns are converted value by value.
    """
    missing = pd.isna(series).to_numpy()
    values = _whole_column(series, field_type)
    if values is None:
        convert = _CONVERTERS[field_type]
        raw = series.to_numpy(dtype=object)
        return [None if m else convert(v) for v, m in zip(raw, missing, strict=True)]
    values[missing] = None
    return values.tolist()


def _whole_column(series: pd.Series, field_type: str) -> np.ndarray | None:
    """The column converted at once (an object array), or ``None`` when its dtype does not allow."""
    dtype = series.dtype
    if field_type in ("datetime", "date") and pd.api.types.is_datetime64_any_dtype(dtype):
        stamps = series.dt.tz_localize(None) if getattr(dtype, "tz", None) else series
        unit = "datetime64[D]" if field_type == "date" else "datetime64[us]"
        # Arrow writes the ISO text ("YYYY-MM-DD", DATETIME_TEXT) in C: a tenth of the time
        # numpy's datetime_as_string and a replace of its "T" take.
        stamped = pa.array(stamps.to_numpy(dtype=unit), from_pandas=True)
        return stamped.cast(pa.string()).to_numpy(zero_copy_only=False)
    if field_type == "str" and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        return series.to_numpy(dtype=object, copy=True)
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if field_type == "int" and pd.api.types.is_integer_dtype(dtype):
        return np.array(series.to_numpy(dtype=object, na_value=None).tolist(), dtype=object)
    if field_type == "float" and numeric:
        floats = series.to_numpy(dtype="float64", na_value=np.nan)
        return np.array(floats.tolist(), dtype=object)
    if field_type == "bool" and pd.api.types.is_bool_dtype(dtype):
        return np.array(series.to_numpy(dtype=object, na_value=None).tolist(), dtype=object)
    return None


@dataclass(frozen=True)
class ColumnValues:
    """Some columns' values as the database takes them, column by column, for ``count`` rows."""

    lists: list[list[Any]]
    count: int

    def rows(
        self, *before: Sequence[Any], after: Sequence[Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Row tuples: the ``before`` columns, these columns, then ``after``.

        One tuple per row, built once: adding a fid or a geometry to ready-made
        row tuples would copy a million of them again.
        """
        columns = [*before, *self.lists, *([] if after is None else [after])]
        if not columns:
            return [()] * self.count
        return list(zip(*columns, strict=True))


def column_lists(frame: pd.DataFrame, layer: Layer, columns: list[str]) -> ColumnValues:
    """The given fields' values, converted to the layer's types, column by column."""
    return ColumnValues([column_values(frame[c], layer.field(c).type) for c in columns], len(frame))


def typed(frame: pd.DataFrame, layer: Layer, names: list[str]) -> pd.DataFrame:
    """Give each column the pandas dtype of its declared type."""
    for name in names:
        if name in ("fid", "version"):
            frame[name] = frame[name].astype("int64")
            continue
        kind = layer.field(name).type
        if kind in ("datetime", "date"):
            frame[name] = pd.to_datetime(frame[name], format="ISO8601")
        elif kind == "int":
            frame[name] = pd.array(frame[name], dtype="Int64")
        elif kind == "float":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        elif kind == "bool":
            frame[name] = pd.array(frame[name], dtype="boolean")
        else:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame
