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

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from citygrid.declarations import Declarations
from citygrid.errors import BadInput, NotFound
from citygrid.i18n import get_language
from citygrid.params import parse_bool, parse_date, parse_int, parse_number

FieldType = Literal["str", "int", "float", "bool", "date", "datetime", "bytes"]
Measure = Literal["count", "length", "area"]
GeometryType = Literal[
    "Point", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "Geometry"
]

_BUILTIN_MODULES = (
    "citygrid.layers.base_layers",
    "citygrid.layers.hotspot_layers",
    "citygrid.layers.gap_layers",
    "citygrid.layers.account_layers",
    "citygrid.layers.cycle_layers",
    "citygrid.layers.photo_layers",
    "citygrid.layers.ranking_layers",
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
        One of ``str``, ``int``, ``float``, ``bool``, ``date``, ``datetime``,
        ``bytes`` (binary content such as a photo, never typed by users).
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
    personal
        Personal data (a phone number, a contact's or reporter's name, the
        audit log's before and after): served only to roles that may see it;
        everyone else gets the feature without this field.
    secret
        Never served, exported or written to the audit log (a password hash):
        the audit log records that it changed, not its values.
    """

    name: str
    type: FieldType
    zh: str
    en: str
    required: bool = False
    choices: tuple[Choice, ...] | None = None
    references: str | None = None
    indexed: bool = False
    personal: bool = False
    secret: bool = False

    def label(self, lang: str | None = None) -> str:
        """Return the label in ``lang`` (default: the current language)."""
        return self.en if (lang or get_language()) == "en" else self.zh

    def choice_values(self) -> tuple[str, ...]:
        """Return the allowed values, or an empty tuple when any value is allowed."""
        return tuple(c.value for c in self.choices or ())

    def parse(self, text: str) -> Any:
        """Turn what a user typed into a value of this field.

        Every edge (the CLI's ``--where``, import files, query strings, API
        bodies) parses field values here, so one spelling works everywhere:
        a choice may be given by its value or its zh or en label; an ``int``
        is ASCII digits within 64 bits; a ``float`` is finite; a ``bool`` is
        true/false, 1/0, yes/no or 是/否; dates and times are ISO 8601.

        Raises
        ------
        BadInput
            The text is not a value of the field's type or choices.
        """
        raw = text.strip()
        if self.choices:
            for choice in self.choices:
                if raw in (choice.value, choice.zh, choice.en):
                    return choice.value
            raise BadInput(
                "{value!r} is not a value of {field}; use one of: {known}.",
                value=text,
                field=self.name,
                known=", ".join(self.choice_values()),
            )
        try:
            return _PARSERS[self.type](raw)
        except (ValueError, OverflowError):
            raise BadInput(
                "{value!r} is not a {type} for {field}; write it like {example}.",
                value=text,
                type=self.type,
                field=self.name,
                example=_EXAMPLES[self.type],
            ) from None


INT64_RANGE = (-(2**63), 2**63 - 1)
"""The integers a field of type ``int`` can hold (the stores' BIGINT)."""


def _parse_int64(text: str) -> int:
    value = parse_int(text)
    if not INT64_RANGE[0] <= value <= INT64_RANGE[1]:
        raise OverflowError(text)
    return value


def _no_bytes(text: str) -> bytes:
    raise ValueError(text)


def _parse_datetime(text: str) -> datetime:
    if not text.isascii():
        raise ValueError(text)
    return datetime.fromisoformat(text)


_PARSERS: dict[str, Any] = {
    "str": str,
    "int": _parse_int64,
    "float": parse_number,
    "bool": parse_bool,
    "datetime": _parse_datetime,
    "date": parse_date,
    "bytes": _no_bytes,
}
_EXAMPLES = {
    "str": "text",
    "int": "12",
    "float": "12.5",
    "bool": "true",
    "datetime": "2025-01-31T08:30",
    "date": "2025-01-31",
    "bytes": "(binary content, not typed)",
}


@dataclass(frozen=True)
class Responsibility:
    """What a layer means for responsibility (谁主管谁负责).

    Routing, re-routing, auto-assign, coverage, workload, the gap layers and
    the map read these declarations; none keeps its own list of "the
    responsible layers".

    Attributes
    ----------
    rank
        Position in the routing chain: a problem goes to the feature of the
        lowest rank that holds it (points before streets and alleys before
        grid cells). Layers of equal rank compete by distance.
    rule
        The ``routed_by`` value of a problem routed to this layer.
    problem_field
        The problems' field that holds this layer's feature code.
    unit_field
        The field naming the responsible unit.
    head_field
        The field naming the responsible person (街长, 巷长, 点长, 网格员),
        or ``None`` when the layer has no head.
    measure
        What workload counts for a unit or head: ``count`` features,
        ``length`` in km or ``area`` in km².
    radius_field
        The field holding the radius (metres) of a point feature's zone, or
        ``None`` when every point feature has the router's default radius.
    breakdown
        A field with choices whose values workload counts separately
        (``points_<value>`` columns), or ``None``.
    inspected
        Its features are inspected on a schedule, so the coverage analysis
        lists those nobody inspected for a while (the inspections layer's
        field referencing this layer links them).
    """

    rank: int
    rule: str
    problem_field: str
    unit_field: str = "unit_code"
    head_field: str | None = "head_code"
    measure: Measure = "count"
    radius_field: str | None = None
    breakdown: str | None = None
    inspected: bool = False


@dataclass(frozen=True)
class Access:
    """How a layer's features fall inside a user's scope (a set of cells, or a unit).

    The accounts service (:mod:`citygrid.services.accounts.scoping`) turns a
    user's scope into a condition of the query by these declarations; a
    layer that declares none of them can be read only by users whose scope
    is the whole city.

    Attributes
    ----------
    shared
        Reference data every signed-in user reads whole (jurisdictions, the
        catalogue, units and people; personal fields are still withheld).
    grid_field
        The field holding the grid cell a feature lies in (``code`` for the
        cells themselves).
    unit_field
        The field naming the responsible unit, for users scoped to a unit.
    located
        Features are in scope when their geometry meets the scope's cells.
    """

    shared: bool = False
    grid_field: str | None = None
    unit_field: str | None = None
    located: bool = False


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
    responsibility
        What the layer means for responsibility, or ``None`` when its
        features are not answered for by a unit.
    access
        How its features fall inside a user's scope (:class:`Access`).
    internal
        Kept by citygrid for itself (accounts, tokens): never served by the
        web or the APIs, never imported or exported.
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
    responsibility: Responsibility | None = None
    access: Access = field(default_factory=Access)
    internal: bool = False

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


LAYERS: Declarations[Layer] = Declarations(_BUILTIN_MODULES)
"""Every declared layer by name."""


def register(layer: Layer) -> Layer:
    """Add a layer declaration (a later one with the same name replaces it)."""
    return LAYERS.add(layer.name, layer)


def all_layers() -> list[Layer]:
    """Every declared layer, stored ones first, in declaration order."""
    layers = LAYERS.values()
    return [lyr for lyr in layers if lyr.stored] + [lyr for lyr in layers if not lyr.stored]


def stored_layers() -> list[Layer]:
    """Layers with a table in the store."""
    return [lyr for lyr in all_layers() if lyr.stored]


def responsible_layers() -> list[Layer]:
    """Layers whose features a unit answers for, in routing-chain order.

    By rank, then in declaration order (so at equal distance a street,
    declared before alleys, wins over an alley).
    """
    layers = [lyr for lyr in stored_layers() if lyr.responsibility is not None]
    return sorted(layers, key=lambda lyr: lyr.responsibility.rank)  # type: ignore[union-attr]


def responsible_layer(name: str) -> Layer:
    """The responsible layer called ``name`` (or titled so in zh or en).

    Raises
    ------
    BadInput
        No responsible layer is called so; the message lists them.
    """
    for layer in responsible_layers():
        if name.strip() in (layer.name, layer.zh, layer.en):
            return layer
    raise BadInput(
        "Layer {layer} has no responsible unit; assign one of: {known}.",
        layer=name,
        known=", ".join(lyr.name for lyr in responsible_layers()),
    )


def get_layer(name: str) -> Layer:
    """Return the layer called ``name``, or raise :class:`NotFound` listing the known ones."""
    layer = LAYERS.get(name)
    if layer is None:
        raise NotFound(
            "Unknown layer {name!r}. Known layers: {known}.",
            name=name,
            known=", ".join(LAYERS.names()),
        )
    return layer
