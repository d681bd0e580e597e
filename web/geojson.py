"""Frames from the store written as GeoJSON text, fast enough for the map.

Geometries are serialised by shapely in one vectorised call (coordinates
rounded to 6 decimals, about 0.1 m: finer than any survey of a street
furniture point), the properties of all features by pandas' JSON writer in
one call (one JSON object per line); the FeatureCollection is assembled as
text, so a response of thousands of features never becomes a tree of
Python dicts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

import numpy as np
import pandas as pd
import shapely

from citygrid.layers.registry import Layer

COORDINATE_DECIMALS = 6
"""Decimals of longitude and latitude served: 0.1 m or finer."""


def dumps(value: Any) -> str:
    """JSON text of plain values, non-ASCII characters kept as they are."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def feature_texts(
    frame: pd.DataFrame, layer: Layer, properties: tuple[str, ...] | None = None
) -> list[str]:
    """One GeoJSON Feature (as JSON text) per row of a frame read from the store.

    Parameters
    ----------
    frame
        Rows of ``layer`` as :meth:`Store.read` returns them (EPSG:4326);
        a plain DataFrame for layers without geometry (``geometry: null``).
    layer
        The layer the rows belong to: its fields become the properties
        (plus ``version``), its key the feature ``id``.
    properties
        Only the fields named here (``version`` too if named) as properties,
        in the layer's order; ``None`` for every field and the version.
    """
    texts = _property_texts(frame, layer, properties)
    geometries = _geometry_texts(frame, layer)
    return [
        f'{{"type":"Feature","id":{fid},"geometry":{geometry},"properties":{props}}}'
        for fid, geometry, props in zip(_id_texts(frame, layer), geometries, texts, strict=True)
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


def _property_texts(
    frame: pd.DataFrame, layer: Layer, properties: tuple[str, ...] | None
) -> list[str]:
    """The properties object of each row as JSON text: the layer's fields (those of
    ``properties`` only, if given) and the version, times as ISO text, NA as null."""
    formats = {f.name: _TIME_FORMATS.get(f.type) for f in layer.fields}
    formats["version"] = None
    names = [
        name
        for name in formats
        if name in frame.columns and (properties is None or name in properties)
    ]
    if not names:
        return ["{}"] * len(frame)
    columns = pd.DataFrame(
        {name: _json_column(frame[name], formats[name]) for name in names}, dtype=object
    )
    return _record_texts(columns)


def point_features(lon: np.ndarray, lat: np.ndarray, properties: pd.DataFrame) -> list[str]:
    """One GeoJSON Point Feature (as JSON text) per row of ``properties``, at ``lon``,
    ``lat`` (degrees, rounded to :data:`COORDINATE_DECIMALS`); the properties are the
    row's JSON-ready values (``None`` for null)."""
    points = shapely.points(np.round(lon, COORDINATE_DECIMALS), np.round(lat, COORDINATE_DECIMALS))
    geometries = shapely.to_geojson(points)
    texts = _record_texts(properties) if len(properties.columns) else ["{}"] * len(properties)
    return [
        f'{{"type":"Feature","geometry":{geometry},"properties":{props}}}'
        for geometry, props in zip(geometries, texts, strict=True)
    ]


def _record_texts(columns: pd.DataFrame) -> list[str]:
    """Each row of ``columns`` as one JSON object text, in one call of pandas' writer."""
    if columns.empty:
        return []
    lines = columns.to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
    return _escape_markup(lines).split("\n")[: len(columns)]  # a string's newline is \\n


def _id_texts(frame: pd.DataFrame, layer: Layer) -> list[str]:
    """Each feature's id as JSON text: its key (a string), else its fid (an integer)."""
    if layer.key is None:
        return [str(fid) for fid in frame["fid"].astype("int64").tolist()]
    codes = frame[layer.key].astype(str).tolist()
    if not codes:
        return []
    quoted = "\n".join(map(encode_basestring, codes))
    return _escape_markup(quoted).split("\n")  # JSON writes a newline in a string as \\n


def _escape_markup(text: str) -> str:
    """JSON text with ``<``, ``>`` and ``&`` escaped: they only occur inside JSON strings,
    and no text served reads as markup."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_TIME_FORMATS = {"datetime": "%Y-%m-%dT%H:%M:%S", "date": "%Y-%m-%d"}


def _json_column(series: pd.Series, time_format: str | None) -> list[Any]:
    """A column's values as JSON-ready Python values (ISO text for times, ``None`` for NA)."""
    values = series
    if time_format and pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.dt.strftime(time_format)
    result: list[Any] = values.astype(object).where(series.notna(), None).tolist()
    return result
