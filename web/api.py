"""The JSON API, free of any web framework.

Each endpoint is a function taking the store and an :class:`ApiRequest`
(query parameters, language) and returning an :class:`ApiResponse`
(status, headers, body bytes), in the shape of pygeoapi's API classes.
Errors a client can cause are raised as :class:`~citygrid.errors.CitygridError`
from wherever they are found; the adapter turns them into a response with
:func:`error_response`. The Flask blueprint in :mod:`citygrid.web.routes_api`
is a thin adapter over these functions.

Endpoints
---------
``GET /api/layers``
    :func:`list_layers`: every layer declaration with its feature count.
``GET /api/layers/<name>/features``
    :func:`get_features`: a GeoJSON FeatureCollection in EPSG:4326,
    filtered by ``bbox``, field values and ``limit``.
``GET /api/layers/<name>/features/<code>``
    :func:`get_feature`: one GeoJSON Feature.
``GET /api/health``
    :func:`health`: whether the database answers with the right schema.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import shapely
import sqlalchemy as sa

from citygrid import __version__
from citygrid.errors import BadInput, CitygridError, NotFound, StoreUnavailable
from citygrid.i18n import DEFAULT_LANGUAGE, translate
from citygrid.layers.registry import Layer, all_layers, get_layer
from citygrid.layers.store import Store
from citygrid.web import geojson
from citygrid.web.describe import describe_layer
from citygrid.web.params import Bbox, parse_bbox, parse_filters, parse_limit, single

JSON = "application/json; charset=utf-8"
GEOJSON = "application/geo+json; charset=utf-8"


@dataclass(frozen=True)
class ApiRequest:
    """What an endpoint needs from an HTTP request.

    Attributes
    ----------
    params
        Query parameters, each with every value it was given.
    lang
        Language of titles, labels and messages (``zh_CN`` or ``en``).
    """

    params: Mapping[str, Sequence[str]] = field(default_factory=dict)
    lang: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class ApiResponse:
    """An HTTP answer: status, headers and the body as bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def json_response(payload: Any, status: int = 200, content_type: str = JSON) -> ApiResponse:
    """An :class:`ApiResponse` carrying ``payload`` as UTF-8 JSON."""
    return ApiResponse(status, {"Content-Type": content_type}, _utf8(geojson.dumps(payload)))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


def list_layers(store: Store, request: ApiRequest) -> ApiResponse:
    """Every layer: titles, geometry type, fields with labels, style, popup, count.

    ``count`` is the number of stored features, ``null`` for computed layers.
    """
    counts = store.counts()
    layers = [
        {**describe_layer(layer, request.lang), "count": counts.get(layer.name)}
        for layer in all_layers()
    ]
    return json_response({"layers": layers})


def get_features(store: Store, layer_name: str, request: ApiRequest) -> ApiResponse:
    """Features of one layer as a GeoJSON FeatureCollection in EPSG:4326.

    Query parameters: ``bbox=minx,miny,maxx,maxy`` (degrees, EPSG:4326;
    features intersecting it), ``limit`` (default
    :data:`~citygrid.web.params.DEFAULT_LIMIT`, at most
    :data:`~citygrid.web.params.MAX_LIMIT`) and ``<field>=<value>``
    equality filters (repeat a parameter for "any of").

    The collection carries ``numberReturned``, ``limit``, ``truncated``
    (more features match than were returned: narrow the bbox or filter)
    and, when not truncated, ``numberMatched``.
    """
    layer = get_layer(layer_name)
    bbox = parse_bbox(single(request.params, "bbox"))
    limit = parse_limit(single(request.params, "limit"))
    filters = parse_filters(layer, request.params)
    if bbox is not None and not layer.has_geometry:
        raise BadInput(
            "Layer {layer} has no geometry, so it cannot be filtered by bbox; leave bbox out.",
            layer=layer.name,
        )
    frame, truncated = _read_features(store, layer, bbox, filters, limit)
    features = geojson.feature_texts(frame, layer)
    members: dict[str, Any] = {
        "layer": layer.name,
        "numberReturned": len(features),
        "limit": limit,
        "truncated": truncated,
    }
    if not truncated:
        members["numberMatched"] = len(features)
    body = geojson.feature_collection(features, members)
    return ApiResponse(200, {"Content-Type": GEOJSON}, _utf8(body))


def _read_features(
    store: Store, layer: Layer, bbox: Bbox | None, filters: dict[str, Any], limit: int
) -> tuple[pd.DataFrame, bool]:
    """The first ``limit`` features (by fid) matching, and whether more match.

    The bbox is applied as the index's bounding-box test in SQL, with the
    limit, and then exactly (shapely) on the rows read, so a bbox over a
    whole city of a million problems reads ``limit + 1`` rows, not all of
    them. ``truncated`` counts bounding-box candidates: it may say more
    features match when the extra ones only touch the bbox's corner.
    """
    conditions = []
    if bbox is not None:
        conditions.append(store.backend.bbox_filter(store.table(layer.name), bbox))
    frame = store.read(layer.name, where=filters or None, filters=conditions, limit=limit + 1)
    truncated = len(frame) > limit
    frame = frame.iloc[:limit]
    if bbox is not None:
        frame = frame[frame.intersects(shapely.box(*bbox))]
    return frame, truncated


def get_feature(store: Store, layer_name: str, code: str, request: ApiRequest) -> ApiResponse:
    """One feature, by its code (its fid for layers without a key), as GeoJSON."""
    layer = get_layer(layer_name)
    key = layer.key or "fid"
    value: str | int = code
    if layer.key is None:
        value = int(code) if code.isdigit() else -1
    frame = store.read(layer.name, where={key: value}, limit=1)
    if frame.empty:
        raise NotFound(
            "Layer {layer} has no feature {code!r}; list its features at "
            "/api/layers/{layer}/features.",
            layer=layer.name,
            code=code,
        )
    (feature,) = geojson.feature_texts(frame, layer)
    return ApiResponse(200, {"Content-Type": GEOJSON}, _utf8(feature))


def health(store: Store, request: ApiRequest) -> ApiResponse:
    """``{"status": "ok", ...}`` when the database answers and its schema is current.

    Raises
    ------
    StoreUnavailable
        The database does not answer.
    SchemaError
        The schema is missing, older or newer than this code.
    """
    try:
        store.check_schema()
        revision = store.schema_revision()
    except sa.exc.SQLAlchemyError as exc:
        raise StoreUnavailable(
            "The database does not answer ({reason}); check that it runs.",
            reason=type(exc).__name__,
        ) from None
    return json_response(
        {
            "status": "ok",
            "version": __version__,
            "schema": revision,
            "database": store.engine.dialect.name,
        }
    )


def error_response(error: CitygridError, lang: str) -> ApiResponse:
    """The JSON answer for an error a client can fix: ``{error, status, message, details}``."""
    return json_response(error.to_dict(lang), status=error.status)


def http_error_response(
    status: int, code: str, message: str, lang: str, **params: str
) -> ApiResponse:
    """The JSON answer for an HTTP-level error (no such route, method not allowed...).

    ``message`` is an English message id with ``{placeholders}`` filled from
    ``params``; it is translated into ``lang``.
    """
    payload = {
        "error": code,
        "status": status,
        "message": translate(message, lang, **params),
        "details": params,
    }
    return json_response(payload, status=status)


def internal_error_response(lang: str) -> ApiResponse:
    """The JSON answer for an unexpected failure: a 500 that reveals no internals."""
    return http_error_response(
        500,
        "internal",
        "Something went wrong on the server; the error was logged. Try again, and tell the "
        "administrator if it happens again.",
        lang,
    )
