"""OGC API Features under ``/ogc``, free of any web framework.

Part 1 (Core, GeoJSON, OpenAPI 3.0), Part 2 (CRS by reference: CRS84,
EPSG:4326 and EPSG:4490, see :mod:`citygrid.web.ogc_crs`) and the
queryables of Part 3, in the shape of pygeoapi's API: each endpoint takes
the request's :class:`~citygrid.services.context.CityContext` and an
:class:`OgcRequest` and returns an :class:`~citygrid.web.api.ApiResponse`.
Collections are the registry's layers the caller may read (their ids are
the layer names), reached through their providers, so the caller's role
and scope apply and personal fields are withheld as everywhere.

Endpoints (below ``/ogc``)
--------------------------
``/`` landing page; ``/conformance``; ``/api`` (the OpenAPI 3.0 document,
:mod:`citygrid.web.ogc_openapi`); ``/collections``; ``/collections/{id}``;
``/collections/{id}/queryables``; ``/collections/{id}/items``;
``/collections/{id}/items/{featureId}``.

Items take ``bbox`` (with ``bbox-crs``), ``crs``, ``limit`` (default
:data:`DEFAULT_LIMIT`, lowered to :data:`~citygrid.web.params.MAX_LIMIT`),
``datetime`` (an instant or ``start/end`` with ``..`` for an open end, on
the layer's time field, :func:`datetime_field`), ``<field>=<value>``
property filters (the queryables) and, for computed layers, their analysis
parameters. Paging follows the ``next`` and ``prev`` links, whose ``next``
and ``prev`` parameters are positions the server made (pass them back as
they are). Errors answer the standard's exception JSON ``{code,
description}`` with the error's status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

from citygrid.errors import BadInput, CitygridError, NotFound, PermissionDenied, Unauthorized
from citygrid.i18n import DEFAULT_LANGUAGE
from citygrid.layers.registry import Field, Layer
from citygrid.services.context import CityContext
from citygrid.services.providers import (
    Collection,
    FeatureQuery,
    Provider,
    collections,
    provider_for,
)
from citygrid.web import geojson, ogc_crs
from citygrid.web.api import ApiResponse, json_response
from citygrid.web.ogc_openapi import openapi_document
from citygrid.web.params import MAX_LIMIT, parse_bbox, parse_limit, parse_next, single

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"

DEFAULT_LIMIT = 10
"""Features in an items page when the client gives no ``limit`` (the standard's example)."""

PAGES_KEPT = 20
"""How many earlier pages a ``prev`` link can step back through."""

CHINA_TIME = timezone(timedelta(hours=8))
"""Times are stored as the city's local time: China Standard Time, UTC+08:00."""

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
)

RESERVED = ("f", "bbox", "bbox-crs", "crs", "limit", "datetime", "next", "prev", "lang")
"""Query parameters of an items request that are not property filters."""

_EXCEPTION_CODES = {
    BadInput: "InvalidParameterValue",
    NotFound: "NotFound",
    Unauthorized: "NotAuthorized",
    PermissionDenied: "Forbidden",
}


@dataclass(frozen=True)
class OgcRequest:
    """What an OGC endpoint needs from an HTTP request.

    Attributes
    ----------
    params
        Query parameters, each with every value it was given.
    lang
        Language of titles and messages (``zh_CN`` or ``en``).
    base_url
        The absolute URL of the API's landing page without its final slash
        (``http://host:port/ogc``), from which every link is made.
    """

    params: Mapping[str, Sequence[str]] = field(default_factory=dict)
    lang: str = DEFAULT_LANGUAGE
    base_url: str = ""


