"""Frames from the store written as GeoJSON text, fast enough for the map.

Geometries are serialised by shapely in one vectorised call (coordinates
rounded to 7 decimals, about 1 cm), properties by :mod:`json`; the
FeatureCollection is assembled as text, so a response of thousands of
features never becomes a tree of Python dicts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely

from citygrid.layers.registry import Layer

COORDINATE_DECIMALS = 7


def dumps(value: Any) -> str:
    """JSON text of plain values, non-ASCII characters kept as they are."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def feature_texts(frame: pd.DataFrame, layer: Layer) -> list[str]:
    """One GeoJSON Feature (as JSON text) per row of a frame read from the store.

    Parameters
    ----------
    frame
        Rows of ``layer`` as :meth:`Store.read` returns them (EPSG:4326);
        a plain DataFrame for layers without geometry (``geometry: null``).
    layer
        The layer the rows belong to: its fields become the properties
        (plus ``version``), its key the feature ``id``.
    """
    properties = _property_records(frame, layer)
    if layer.key is not None:
        ids = frame[layer.key].astype(str).to_numpy()
    else:
        ids = frame["fid"].astype("int64").to_numpy()
    geometries = _geometry_texts(frame, layer)
    return [
        f'{{"type":"Feature","id":{dumps(fid if isinstance(fid, str) else int(fid))},'
        f'"geometry":{geometry},"properties":{dumps(props)}}}'
        for fid, geometry, props in zip(ids, geometries, properties, strict=True)
    ]


def feature_collection(features: list[str], members: Mapping[str, Any]) -> str:
    """A FeatureCollection of ready feature texts, with extra top-level members."""
    extra = "".join(f",{dumps(k)}:{dumps(v)}" for k, v in members.items())
    return f'{{"type":"FeatureCollection","features":[{",".join(features)}]{extra}}}'


def _geometry_texts(frame: pd.DataFrame, layer: Layer) -> list[str]:
    if not layer.has_geometry:
        return ["null"] * len(frame)
    geoms = frame.geometry.to_numpy()
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    texts = shapely.to_geojson(rounded)
    return [text if text is not None else "null" for text in texts]


def _property_records(frame: pd.DataFrame, layer: Layer) -> list[dict[str, Any]]:
    """Property dicts: every field of the layer and the version, JSON-ready."""
    formats = {f.name: _TIME_FORMATS.get(f.type) for f in layer.fields}
    formats["version"] = None
    columns = {
        name: _json_column(frame[name], time_format)
        for name, time_format in formats.items()
        if name in frame.columns
    }
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


_TIME_FORMATS = {"datetime": "%Y-%m-%dT%H:%M:%S", "date": "%Y-%m-%d"}


def _json_column(series: pd.Series, time_format: str | None) -> list[Any]:
    """A column's values as JSON-ready Python values (ISO text for times, ``None`` for NA)."""
    values = series
    if time_format and pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.dt.strftime(time_format)
    result: list[Any] = values.astype(object).where(series.notna(), None).tolist()
    return result
