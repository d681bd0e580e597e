"""QGIS styles (QML and SLD) from a Leaflet style, stored in a GeoPackage.

The layer registry styles layers with Leaflet path options (``color``,
``fillColor``, ``weight``, ``fillOpacity``, ``opacity``, ``radius``,
``dashArray``), optionally with

- ``categories``: ``{"field": name, "values": [{"value", "color", "zh", "en"}, ...]}``,
  one colour per value of a choice field (hot-spot bins, trend patterns,
  problem statuses...);
- ``ramp``: ``{"field": name, "classes": [{"lower", "upper", "color", "zh", "en"}, ...]}``,
  one colour per numeric class (``lower <= value <= upper``).

:func:`qml` and :func:`sld` turn one into a QGIS style (single symbol,
categorized or graduated, with fill, line or marker symbols by geometry
type) and an OGC Styled Layer Descriptor (one rule per category or class);
:func:`add_gpkg_style` writes both to the GeoPackage's ``layer_styles`` table
as the layer's default, the way QGIS saves styles, so QGIS opens the layer
styled. Category labels are in the export's language (zh_CN unless ``en``).

Leaflet sizes are screen pixels; QGIS takes millimetres at 96 dpi
(1 px = 0.2646 mm).
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from citygrid.i18n import get_language

_MM_PER_PX = 25.4 / 96.0
_DEFAULTS: dict[str, Any] = {
    "color": "#3388ff",
    "weight": 3,
    "opacity": 1.0,
    "fillOpacity": 0.2,
    "radius": 5,
}
_OTHER_VALUES = {"zh": "其他", "en": "other values"}


@dataclass(frozen=True)
class _Class:
    """One symbol of a style: its label, its Leaflet options and what it matches.

    ``value`` is a category's value; ``lower``/``upper`` a graduated class's
    bounds; all ``None`` for a single symbol or the "all other values" class.
    """

    label: str
    style: dict[str, Any]
    value: str | None = None
    lower: float | None = None
    upper: float | None = None


def _kind(geometry_type: str | None) -> str:
    """``fill``, ``line`` or ``marker`` for a geometry type (``Geometry`` styles as fill)."""
    text = (geometry_type or "").lower()
    if "point" in text:
        return "marker"
    if "line" in text:
        return "line"
    return "fill"


def _rgba(color: str, alpha: float) -> tuple[int, int, int, int]:
    value = color.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    red, green, blue = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return red, green, blue, round(max(0.0, min(1.0, float(alpha))) * 255)


def _qcolor(color: str, alpha: float) -> str:
    return ",".join(str(v) for v in _rgba(color, alpha))


def _mm(pixels: float) -> str:
    return f"{float(pixels) * _MM_PER_PX:.3f}"


def _label(entry: Mapping[str, Any], lang: str | None) -> str:
    return str(entry["en"] if (lang or get_language()) == "en" else entry["zh"])


def _coloured(style: Mapping[str, Any], color: str, kind: str) -> dict[str, Any]:
    """The base options with one class's colour: the stroke of a line, the fill otherwise."""
    return {**style, ("color" if kind == "line" else "fillColor"): color}


def _classes(
    style: Mapping[str, Any], kind: str, lang: str | None
) -> tuple[str, str, list[_Class]]:
    """The renderer type, its attribute and its symbols for a Leaflet style."""
    base = {k: v for k, v in style.items() if k not in ("categories", "ramp")}
    if "categories" in style:
        spec = style["categories"]
        classes = [
            _Class(_label(v, lang), _coloured(base, v["color"], kind), value=str(v["value"]))
            for v in spec["values"]
        ]
        # An empty value is QGIS's "all other values": unknown values stay visible.
        classes.append(_Class(_label(_OTHER_VALUES, lang), base, value=""))
        return "categorizedSymbol", str(spec["field"]), classes
    if "ramp" in style:
        spec = style["ramp"]
        classes = [
            _Class(
                _label(c, lang),
                _coloured(base, c["color"], kind),
                lower=float(c["lower"]),
                upper=float(c["upper"]),
            )
            for c in spec["classes"]
        ]
        return "graduatedSymbol", str(spec["field"]), classes
    return "singleSymbol", "", [_Class("", base)]


