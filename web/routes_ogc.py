"""The OGC API Features blueprint (``/ogc``): a thin adapter over :mod:`citygrid.web.ogc`.

Errors raised in these routes (bad tokens included) answer the standard's
exception JSON, and so does any other path below ``/ogc``.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from citygrid.errors import CitygridError, NotFound
from citygrid.web import ogc
from citygrid.web.routes_api import api_response
from citygrid.web.state import request_context

bp = Blueprint("ogc", __name__, url_prefix="/ogc")


def _request() -> ogc.OgcRequest:
    return ogc.OgcRequest(
        params=request.args.to_dict(flat=False),
        lang=g.lang,
        base_url=request.host_url.rstrip("/") + "/ogc",
    )


@bp.get("/")
def landing() -> Response:
    """The landing page."""
    return api_response(ogc.landing(request_context(), _request()))


@bp.get("/conformance")
def conformance() -> Response:
    """The conformance classes."""
    return api_response(ogc.conformance(request_context(), _request()))


@bp.get("/api")
def api_document() -> Response:
    """The OpenAPI 3.0 document."""
    return api_response(ogc.api_document(request_context(), _request()))


@bp.get("/collections")
def collections() -> Response:
    """The collections the caller may read."""
    return api_response(ogc.list_collections(request_context(), _request()))


@bp.get("/collections/<name>")
def collection(name: str) -> Response:
    """One collection."""
    return api_response(ogc.get_collection(request_context(), name, _request()))


@bp.get("/collections/<name>/queryables")
def queryables(name: str) -> Response:
    """The properties a collection's items may be filtered by."""
    return api_response(ogc.queryables(request_context(), name, _request()))


@bp.get("/collections/<name>/items")
def items(name: str) -> Response:
    """A page of features."""
    return api_response(ogc.get_items(request_context(), name, _request()))


@bp.get("/collections/<name>/items/<code>")
def item(name: str, code: str) -> Response:
    """One feature."""
    return api_response(ogc.get_item(request_context(), name, code, _request()))


@bp.get("/<path:rest>")
def elsewhere(rest: str) -> Response:
    """Any other path below /ogc: the standard's 404."""
    raise NotFound("There is nothing at {path}; the API starts at /ogc/.", path=request.path)


@bp.errorhandler(CitygridError)
def _error(error: CitygridError) -> Response:
    return api_response(ogc.exception_response(error, g.get("lang", "zh_CN")))
