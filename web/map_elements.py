"""folium elements for citygrid's map, backed by ``static/js/citygrid-map.js``.

:class:`BboxGeoJson` is a Leaflet GeoJSON layer that loads the features in
view from the JSON API whenever the map stops moving; it is a folium
``Layer``, so folium's ``LayerControl`` lists it. :class:`Legend` draws the
layers' styles. :func:`use_local_assets` points a folium map at the copies
of Leaflet the app serves itself instead of folium's CDN defaults.
"""

from __future__ import annotations

from typing import Any

import folium
from folium.elements import JSCSSMixin
from folium.map import Layer
from jinja2 import Template

CITYGRID_JS = "citygrid_map_js"


def use_local_assets(fmap: folium.Map, leaflet_js: str, leaflet_css: str) -> None:
    """Load Leaflet from the app's own URLs and nothing else folium would add.

    folium's defaults fetch Leaflet, jQuery, Bootstrap and Awesome Markers
    from CDNs; the map page uses only Leaflet, so this one map instance
    loads just that, from ``leaflet_js`` and ``leaflet_css``. The class
    defaults are left alone.
    """
    fmap.default_js = [("leaflet", leaflet_js)]
    fmap.default_css = [("leaflet_css", leaflet_css)]


class BboxGeoJson(JSCSSMixin, Layer):
    """A layer whose features are fetched from the API for the map's current bbox.

    Parameters
    ----------
    title
        The layer's name in the layer control.
    options
        Options of ``L.citygrid.bboxLayer`` (see ``citygrid-map.js``):
        ``name``, ``title``, ``url``, ``limit``, ``lang``, ``style``,
        ``popup``, ``pane``, ``zIndex``, ``messages``, ``whole``, ``properties``.
    show
        Whether the layer is on when the page opens.
    script_url
        URL of ``citygrid-map.js``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.citygrid.bboxLayer({{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, title: str, options: dict[str, Any], *, show: bool, script_url: str):
        super().__init__(name=title, overlay=True, control=True, show=show)
        self._name = "BboxGeoJson"
        self.options = options
        self.default_js = [(CITYGRID_JS, script_url)]


class Legend(JSCSSMixin, folium.MacroElement):
    """A legend control: each layer's title beside a swatch of its style.

    Parameters
    ----------
    heading
        The legend's heading.
    entries
        ``{"title", "kind" ("polygon", "line" or "point"), "style"}`` per layer.
    script_url
        URL of ``citygrid-map.js``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.citygrid.legend({{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, heading: str, entries: list[dict[str, Any]], *, script_url: str):
        super().__init__()
        self._name = "Legend"
        self.options = {"heading": heading, "entries": entries}
        self.default_js = [(CITYGRID_JS, script_url)]
