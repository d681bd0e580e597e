"""The map's problem filter panel, its furniture (scale bar, group headings) and URL state.

:func:`add_map_state` adds to a folium map, after its layer control:

- the filter panel of ``static/js/citygrid-state.js`` (the
  :class:`~citygrid.services.problems.filters.ProblemFilters` as a form, with the
  choices the principal may pick), if the principal reads problems;
- a metric scale bar and a heading above each group of the layer control
  (``static/js/citygrid-map.js``), as the registry's ``Layer.group`` says;
- the URL state: view, layers on, filters and analysis parameters in the
  URL's fragment, so a link shows the same map and back/forward work.

Nothing here knows about Flask: URLs come in as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
from folium.elements import JSCSSMixin
from jinja2 import Template

from citygrid.i18n import gettext
from citygrid.layers.registry import get_layer
from citygrid.services.context import CityContext
from citygrid.services.problems.choices import filter_choices
from citygrid.services.problems.filters import FILTER_NAMES, ProblemFilters
from citygrid.services.providers import may_read
from citygrid.web.map_elements import CITYGRID_JS

STATE_JS = "citygrid_state_js"


@dataclass(frozen=True)
class StateUrls:
    """URLs the panel and the URL state use: the two scripts and the problems endpoint
    (``None``: no filter panel)."""

    map_script: str
    state_script: str
    problems: str | None


class _Call(JSCSSMixin, folium.MacroElement):
    """``L.citygrid.<function>(map, options)``, or ``.<function>(options).addTo(map)``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {%- if this.control %}
            L.citygrid.{{ this.function }}({{ this.options|tojson }})
                .addTo({{ this._parent.get_name() }});
        {%- else %}
            L.citygrid.{{ this.function }}(
                {{ this._parent.get_name() }}, {{ this.options|tojson }});
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, function: str, options: dict[str, Any], urls: StateUrls, *, control: bool):
        super().__init__()
        self._name = function
        self.function = function
        self.options = options
        self.control = control
        self.default_js = [(CITYGRID_JS, urls.map_script), (STATE_JS, urls.state_script)]


def group_titles(lang: str) -> dict[str, str]:
    """The layer control's heading of each registry group, in ``lang``."""
    return {
        "base": gettext("Inventory", lang),
        "work": gettext("Work", lang),
        "analysis": gettext("Analyses", lang),
    }


def add_map_state(fmap: folium.Map, ctx: CityContext, lang: str, urls: StateUrls) -> None:
    """Add the filter panel (if the principal reads problems and ``urls.problems`` is
    given), the scale bar, the group
    headings and the URL state to ``fmap`` (call after its layer control is added)."""
    if urls.problems is not None and may_read(ctx, get_layer("problems")):
        _Call(
            "filterPanel",
            {
                "url": urls.problems,
                "lang": lang,
                "names": list(FILTER_NAMES),
                "texts": _texts(lang),
                "choices": filter_choices(ctx, lang).as_dict(),
            },
            urls,
            control=True,
        ).add_to(fmap)
    _Call("cartography", {"groups": group_titles(lang)}, urls, control=False).add_to(fmap)
    _Call("urlState", {"filterNames": list(FILTER_NAMES)}, urls, control=False).add_to(fmap)


def _texts(lang: str) -> dict[str, str]:
    """The panel's labels (those of the filter spec) and messages in ``lang``."""
    labels = {spec.name: spec.label(lang) for spec in ProblemFilters.specs()}
    return {
        **labels,
        "heading": gettext("Filter problems", lang),
        "any": gettext("(any)", lang),
        "apply": gettext("Apply", lang),
        "clear": gettext("Clear", lang),
        "checking": gettext("Checking the filters…", lang),
        "matched": gettext("{count} problems in view match.", lang),
    }
