"""The JSON API, free of any web framework.

Each endpoint is a function taking the request's
:class:`~citygrid.services.context.CityContext` and an :class:`ApiRequest`
(query parameters, language) and returning an :class:`ApiResponse`
(status, headers, body bytes), in the shape of pygeoapi's API classes.
Errors a client can cause are raised as :class:`~citygrid.errors.CitygridError`
from wherever they are found; the adapter turns them into a response with
:func:`error_response`. The Flask blueprint in :mod:`citygrid.web.routes_api`
is a thin adapter over these functions. Every layer is reached through its
provider (:mod:`citygrid.services.providers`), never through the store.

Endpoints
---------
``GET /api/layers``
    :func:`list_layers`: every layer declaration with its feature count and,
    for computed layers, the JSON schema of their analysis parameters.
``GET /api/layers/<name>/features``
    :func:`get_features`: a GeoJSON FeatureCollection in EPSG:4326,
    filtered by ``bbox`` and field values, paged by ``limit`` and ``next``,
    with only the fields ``properties`` names if given;
    computed layers take their analysis parameters. Answers are kept
    (:mod:`citygrid.web.answers`) and carry an ETag.
``GET /api/layers/<name>/features/<code>``
    :func:`get_feature`: one GeoJSON Feature.
``GET /api/health``
    :func:`health`: whether the database answers with the right schema.
``POST /api/assign``
    :func:`assign_responsibility`: make a unit (and head) responsible for
    one feature, within the caller's role and scope.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from citygrid.errors import CitygridError
from citygrid.i18n import DEFAULT_LANGUAGE, translate
from citygrid.services.context import CityContext
from citygrid.services.providers import FeatureQuery, Provider, collections, provider_for
from citygrid.services.providers.source import store_status
from citygrid.services.responsibility.assign import assign
from citygrid.web import geojson
from citygrid.web.answers import AnswerCache, params_key
from citygrid.web.bodies import json_object
from citygrid.web.describe import describe_collection
from citygrid.web.feature_texts import FeatureTexts
from citygrid.web.params import (
    RESERVED,
    parse_bbox,
    parse_limit,
    parse_next,
    parse_properties,
    single,
)

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
    body
        The request body (JSON for the endpoints that change data).
    if_none_match
        The ``If-None-Match`` header: entity tags of answers the client holds.
    """

    params: Mapping[str, Sequence[str]] = field(default_factory=dict)
    lang: str = DEFAULT_LANGUAGE
    body: bytes = b""
    if_none_match: str | None = None


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


def list_layers(ctx: CityContext, request: ApiRequest) -> ApiResponse:
    """Every layer the caller may read: titles, geometry type, fields with labels, style,
    popup, count.

    ``count`` is the number of stored features within the caller's scope,
    ``null`` for computed layers; ``parameters`` is the JSON schema of a
    computed layer's analysis parameters (``null`` for stored layers, and
    for computed layers no installed analysis serves).
    """
    layers = [
        {
            **describe_collection(collection, request.lang),
            "count": provider_for(collection.layer.name).count(ctx)
            if collection.layer.stored
            else None,
        }
        for collection in collections(ctx)
    ]
    return json_response({"layers": layers})


def get_features(
    ctx: CityContext, layer_name: str, request: ApiRequest, answers: AnswerCache | None = None
) -> ApiResponse:
    """Features of one layer as a GeoJSON FeatureCollection in EPSG:4326.

    Query parameters: ``bbox=minx,miny,maxx,maxy`` (degrees, EPSG:4326;
    features intersecting it), ``limit`` (default
    :data:`~citygrid.web.params.DEFAULT_LIMIT`, at most
    :data:`~citygrid.web.params.MAX_LIMIT`), ``next`` (the ``next`` of the
    previous page), ``properties=code,name`` (only these fields in each
    feature's properties), ``<field>=<value>`` filters (see
    :mod:`citygrid.services.providers.filters`: a field given several
    times, by name or label, means "any of"; times take ranges) and, for a
    computed layer, its analysis parameters (``cells=grids``).

    The collection carries ``numberReturned``, ``limit``, ``truncated``
    (more features match than were returned: narrow the bbox or filter, or
    ask for ``next``), ``next`` when truncated, ``numberMatched`` when
    known, and ``parameters`` (given and chosen) for a computed layer.

    With ``answers``, the answer is kept there and reused while the data
    stays the same; a client that sends its ETag back gets a ``304``.
    """
    provider = provider_for(layer_name)
    properties = parse_properties(provider.layer, single(request.params, "properties"))
    query = replace(_query(provider, request), fields=properties)
    if answers is None:
        return _features(ctx, provider, query, properties)
    data = provider.answer_key(ctx, query)
    key = ("features", layer_name, params_key(request.params), request.lang, ctx.principal, data)
    texts = _KeptTexts(answers.features, (layer_name, data, properties))
    return answers.answer(
        key, request.if_none_match, lambda: _features(ctx, provider, query, properties, texts)
    )


