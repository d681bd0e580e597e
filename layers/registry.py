"""The layer registry: every kind of feature declared once.

A :class:`Layer` says what a layer is called (zh and en), its geometry type,
its fields (types, zh/en labels, choices, references), its key, its style,
the fields its popup shows and whether users may edit it. The store's
tables, the import field mapping, the export schemas, the map legend and
layer control, and the API collections are all generated from these
declarations, so adding a layer is one :func:`register` call.

Stored layers are declared in :mod:`citygrid.layers.base_layers`; derived
layers (hot spots, gaps...) in modules listed in ``_BUILTIN_MODULES``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Literal

from citygrid.errors import NotFound
from citygrid.i18n import get_language

FieldType = Literal["str", "int", "float", "bool", "date", "datetime"]
GeometryType = Literal[
    "Point", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "Geometry"
]

_BUILTIN_MODULES = (
    "citygrid.layers.base_layers",
    "citygrid.layers.hotspot_layers",
    "citygrid.layers.gap_layers",
)


@dataclass(frozen=True)
class Choice:
    """One allowed value of a field, with its zh and en labels."""

    value: str
    zh: str
    en: str

    def label(self, lang: str | None = None) -> str:
        """Return the label in ``lang`` (default: the current language)."""
        return self.en if (lang or get_language()) == "en" else self.zh


@dataclass(frozen=True)
class Field:
    """One attribute of a layer.

    Attributes
    ----------
    name
        Column name (ASCII, snake_case).
    type
        One of ``str``, ``int``, ``float``, ``bool``, ``date``, ``datetime``.
    zh, en
        Labels shown to users and accepted as column names on import.
    required
        Every feature must have a value.
    choices
        Allowed values, or ``None`` for any.
    references
        Name of the layer whose ``code`` this field holds (a unit, a person...).
    indexed
        The store keeps an index on this column.
    """

    name: str
    type: FieldType
    zh: str
    en: str
    required: bool = False
    choices: tuple[Choice, ...] | None = None
    references: str | None = None
    indexed: bool = False

    def label(self, lang: str | None = None) -> str:
        """Return the label in ``lang`` (default: the current language)."""
        return self.en if (lang or get_language()) == "en" else self.zh

    def choice_values(self) -> tuple[str, ...]:
        """Return the allowed values, or an empty tuple when any value is allowed."""
        return tuple(c.value for c in self.choices or ())


@dataclass(frozen=True)
class Layer:
    """The declaration of one layer.

    Attributes
    ----------
    name
        Short name used in URLs, table names and the CLI.
    zh, en
        Titles shown to users.
    geometry_type
        Geometry type, or ``None`` for a table without geometry.
    fields
        The attributes, in display order (the key first).
    key
        Field that identifies a feature for users (its code).
    style
        Leaflet path options for the map and the styled exports
        (``color``, ``fillColor``, ``weight``, ``fillOpacity``, ``radius``).
    popup
        Fields the map's popup shows.
    editable
        Users may import into and edit this layer.
    stored
        The layer has a table in the store; derived layers are computed.
    group
        Groups layers in the map's layer control (``base``, ``work``,
        ``analysis``).
    indexes
        Extra indexes over several fields, each a tuple of field names
        (single fields use ``Field.indexed``).
    """

    name: str
    zh: str
    en: str
    geometry_type: GeometryType | None
    fields: tuple[Field, ...]
    key: str | None = "code"
    style: dict[str, Any] = field(default_factory=dict)
    popup: tuple[str, ...] = ()
    editable: bool = True
    stored: bool = True
    group: str = "base"
    indexes: tuple[tuple[str, ...], ...] = ()

    def title(self, lang: str | None = None) -> str:
        """Return the title in ``lang`` (default: the current language)."""
        return self.en if (lang or get_language()) == "en" else self.zh

    @property
    def has_geometry(self) -> bool:
        """Whether features of this layer carry a geometry."""
        return self.geometry_type is not None

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of the fields, in declaration order."""
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        """Return the field called ``name`` (or labelled so in zh or en)."""
        for f in self.fields:
            if name in (f.name, f.zh, f.en):
                return f
        raise NotFound(
            "Layer {layer} has no field {field!r}; its fields are: {known}.",
            layer=self.name,
            field=name,
            known=", ".join(self.field_names),
        )

    def required_fields(self) -> tuple[Field, ...]:
        """Fields every feature must have."""
        return tuple(f for f in self.fields if f.required)


def choice_categories(
    field: str, choices: tuple[Choice, ...], colours: dict[str, str]
) -> dict[str, Any]:
    """A style's ``categories``: the field to colour by and a colour and labels per choice.

    The map, the PNGs and the QGIS styles (:mod:`citygrid.gis.qgis_style`)
    colour features by it; ``colours`` maps each choice's value to a CSS colour.
    """
    return {
        "field": field,
        "values": [
            {"value": c.value, "color": colours[c.value], "zh": c.zh, "en": c.en} for c in choices
        ],
    }


_REGISTRY: dict[str, Layer] = {}
_loaded = False


def register(layer: Layer) -> Layer:
    """Add a layer declaration (a later one with the same name replaces it)."""
    _REGISTRY[layer.name] = layer
    return layer


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _BUILTIN_MODULES:
            importlib.import_module(module)


def all_layers() -> list[Layer]:
    """Every declared layer, stored ones first, in declaration order."""
    _load_builtins()
    layers = list(_REGISTRY.values())
    return [lyr for lyr in layers if lyr.stored] + [lyr for lyr in layers if not lyr.stored]


def stored_layers() -> list[Layer]:
    """Layers with a table in the store."""
    return [lyr for lyr in all_layers() if lyr.stored]


def get_layer(name: str) -> Layer:
    """Return the layer called ``name``, or raise :class:`NotFound` listing the known ones."""
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise NotFound(
            "Unknown layer {name!r}. Known layers: {known}.",
            name=name,
            known=", ".join(_REGISTRY),
        ) from None
