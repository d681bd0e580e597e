"""Query-string parameters of the features API, parsed and checked.

Everything here takes the raw strings a client sent and returns plain
Python values, or raises :class:`~citygrid.errors.BadInput` saying what is
wrong and what to send instead. Nothing here knows about Flask.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from citygrid.errors import BadInput, NotFound
from citygrid.layers.registry import Field, Layer

Bbox = tuple[float, float, float, float]

DEFAULT_LIMIT = 1000
"""Features returned when the client gives no ``limit``."""

MAX_LIMIT = 10000
"""The most features one response carries; a larger ``limit`` is lowered to it
(as OGC API Features asks), and the response says it was truncated."""

RESERVED = ("bbox", "limit", "lang")
"""Query parameters that are not field filters."""

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    """Return the one value of parameter ``name``, ``None`` when absent.

    Raises
    ------
    BadInput
        The parameter was given more than once.
    """
    values = params.get(name) or ()
    if len(values) > 1:
        raise BadInput(
            "The parameter {name} was given {count} times; give it once.",
            name=name,
            count=len(values),
        )
    return values[0] if values else None


def parse_bbox(text: str | None) -> Bbox | None:
    """Parse ``minx,miny,maxx,maxy`` in EPSG:4326 degrees (longitude, latitude).

    Returns ``None`` when ``text`` is ``None``.

    Raises
    ------
    BadInput
        Not four finite numbers, min greater than max, or outside
        longitude -180..180 / latitude -90..90.
    """
    if text is None:
        return None
    parts = text.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise BadInput(
            "bbox={bbox} is not four numbers; send bbox=minx,miny,maxx,maxy in degrees "
            "(longitude, latitude, EPSG:4326), for example bbox=120.5,31.2,120.7,31.4.",
            bbox=text,
        )
    minx, miny, maxx, maxy = numbers
    if minx > maxx or miny > maxy:
        raise BadInput(
            "bbox={bbox} has a minimum greater than its maximum; the order is minx,miny,maxx,maxy.",
            bbox=text,
        )
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise BadInput(
            "bbox={bbox} is outside longitude -180..180 or latitude -90..90; send degrees "
            "in EPSG:4326.",
            bbox=text,
        )
    return (minx, miny, maxx, maxy)


def parse_limit(text: str | None) -> int:
    """Parse ``limit``: a positive integer, lowered to :data:`MAX_LIMIT`.

    Raises
    ------
    BadInput
        Not a positive whole number.
    """
    if text is None:
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit < 1:
        raise BadInput(
            "limit={limit} is not a positive whole number; send, for example, limit=500 "
            "(at most {max}).",
            limit=text,
            max=MAX_LIMIT,
        )
    return min(limit, MAX_LIMIT)


def parse_filters(layer: Layer, params: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Turn the non-reserved parameters into ``{field: value or [values]}`` filters.

    A field may be named by its name or its zh/en label; a repeated
    parameter means "any of these values". Values are converted to the
    field's type and checked against its choices.

    Raises
    ------
    BadInput
        An unknown field, a value of the wrong type or not among the choices.
    """
    filters: dict[str, Any] = {}
    for name, raw_values in params.items():
        if name in RESERVED:
            continue
        try:
            field = layer.field(name)
        except NotFound:
            raise BadInput(
                "Layer {layer} has no field {field!r} to filter by; use one of: {known} "
                "(besides {reserved}).",
                layer=layer.name,
                field=name,
                known=", ".join(layer.field_names),
                reserved=", ".join(RESERVED),
            ) from None
        values = [_convert(field, layer, v) for v in raw_values]
        filters[field.name] = values[0] if len(values) == 1 else values
    return filters


def _convert(field: Field, layer: Layer, text: str) -> Any:
    """Convert one filter value to the field's type, or raise :class:`BadInput`."""
    if field.type in ("date", "datetime"):
        raise BadInput(
            "The field {field} of layer {layer} holds times, which cannot be filtered by an "
            "exact value; leave {field} out and filter by the other fields.",
            field=field.name,
            layer=layer.name,
        )
    allowed = field.choice_values()
    if allowed and text not in allowed:
        raise BadInput(
            "{value!r} is not a value of {field} in layer {layer}; use one of: {allowed}.",
            value=text,
            field=field.name,
            layer=layer.name,
            allowed=", ".join(allowed),
        )
    try:
        return _CONVERTERS[field.type](text)
    except (ValueError, TypeError):
        raise BadInput(
            "{value!r} is not a valid {type} for the field {field} of layer {layer}.",
            value=text,
            type=field.type,
            field=field.name,
            layer=layer.name,
        ) from None


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(text)


_CONVERTERS: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": _bool,
}
