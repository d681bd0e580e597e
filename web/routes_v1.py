"""The ``/api/v1`` blueprint: a thin Flask adapter over :mod:`citygrid.web.api_v1`,
plus the OpenAPI document and its docs page (Swagger UI, served by the app)."""

from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import RequestEntityTooLarge

from citygrid.web import api_v1, openapi
from citygrid.web.api import ApiResponse, http_error_response, json_response
from citygrid.web.state import request_context

bp = Blueprint("api_v1", __name__, url_prefix=api_v1.PREFIX)


@bp.record_once
def _limit_bodies(state: BlueprintSetupState) -> None:
    """Bodies over :data:`~citygrid.web.api_v1.MAX_BODY_BYTES` get 413 before they are read."""
    if state.app.config.get("MAX_CONTENT_LENGTH") is None:
        state.app.config["MAX_CONTENT_LENGTH"] = api_v1.MAX_BODY_BYTES


def v1_request() -> api_v1.V1Request:
    """The current Flask request as the API's :class:`~citygrid.web.api_v1.V1Request`."""
    return api_v1.V1Request(
        params=request.args.to_dict(flat=False),
        lang=g.lang,
        body=request.get_data(),
        if_match=request.headers.get("If-Match"),
        url=request.base_url,
    )


def respond(answer: ApiResponse) -> Response:
    """The Flask response of an :class:`ApiResponse`."""
    return Response(answer.body, status=answer.status, headers=dict(answer.headers))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    return respond(
        http_error_response(
            413,
            "too_large",
            "The request body is larger than {limit} bytes; send less at a time.",
            g.lang,
            {"limit": str(api_v1.MAX_BODY_BYTES)},
        )
    )


@bp.get("")
@bp.get("/")
def landing() -> Response:
    """Links to the document and the docs page."""
    return respond(api_v1.landing(v1_request()))


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.0 document of the layers the caller may read."""
    answer = json_response(openapi.document(request_context()))
    return respond(
        ApiResponse(
            200, {"Content-Type": "application/vnd.oai.openapi+json;version=3.0"}, answer.body
        )
    )


@bp.get("/docs")
def docs() -> str:
    """The API's docs page (Swagger UI over the document)."""
    return render_template(
        "api_docs.html", spec_url=url_for("api_v1.openapi_document", lang=g.lang)
    )


@bp.get("/<layer>")
def list_items(layer: str) -> Response:
    """A page of a layer's features (GeoJSON)."""
    return respond(api_v1.list_items(request_context(), layer, v1_request()))


@bp.post("/problems")
def report() -> Response:
    """Report a problem."""
    return respond(api_v1.report(request_context(), v1_request()))


@bp.post("/<layer>")
def create_item(layer: str) -> Response:
    """Add a feature to an editable layer."""
    return respond(api_v1.create_item(request_context(), layer, v1_request()))


@bp.get("/<layer>/<code>")
def get_item(layer: str, code: str) -> Response:
    """One feature, with its ETag."""
    return respond(api_v1.get_item(request_context(), layer, code, v1_request()))


@bp.patch("/<layer>/<code>")
def patch_item(layer: str, code: str) -> Response:
    """Change some fields of a feature (If-Match required)."""
    return respond(api_v1.update_item(request_context(), layer, code, v1_request(), replace=False))


@bp.put("/<layer>/<code>")
def put_item(layer: str, code: str) -> Response:
    """Replace a feature (If-Match required)."""
    return respond(api_v1.update_item(request_context(), layer, code, v1_request(), replace=True))


@bp.delete("/<layer>/<code>")
def delete_item(layer: str, code: str) -> Response:
    """Delete a feature (If-Match required)."""
    return respond(api_v1.delete_item(request_context(), layer, code, v1_request()))


@bp.post("/problems/<code>/actions/<transition>")
def problem_action(code: str, transition: str) -> Response:
    """Move a problem through its workflow."""
    return respond(api_v1.problem_action(request_context(), code, transition, v1_request()))
