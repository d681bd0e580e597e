"""Field filters of a feature query: equality (any of) and time ranges.

A filter names a field by its name or its zh/en label; giving the same
field several times, under any of its names, means "any of these values"
(``code=A&点位编码=B``). Values are parsed by :meth:`Field.parse`, the one
converter from text to field values, so a choice may be given by its label.

Date and time fields take a value or a range ``start/end`` (ISO 8601,
both ends inclusive, ``..`` or nothing for an open end):

- ``deadline=2025-01-31``: on that day (the whole day for a date-time field);
- ``reported_at=2025-03-01T08:00:00``: exactly that moment;
- ``reported_at=2025-03-01/2025-03-31``: from the first to the end of the 31st;
- ``reported_at=2025-03-01/..``: from the first on.

The same filters apply as SQL conditions (stored layers) and as a mask
on a frame (computed layers).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from citygrid.errors import BadInput, NotFound
from citygrid.layers.registry import Field, Layer

_OPEN = ("", "..")
_TIME_TYPES = ("date", "datetime")


@dataclass(frozen=True)
class Range:
    """``low <= value`` and ``value <= high`` (``value < high`` when ``high_exclusive``).

    ``None`` leaves that end open.
    """

    low: Any = None
    high: Any = None
    high_exclusive: bool = False


@dataclass(frozen=True)
class FieldFilter:
    """A feature passes when its ``field`` equals one of ``values`` or lies in one of ``ranges``."""

    field: str
    values: tuple[Any, ...] = ()
    ranges: tuple[Range, ...] = ()


def parse_filters(
    layer: Layer, texts: Mapping[str, Sequence[str]], parameters: Sequence[str] = ()
) -> tuple[FieldFilter, ...]:
    """Parse ``{field name or label: [texts]}`` into one :class:`FieldFilter` per field.

    Parameters
    ----------
    layer
        The layer whose fields are filtered.
    texts
        Names (or zh/en labels) of fields -> the values typed, any of which matches.
    parameters
        Other names the caller accepts (analysis parameters), listed in the
        message for an unknown name.

    Raises
    ------
    BadInput
        An unknown field, or a value that is not one of the field.
    """
    by_field: dict[str, list[Any]] = {}
    for name, values in texts.items():
        field = _field(layer, name, parameters)
        parsed = by_field.setdefault(field.name, [])
        parsed.extend(_parse_value(field, text) for text in values)
    return tuple(
        FieldFilter(
            name,
            tuple(v for v in parsed if not isinstance(v, Range)),
            tuple(v for v in parsed if isinstance(v, Range)),
        )
        for name, parsed in by_field.items()
    )


def parse_sortby(layer: Layer, text: str) -> tuple[tuple[str, bool], ...]:
    """Parse ``sortby`` text, ``-reported_at,code``: field names or zh/en labels,
    comma-separated, ``-`` before one for descending (``+`` or nothing: ascending).

    Raises
    ------
    BadInput
        Empty, or naming a field the layer does not have (the message lists them).
    """
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        name = part.strip()
        descending = name.startswith("-")
        name = name.lstrip("+-").strip()
        try:
            field = layer.field(name) if name else None
        except NotFound:
            field = None
        if field is None:
            raise BadInput(
                "sortby={sortby!r} names no field of layer {layer}; sort by one of: {known} "
                "(-name for descending).",
                sortby=text,
                layer=layer.name,
                known=", ".join(layer.field_names),
            )
        keys.append((field.name, descending))
    return tuple(keys)


def sort_frame(frame: pd.DataFrame, sortby: Sequence[tuple[str, bool]]) -> pd.DataFrame:
    """``frame`` ordered by ``sortby`` (missing values last; ties keep their order)."""
    if not sortby:
        return frame
    names = [name for name, _ in sortby]
    return frame.sort_values(
        names, ascending=[not d for _, d in sortby], na_position="last", kind="stable"
    )


def _field(layer: Layer, name: str, parameters: Sequence[str]) -> Field:
    try:
        return layer.field(name)
    except NotFound:
        raise BadInput(
            "Layer {layer} has no field {field!r} to filter by; use one of: {known}.",
            layer=layer.name,
            field=name,
            known=", ".join([*layer.field_names, *parameters]),
        ) from None


def _parse_value(field: Field, text: str) -> Any:
    if "\x00" in text:
        raise BadInput(
            "{field}={value!r} holds a NUL character, which no value can hold; leave it out.",
            field=field.name,
            value=text,
        )
    if field.type not in _TIME_TYPES:
        return _typed(field, field.parse(text))
    if "/" not in text:
        start, end, exclusive = _span(field, text)
        return Range(start, end, exclusive) if exclusive else start
    start, _sep, end = text.partition("/")
    if "/" in end or (start.strip() in _OPEN and end.strip() in _OPEN):
        raise BadInput(
            "{field}={value!r} is not a time range; write start/end in ISO 8601, for example "
            "2025-03-01/2025-03-31, with .. for an open end (2025-03-01/..).",
            field=field.name,
            value=text,
        )
    low = None if start.strip() in _OPEN else _span(field, start)[0]
    high, exclusive = (None, False) if end.strip() in _OPEN else _span(field, end)[1:]
    if low is not None and high is not None and (low >= high if exclusive else low > high):
        raise BadInput(
            "{field}={value!r} starts after it ends; write start/end.",
            field=field.name,
            value=text,
        )
    return Range(low, high, exclusive)


def _typed(field: Field, value: Any) -> Any:
    """A choice's value in the field's type (``gi_bin=3`` is the integer 3)."""
    if field.choices and field.type != "str":
        return dataclasses.replace(field, choices=None).parse(value)
    return value


def _span(field: Field, text: str) -> tuple[Any, Any, bool]:
    """``(start, end, end_exclusive)`` of a time typed alone: a day of a date-time
    field is the whole day, anything else just itself."""
    value = field.parse(text)
    if field.type == "datetime" and "T" not in text.upper() and " " not in text.strip():
        return value, value + timedelta(days=1), True
    return value, value, False


def sql_condition(table: sa.Table, found: FieldFilter) -> sa.ColumnElement[bool]:
    """The filter as a condition on the layer's table."""
    column = table.c[found.field]
    alternatives: list[sa.ColumnElement[bool]] = []
    if found.values:
        alternatives.append(column.in_(list(found.values)))
    for span in found.ranges:
        bounds = [column.is_not(None)]
        if span.low is not None:
            bounds.append(column >= span.low)
        if span.high is not None:
            bounds.append(column < span.high if span.high_exclusive else column <= span.high)
        alternatives.append(sa.and_(*bounds))
    return sa.or_(*alternatives)


def frame_mask(frame: pd.DataFrame, filters: Sequence[FieldFilter]) -> np.ndarray:
    """Which rows of ``frame`` pass every filter (a boolean array)."""
    keep = np.ones(len(frame), dtype=bool)
    for found in filters:
        column = frame[found.field]
        passes = column.isin(_comparable(column, found.values)).to_numpy()
        for span in found.ranges:
            low, high = _comparable(column, (span.low, span.high))
            inside = column.notna()
            if low is not None:
                inside &= column >= low
            if high is not None:
                inside &= column < high if span.high_exclusive else column <= high
            passes |= inside.to_numpy(dtype=bool)
        keep &= passes
    return keep


def _comparable(column: pd.Series, values: Sequence[Any]) -> list[Any]:
    """Values as the column holds them (times as timestamps in a datetime column)."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return [None if v is None else pd.Timestamp(v) for v in values]
    return list(values)
