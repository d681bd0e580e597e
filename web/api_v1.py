"""The REST API under ``/api/v1``, free of any web framework.

In the shape of pygeoapi's API classes: each endpoint takes the request's
:class:`~citygrid.services.context.CityContext` and a :class:`V1Request`
and returns an :class:`~citygrid.web.api.ApiResponse`; the Flask blueprint
(:mod:`citygrid.web.routes_v1`) is a thin adapter. Layers are read through
their providers and changed through :mod:`citygrid.services.features`,
problems through :mod:`citygrid.services.cycle` (intake and the workflow).

Endpoints (``LAYER`` is any layer the registry serves)
------------------------------------------------------
``GET /api/v1/LAYER``
    :func:`list_items`: GeoJSON FeatureCollection, filtered by ``bbox`` and
    field values, ordered by ``sortby``, paged by ``limit`` and ``offset``
    with ``next``/``prev`` links and ``numberMatched``; a computed layer
    takes its analysis parameters.
``GET /api/v1/LAYER/CODE``
    :func:`get_item`: one Feature, its version as the ``ETag``.
``POST /api/v1/LAYER``, ``PATCH``/``PUT``/``DELETE /api/v1/LAYER/CODE``
    :func:`create_item`, :func:`update_item`, :func:`delete_item`: editable
    layers, within the caller's role and scope; ``If-Match`` (the ETag) is
    required to change or delete (428 without it, 412 when stale).
``POST /api/v1/problems``
    :func:`report`: report a problem (a GeoJSON Point Feature).
``POST /api/v1/problems/CODE/actions/TRANSITION``
    :func:`problem_action`: register, dispatch, rectify, verify (close), rework.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from citygrid.errors import BadInput, PreconditionRequired
from citygrid.layers.registry import get_layer
from citygrid.params import parse_int
from citygrid.services.context import CityContext
from citygrid.services.cycle.intake import report_problem
from citygrid.services.cycle.workflow import check_role, get_transition, transition
from citygrid.services.features.edits import (
    check_version,
    create_feature,
    delete_feature,
    editable_layer,
    update_feature,
)
from citygrid.services.features.values import read_feature
from citygrid.services.providers import FeatureQuery, Provider, provider_for
from citygrid.services.providers.scoping import check_write
from citygrid.web import geojson
from citygrid.web.api import GEOJSON, ApiRequest, ApiResponse, json_response
from citygrid.web.bodies import json_object, json_value
from citygrid.web.params import parse_bbox, parse_limit, single

PREFIX = "/api/v1"
MAX_BODY_BYTES = 1024 * 1024
"""The largest request body (bytes) the API reads; the app refuses larger ones with 413."""

PAGING = ("bbox", "limit", "offset", "sortby", "lang")
"""Query parameters of a listing that are neither field filters nor analysis parameters."""

REPORT_FIELDS = ("catalogue_code", "description", "source", "reporter")
"""The properties of a reported problem (its place is the Feature's Point)."""

_ACTION_FIELDS = {"note": str, "unit": str, "condition": str}


@dataclass(frozen=True)
class V1Request(ApiRequest):
    """An :class:`~citygrid.web.api.ApiRequest` (query parameters, language, body) with
    what edits and paging links need.

    Attributes
    ----------
    if_match
        The ``If-Match`` header, ``None`` when absent.
    url
        The request's URL without its query string (for paging links).
    """

    if_match: str | None = None
    url: str = PREFIX


def list_items(ctx: CityContext, layer_name: str, request: V1Request) -> ApiResponse:
    """A page of a layer's features as a GeoJSON FeatureCollection (EPSG:4326).

    Query parameters: ``bbox=minx,miny,maxx,maxy`` (degrees), ``limit``
    (default 1,000, at most 10,000), ``offset`` (default 0), ``sortby``
    (``-reported_at,code``), ``<field>=<value>`` filters (several values
    of one field mean "any of"; times take ranges ``start/end``) and, for
    a computed layer, its analysis parameters. The collection carries
    ``numberMatched``, ``numberReturned``, ``limit``, ``offset``, ``links``
    (``self``, and ``next``/``prev`` where there are such pages) and, for a
    computed layer, the ``parameters`` used.
    """
    provider = provider_for(layer_name)
    query = _query(provider, request)
    page = provider.features(ctx, query)
    features = geojson.feature_texts(page.frame, provider.layer)
    offset = query.offset or 0
    members: dict[str, Any] = {
        "layer": provider.layer.name,
        "numberMatched": page.matched if page.matched is not None else offset + len(features),
        "numberReturned": len(features),
        "limit": query.limit,
        "offset": offset,
        "links": _links(request, offset, query.limit, page.next),
    }
    if page.parameters is not None:
        members["parameters"] = dict(page.parameters)
    body = geojson.feature_collection(features, members)
    return ApiResponse(200, {"Content-Type": GEOJSON}, body.encode("utf-8"))


def _query(provider: Provider, request: V1Request) -> FeatureQuery:
    params = request.params
    return provider.query(
        {name: values for name, values in params.items() if name not in PAGING},
        bbox=parse_bbox(single(params, "bbox")),
        limit=parse_limit(single(params, "limit")),
        sortby=single(params, "sortby"),
        offset=parse_offset(single(params, "offset")),
    )


def parse_offset(text: str | None) -> int:
    """Parse ``offset``: a whole number of 0 or more (0 when absent).

    Raises
    ------
    BadInput
        Not ASCII digits, or beyond 64 bits.
    """
    if text is None:
        return 0
    try:
        offset = parse_int(text.strip())
    except ValueError:
        offset = -1
    if not 0 <= offset < 2**63:
        raise BadInput(
            "offset={offset} is not a whole number of 0 or more; send, for example, offset=1000.",
            offset=text,
        )
    return offset


def _links(request: V1Request, offset: int, limit: int, following: int | None) -> list[dict]:
    def href(at: int) -> str:
        params = [(k, v) for k, values in request.params.items() if k != "offset" for v in values]
        return f"{request.url}?{urlencode([*params, ('offset', str(at))])}"

    links = [{"rel": "self", "type": "application/geo+json", "href": href(offset)}]
    if following is not None:
        links.append({"rel": "next", "type": "application/geo+json", "href": href(following)})
    if offset > 0:
        links.append(
            {"rel": "prev", "type": "application/geo+json", "href": href(max(0, offset - limit))}
        )
    return links


def get_item(ctx: CityContext, layer_name: str, code: str, request: V1Request) -> ApiResponse:
    """One feature as a GeoJSON Feature; a stored one carries its version as the ``ETag``.

    A computed layer's feature is looked up in the result for the analysis
    parameters given in the query string.
    """
    provider = provider_for(layer_name)
    if provider.layer.stored:
        _no_query(request)
        return _feature_response(ctx, provider, code)
    frame = provider.feature(ctx, code, _query(provider, request))
    (feature,) = geojson.feature_texts(frame, provider.layer)
    return ApiResponse(200, {"Content-Type": GEOJSON}, feature.encode("utf-8"))


def _feature_response(
    ctx: CityContext, provider: Provider, code: str, status: int = 200
) -> ApiResponse:
    """The stored feature as the caller may see it, with its ``ETag``."""
    frame = provider.feature(ctx, code)
    (feature,) = geojson.feature_texts(frame, provider.layer)
    headers = {"Content-Type": GEOJSON, "ETag": etag(int(frame["version"].iloc[0]))}
    if status == 201:
        headers["Location"] = f"{PREFIX}/{provider.layer.name}/{code}"
    return ApiResponse(status, headers, feature.encode("utf-8"))


def etag(version: int) -> str:
    """The ``ETag`` of a feature at ``version``: the version as a quoted string."""
    return f'"{version}"'


def if_match_version(header: str | None, *, required: bool = True) -> int | None:
    """The version an ``If-Match`` header names (``"3"`` or ``W/"3"``).

    Raises
    ------
    PreconditionRequired
        The header is missing and ``required``.
    BadInput
        It is not one ETag this API gave.
    """
    if header is None or not header.strip():
        if not required:
            return None
        raise PreconditionRequired(
            "Send the feature's ETag in an If-Match header (read the feature first), so that "
            "nobody's change is overwritten unseen."
        )
    text = header.strip().removeprefix("W/")
    inner = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else ""
    if not (inner.isascii() and inner.isdigit() and len(inner) < 19):
        raise BadInput(
            "If-Match {value!r} is not an ETag of this API; send the ETag header of the "
            'feature as you read it, such as "3".',
            value=header[:100],
        )
    return int(inner)


def create_item(ctx: CityContext, layer_name: str, request: V1Request) -> ApiResponse:
    """Add a feature (a GeoJSON Feature in the body) to an editable layer: 201 with it."""
    layer = editable_layer(layer_name, creating=True)
    _no_query(request)
    given = read_feature(layer, json_value(request.body, MAX_BODY_BYTES))
    stored = create_feature(ctx, layer.name, given)
    return _feature_response(ctx, provider_for(layer.name), str(stored[layer.key or "fid"]), 201)


def update_item(
    ctx: CityContext, layer_name: str, code: str, request: V1Request, *, replace: bool
) -> ApiResponse:
    """Change a feature (PATCH: the properties sent; PUT: the whole feature) at the
    version ``If-Match`` names; the answer is the feature with its new ``ETag``."""
    layer = editable_layer(layer_name)
    _no_query(request)
    version = if_match_version(request.if_match)
    assert version is not None
    given = read_feature(layer, json_value(request.body, MAX_BODY_BYTES))
    update_feature(ctx, layer.name, code, given, version=version, replace=replace)
    return _feature_response(ctx, provider_for(layer.name), code)


def delete_item(ctx: CityContext, layer_name: str, code: str, request: V1Request) -> ApiResponse:
    """Delete a feature at the version ``If-Match`` names: 204."""
    layer = editable_layer(layer_name)
    _no_query(request)
    version = if_match_version(request.if_match)
    assert version is not None
    delete_feature(ctx, layer.name, code, version=version)
    return ApiResponse(204, {}, b"")


def report(ctx: CityContext, request: V1Request) -> ApiResponse:
    """Report a problem: a GeoJSON Feature with a Point and ``catalogue_code``,
    ``description``, ``source`` and ``reporter``; 201 with the problem, routed."""
    _no_query(request)
    layer = get_layer("problems")
    given = read_feature(layer, json_value(request.body, MAX_BODY_BYTES))
    unknown = sorted(set(given.values) - set(REPORT_FIELDS))
    if unknown:
        raise BadInput(
            "A report sets only {known}, not {names}; the rest is set by routing and the workflow.",
            known=", ".join(REPORT_FIELDS),
            names=", ".join(unknown),
        )
    if given.geometry is None:
        raise BadInput("A report needs the place: a Point geometry [longitude, latitude].")
    values = given.values
    intake = report_problem(
        ctx,
        given.geometry.x,
        given.geometry.y,
        values.get("catalogue_code") or "",
        values.get("description"),
        values.get("source") or "inspection",
        values.get("reporter"),
    )
    return _feature_response(ctx, provider_for("problems"), str(intake.problem["code"]), 201)


def problem_action(ctx: CityContext, code: str, name: str, request: V1Request) -> ApiResponse:
    """Move a problem through the workflow: ``name`` is register, dispatch, rectify,
    verify (or close) or rework; the JSON body may hold ``note``, ``unit`` (dispatch)
    and ``condition`` (register). ``If-Match``, when sent, must be the problem's ETag.
    The answer is the problem after the step, with its new ``ETag``."""
    _no_query(request)
    step = get_transition(name)
    body = json_object(request.body, _ACTION_FIELDS, ()) if request.body.strip() else {}
    version = if_match_version(request.if_match, required=False)
    if version is not None:
        check_role(ctx, step)
        check_write(ctx, get_layer("problems"), [code])
        check_version(ctx, get_layer("problems"), code, version)
    transition(
        ctx,
        step.name,
        code,
        note=body.get("note"),
        version=version,
        unit=body.get("unit"),
        condition=body.get("condition"),
    )
    return _feature_response(ctx, provider_for("problems"), code)


def _no_query(request: V1Request) -> None:
    unknown = sorted(set(request.params) - {"lang"})
    if unknown:
        raise BadInput(
            "Unknown query parameters {names}; this request takes only lang.",
            names=", ".join(unknown),
        )


def landing(request: V1Request) -> ApiResponse:
    """Where the API's document, its docs page and its layers are."""
    return json_response(
        {
            "title": "citygrid REST API",
            "links": [
                {"rel": "service-desc", "href": f"{PREFIX}/openapi.json"},
                {"rel": "service-doc", "href": f"{PREFIX}/docs"},
            ],
        }
    )
