"""The problem picture and the "who answers here" panel of the map page.

:func:`add_problem_picture` adds to a folium map the problems layer of
``static/js/citygrid-problems.js`` (coloured by status, overdue ones
ringed, counts per cell at low zoom, popups with names; from
:func:`citygrid.web.map_api.problems_on_map`), its legend, and the panel
that a click on the map fills from :func:`citygrid.web.map_api.who_here`.
Nothing here knows about Flask: URLs come in as :class:`ProblemUrls`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
from folium.elements import JSCSSMixin
from folium.map import Layer
from jinja2 import Template

from citygrid.i18n import gettext
from citygrid.layers.registry import get_layer
from citygrid.services.accounts.principal import Principal
from citygrid.services.context import CityContext
from citygrid.services.providers import may_read
from citygrid.web.map_api import AGGREGATE_BELOW_ZOOM

PROBLEMS = "problems"
OVERDUE_COLOUR = "#000000"
_PROBLEMS_JS = "citygrid_problems_js"
_Z_INDEX = 640  # above the inventory layers' panes, below Leaflet's popups (700)


@dataclass(frozen=True)
class ProblemUrls:
    """URLs the problem picture uses: its script and the two endpoints."""

    script: str
    problems: str
    who: str


class _Element(JSCSSMixin, folium.MacroElement):
    """A call of ``L.citygrid.<factory>(options)`` added to the map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.citygrid.{{ this.factory }}({{ this.options|tojson }})
                .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, factory: str, options: dict[str, Any], script_url: str):
        super().__init__()
        self._name = factory
        self.factory = factory
        self.options = options
        self.default_js = [(_PROBLEMS_JS, script_url)]


class ProblemsLayer(JSCSSMixin, Layer):
    """The problems layer in the layer control, on at the start when ``show``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.citygrid.problemsLayer({{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, title: str, options: dict[str, Any], script_url: str, *, show: bool):
        super().__init__(name=title, overlay=True, control=True, show=show)
        self._name = "ProblemsLayer"
        self.options = options
        self.default_js = [(_PROBLEMS_JS, script_url)]


def add_problem_picture(fmap: folium.Map, ctx: CityContext, lang: str, urls: ProblemUrls) -> None:
    """Add the problems layer and its legend (if the principal reads problems) and the
    "who answers here" panel to ``fmap``."""
    if may_read(ctx, get_layer(PROBLEMS)):
        layer = get_layer(PROBLEMS)
        colours = [
            {"status": v["value"], "label": v["en" if lang == "en" else "zh"], "colour": v["color"]}
            for v in layer.style["categories"]["values"]
        ]
        ProblemsLayer(
            layer.title(lang),
            {
                "name": PROBLEMS,
                "group": layer.group,
                "url": urls.problems,
                "title": layer.title(lang),
                "lang": lang,
                "pane": "citygrid-problems",
                "zIndex": _Z_INDEX,
                "statuses": colours,
                "overdueColour": OVERDUE_COLOUR,
                "labels": _popup_labels(lang, ctx.principal.personal),
                "messages": _messages(lang),
                "aggregateBelowZoom": AGGREGATE_BELOW_ZOOM,
            },
            urls.script,
            show=shown_at_start(ctx.principal),
        ).add_to(fmap)
        _Element(
            "problemsLegend",
            {
                "heading": gettext("Problems by status", lang),
                "statuses": colours,
                "overdue": gettext("Overdue (ringed)", lang),
                "overdueColour": OVERDUE_COLOUR,
                "count": gettext("Problems in a grid cell (zoomed out)", lang),
            },
            urls.script,
        ).add_to(fmap)
    labels = _who_labels(lang, ctx.principal.personal)
    _Element("whoPanel", {"url": urls.who, "labels": labels}, urls.script).add_to(fmap)


def shown_at_start(principal: Principal) -> bool:
    """Whether the problems layer is on when the map opens: for those who work on the
    problems of some cells or a unit (grid managers, unit handlers, inspectors); the
    city-wide roles open on the inventory and tick the problems when they want them."""
    role = principal.role
    return role is not None and role.may_write(PROBLEMS) and not principal.city_wide


def _popup_labels(lang: str, personal: bool) -> list[tuple[str, str]]:
    """``(property, label)`` of the popup's rows, in order (a list: JSON objects get sorted)."""
    rows = [
        ("catalogue_name", gettext("Catalogue item", lang)),
        ("description", gettext("Description", lang)),
        ("status_label", gettext("Status", lang)),
        ("point_name", gettext("Point", lang)),
        ("unit_name", gettext("Unit", lang)),
        ("head_name", gettext("Responsible person", lang)),
        ("head_phone", gettext("Phone", lang)),
        ("reported_at_text", gettext("Reported", lang)),
        ("deadline_text", gettext("Deadline", lang)),
        ("days_overdue", gettext("Days overdue", lang)),
        ("closed_at_text", gettext("Closed", lang)),
    ]
    return [row for row in rows if personal or row[0] != "head_phone"]


def _who_labels(lang: str, personal: bool) -> dict[str, str]:
    return {
        "heading": gettext("Who answers here", lang),
        "close": gettext("Close", lang),
        "loading": gettext("Finding who answers here…", lang),
        "answers": gettext("Answers: {unit}", lang),
        "head": gettext("Head: {name}", lang),
        **({"phone": gettext("Phone: {phone}", lang)} if personal else {}),
        "nobody": gettext("No unit answers here yet.", lang),
        "outside": gettext(
            "Outside the city: the nearest sub-district is {name}, {distance} m away.", lang
        ),
        "failed": gettext("Could not find who answers here: {message}", lang),
        "points": gettext("Point", lang),
        "streets": gettext("Street", lang),
        "alleys": gettext("Alley", lang),
        "grids": gettext("Grid cell", lang),
        "jurisdictions": gettext("Sub-district", lang),
        "decides": gettext("decides", lang),
    }


def _messages(lang: str) -> dict[str, str]:
    return {
        "loading": gettext("Loading {title}…", lang),
        "failed": gettext("{title} could not be loaded: {message}", lang),
        "withoutCell": gettext("{count} problems in view lie in no grid cell.", lang),
        "truncated": gettext(
            "Problems: only the first {count} here are shown; zoom in to see all.", lang
        ),
        "overdue": gettext("{count} overdue", lang),
    }