def _link(href: str, rel: str, media: str, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": media}
    if title:
        link["title"] = title
    return link


def _check_format(request: OgcRequest) -> None:
    wanted = single(request.params, "f")
    if wanted is not None and wanted.strip().lower() not in ("json", "geojson"):
        raise BadInput(
            "f={format} is not a format this API answers; it answers JSON: leave f out or send "
            "f=json.",
            format=wanted,
        )


def landing(ctx: CityContext, request: OgcRequest) -> ApiResponse:
    """The landing page: links to the API document, the conformance and the collections."""
    _check_format(request)
    base = request.base_url
    return json_response(
        {
            "title": "citygrid OGC API Features",
            "description": "Grid cells, streets, alleys, points, problems and analyses of the "
            "city (城市网格化管理).",
            "links": [
                _link(f"{base}/", "self", JSON),
                _link(f"{base}/api", "service-desc", OPENAPI, "OpenAPI 3.0"),
                _link(f"{base}/conformance", "conformance", JSON),
                _link(f"{base}/collections", "data", JSON),
            ],
        },
        content_type=JSON,
    )


def conformance(ctx: CityContext, request: OgcRequest) -> ApiResponse:
    """The conformance classes this API implements."""
    _check_format(request)
    return json_response({"conformsTo": list(CONFORMANCE)}, content_type=JSON)


def api_document(ctx: CityContext, request: OgcRequest) -> ApiResponse:
    """The OpenAPI 3.0 document of this API (:mod:`citygrid.web.ogc_openapi`)."""
    _check_format(request)
    return json_response(
        openapi_document(
            request.base_url,
            MAX_LIMIT,
            DEFAULT_LIMIT,
            ogc_crs.SUPPORTED,
            [c.layer.name for c in _served(ctx)],
        ),
        content_type=OPENAPI,
    )


def _served(ctx: CityContext) -> list[Collection]:
    """Collections the caller may read that can be served (computed ones need their analysis)."""
    return [c for c in collections(ctx) if c.layer.stored or c.analysis is not None]


def list_collections(ctx: CityContext, request: OgcRequest) -> ApiResponse:
    """Every collection the caller may read, with extent, CRS list and links."""
    _check_format(request)
    base = request.base_url
    return json_response(
        {
            "links": [_link(f"{base}/collections", "self", JSON)],
            "collections": [
                _describe(ctx, provider_for(c.layer.name), request) for c in _served(ctx)
            ],
            "crs": list(ogc_crs.SUPPORTED),
        },
        content_type=JSON,
    )


def get_collection(ctx: CityContext, name: str, request: OgcRequest) -> ApiResponse:
    """One collection, if the caller may read it."""
    _check_format(request)
    provider = _provider(ctx, name)
    return json_response(_describe(ctx, provider, request), content_type=JSON)


def _provider(ctx: CityContext, name: str) -> Provider:
    """The provider of a collection the caller may read (401/403 otherwise, 404 when unknown)."""
    provider = provider_for(name)
    ctx.principal.check_read(provider.layer)
    return provider


def _describe(ctx: CityContext, provider: Provider, request: OgcRequest) -> dict[str, Any]:
    layer = provider.layer
    href = f"{request.base_url}/collections/{quote(layer.name)}"
    title = layer.title(request.lang)
    described: dict[str, Any] = {
        "id": layer.name,
        "title": title,
        "description": f"{title} ({layer.name})",
        "itemType": "feature",
        "crs": list(ogc_crs.SUPPORTED),
        "storageCrs": ogc_crs.STORAGE_CRS,
        "links": [
            _link(href, "self", JSON, title),
            _link(f"{href}/items", "items", GEOJSON, title),
            _link(
                f"{href}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", SCHEMA
            ),
        ],
    }
    bbox = _extent(ctx, provider)
    if bbox is not None:
        described["extent"] = {"spatial": {"bbox": [list(bbox)], "crs": ogc_crs.CRS84}}
    return described


def _extent(ctx: CityContext, provider: Provider) -> tuple[float, ...] | None:
    """A stored layer's extent in the caller's scope; a computed layer's: the city's."""
    if not provider.layer.has_geometry:
        return None
    if provider.layer.stored:
        return provider.extent(ctx)
    return ctx.extent


def queryables(ctx: CityContext, name: str, request: OgcRequest) -> ApiResponse:
    """The JSON schema of the properties items may be filtered by (Part 3)."""
    _check_format(request)
    layer = _provider(ctx, name).layer
    shown = [f for f in layer.fields if not f.personal or ctx.principal.personal]
    return json_response(
        {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": f"{request.base_url}/collections/{quote(layer.name)}/queryables",
            "type": "object",
            "title": layer.title(request.lang),
            "properties": {f.name: _queryable(f, request.lang) for f in shown},
            "additionalProperties": False,
        },
        content_type=SCHEMA,
    )


_JSON_TYPES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "date": "string",
    "datetime": "string",
}


