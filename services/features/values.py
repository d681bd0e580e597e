"""A GeoJSON Feature from a client, read into checked field values and a geometry.

Every property is parsed by :meth:`Field.parse`, the one converter from what
a user typed to a field value, so a choice may be given by its value or its
zh/en label and times in ISO 8601. JSON numbers and booleans are taken for
number and boolean fields, text for everything; objects and arrays never.
The geometry must be of the layer's type (a single part is taken for a
multi type) and is read in EPSG:4326 unless the feature names another CRS
in a ``crs`` member (``EPSG:4490``, ``urn:ogc:def:crs:EPSG::4547``,
``http://www.opengis.net/def/crs/OGC/1.3/CRS84``...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import shapely
import shapely.geometry

from citygrid.errors import BadInput
from citygrid.gis.crs import parse_crs, to_storage
from citygrid.layers.registry import Field, Layer

READ_ONLY = ("version",)
"""Properties a client may send back as it read them but never sets (the version
travels in ``If-Match``)."""

_ACCEPTED_TYPES = {
    "Point": ("Point",),
    "LineString": ("LineString",),
    "MultiLineString": ("LineString", "MultiLineString"),
    "Polygon": ("Polygon",),
    "MultiPolygon": ("Polygon", "MultiPolygon"),
}
_CRS84 = ("crs84", "ogc:1.3:crs84", "urn:ogc:def:crs:ogc:1.3:crs84")


@dataclass(frozen=True)
class FeatureInput:
    """What a client sent for one feature.

    Attributes
    ----------
    values
        Field name -> checked value (``None`` to clear a field).
    geometry
        The geometry in EPSG:4326, or ``None`` when none was sent.
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    geometry: shapely.Geometry | None = None


def read_feature(layer: Layer, feature: Any) -> FeatureInput:
    """Check a GeoJSON Feature (parsed JSON) for ``layer`` and read its values.

    Raises
    ------
    BadInput
        Not a Feature object, an unknown or read-only property, a value of
        the wrong type, a geometry of the wrong type or not valid, an unknown CRS.
    """
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise BadInput(
            'Send one GeoJSON Feature: {{"type": "Feature", "geometry": ..., '
            '"properties": {{...}}}}.'
        )
    unknown = sorted(set(feature) - {"type", "id", "geometry", "properties", "crs", "bbox"})
    if unknown:
        raise BadInput(
            "A Feature has no member {names}; send type, geometry and properties.",
            names=", ".join(unknown),
        )
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise BadInput("The Feature's properties must be an object of field values.")
    values = {
        name: read_value(layer, name, value)
        for name, value in properties.items()
        if name not in READ_ONLY
    }
    return FeatureInput(values, read_geometry(layer, feature.get("geometry"), feature.get("crs")))


def read_value(layer: Layer, name: str, value: Any) -> Any:
    """The value of property ``name`` of ``layer`` as its field holds it (``None`` clears it).

    Raises
    ------
    BadInput
        No such field (the message lists them), a secret field, or a value
        that is not one of the field.
    """
    found = _field(layer, name)
    if value is None:
        return None
    if isinstance(value, str):
        if "\x00" in value:
            raise BadInput(
                "{field} holds a NUL character, which no value can hold; leave it out.",
                field=name,
            )
        return found.parse(value) if value.strip() else None
    if isinstance(value, bool):
        if found.type == "bool":
            return value
    elif isinstance(value, int | float) and found.type in ("int", "float") and not found.choices:
        if isinstance(value, float) and not math.isfinite(value):
            raise _wrong_type(found, value)
        return found.parse(repr(value) if isinstance(value, float) else str(value))
    raise _wrong_type(found, value)


def _field(layer: Layer, name: str) -> Field:
    for candidate in layer.fields:
        if candidate.name == name and not candidate.secret:
            return candidate
    raise BadInput(
        "Layer {layer} has no field {field!r}; its fields are: {known}.",
        layer=layer.name,
        field=name,
        known=", ".join(f.name for f in layer.fields if not f.secret),
    )


def _wrong_type(found: Field, value: Any) -> BadInput:
    return BadInput(
        "{field} takes a {type} value, not {value}.",
        field=found.name,
        type=found.type,
        value=str(value)[:100],
    )


def read_geometry(layer: Layer, geometry: Any, crs: Any = None) -> shapely.Geometry | None:
    """A GeoJSON geometry of ``layer``'s type, in EPSG:4326; ``None`` when none was sent.

    Raises
    ------
    BadInput
        The layer has no geometry, the geometry is of another type, has
        coordinates that are not numbers, is not valid (a self-crossing
        polygon...), lies outside longitude -180..180 / latitude -90..90
        once in EPSG:4326, or ``crs`` is not a CRS.
    """
    if geometry is None:
        return None
    if not layer.has_geometry:
        raise BadInput("Layer {layer} has no geometry; send null.", layer=layer.name)
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    allowed = _ACCEPTED_TYPES.get(layer.geometry_type or "", tuple(_ACCEPTED_TYPES))
    if kind not in allowed:
        raise BadInput(
            "Layer {layer} takes {allowed} geometries, not {kind}.",
            layer=layer.name,
            allowed=" or ".join(allowed),
            kind=str(kind),
        )
    try:
        shape = shapely.geometry.shape(geometry)
    except (
        TypeError,
        ValueError,
        KeyError,
        IndexError,
        AttributeError,
        shapely.errors.ShapelyError,
    ):
        shape = None
    if shape is None or shape.is_empty or not _finite(shape):
        raise BadInput(
            "The {kind} geometry has no usable coordinates; give [longitude, latitude] "
            "numbers as GeoJSON does.",
            kind=kind,
        )
    if not shape.is_valid:
        raise BadInput(
            "The {kind} geometry is not valid ({reason}); fix it and send it again.",
            kind=kind,
            reason=shapely.is_valid_reason(shape),
        )
    stored = to_storage(gpd.GeoSeries([shape]), parse_crs(_crs_name(crs)) if crs else None)[0]
    minx, miny, maxx, maxy = stored.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise BadInput(
            "The geometry lies outside longitude -180..180 and latitude -90..90; send "
            "[longitude, latitude] in EPSG:4326, or name its CRS in a crs member."
        )
    return stored


def _finite(shape: shapely.Geometry) -> bool:
    coords = shapely.get_coordinates(shape)
    return (
        bool(len(coords))
        and bool(shapely.is_valid_input(shape))
        and bool((abs(coords) < math.inf).all())
    )


def _crs_name(crs: Any) -> str:
    """The CRS a GeoJSON ``crs`` member names (``{"type": "name", "properties":
    {"name": ...}}`` or plain text), as :func:`parse_crs` reads it."""
    name = crs
    if isinstance(crs, dict):
        name = (crs.get("properties") or {}).get("name") if crs.get("type") == "name" else None
    if not isinstance(name, str) or not name.strip():
        raise BadInput(
            'A Feature\'s crs must name its CRS: {{"type": "name", "properties": '
            '{{"name": "EPSG:4490"}}}}.'
        )
    text = name.strip()
    lowered = text.lower()
    if lowered.endswith("/crs84") or lowered in _CRS84:
        return "EPSG:4326"
    for prefix in (
        "urn:ogc:def:crs:epsg::",
        "urn:ogc:def:crs:epsg:",
        "http://www.opengis.net/def/crs/epsg/0/",
    ):
        if lowered.startswith(prefix):
            return "EPSG:" + text[len(prefix) :]
    return text
