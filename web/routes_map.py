"""The map's Flask blueprint: a thin adapter over :mod:`citygrid.web.map_api`."""

from __future__ import annotations

from flask import Blueprint, Response

from citygrid.web import map_api
from citygrid.web.routes_api import api_request, api_response
from citygrid.web.state import request_context, web_state

bp = Blueprint("map_api", __name__, url_prefix="/api")


@bp.get("/map/problems")
def problems() -> Response:
    """Problems in a bbox for a zoom: counts per cell at low zoom, else the problems."""
    answer = map_api.problems_on_map(request_context(), api_request(), web_state().answers)
    return api_response(answer)


@bp.get("/who")
def who() -> Response:
    """Who answers for a place (``lon``, ``lat``), with the chain's names."""
    return api_response(map_api.who_here(request_context(), api_request()))
