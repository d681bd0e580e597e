"""The dashboard page (``/dashboard``), its figures as JSON and its downloads.

Framework-neutral functions over :mod:`citygrid.services.dashboard` with a
thin Flask blueprint. The query string carries the problem filters of the
map (:class:`~citygrid.services.problems.filters.ProblemFilters`: ``since``,
``until``, ``category``, ``statuses``, ``overdue``, ``unit``,
``subdistrict``, ``mine``), so a link keeps them and the downloads follow
them.

Endpoints
---------
``GET /dashboard``
    The page: counts, the monthly trend chart (uPlot, served by the app),
    the worst cells and points, download links.
``GET /api/dashboard/summary``
    :func:`summary`: the same figures as JSON.
``GET /api/dashboard/downloads/<what>.<fmt>``
    :func:`download_file`: a layer (hot spots, a gap finding) or the
    workload as GeoPackage, GeoJSON, zipped shapefile, PNG or CSV.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, g, render_template, request, url_for

from citygrid.errors import Unauthorized
from citygrid.i18n import translate
from citygrid.layers.registry import get_layer
from citygrid.services.context import CityContext
from citygrid.services.dashboard.downloads import WORKLOAD, download, downloadable
from citygrid.services.dashboard.summary import dashboard_summary
from citygrid.services.problems.filters import FILTER_NAMES, ProblemFilters
from citygrid.services.responsibility.panel import changed_layers
from citygrid.web.api import ApiRequest, ApiResponse, json_response
from citygrid.web.routes_api import api_request, api_response
from citygrid.web.state import request_context

bp = Blueprint("dashboard", __name__)


def _filters(request_: ApiRequest) -> ProblemFilters:
    """The problem filters of the query string (other parameters are left to the downloads)."""
    return ProblemFilters.from_text({k: v for k, v in request_.params.items() if k in FILTER_NAMES})


def summary(ctx: CityContext, request_: ApiRequest) -> ApiResponse:
    """Counts, trend and worst places for the caller's scope and the filters, plus the
    ``filters`` applied."""
    filters = _filters(request_)
    return json_response({**dashboard_summary(ctx, filters), "filters": filters.given()})


def download_file(ctx: CityContext, what: str, fmt: str, request_: ApiRequest) -> ApiResponse:
    """One download as an attachment (see
    :func:`~citygrid.services.dashboard.downloads.download`)."""
    _filters(request_)  # bad filter values get their own message before any analysis runs
    found = download(ctx, what, fmt, request_.params)
    headers = {
        "Content-Type": found.media_type,
        "Content-Disposition": f'attachment; filename="{found.filename}"',
    }
    return ApiResponse(200, headers, found.content)


@bp.get("/dashboard")
def page() -> str:
    """The dashboard page for the signed-in user's scope and the query string's filters."""
    ctx = request_context()
    if ctx.principal.anonymous:
        raise Unauthorized("Sign in to see the dashboard.")
    api = api_request()
    filters = _filters(api)
    figures = dashboard_summary(ctx, filters)
    query = request.query_string.decode("ascii", "replace")
    return render_template(
        "dashboard.html",
        figures=figures,
        filters=_shown(filters),
        trend_json=json.dumps(_chart(figures["trend"]), ensure_ascii=False).replace("</", "<\\/"),
        downloads=_links(ctx, query),
        map_url=url_for("pages.map_page") + (f"?{query}" if query else ""),
    )


def _shown(filters: ProblemFilters) -> list[tuple[str, Any]]:
    """The filters set, as ``(label, value)`` in the page's language."""
    labels = {spec.name: spec.en if g.lang == "en" else spec.zh for spec in filters.specs()}
    return [(labels.get(name, name), value) for name, value in filters.given().items()]


def _chart(trend: dict[str, Any]) -> dict[str, Any]:
    """The chart's data and labels in the page's language."""
    return {
        **trend,
        "labels": {
            "reported": translate("Reported", g.lang),
            "closed": translate("Closed", g.lang),
        },
    }


def _links(ctx: CityContext, query: str) -> list[dict[str, Any]]:
    """Each download's title and its links per format, keeping the query string."""
    links = []
    suffix = f"?{query}" if query else ""
    for what, formats in downloadable().items():
        if what == WORKLOAD and not changed_layers(ctx):
            continue  # the workload is for those who assign responsibility
        title = get_layer(what).title(g.lang) if what != WORKLOAD else translate("Workload", g.lang)
        links.append(
            {
                "what": what,
                "title": title,
                "formats": [
                    (fmt, url_for("dashboard.download_route", what=what, fmt=fmt) + suffix)
                    for fmt in formats
                ],
            }
        )
    return links


@bp.get("/api/dashboard/summary")
def summary_route() -> Response:
    """The dashboard's figures as JSON."""
    return api_response(summary(request_context(), api_request()))


@bp.get("/api/dashboard/downloads/<what>.<fmt>")
def download_route(what: str, fmt: str) -> Response:
    """A download of the dashboard."""
    return api_response(download_file(request_context(), what, fmt, api_request()))
