"""Frames and rows: converting between (Geo)DataFrames and what the database stores.

Values go to the database as Python objects of each field's declared type
and come back as pandas columns of that type; geometries are stored in
EPSG:4326 as WKB, multi-typed as the layer declares.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
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


_CONVERTERS: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "datetime": lambda v: pd.Timestamp(v).to_pydatetime(),
    "date": lambda v: pd.Timestamp(v).date(),
    "bytes": bytes,
}


def column_values(series: pd.Series, field_type: str) -> list[Any]:
    """Python values for one column, ``None`` for missing ones."""
    missing = pd.isna(series).to_numpy()
    if field_type in ("datetime", "date") and pd.api.types.is_datetime64_any_dtype(series):
        # Whole-column conversion; values of other dtypes are parsed one by one below.
        stamps = series.dt.to_pydatetime() if field_type == "datetime" else series.dt.date
        values = np.array(stamps, dtype=object)
        values[missing] = None
        return values.tolist()
    convert = _CONVERTERS[field_type]
    values = series.to_numpy(dtype=object)
    return [None if m else convert(v) for v, m in zip(values, missing, strict=True)]


def rows(frame: pd.DataFrame, layer: Layer, columns: list[str]) -> list[tuple[Any, ...]]:
    """Row tuples of the given fields, converted to the layer's types."""
    if not columns:
        return [() for _ in range(len(frame))]
    values = [column_values(frame[c], layer.field(c).type) for c in columns]
    return list(zip(*values, strict=True))


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
