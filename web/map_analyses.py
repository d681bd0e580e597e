"""The analysis layers of the map page: hot spots, trends, density and coverage gaps.

Every computed layer of the registry's ``analysis`` group that the
principal may read and an installed analysis serves becomes one
:class:`AnalysisLayer` in the layer control, off when the page opens,
loaded from the JSON API with its analysis parameters when ticked and
coloured by its style's ``categories`` (the scheme the PNG maps and the
QGIS styles use). :class:`AnalysisPanel` adds the parameters form and the
legend of the ticked analysis layers. Both are backed by
``static/js/citygrid-analyses.js``; nothing here knows about Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import folium
from folium.elements import JSCSSMixin
from folium.map import Layer
from jinja2 import Template

from citygrid.i18n import gettext
from citygrid.params import Param
from citygrid.services.context import CityContext
from citygrid.services.problems.filters import FILTER_NAMES, ProblemFilters
from citygrid.services.providers import Collection, collections
from citygrid.web.describe import layer_options
from citygrid.web.map_elements import CITYGRID_JS

ANALYSES_JS = "citygrid_analyses_js"
ANALYSES_CSS = "citygrid_analyses_css"

Z_INDEX = 480
"""Panes of analysis layers start here: above the stored layers, below Leaflet's shadows."""

SUGGESTIONS = {
    "cells": ("grids", "fishnet:250", "hex:250", "h3:9"),
    "weights": ("queen", "rook", "distance:500", "knn:8"),
}
"""Example values offered for parameters with a syntax of their own."""


def analysis_collections(ctx: CityContext) -> list[Collection]:
    """The computed layers of the ``analysis`` group the principal reads and an analysis serves."""
    return [
        collection
        for collection in collections(ctx)
        if collection.layer.group == "analysis"
        and collection.params is not None
        and collection.layer.has_geometry
    ]


def parameter_fields(collection: Collection, lang: str) -> list[dict[str, Any]]:
    """The form fields of a layer's analysis parameters: name, label, type, help, bounds,
    choices, default and suggested values (bbox parameters are left to the map, the
    problem filters to the map's filter panel)."""
    assert collection.params is not None
    return [
        _field(spec, lang)
        for spec in collection.params.specs()
        if spec.type != "bbox" and not (filtered(collection) and spec.name in FILTER_NAMES)
    ]


def filtered(collection: Collection) -> bool:
    """Whether the layer's analysis reads problems, so the map's problem filters apply."""
    return collection.params is not None and issubclass(collection.params, ProblemFilters)


def _field(spec: Param, lang: str) -> dict[str, Any]:
    help_text = gettext(spec.help, lang) + (f" ({spec.unit})" if spec.unit else "")
    return {
        "name": spec.name,
        "label": spec.label(lang),
        "type": spec.type,
        "help": help_text,
        "minimum": spec.minimum,
        "maximum": spec.maximum,
        "choices": list(spec.choices or ()),
        "default": spec.json_schema().get("default"),
        "suggestions": list(SUGGESTIONS.get(spec.name, ())),
    }


def legend_categories(style: dict[str, Any], lang: str) -> dict[str, Any] | None:
    """A style's ``categories`` with each value's label in ``lang``; ``None`` without any."""
    categories = style.get("categories")
    if categories is None:
        return None
    key = "en" if lang == "en" else "zh"
    return {
        "field": categories["field"],
        "values": [
            {"value": v["value"], "color": v["color"], "label": v[key]}
            for v in categories["values"]
        ],
    }


def _kind(geometry_type: str | None) -> str:
    if geometry_type and "Polygon" in geometry_type:
        return "polygon"
    if geometry_type and "Line" in geometry_type:
        return "line"
    return "point"


def add_analysis_layers(
    fmap: folium.Map,
    ctx: CityContext,
    lang: str,
    messages: dict[str, str],
    features_url: Callable[[str], str],
    scripts: tuple[str, str, str],
) -> None:
    """Add the analysis layers (off) and their parameters panel and legend to ``fmap``.

    Parameters
    ----------
    fmap
        The map page's map; call before its ``LayerControl`` is added.
    ctx
        The request's context (which layers the principal reads).
    lang
        Language of titles, labels and messages.
    messages
        The texts of the map's layers (loading, truncated, failed, zoomIn).
    features_url
        Gives the API URL of a layer's features from its name.
    scripts
        URLs of ``citygrid-map.js``, ``citygrid-analyses.js`` and ``citygrid-analyses.css``.
    """
    found = analysis_collections(ctx)
    if not found:
        return
    for order, collection in enumerate(found):
        layer = collection.layer
        style = {k: v for k, v in layer.style.items() if k != "categories"}
        AnalysisLayer(
            layer.title(lang),
            {
                **layer_options(
                    ctx, layer, lang, features_url(layer.name), messages, Z_INDEX + order
                ),
                "style": style,
                "analysis": collection.analysis,
                "kind": _kind(layer.geometry_type),
                "categories": legend_categories(dict(layer.style), lang),
                "parameters": parameter_fields(collection, lang),
                "filtered": filtered(collection),
            },
            scripts=scripts,
        ).add_to(fmap)
    AnalysisPanel(_panel_texts(lang), scripts=scripts).add_to(fmap)


def _panel_texts(lang: str) -> dict[str, str]:
    """Texts of the panel and the legend."""
    return {
        "heading": gettext("Analysis parameters", lang),
        "apply": gettext("Apply", lang),
        "defaults": gettext("Defaults", lang),
        "default": gettext("default", lang),
        "yes": gettext("yes", lang),
        "no": gettext("no", lang),
        "count": gettext("{count} in view", lang),
    }


def _scripts(scripts: tuple[str, str, str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    map_js, analyses_js, analyses_css = scripts
    return [(CITYGRID_JS, map_js), (ANALYSES_JS, analyses_js)], [(ANALYSES_CSS, analyses_css)]


class AnalysisLayer(JSCSSMixin, Layer):
    """An analysis layer loaded from the API with its parameters, coloured by category.

    Parameters
    ----------
    title
        The layer's name in the layer control.
    options
        Options of ``L.citygrid.analysisLayer`` (see ``citygrid-analyses.js``).
    scripts
        URLs of ``citygrid-map.js``, ``citygrid-analyses.js`` and its stylesheet.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.citygrid.analysisLayer({{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, title: str, options: dict[str, Any], *, scripts: tuple[str, str, str]):
        super().__init__(name=title, overlay=True, control=True, show=False)
        self._name = "AnalysisLayer"
        self.options = options
        self.default_js, self.default_css = _scripts(scripts)


class AnalysisPanel(JSCSSMixin, folium.MacroElement):
    """The parameters form of the ticked analysis layer and the legend of every ticked one.

    Parameters
    ----------
    texts
        Its labels and messages in the page's language.
    scripts
        URLs of ``citygrid-map.js``, ``citygrid-analyses.js`` and its stylesheet.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.citygrid.analysisPanel({{ this.options|tojson }})
                .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, texts: dict[str, str], *, scripts: tuple[str, str, str]):
        super().__init__()
        self._name = "AnalysisPanel"
        self.options = {"texts": texts}
        self.default_js, self.default_css = _scripts(scripts)
