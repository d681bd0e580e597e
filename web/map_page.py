"""The folium map of the first map page, built from the layer registry.

Every stored layer with a geometry becomes one :class:`BboxGeoJson` layer
in the layer control, styled and with popups as the registry declares,
and loaded from the JSON API with only the fields it draws: whole, once,
when it fits in one response (cells, streets), else by the map's bbox. Jurisdictions, grids,
streets, alleys and points are on when the page opens; the rest (units,
inspections, problems) are off until the user ticks them. Nothing here
knows about Flask: URLs come in as arguments.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import folium
from branca.element import Figure

from citygrid.i18n import gettext
from citygrid.layers.registry import Layer, all_layers, get_layer, responsible_layers
from citygrid.services.context import CityContext
from citygrid.services.providers import may_read, provider_for
from citygrid.web.describe import layer_options
from citygrid.web.map_analyses import add_analysis_layers
from citygrid.web.map_elements import BboxGeoJson, Legend, use_local_assets
from citygrid.web.map_filters import StateUrls, add_map_state
from citygrid.web.map_problems import PROBLEMS, ProblemUrls, add_problem_picture
from citygrid.web.params import MAX_LIMIT
from citygrid.web.tiles import tile_layers

Bbox = tuple[float, float, float, float]


def shown_by_default() -> tuple[str, ...]:
    """Layers that are on when the page opens: the jurisdictions and every layer a
    unit answers for (the registry's responsible layers); the others start off."""
    return ("jurisdictions", *(layer.name for layer in responsible_layers()))


VIEW_PIXELS = (1600, 1000)
"""Width and height (pixels) of a large browser view, for :func:`_min_zoom`."""

MAX_ZOOM = 19

EMPTY_CENTER = (35.0, 105.0)
"""Centre (latitude, longitude) of the map when the store holds no features: China."""

_DRAW_ORDER = {"MultiPolygon": 0, "Polygon": 0, "MultiLineString": 1, "LineString": 1}
_BASE_Z_INDEX = 410  # above Leaflet's overlayPane (400), below its shadowPane (500)


@dataclass(frozen=True)
class MapAssets:
    """URLs of the scripts and stylesheets the map loads (all served by the app)."""

    leaflet_js: str
    leaflet_css: str
    citygrid_js: str
    analyses_js: str
    analyses_css: str
    state_js: str


@dataclass(frozen=True)
class RenderedMap:
    """The parts of a rendered folium map for the page template.

    Attributes
    ----------
    header
        HTML for ``<head>``: script and style links, the map's styles.
    html
        The map's ``<div>``.
    script
        JavaScript that builds the map (to run after the ``<div>``).
    extent
        ``(minx, miny, maxx, maxy)`` in EPSG:4326 of the features the map
        opens on, ``None`` when the store holds none.
    around_view
        The layers on at opening that the page loads around its view (too
        large to load whole), each with the fields it asks for.
    """

    header: str
    html: str
    script: str
    extent: Bbox | None
    around_view: tuple[tuple[str, tuple[str, ...]], ...] = ()


def map_layers(ctx: CityContext) -> list[Layer]:
    """Stored layers with a geometry that the principal reads, in drawing order: filled
    polygons, outlined polygons (sub-districts above the cells), lines, then points."""
    spatial = [
        layer
        for layer in all_layers()
        if layer.stored and layer.has_geometry and may_read(ctx, layer)
    ]
    return sorted(spatial, key=_draw_rank)


def _draw_rank(layer: Layer) -> tuple[int, int]:
    order = _DRAW_ORDER.get(layer.geometry_type or "", 2)
    return order, int(order == 0 and _outline(layer))


def _outline(layer: Layer) -> bool:
    """A polygon layer drawn as outlines only (no fill), as the jurisdictions are."""
    return layer.style.get("fillOpacity", 0.2) == 0 and "fillColor" not in layer.style


def control_order(layers: list[Layer]) -> list[Layer]:
    """``layers`` in the layer control's order: by the registry's group (inventory, then
    work), in drawing order within a group."""
    groups = {"base": 0, "work": 1, "analysis": 2}
    return sorted(layers, key=lambda layer: (groups.get(layer.group, 3), _draw_rank(layer)))


def data_extent(ctx: CityContext, names: tuple[str, ...] | None = None) -> Bbox | None:
    """Union of the extents of the ``names`` layers (default: those shown when the page
    opens), EPSG:4326; ``None`` if all are empty. A user with a scope gets the extent of
    the features held by their scope's codes (their cells), not of the jurisdictions
    everyone reads whole nor of streets running on beyond the scope."""
    names = names if names is not None else shown_by_default()
    readable = [layer for layer in map(get_layer, names) if may_read(ctx, layer)]
    candidates = [readable]
    if not ctx.principal.city_wide:  # the scope's own features first, then what is near
        held = [lyr for lyr in readable if not (lyr.access.shared or lyr.access.located)]
        candidates = [held, [lyr for lyr in readable if not lyr.access.shared], readable]
    extents: list[Bbox] = []
    for layers in candidates:
        extents = [e for e in (provider_for(lyr.name).extent(ctx) for lyr in layers) if e]
        if extents:
            break
    if not extents:
        return None
    minxs, minys, maxxs, maxys = zip(*extents, strict=True)
    return (min(minxs), min(minys), max(maxxs), max(maxys))


def build_map(
    ctx: CityContext,
    lang: str,
    assets: MapAssets,
    features_url: Callable[[str], str],
    problems: ProblemUrls | None = None,
) -> RenderedMap:
    """Build and render the map page's folium map.

    Parameters
    ----------
    ctx
        The request's context: its store gives the extent and the counts
        (through the providers; the page fetches the features from the
        API), its config chooses the base tiles.
    lang
        Language of titles, labels and messages.
    assets
        URLs of Leaflet, ``citygrid-map.js``, ``citygrid-analyses.js`` and
        ``citygrid-state.js``.
    features_url
        Gives the API URL of a layer's features from its name.
    problems
        URLs of the problem picture and the "who answers here" panel
        (:mod:`citygrid.web.map_problems`), which then draw the problems;
        ``None`` draws them as any other layer, with no panel.
    """
    extent = data_extent(ctx)
    fmap = folium.Map(
        location=EMPTY_CENTER if extent is None else _centre(extent),
        zoom_start=4 if extent is None else 13,
        tiles=None,
        control_scale=False,  # a metric scale bar comes with add_map_state
        max_zoom=MAX_ZOOM,
        zoom_snap=0.25,  # fit the city to the window, not to the nearest whole zoom
    )
    use_local_assets(fmap, assets.leaflet_js, assets.leaflet_css)
    for tiles in tile_layers(ctx.config, lang):
        tiles.add_to(fmap)
    messages = _messages(lang)
    layers = [layer for layer in map_layers(ctx) if problems is None or layer.name != PROBLEMS]
    shown = shown_by_default()
    z_index = {layer.name: _BASE_Z_INDEX + 5 * order for order, layer in enumerate(layers)}
    around_view = []
    for layer in control_order(layers):
        count = provider_for(layer.name).count(ctx) or 0
        options = layer_options(
            ctx, layer, lang, features_url(layer.name), messages, z_index[layer.name]
        )
        if _outline(layer):  # only the outline takes clicks: the cells below keep theirs
            options["style"] = {**options["style"], "fill": False}
        properties = drawn_properties(layer, options["popup"])
        if count > MAX_LIMIT and layer.name in shown:
            around_view.append((layer.name, tuple(properties)))
        BboxGeoJson(
            layer.title(lang),
            {
                **options,
                "loadMinZoom": load_min_zoom(count, extent),
                "whole": count <= MAX_LIMIT,
                "properties": properties,
                "label": cell_labels(layer),
            },
            show=layer.name in shown,
            script_url=assets.citygrid_js,
        ).add_to(fmap)
    Legend(
        gettext("Legend", lang),
        [
            {"title": layer.title(lang), "kind": _legend_kind(layer), "style": dict(layer.style)}
            for layer in layers
        ],
        script_url=assets.citygrid_js,
    ).add_to(fmap)
    if problems is not None:
        add_problem_picture(fmap, ctx, lang, problems)
    add_analysis_layers(
        fmap,
        ctx,
        lang,
        messages,
        features_url,
        (assets.citygrid_js, assets.analyses_js, assets.analyses_css),
    )
    folium.LayerControl(collapsed=False).add_to(fmap)
    if extent is not None:
        minx, miny, maxx, maxy = extent
        fmap.fit_bounds([[miny, minx], [maxy, maxx]], max_zoom=17)
    add_map_state(
        fmap,
        ctx,
        lang,
        StateUrls(assets.citygrid_js, assets.state_js, problems.problems if problems else None),
    )
    return _render(fmap, extent, tuple(around_view))


LABEL_MIN_ZOOM = 16
"""From this zoom in, grid cells show their codes."""


def cell_labels(layer: Layer) -> dict[str, object] | None:
    """The label option of a layer: the key of polygon layers a unit answers for (the grid
    cells' codes) from :data:`LABEL_MIN_ZOOM` in; ``None`` for other layers."""
    polygons = _DRAW_ORDER.get(layer.geometry_type or "", 2) == 0
    if polygons and layer.key and layer.name in {r.name for r in responsible_layers()}:
        return {"field": layer.key, "minZoom": LABEL_MIN_ZOOM}
    return None


def drawn_properties(layer: Layer, popup: list[dict[str, Any]]) -> list[str]:
    """The fields the map fetches of a stored layer's features: its key, its name, the
    ``popup`` rows' fields (those the user may see) and the label's; the rest stays on
    the server."""
    label = cell_labels(layer)
    wanted = {layer.key, "name", *(row["name"] for row in popup), label["field"] if label else None}
    return [field.name for field in layer.fields if field.name in wanted]


def _render(
    fmap: folium.Map, extent: Bbox | None, around_view: tuple[tuple[str, tuple[str, ...]], ...]
) -> RenderedMap:
    figure = cast(Figure, fmap.get_root())
    figure.render()  # adds the script and style links of every element to the header
    return RenderedMap(
        header=figure.header.render(),
        html=figure.html.render(),
        script=figure.script.render(),
        extent=extent,
        around_view=around_view,
    )


def load_min_zoom(count: int, extent: Bbox | None) -> int | None:
    """The lowest zoom at which a layer's features in view likely fit in one response.

    Assumes the features spread evenly over ``extent`` and a view of
    :data:`VIEW_PIXELS` (padded by a quarter on each side, as the page's
    script does); ``None`` when the whole layer fits at any zoom. Below
    this zoom the page asks the user to zoom in rather than showing an
    arbitrary first part of the features, which would look like gaps.
    """
    if count <= MAX_LIMIT or extent is None:
        return None
    minx, miny, maxx, maxy = extent
    extent_area = max((maxx - minx) * (maxy - miny), 1e-12)
    shrink = math.cos(math.radians((miny + maxy) / 2))
    width_px, height_px = VIEW_PIXELS
    for zoom in range(MAX_ZOOM + 1):
        degrees_per_px = 360 / (256 * 2**zoom)
        view_area = (1.5 * width_px * degrees_per_px) * (1.5 * height_px * degrees_per_px * shrink)
        if count * min(1.0, view_area / extent_area) <= MAX_LIMIT:
            return zoom
    return MAX_ZOOM


def _centre(extent: Bbox) -> tuple[float, float]:
    minx, miny, maxx, maxy = extent
    return ((miny + maxy) / 2, (minx + maxx) / 2)


def _legend_kind(layer: Layer) -> str:
    order = _DRAW_ORDER.get(layer.geometry_type or "", 2)
    return ("polygon", "line", "point")[order]


def _messages(lang: str) -> dict[str, str]:
    """Texts the page's script shows, with ``{title}``, ``{count}``, ``{message}`` left in."""
    return {
        "loading": gettext("Loading {title}…", lang),
        "truncated": gettext(
            "{title}: only the first {count} features here are shown; zoom in to see all.", lang
        ),
        "failed": gettext("{title} could not be loaded: {message}", lang),
        "zoomIn": gettext("Zoom in to see {title}.", lang),
    }
