"""The JSON API's Flask blueprint: a thin adapter over :mod:`citygrid.web.api`."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from citygrid.web import api
from citygrid.web.state import request_context, web_state

bp = Blueprint("api", __name__, url_prefix="/api")


def api_request() -> api.ApiRequest:
    return api.ApiRequest(
        params=request.args.to_dict(flat=False),
        lang=g.lang,
        body=request.get_data(),
        if_none_match=request.headers.get("If-None-Match"),
    )


def api_response(answer: api.ApiResponse) -> Response:
    return Response(answer.body, status=answer.status, headers=dict(answer.headers))


@bp.get("/health")
def health() -> Response:
    """Whether the database answers with the current schema."""
    return api_response(api.health(request_context(), api_request()))


@bp.get("/layers")
def layers() -> Response:
    """Every layer declaration with its feature count (and parameters, if computed)."""
    return api_response(api.list_layers(request_context(), api_request()))


@bp.get("/layers/<name>/features")
def features(name: str) -> Response:
    """A layer's features in a bbox, as GeoJSON (computed layers run their analysis)."""
    answer = api.get_features(request_context(), name, api_request(), web_state().answers)
    return api_response(answer)


@bp.get("/layers/<name>/features/<code>")
def feature(name: str, code: str) -> Response:
    """One feature, as GeoJSON."""
    return api_response(api.get_feature(request_context(), name, code, api_request()))


@bp.post("/assign")
def assign() -> Response:
    """Make a unit (and head) responsible for one feature (JSON body; see :mod:`api`)."""
    return api_response(api.assign_responsibility(request_context(), api_request()))
