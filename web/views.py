"""The HTML pages' Flask blueprint: the map."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from flask import Blueprint, g, render_template, url_for

from citygrid.errors import Unauthorized
from citygrid.layers.registry import all_layers
from citygrid.services.background import in_background, quietly
from citygrid.services.context import CityContext
from citygrid.services.problems.summary import warm_counts
from citygrid.web import api
from citygrid.web.answers import AnswerCache
from citygrid.web.map_page import MapAssets, RenderedMap, build_map
from citygrid.web.map_problems import ProblemUrls
from citygrid.web.state import request_context, web_state

bp = Blueprint("pages", __name__)


@bp.get("/map")
@bp.get("/")
def map_page() -> str:
    """The map of jurisdictions, grids, streets, alleys and points, with a layer control.

    An anonymous visitor is sent to the sign-in page unless some layers are public. The
    rendered map is kept for the principal and language while the data stays the same;
    building it also counts the problems per cell, for the first low-zoom view of the
    problems layer, and readies the layers the page loads around its view, for the first
    zoom-in, in the background.
    """
    state = web_state()
    ctx = request_context()
    if ctx.principal.anonymous and not ctx.principal.public_layers:
        raise Unauthorized("Sign in to see the map.")
    assets = MapAssets(
        leaflet_js=url_for("static", filename="vendor/leaflet/leaflet.js"),
        leaflet_css=url_for("static", filename="vendor/leaflet/leaflet.css"),
        citygrid_js=url_for("static", filename="js/citygrid-map.js"),
        analyses_js=url_for("static", filename="js/citygrid-analyses.js"),
        analyses_css=url_for("static", filename="css/citygrid-analyses.css"),
        state_js=url_for("static", filename="js/citygrid-state.js"),
    )
    problems = ProblemUrls(
        script=url_for("static", filename="js/citygrid-problems.js"),
        problems=url_for("map_api.problems"),
        who=url_for("map_api.who"),
    )
    features = {layer.name: url_for("api.features", name=layer.name) for layer in all_layers()}

    def build() -> RenderedMap:
        warm_counts(ctx)
        rendered = build_map(ctx, g.lang, assets, features.__getitem__, problems)
        _prepare_in_background(ctx, state.answers, rendered.around_view)
        return rendered

    rendered = state.maps.get(
        state.store, (ctx.principal, g.lang, state.store.data_version()), build
    )
    return render_template("map.html", rendered=rendered, tiles=state.config.tiles)


def _prepare_in_background(
    ctx: CityContext, answers: AnswerCache, layers: Sequence[tuple[str, Sequence[str]]]
) -> None:
    """Ready the answers about ``layers`` around any view in a thread of its own, so the
    first zoom-in of the page finds them ready (see :func:`api.prepare_features`)."""
    if not layers:
        return

    def prepare() -> None:
        for name, properties in layers:
            quietly(
                f"prepare layer {name}",
                partial(api.prepare_features, ctx, name, properties, answers),
            )

    in_background("citygrid-prepare", prepare)
