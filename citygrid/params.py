"""Typed parameters of analyses and commands, declared once.

A parameter set is a frozen dataclass deriving from :class:`Params` whose
fields are declared with :func:`param`: type, zh/en label, help, unit,
bounds, choices and default. Every edge renders the same declaration in
its own spelling (in the manner of QGIS's processing parameters):

- the CLI as options (``min_area_m2`` becomes ``--min-area-m2``, or the
  declared ``flag`` such as ``--min-area``);
- the web as query parameters named like the field (``min_area_m2=``);
- the OpenAPI document as a JSON schema (:meth:`Params.json_schema`).

Values arrive as text from those edges (:meth:`Params.from_text`) or as
Python values from code (the constructor); both are checked the same way,
and errors name the parameter (its name and label), never an edge's flag.

This module is light (no pandas, no geopandas) so the CLI can import it to
build options without slowing start-up.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Literal, Self

from citygrid.errors import BadInput
from citygrid.i18n import get_language, gettext

#: A value out of bounds, by (below the minimum, the parameter has a unit).
_BOUND_MESSAGES = {
    (True, False): "Parameter {param} ({label}) is {value}, below its minimum {bound}.",
    (False, False): "Parameter {param} ({label}) is {value}, above its maximum {bound}.",
    (True, True): "Parameter {param} ({label}, in {unit}) is {value}, below its minimum {bound}.",
    (False, True): "Parameter {param} ({label}, in {unit}) is {value}, above its maximum {bound}.",
}

ParamType = Literal["int", "float", "str", "bool", "date", "bbox"]
Bbox = tuple[float, float, float, float]
"""``(minx, miny, maxx, maxy)`` in EPSG:4326 degrees."""

_TRUE = ("true", "1", "yes", "y", "t", "是")
_FALSE = ("false", "0", "no", "n", "f", "否")
_JSON_TYPES: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "str": {"type": "string"},
    "bool": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
}


@dataclasses.dataclass(frozen=True)
class Param:
    """The declaration of one parameter.

    Attributes
    ----------
    name
        The field name, also the web's query parameter (``min_area_m2``).
    type
        ``int``, ``float``, ``str``, ``bool``, ``date`` or ``bbox``.
    zh, en
        Labels shown to users.
    help
        What the parameter does: an English message id, translated at the edge.
    default
        The value when none is given (``None``: optional, no value).
    unit
        Unit of the value (``m``, ``m²``, ``days``, ``months``), or ``None``.
    minimum, maximum
        Inclusive bounds of a number.
    choices
        The allowed values of a ``str``, or ``None`` for any.
    flag
        The CLI's option name when it differs from ``--`` + the name with
        dashes (kept for commands users already know).
    parser
        For ``str`` parameters with a syntax of their own (``fishnet:100``):
        a function that checks the text and returns it, raising
        :class:`~citygrid.errors.BadInput` when it is wrong.
    """

    name: str
    type: ParamType
    zh: str
    en: str
    help: str
    default: Any = None
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    flag: str | None = None
    parser: Callable[[str], Any] | None = None

    def label(self, lang: str | None = None) -> str:
        """The label in ``lang`` (default: the current language)."""
        return self.en if (lang or get_language()) == "en" else self.zh

    @property
    def cli_flag(self) -> str:
        """The CLI option, e.g. ``--min-area``."""
        return self.flag or "--" + self.name.replace("_", "-")

    def parse(self, text: str) -> Any:
        """Turn text from the CLI or a query string into a checked value.

        Raises
        ------
        BadInput
            Not a value of the parameter's type, out of bounds or not a choice.
        """
        raw = text.strip()
        if self.parser is not None:
            return self.check(self.parser(raw))
        try:
            value = _TEXT_PARSERS[self.type](raw)
        except (ValueError, OverflowError):
            raise self._not_valid(text) from None
        return self.check(value)

    def check(self, value: Any) -> Any:
        """Check a Python value against the type, bounds and choices; return it.

        Raises
        ------
        BadInput
            The value is of the wrong type, out of bounds or not a choice.
        """
        if value is None:
            return None
        value = self._coerce(value)
        if self.type == "bbox":
            _check_bbox(value, self)
        if self.minimum is not None and value < self.minimum:
            raise self._beyond(value, self.minimum, below=True)
        if self.maximum is not None and value > self.maximum:
            raise self._beyond(value, self.maximum, below=False)
        if self.choices is not None and value not in self.choices:
            raise self._error(
                "Parameter {param} ({label}): {value!r} is not one of {known}.",
                value=value,
                known=", ".join(self.choices),
            )
        return value

    def _coerce(self, value: Any) -> Any:
        expected = _PY_TYPES[self.type]
        if self.type == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if self.type == "date" and isinstance(value, datetime):
            value = value.date()
        if self.type == "bbox" and isinstance(value, list):
            value = tuple(value)
        if not isinstance(value, expected) or (self.type == "int" and isinstance(value, bool)):
            raise self._not_valid(value)
        if isinstance(value, float) and not math.isfinite(value):
            raise self._error(
                "Parameter {param} ({label}) must be a finite number, not {value}.", value=value
            )
        return value

    def _not_valid(self, value: Any) -> BadInput:
        return self._error(
            "Parameter {param} ({label}): {value!r} is not valid; write it like {example}.",
            value=value,
            example=_EXAMPLES[self.type],
        )

    def _error(self, message: str, **params: Any) -> BadInput:
        return BadInput(message, param=self.name, label=self.label(), **params)

    def _beyond(self, value: Any, bound: Any, *, below: bool) -> BadInput:
        """The error for a value under the minimum or over the maximum; the unit, if any,
        is named once beside the label, in the user's language (``天``, not ``1days``)."""
        message = _BOUND_MESSAGES[below, bool(self.unit)]
        unit = gettext(self.unit) if self.unit else ""
        return self._error(message, value=value, bound=bound, unit=unit)

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the value (for the OpenAPI document)."""
        schema: dict[str, Any] = dict(_JSON_TYPES[self.type])
        schema["title"] = self.en
        schema["description"] = self.help + (f" ({self.unit})" if self.unit else "")
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.choices is not None:
            schema["enum"] = list(self.choices)
        if self.default is not None:
            schema["default"] = _jsonable(self.default)
        return schema


def param(
    type: ParamType,
    zh: str,
    en: str,
    help: str,
    default: Any = None,
    **options: Any,
) -> Any:
    """Declare a field of a :class:`Params` dataclass (see :class:`Param` for the options)."""
    spec = Param("", type, zh, en, help, default, **options)
    return dataclasses.field(default=default, metadata={"param": spec})


@dataclasses.dataclass(frozen=True)
class Params:
    """Base of every parameter set: checks each value on construction.

    Subclasses are frozen dataclasses whose fields are declared with
    :func:`param`. ``name`` names the analysis or command in messages.
    """

    name: ClassVar[str] = "params"

    def __post_init__(self) -> None:
        for spec in self.specs():
            checked = spec.check(getattr(self, spec.name))
            object.__setattr__(self, spec.name, checked)

    @classmethod
    def specs(cls) -> tuple[Param, ...]:
        """The declarations of the parameters, in field order."""
        return tuple(
            dataclasses.replace(f.metadata["param"], name=f.name)
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if "param" in f.metadata
        )

    @classmethod
    def spec(cls, name: str) -> Param:
        """The declaration of the parameter called ``name``."""
        for spec in cls.specs():
            if spec.name == name:
                return spec
        raise KeyError(name)

    @classmethod
    def from_text(
        cls, values: Mapping[str, str | Sequence[str] | None], *, strict: bool = True
    ) -> Self:
        """Build the parameters from text, as a query string or the CLI gives them.

        Parameters
        ----------
        values
            Parameter name -> text (or a one-item sequence of texts, as a
            parsed query string holds); ``None`` or absent means the default.
        strict
            Refuse names that are not parameters of this set.

        Raises
        ------
        BadInput
            An unknown name (when ``strict``), a value given more than once,
            or a value that does not parse or is out of bounds.
        """
        specs = {spec.name: spec for spec in cls.specs()}
        unknown = sorted(set(values) - set(specs))
        if strict and unknown:
            raise BadInput(
                "{analysis} has no parameter {names}; its parameters are: {known}.",
                analysis=cls.name,
                names=", ".join(unknown),
                known=", ".join(specs),
            )
        parsed: dict[str, Any] = {}
        for name, spec in specs.items():
            text = one_value(name, values.get(name))
            if text is not None:
                parsed[name] = spec.parse(text)
        return cls(**parsed)

    def as_dict(self) -> dict[str, Any]:
        """The values as JSON-ready Python values (dates as ISO text, bboxes as lists)."""
        return {spec.name: _jsonable(getattr(self, spec.name)) for spec in self.specs()}

    def cache_key(self) -> tuple[tuple[str, Any], ...]:
        """A hashable key of the values, for result caches."""
        return tuple((spec.name, getattr(self, spec.name)) for spec in self.specs())

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """A JSON schema of the whole set (an object with one property per parameter)."""
        return {
            "type": "object",
            "title": cls.name,
            "properties": {spec.name: spec.json_schema() for spec in cls.specs()},
            "additionalProperties": False,
        }


def one_value(name: str, value: str | Sequence[str] | None) -> str | None:
    """The one text given for parameter ``name`` (``None`` when absent).

    ``value`` is a text or, as a parsed query string holds it, a sequence of texts.

    Raises
    ------
    BadInput
        The parameter was given more than once.
    """
    if value is None or isinstance(value, str):
        return value
    if len(value) > 1:
        raise BadInput(
            "The parameter {param} was given {count} times; give it once.",
            param=name,
            count=len(value),
        )
    return value[0] if value else None


def parse_number(text: str) -> float:
    """A finite number written in ASCII.

    Raises
    ------
    ValueError
        Not a number, or NaN or infinite.
    """
    if not text.isascii():
        raise ValueError(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_int(text: str) -> int:
    """An integer written in ASCII digits with an optional sign.

    Raises
    ------
    ValueError
        Anything else, including other scripts' digits (``"²"``, ``"١"``).
    """
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(text)
    return int(text)


def parse_bool(text: str) -> bool:
    """``true``/``false``, ``1``/``0``, ``yes``/``no``, ``y``/``n`` or ``是``/``否``.

    Raises
    ------
    ValueError
        Anything else.
    """
    lowered = text.lower()
    if lowered not in _TRUE + _FALSE:
        raise ValueError(text)
    return lowered in _TRUE


def parse_date(text: str) -> date:
    """A day written ``YYYY-MM-DD`` (an ISO date-time gives its day).

    Raises
    ------
    ValueError
        Not an ISO 8601 date.
    """
    if not text.isascii():
        raise ValueError(text)
    return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)


def parse_bbox(text: str) -> Bbox:
    """``minx,miny,maxx,maxy`` as four finite numbers (not yet range-checked).

    Raises
    ------
    ValueError
        Not four finite numbers separated by commas.
    """
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError(text)
    minx, miny, maxx, maxy = (parse_number(p.strip()) for p in parts)
    return (minx, miny, maxx, maxy)


def _check_bbox(bbox: Bbox, spec: Param) -> None:
    if len(bbox) != 4 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in bbox):
        raise spec._error(
            "Parameter {param} ({label}): {value!r} is not four finite numbers.", value=bbox
        )
    minx, miny, maxx, maxy = bbox
    if minx > maxx or miny > maxy:
        raise spec._error(
            "Parameter {param} ({label}): {value!r} has a minimum greater than its maximum; "
            "the order is minx,miny,maxx,maxy.",
            value=",".join(str(v) for v in bbox),
        )
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise spec._error(
            "Parameter {param} ({label}): {value!r} is outside longitude -180..180 or latitude "
            "-90..90; give degrees in EPSG:4326.",
            value=",".join(str(v) for v in bbox),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


_TEXT_PARSERS: dict[str, Callable[[str], Any]] = {
    "int": parse_int,
    "float": parse_number,
    "str": str,
    "bool": parse_bool,
    "date": parse_date,
    "bbox": parse_bbox,
}
_PY_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "date": date,
    "bbox": tuple,
}
_EXAMPLES = {
    "int": "12",
    "float": "12.5",
    "str": "text",
    "bool": "true",
    "date": "2025-01-31",
    "bbox": "112.9,28.1,113.1,28.3",
}
