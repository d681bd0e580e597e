"""Request bodies: a JSON object checked field by field before any service sees it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from citygrid.errors import BadInput

MAX_BODY_BYTES = 64 * 1024
_TYPE_NAMES = {str: "text", int: "whole number"}


def json_value(body: bytes, limit: int = MAX_BODY_BYTES) -> Any:
    """The body parsed as UTF-8 JSON (``None`` when empty).

    Raises
    ------
    BadInput
        Larger than ``limit`` bytes, or not UTF-8 JSON.
    """
    if len(body) > limit:
        raise BadInput("The request body is larger than {limit} bytes.", limit=limit)
    try:
        return (
            json.loads(body.decode("utf-8"), parse_constant=_no_constant) if body.strip() else None
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadInput(
            'The request body is not JSON; send an object such as {"layer": "points", ...} '
            "with Content-Type: application/json."
        ) from None


def json_object(body: bytes, fields: Mapping[str, type], required: Sequence[str]) -> dict[str, Any]:
    """The body as a JSON object holding only ``fields`` (name -> type), ``required`` ones given.

    ``null`` counts as not given. Text is stripped; empty text is not given.

    Raises
    ------
    BadInput
        Too large, not UTF-8 JSON, not an object, an unknown field, a value of
        the wrong type, or a required field missing; the message says which.
    """
    data = json_value(body)
    if not isinstance(data, dict):
        raise BadInput(
            "The request body must be a JSON object with the fields {fields}.",
            fields=", ".join(fields),
        )
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise BadInput(
            "Unknown fields {unknown}; the known ones are {fields}.",
            unknown=", ".join(unknown),
            fields=", ".join(fields),
        )
    checked: dict[str, Any] = {}
    for name, value in data.items():
        kind = fields[name]
        if isinstance(value, str):
            value = value.strip() or None
        if value is None:
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BadInput(
                "Field {field} must be {kind}, not {value!r}.",
                field=name,
                kind=_TYPE_NAMES[kind],
                value=value,
            )
        checked[name] = value
    missing = [name for name in required if name not in checked]
    if missing:
        raise BadInput("The request body lacks {missing}.", missing=", ".join(missing))
    return checked


def _no_constant(name: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON (Python's parser would take them)."""
    raise ValueError(name)
