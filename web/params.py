"""Query-string parameters of the features API: paging and area, parsed and checked.

The web's own spelling of a feature query: ``bbox``, ``limit``, ``next``
and ``lang`` are read here; every other parameter is a field filter or an
analysis parameter, which the layer's provider parses
(:meth:`citygrid.services.providers.Provider.query`). The bbox is parsed
by :func:`citygrid.params.parse_bbox` and checked by the same declaration
as an analysis's bbox. Nothing here knows about Flask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from citygrid.errors import BadInput
from citygrid.layers.registry import INT64_RANGE, Layer
from citygrid.params import Bbox, Param, one_value, parse_int
from citygrid.params import parse_bbox as parse_bbox_text

DEFAULT_LIMIT = 1000
"""Features returned when the client gives no ``limit``."""

MAX_LIMIT = 10000
"""The most features one response carries; a larger ``limit`` is lowered to it
(as OGC API Features asks), and the response says it was truncated."""

RESERVED = ("bbox", "limit", "next", "lang", "properties")
"""Query parameters that are neither field filters nor analysis parameters."""

BBOX = Param(
    "bbox",
    "bbox",
    "范围",
    "bounding box",
    "Features intersecting minx,miny,maxx,maxy (EPSG:4326 degrees).",
)


def single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    """Return the one value of parameter ``name``, ``None`` when absent.

    Raises
    ------
    BadInput
        The parameter was given more than once.
    """
    return one_value(name, params.get(name))


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
    try:
        bbox = parse_bbox_text(text)
    except ValueError:
        raise BadInput(
            "bbox={bbox} is not four numbers; send bbox=minx,miny,maxx,maxy in degrees "
            "(longitude, latitude, EPSG:4326), for example bbox=120.5,31.2,120.7,31.4.",
            bbox=text,
        ) from None
    checked: Bbox = BBOX.check(bbox)
    return checked


def parse_limit(text: str | None) -> int:
    """Parse ``limit``: a positive integer, lowered to :data:`MAX_LIMIT`.

    Raises
    ------
    BadInput
        Not a positive whole number (ASCII digits).
    """
    if text is None:
        return DEFAULT_LIMIT
    limit = _whole(text)
    if limit is None or limit < 1:
        raise BadInput(
            "limit={limit} is not a positive whole number; send, for example, limit=500 "
            "(at most {max}).",
            limit=text,
            max=MAX_LIMIT,
        )
    return min(limit, MAX_LIMIT)


def parse_next(text: str | None) -> int | None:
    """Parse ``next``: the ``next`` member of the previous page, a whole number.

    Raises
    ------
    BadInput
        Not a whole number of 0 or more within 64 bits.
    """
    if text is None:
        return None
    after = _whole(text)
    if after is None or not 0 <= after <= INT64_RANGE[1]:
        raise BadInput(
            "next={next} is not a page position; send back the next member of the previous "
            "response as it is.",
            next=text,
        )
    return after


def parse_properties(layer: Layer, text: str | None) -> tuple[str, ...] | None:
    """Parse ``properties``: field names of ``layer`` separated by commas (``version``
    too); ``None`` (every field) when ``text`` is ``None``.

    Raises
    ------
    BadInput
        A name that is not a field of the layer.
    """
    if text is None:
        return None
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    known = [field.name for field in layer.fields] + ["version"]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise BadInput(
            "properties={properties} names fields that layer {layer} does not have: "
            "{unknown}; use some of: {known}.",
            properties=text,
            layer=layer.name,
            unknown=", ".join(unknown),
            known=", ".join(known),
        )
    return names


def _whole(text: str) -> int | None:
    try:
        return parse_int(text.strip())
    except ValueError:
        return None