def prepare_features(
    ctx: CityContext, layer_name: str, properties: Sequence[str], answers: AnswerCache
) -> None:
    """Ready the answers about the features of ``layer_name`` around any view, with the
    fields ``properties`` (as :func:`get_features` is asked by the map): the layer kept
    whole by its provider and every feature's text kept in ``answers``.

    Slow the first time for a version of the layer (a whole read and every
    feature serialised): run it in the background.
    """
    provider = provider_for(layer_name)
    fields = parse_properties(provider.layer, ",".join(properties))
    query = FeatureQuery(fields=fields)
    data = provider.answer_key(ctx, query)  # before the read: texts never outdate their key
    frame = provider.kept_whole(ctx, query)
    if frame is not None:
        answers.features.texts((layer_name, data, fields), frame, _serialiser(provider, fields))


def _serialiser(
    provider: Provider, properties: tuple[str, ...] | None
) -> Callable[[pd.DataFrame], list[str]]:
    """What makes the GeoJSON texts of a frame of the provider's features."""
    return lambda frame: geojson.feature_texts(frame, provider.layer, properties)


@dataclass(frozen=True)
class _KeptTexts:
    """Where the texts of one layer's features at one data version are kept."""

    kept: FeatureTexts
    key: Hashable


def _features(
    ctx: CityContext,
    provider: Provider,
    query: FeatureQuery,
    properties: tuple[str, ...] | None,
    texts: _KeptTexts | None = None,
) -> ApiResponse:
    """The FeatureCollection of :func:`get_features`; the texts of stored features are
    reused from ``texts`` and kept there."""
    page = provider.features(ctx, query)
    serialise = _serialiser(provider, properties)
    if texts is not None and provider.layer.stored:
        features = texts.kept.texts(texts.key, page.frame, serialise)
    else:
        features = serialise(page.frame)
    members: dict[str, Any] = {
        "layer": provider.layer.name,
        "numberReturned": len(features),
        "limit": query.limit,
        "truncated": page.truncated,
    }
    if page.next is not None:
        members["next"] = page.next
    if page.matched is not None:
        members["numberMatched"] = page.matched
    if page.parameters is not None:
        members["parameters"] = dict(page.parameters)
    body = geojson.feature_collection(features, members)
    return ApiResponse(200, {"Content-Type": GEOJSON}, _utf8(body))


def _query(provider: Provider, request: ApiRequest) -> FeatureQuery:
    """The provider's query from the request's parameters (see :func:`get_features`)."""
    params = request.params
    return provider.query(
        {name: values for name, values in params.items() if name not in RESERVED},
        bbox=parse_bbox(single(params, "bbox")),
        limit=parse_limit(single(params, "limit")),
        after=parse_next(single(params, "next")),
    )


def get_feature(ctx: CityContext, layer_name: str, code: str, request: ApiRequest) -> ApiResponse:
    """One feature, by its code (its fid for layers without a key), as GeoJSON.

    A computed layer's feature is looked up in the result for the analysis
    parameters given in the query string.
    """
    provider = provider_for(layer_name)
    frame = provider.feature(ctx, code, _query(provider, request))
    (feature,) = geojson.feature_texts(frame, provider.layer)
    return ApiResponse(200, {"Content-Type": GEOJSON}, _utf8(feature))


_ASSIGN_FIELDS = {
    "layer": str,
    "code": str,
    "unit": str,
    "head": str,
    "version": int,
    "reason": str,
}
_ASSIGN_REQUIRED = ("layer", "code", "unit")


def assign_responsibility(ctx: CityContext, request: ApiRequest) -> ApiResponse:
    """Make a unit (and head) responsible for one feature of a responsible layer.

    The body is a JSON object: ``layer``, ``code`` and ``unit`` (strings),
    and optionally ``head`` (the person heading it), ``version`` (the
    version the user saw; a stale one gives 409) and ``reason``. The
    answer is ``{"layer", "code", "changed", "version", "before", "after"}``.
    The caller's role must change the layer and the feature must lie in
    their scope (401 or 403 otherwise).
    """
    body = json_object(request.body, _ASSIGN_FIELDS, _ASSIGN_REQUIRED)
    log = assign(
        ctx,
        body["layer"],
        body["code"],
        unit=body["unit"],
        head=body.get("head"),
        version=body.get("version"),
        reason=body.get("reason"),
    )
    answer: dict[str, Any] = {
        "layer": body["layer"],
        "code": body["code"],
        "changed": not log.empty,
    }
    if not log.empty:
        row = log.iloc[0]
        answer.update(version=int(row["version"]), before=row["before"], after=row["after"])
    return json_response(answer)


def health(ctx: CityContext, request: ApiRequest) -> ApiResponse:
    """``{"status": "ok", ...}`` when the database answers and its schema is current.

    Raises what :func:`~citygrid.services.providers.source.store_status` raises
    (a 503 when the database does not answer or has the wrong schema).
    """
    return json_response(store_status(ctx.store))


def error_response(error: CitygridError, lang: str) -> ApiResponse:
    """The JSON answer for an error a client can fix: ``{error, status, message, details}``."""
    return json_response(error.to_dict(lang), status=error.status)


def http_error_response(
    status: int, code: str, message: str, lang: str, params: Mapping[str, str] | None = None
) -> ApiResponse:
    """The JSON answer for an HTTP-level error (no such route, method not allowed...).

    ``message`` is an English message id with ``{placeholders}`` filled from
    ``params`` (which may hold any name, ``status`` included); it is
    translated into ``lang``.
    """
    details = dict(params or {})
    payload = {
        "error": code,
        "status": status,
        "message": translate(message, lang, **details),
        "details": details,
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
