"""What users see of a layer declaration: titles, labels, choices, style, popup.

Shared by the JSON API (``/api/layers``) and the map page, so the layer
control, the legend and the popups say exactly what the API says.
"""

from __future__ import annotations

from typing import Any

from citygrid.i18n import LANGUAGES
from citygrid.layers.registry import Field, Layer
from citygrid.services.context import CityContext
from citygrid.services.providers import Collection
from citygrid.web.params import MAX_LIMIT


def describe_field(field: Field, lang: str) -> dict[str, Any]:
    """A field's name, type and labels (in ``lang`` and in every language)."""
    return {
        "name": field.name,
        "type": field.type,
        "label": field.label(lang),
        "labels": {code: field.label(code) for code in LANGUAGES},
        "required": field.required,
        "references": field.references,
        "choices": [
            {"value": c.value, "label": c.label(lang), "labels": {k: c.label(k) for k in LANGUAGES}}
            for c in field.choices or ()
        ]
        or None,
    }


def describe_layer(layer: Layer, lang: str) -> dict[str, Any]:
    """Everything a client needs to list, draw and explain a layer."""
    return {
        "name": layer.name,
        "title": layer.title(lang),
        "titles": {code: layer.title(code) for code in LANGUAGES},
        "geometry_type": layer.geometry_type,
        "key": layer.key,
        "stored": layer.stored,
        "editable": layer.editable,
        "group": layer.group,
        "style": dict(layer.style),
        "popup": list(layer.popup),
        "fields": [describe_field(f, lang) for f in layer.fields],
    }


def describe_collection(collection: Collection, lang: str) -> dict[str, Any]:
    """:func:`describe_layer` plus ``analysis`` and the JSON schema of its ``parameters``.

    Both are ``null`` for stored layers and for computed layers no
    installed analysis serves.
    """
    return {
        **describe_layer(collection.layer, lang),
        "analysis": collection.analysis,
        "parameters": collection.parameters_schema(),
    }


def popup_fields(layer: Layer, lang: str, personal: bool = True) -> list[dict[str, Any]]:
    """The popup's rows: field name, label in ``lang`` and labels of its choices; without
    personal fields (phone numbers...) unless ``personal``."""
    rows = []
    for name in layer.popup:
        field = layer.field(name)
        if field.personal and not personal:
            continue
        rows.append(
            {
                "name": field.name,
                "label": field.label(lang),
                "choices": {c.value: c.label(lang) for c in field.choices or ()},
            }
        )
    return rows


def layer_options(
    ctx: CityContext,
    layer: Layer,
    lang: str,
    url: str,
    messages: dict[str, str],
    z_index: int,
) -> dict[str, Any]:
    """The options every map layer loaded from the JSON API takes (``citygrid-map.js``'s
    BboxLayer): its name, group, title, URL, page size, style, popup rows for ``ctx``'s
    principal, pane and z-index, and the messages it shows."""
    return {
        "name": layer.name,
        "group": layer.group,
        "title": layer.title(lang),
        "url": url,
        "limit": MAX_LIMIT,
        "lang": lang,
        "style": dict(layer.style),
        "popup": popup_fields(layer, lang, ctx.principal.personal),
        "pane": f"citygrid-{layer.name}",
        "zIndex": z_index,
        "messages": messages,
    }