def _symbol_options(style: Mapping[str, Any], kind: str) -> dict[str, str]:
    merged = {**_DEFAULTS, **style}
    stroke = _qcolor(merged["color"], merged["opacity"])
    fill = _qcolor(merged.get("fillColor", merged["color"]), merged["fillOpacity"])
    dashed = bool(merged.get("dashArray"))
    if kind == "line":
        options = {
            "line_color": stroke,
            "line_width": _mm(merged["weight"]),
            "line_width_unit": "MM",
            "line_style": "dash" if dashed else "solid",
            "capstyle": "round",
            "joinstyle": "round",
        }
    elif kind == "marker":
        options = {
            "name": "circle",
            "color": fill,
            "outline_color": stroke,
            "outline_width": _mm(min(float(merged["weight"]), 2.0)),
            "outline_width_unit": "MM",
            "size": _mm(2 * float(merged["radius"])),
            "size_unit": "MM",
        }
    else:
        options = {
            "color": fill,
            "style": "solid" if float(merged["fillOpacity"]) > 0 else "no",
            "outline_color": stroke,
            "outline_width": _mm(merged["weight"]),
            "outline_width_unit": "MM",
            "outline_style": "dash" if dashed else "solid",
        }
    return options


_SYMBOL_LAYER_CLASS = {"fill": "SimpleFill", "line": "SimpleLine", "marker": "SimpleMarker"}


def _symbol(parent: ET.Element, name: str, style: Mapping[str, Any], kind: str) -> None:
    symbol = ET.SubElement(
        parent, "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    symbol_layer = ET.SubElement(
        symbol,
        "layer",
        {"class": _SYMBOL_LAYER_CLASS[kind], "enabled": "1", "locked": "0", "pass": "0"},
    )
    options = _symbol_options(style, kind)
    # QGIS >= 3.26 reads the Option map; older releases (3.10-3.22 LTR) read <prop>.
    option_map = ET.SubElement(symbol_layer, "Option", type="Map")
    for key, value in options.items():
        ET.SubElement(option_map, "Option", name=key, type="QString", value=value)
    for key, value in options.items():
        ET.SubElement(symbol_layer, "prop", k=key, v=value)


def qml(style: Mapping[str, Any], geometry_type: str | None, *, lang: str | None = None) -> str:
    """A QGIS 3 style (QML text) for a Leaflet style.

    Parameters
    ----------
    style
        Leaflet path options, as in ``Layer.style``; ``categories`` gives a
        categorized renderer (plus an "all other values" class in the base
        style), ``ramp`` a graduated one, neither a single symbol.
    geometry_type
        The layer's geometry type; chooses fill, line or marker symbols.
    lang
        Language of the class labels (``zh_CN`` or ``en``; default: the
        current language).
    """
    kind = _kind(geometry_type)
    renderer_type, attribute, classes = _classes(style, kind, lang)
    root = ET.Element("qgis", version="3.28.0", styleCategories="Symbology")
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        type=renderer_type,
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
    )
    if renderer_type == "categorizedSymbol":
        renderer.set("attr", attribute)
        listing = ET.SubElement(renderer, "categories")
        for number, c in enumerate(classes):
            ET.SubElement(
                listing,
                "category",
                value=c.value or "",
                symbol=str(number),
                label=c.label,
                render="true",
            )
    elif renderer_type == "graduatedSymbol":
        renderer.set("attr", attribute)
        renderer.set("graduatedMethod", "GraduatedColor")
        listing = ET.SubElement(renderer, "ranges")
        for number, c in enumerate(classes):
            ET.SubElement(
                listing,
                "range",
                lower=f"{c.lower:.6f}",
                upper=f"{c.upper:.6f}",
                symbol=str(number),
                label=c.label,
                render="true",
            )
    symbols = ET.SubElement(renderer, "symbols")
    for number, c in enumerate(classes):
        _symbol(symbols, str(number), c.style, kind)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


_NS = {
    "": "http://www.opengis.net/sld",
    "se": "http://www.opengis.net/se",
    "ogc": "http://www.opengis.net/ogc",
}
_SLD, _SE, _OGC = ("{" + _NS[p] + "}" for p in ("", "se", "ogc"))


def _sld_param(parent: ET.Element, key: str, value: Any) -> None:
    ET.SubElement(parent, f"{_SE}SvgParameter", name=key).text = str(value)


def _sld_stroke(parent: ET.Element, merged: Mapping[str, Any]) -> None:
    element = ET.SubElement(parent, f"{_SE}Stroke")
    _sld_param(element, "stroke", merged["color"])
    _sld_param(element, "stroke-opacity", merged["opacity"])
    _sld_param(element, "stroke-width", merged["weight"])
    if merged.get("dashArray"):
        _sld_param(element, "stroke-dasharray", merged["dashArray"])


def _sld_fill(parent: ET.Element, merged: Mapping[str, Any]) -> None:
    element = ET.SubElement(parent, f"{_SE}Fill")
    _sld_param(element, "fill", merged.get("fillColor", merged["color"]))
    _sld_param(element, "fill-opacity", merged["fillOpacity"])