def _queryable(found: Field, lang: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": found.label(lang), "type": _JSON_TYPES[found.type]}
    if found.type in ("date", "datetime"):
        schema["format"] = "date" if found.type == "date" else "date-time"
    if found.choices:
        schema["enum"] = [c.value for c in found.choices]
    return schema


def datetime_field(layer: Layer) -> Field | None:
    """The field ``datetime`` filters on: the layer's first indexed date or time field
    (``reported_at`` of problems, ``inspected_at`` of inspections), ``None`` if it has none."""
    return next((f for f in layer.fields if f.type in ("date", "datetime") and f.indexed), None)


def get_items(ctx: CityContext, name: str, request: OgcRequest) -> ApiResponse:
    """A page of a collection's features as GeoJSON, with paging links (see the module)."""
    _check_format(request)
    provider = _provider(ctx, name)
    params = request.params
    crs = ogc_crs.parse_crs(single(params, "crs"), "crs")
    trail = _trail(single(params, "prev"))
    query = _query(provider, request)
    page = provider.features(ctx, query)
    frame = ogc_crs.to_crs(page.frame, crs)
    features = geojson.feature_texts(frame, provider.layer)
    href = f"{request.base_url}/collections/{quote(provider.layer.name)}/items"
    start = query.after or 0
    links = [
        _link(_url(href, params), "self", GEOJSON),
        _link(f"{request.base_url}/collections/{quote(provider.layer.name)}", "collection", JSON),
    ]
    if page.next is not None:
        kept = [*trail, start][-PAGES_KEPT:]
        links.append(_link(_url(href, params, page.next, kept), "next", GEOJSON))
    if query.after is not None and trail:
        links.append(_link(_url(href, params, trail[-1], trail[:-1]), "prev", GEOJSON))
    members: dict[str, Any] = {
        "timeStamp": ctx.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numberReturned": len(features),
    }
    if page.matched is not None:
        members["numberMatched"] = page.matched
    members["links"] = links
    body = geojson.feature_collection(features, members)
    return ApiResponse(200, _geojson_headers(crs), body.encode("utf-8"))


def _geojson_headers(crs: str) -> dict[str, str]:
    return {"Content-Type": GEOJSON, "Content-Crs": ogc_crs.content_crs(crs)}


def _url(
    href: str,
    params: Mapping[str, Sequence[str]],
    after: int | None = None,
    trail: Sequence[int] | None = None,
) -> str:
    """``href`` with the request's parameters, paging ones replaced when given."""
    kept = {k: list(v) for k, v in params.items() if trail is None or k not in ("next", "prev")}
    if trail is not None:
        kept["next"] = [str(after)]
        if trail:
            kept["prev"] = [".".join(str(p) for p in trail)]
    query = urlencode(kept, doseq=True)
    return f"{href}?{query}" if query else href


def _trail(text: str | None) -> list[int]:
    """The positions of the earlier pages a ``prev`` parameter carries."""
    if text is None:
        return []
    positions = [parse_next(part) for part in text.split(".")]
    return [p for p in positions if p is not None]


def _query(provider: Provider, request: OgcRequest) -> FeatureQuery:
    params = request.params
    texts = {k: list(v) for k, v in params.items() if k not in RESERVED}
    moment = single(params, "datetime")
    if moment is not None:
        time_field = datetime_field(provider.layer)
        if time_field is None:
            raise BadInput(
                "Collection {collection} has no time field, so it cannot be filtered by "
                "datetime; leave datetime out.",
                collection=provider.layer.name,
            )
        texts.setdefault(time_field.name, []).append(local_interval(moment))
    limit_text = single(params, "limit")
    return provider.query(
        texts,
        bbox=_bbox(single(params, "bbox"), single(params, "bbox-crs")),
        limit=DEFAULT_LIMIT if limit_text is None else parse_limit(limit_text),
        after=parse_next(single(params, "next")),
    )


def _bbox(text: str | None, crs_text: str | None) -> tuple[float, float, float, float] | None:
    """The ``bbox`` (4 numbers, or 6 with heights, which are ignored) in storage lon/lat."""
    crs = ogc_crs.parse_crs(crs_text, "bbox-crs")
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    try:
        numbers = tuple(float(p) for p in parts)
    except ValueError:
        numbers = ()
    if len(numbers) != 4:
        raise BadInput(
            "bbox={bbox} is not four numbers; send bbox=minx,miny,maxx,maxy in the axis order "
            "of bbox-crs (CRS84: longitude first; EPSG:4326 and EPSG:4490: latitude first).",
            bbox=text,
        )
    if crs != ogc_crs.STORAGE_CRS and (numbers[0] > numbers[2] or numbers[1] > numbers[3]):
        raise BadInput("bbox={bbox}: a minimum is greater than its maximum.", bbox=text)
    lon_lat = numbers if crs == ogc_crs.STORAGE_CRS else ogc_crs.bbox_to_storage(numbers, crs)
    return parse_bbox(",".join(repr(v) for v in lon_lat))


def local_interval(text: str) -> str:
    """An OGC ``datetime`` (instant or ``start/end``) with every end in local time.

    Ends with a time zone (``Z``, ``+08:00``) are converted to China
    Standard Time and written without a zone; ends without one are taken as
    local time; ``..`` and empty ends stay open. The result is what the
    providers' time filters take (:mod:`citygrid.services.providers.filters`).

    Raises
    ------
    BadInput
        An end that is not an ISO 8601 date or date-time.
    """
    return "/".join(_local(part, text) for part in text.split("/"))


def _local(part: str, whole: str) -> str:
    stripped = part.strip()
    if stripped in ("", ".."):
        return stripped
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise BadInput(
            "datetime={value} is not an ISO 8601 instant or interval; send, for example, "
            "2025-03-01T08:00:00Z or 2025-03-01/2025-03-31 (.. for an open end).",
            value=whole,
        ) from None
    if moment.tzinfo is None:
        return stripped
    return moment.astimezone(CHINA_TIME).replace(tzinfo=None).isoformat()


def get_item(ctx: CityContext, name: str, code: str, request: OgcRequest) -> ApiResponse:
    """One feature, by its id (its code, or fid for layers without one), as GeoJSON."""
    _check_format(request)
    provider = _provider(ctx, name)
    crs = ogc_crs.parse_crs(single(request.params, "crs"), "crs")
    texts = {k: list(v) for k, v in request.params.items() if k not in RESERVED}
    frame = ogc_crs.to_crs(provider.feature(ctx, code, provider.query(texts)), crs)
    (feature,) = geojson.feature_texts(frame, provider.layer)
    href = f"{request.base_url}/collections/{quote(provider.layer.name)}"
    links = [
        _link(f"{href}/items/{quote(code)}", "self", GEOJSON),
        _link(href, "collection", JSON),
    ]
    body = f'{feature[:-1]},"links":{geojson.dumps(links)}}}'
    return ApiResponse(200, _geojson_headers(crs), body.encode("utf-8"))


def exception_response(error: CitygridError, lang: str) -> ApiResponse:
    """The standard's exception JSON ``{code, description}`` for an error, with its status."""
    code = next(
        (name for kind, name in _EXCEPTION_CODES.items() if isinstance(error, kind)),
        "NoApplicableCode",
    )
    answer = json_response(
        {"code": code, "description": error.message(lang)}, error.status, content_type=JSON
    )
    if isinstance(error, Unauthorized):
        headers = {**answer.headers, "WWW-Authenticate": 'Bearer realm="citygrid"'}
        return ApiResponse(answer.status, headers, answer.body)
    return answer
