"""QGIS styles (QML and SLD) from a Leaflet style, stored in a GeoPackage.

The layer registry styles layers with Leaflet path options (``color``,
``fillColor``, ``weight``, ``fillOpacity``, ``opacity``, ``radius``,
``dashArray``). :func:`qml` and :func:`sld` turn one into a single-symbol
QGIS style and an OGC Styled Layer Descriptor; :func:`add_gpkg_style` writes
both to the GeoPackage's ``layer_styles`` table as the layer's default, the
way QGIS saves styles, so QGIS opens the layer styled.

Leaflet sizes are screen pixels; QGIS takes millimetres at 96 dpi
(1 px = 0.2646 mm).
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_MM_PER_PX = 25.4 / 96.0
_DEFAULTS: dict[str, Any] = {
    "color": "#3388ff",
    "weight": 3,
    "opacity": 1.0,
    "fillOpacity": 0.2,
    "radius": 5,
}


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


def qml(style: Mapping[str, Any], geometry_type: str | None) -> str:
    """A QGIS 3 single-symbol style (QML text) for a Leaflet style.

    Parameters
    ----------
    style
        Leaflet path options, as in ``Layer.style``.
    geometry_type
        The layer's geometry type; chooses a fill, line or marker symbol.
    """
    kind = _kind(geometry_type)
    root = ET.Element("qgis", version="3.28.0", styleCategories="Symbology")
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        type="singleSymbol",
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
    )
    symbols = ET.SubElement(renderer, "symbols")
    symbol = ET.SubElement(
        symbols, "symbol", type=kind, name="0", alpha="1", clip_to_extent="1", force_rhr="0"
    )
    symbol_layer = ET.SubElement(
        symbol,
        "layer",
        {"class": _SYMBOL_LAYER_CLASS[kind], "enabled": "1", "locked": "0", "pass": "0"},
    )
    options = _symbol_options(style, kind)
    # QGIS >= 3.26 reads the Option map; older releases (3.10-3.22 LTR) read <prop>.
    option_map = ET.SubElement(symbol_layer, "Option", type="Map")
    for name, value in options.items():
        ET.SubElement(option_map, "Option", name=name, type="QString", value=value)
    for name, value in options.items():
        ET.SubElement(symbol_layer, "prop", k=name, v=value)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


def sld(style: Mapping[str, Any], geometry_type: str | None, name: str) -> str:
    """An OGC SLD 1.1 document (text) for a Leaflet style."""
    merged = {**_DEFAULTS, **style}
    kind = _kind(geometry_type)
    ns = {
        "": "http://www.opengis.net/sld",
        "se": "http://www.opengis.net/se",
        "ogc": "http://www.opengis.net/ogc",
    }
    for prefix, uri in ns.items():
        ET.register_namespace(prefix, uri)
    sld_ns, se = "{" + ns[""] + "}", "{" + ns["se"] + "}"
    root = ET.Element(f"{sld_ns}StyledLayerDescriptor", version="1.1.0")
    named = ET.SubElement(root, f"{sld_ns}NamedLayer")
    ET.SubElement(named, f"{se}Name").text = name
    user_style = ET.SubElement(named, f"{sld_ns}UserStyle")
    ET.SubElement(user_style, f"{se}Name").text = name
    rule = ET.SubElement(ET.SubElement(user_style, f"{se}FeatureTypeStyle"), f"{se}Rule")
    ET.SubElement(rule, f"{se}Name").text = name

    def param(parent: ET.Element, tag: str, key: str, value: Any) -> None:
        ET.SubElement(parent, f"{se}{tag}", name=key).text = str(value)

    def stroke(parent: ET.Element) -> None:
        element = ET.SubElement(parent, f"{se}Stroke")
        param(element, "SvgParameter", "stroke", merged["color"])
        param(element, "SvgParameter", "stroke-opacity", merged["opacity"])
        param(element, "SvgParameter", "stroke-width", merged["weight"])
        if merged.get("dashArray"):
            param(element, "SvgParameter", "stroke-dasharray", merged["dashArray"])

    def fill(parent: ET.Element) -> None:
        element = ET.SubElement(parent, f"{se}Fill")
        param(element, "SvgParameter", "fill", merged.get("fillColor", merged["color"]))
        param(element, "SvgParameter", "fill-opacity", merged["fillOpacity"])

    if kind == "line":
        stroke(ET.SubElement(rule, f"{se}LineSymbolizer"))
    elif kind == "marker":
        graphic = ET.SubElement(ET.SubElement(rule, f"{se}PointSymbolizer"), f"{se}Graphic")
        mark = ET.SubElement(graphic, f"{se}Mark")
        ET.SubElement(mark, f"{se}WellKnownName").text = "circle"
        fill(mark)
        stroke(mark)
        ET.SubElement(graphic, f"{se}Size").text = str(2 * float(merged["radius"]))
    else:
        symbolizer = ET.SubElement(rule, f"{se}PolygonSymbolizer")
        fill(symbolizer)
        stroke(symbolizer)
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


def add_gpkg_style(
    path: str | Path,
    table: str,
    style: Mapping[str, Any],
    geometry_type: str | None,
    *,
    title: str | None = None,
    geometry_column: str = "geom",
) -> None:
    """Store a layer's style in a GeoPackage's ``layer_styles`` table as its default.

    Parameters
    ----------
    path
        An existing GeoPackage holding the feature table ``table``.
    style
        Leaflet path options.
    geometry_type
        The layer's geometry type.
    title
        Description shown in QGIS's style manager.
    geometry_column
        The table's geometry column (pyogrio writes ``geom``).
    """
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with sqlite3.connect(path) as conn:
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
                qml(style, geometry_type),
                sld(style, geometry_type, table),
                title or table,
                now,
            ),
        )