def _sld_symbolizer(rule: ET.Element, style: Mapping[str, Any], kind: str) -> None:
    merged = {**_DEFAULTS, **style}
    if kind == "line":
        _sld_stroke(ET.SubElement(rule, f"{_SE}LineSymbolizer"), merged)
    elif kind == "marker":
        graphic = ET.SubElement(ET.SubElement(rule, f"{_SE}PointSymbolizer"), f"{_SE}Graphic")
        mark = ET.SubElement(graphic, f"{_SE}Mark")
        ET.SubElement(mark, f"{_SE}WellKnownName").text = "circle"
        _sld_fill(mark, merged)
        _sld_stroke(mark, merged)
        ET.SubElement(graphic, f"{_SE}Size").text = str(2 * float(merged["radius"]))
    else:
        symbolizer = ET.SubElement(rule, f"{_SE}PolygonSymbolizer")
        _sld_fill(symbolizer, merged)
        _sld_stroke(symbolizer, merged)


def _sld_comparison(parent: ET.Element, operator: str, attribute: str, value: Any) -> None:
    element = ET.SubElement(parent, f"{_OGC}{operator}")
    ET.SubElement(element, f"{_OGC}PropertyName").text = attribute
    ET.SubElement(element, f"{_OGC}Literal").text = str(value)


def _sld_filter(rule: ET.Element, attribute: str, c: _Class) -> None:
    """The rule's filter: equal to a category, within a class, or every other value."""
    if c.value == "":
        ET.SubElement(rule, f"{_SE}ElseFilter")
        return
    ogc_filter = ET.SubElement(rule, f"{_OGC}Filter")
    if c.value is not None:
        _sld_comparison(ogc_filter, "PropertyIsEqualTo", attribute, c.value)
    else:
        both = ET.SubElement(ogc_filter, f"{_OGC}And")
        _sld_comparison(both, "PropertyIsGreaterThanOrEqualTo", attribute, c.lower)
        _sld_comparison(both, "PropertyIsLessThanOrEqualTo", attribute, c.upper)


def sld(
    style: Mapping[str, Any], geometry_type: str | None, name: str, *, lang: str | None = None
) -> str:
    """An OGC SLD 1.1 document (text) for a Leaflet style: one rule per category or class.

    Parameters are those of :func:`qml`; ``name`` names the layer and its single rule.
    """
    kind = _kind(geometry_type)
    renderer_type, attribute, classes = _classes(style, kind, lang)
    for prefix, uri in _NS.items():
        ET.register_namespace(prefix, uri)
    root = ET.Element(f"{_SLD}StyledLayerDescriptor", version="1.1.0")
    named = ET.SubElement(root, f"{_SLD}NamedLayer")
    ET.SubElement(named, f"{_SE}Name").text = name
    user_style = ET.SubElement(named, f"{_SLD}UserStyle")
    ET.SubElement(user_style, f"{_SE}Name").text = name
    feature_type_style = ET.SubElement(user_style, f"{_SE}FeatureTypeStyle")
    for c in classes:
        rule = ET.SubElement(feature_type_style, f"{_SE}Rule")
        ET.SubElement(rule, f"{_SE}Name").text = c.label or name
        if renderer_type != "singleSymbol":
            ET.SubElement(ET.SubElement(rule, f"{_SE}Description"), f"{_SE}Title").text = c.label
            _sld_filter(rule, attribute, c)
        _sld_symbolizer(rule, c.style, kind)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256),
    f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
    useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT CURRENT_TIMESTAMP
)
"""


def _written_geometry_type(conn: sqlite3.Connection, table: str) -> str | None:
    row = conn.execute(
        "SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
    ).fetchone()
    return str(row[0]) if row else None


def add_gpkg_style(
    path: str | Path,
    table: str,
    style: Mapping[str, Any],
    geometry_type: str | None,
    *,
    title: str | None = None,
    geometry_column: str = "geom",
    lang: str | None = None,
) -> None:
    """Store a layer's style in a GeoPackage's ``layer_styles`` table as its default.

    Parameters
    ----------
    path
        An existing GeoPackage holding the feature table ``table``.
    style
        Leaflet path options.
    geometry_type
        The layer's geometry type; for ``Geometry`` (any) or ``None``, the
        type the GeoPackage declares for the table (points written into an
        any-geometry layer get marker symbols).
    title
        Description shown in QGIS's style manager.
    geometry_column
        The table's geometry column (pyogrio writes ``geom``).
    lang
        Language of the category labels (default: the current language).
    """
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with sqlite3.connect(path) as conn:
        if geometry_type in (None, "Geometry"):
            geometry_type = _written_geometry_type(conn, table) or geometry_type
        conn.execute(_CREATE_TABLE)
        conn.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
            "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', ?)",
            (now,),
        )
        conn.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?", (table,))
        conn.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, 'citygrid', '', ?)",
            (
                table,
                geometry_column,
                table,
                qml(style, geometry_type, lang=lang),
                sld(style, geometry_type, table, lang=lang),
                title or table,
                now,
            ),
        )
