"""Run by Debian's /usr/bin/python3 (not the venv): what QGIS makes of styled GeoPackages.

Usage: ``python3 qgis_probe.py '[{"path": ..., "layer": ...}, ...]'``. Loads
each layer with ``QgsVectorLayer``, applies its default style from the
GeoPackage's ``layer_styles`` table (``loadDefaultStyle``) and prints, as
JSON, per layer: the renderer type, its attribute, its categories or ranges
(value or bounds, label, symbol type, colour) or its single symbol, and the
colour QGIS would draw each feature with.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    QgsApplication,
    QgsRenderContext,
    QgsSymbol,
    QgsVectorLayer,
)

SYMBOL_TYPES = {QgsSymbol.Marker: "marker", QgsSymbol.Line: "line", QgsSymbol.Fill: "fill"}


def _symbol(symbol: QgsSymbol | None) -> dict | None:
    if symbol is None:
        return None
    colour = symbol.color()
    return {
        "type": SYMBOL_TYPES.get(symbol.type()),
        "color": colour.name(),
        "alpha": colour.alpha(),
    }


def _describe(path: str, name: str) -> dict:
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    if not layer.isValid():
        return {"valid": False}
    message, loaded = layer.loadDefaultStyle()
    renderer = layer.renderer()
    out: dict = {"valid": True, "loaded": loaded, "message": message, "renderer": renderer.type()}
    if renderer.type() == "categorizedSymbol":
        out["attribute"] = renderer.classAttribute()
        out["categories"] = [
            {"value": str(c.value()), "label": c.label(), **_symbol(c.symbol())}
            for c in renderer.categories()
        ]
    elif renderer.type() == "graduatedSymbol":
        out["attribute"] = renderer.classAttribute()
        out["ranges"] = [
            {
                "lower": r.lowerValue(),
                "upper": r.upperValue(),
                "label": r.label(),
                **_symbol(r.symbol()),
            }
            for r in renderer.ranges()
        ]
    else:
        out["symbol"] = _symbol(renderer.symbol())
    context = QgsRenderContext()
    renderer.startRender(context, layer.fields())
    attribute = out.get("attribute")
    out["features"] = [
        {
            "value": None if attribute is None else str(feature[attribute]),
            "symbol": _symbol(renderer.symbolForFeature(feature, context)),
        }
        for feature in layer.getFeatures()
    ]
    renderer.stopRender(context)
    return out


def main() -> None:
    app = QgsApplication([], False)
    app.initQgis()
    layers = json.loads(sys.argv[1])
    print(
        json.dumps(
            {
                f"{spec['path']}|{spec['layer']}": _describe(spec["path"], spec["layer"])
                for spec in layers
            }
        )
    )
    app.exitQgis()


if __name__ == "__main__":
    main()
