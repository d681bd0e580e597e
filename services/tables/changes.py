"""An audit entry's before and after as field changes: 字段 旧值 → 新值, one line per field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from citygrid.layers.registry import Layer
from citygrid.services.context import CityContext
from citygrid.services.tables.model import text
from citygrid.services.tables.names import layer_names

ARROW = " → "


def field_changes(ctx: CityContext, entries: pd.DataFrame, layer: Layer) -> pd.DataFrame:
    """One row per changed field of each entry (``at``, ``actor``, ``action``, ``reason`` kept).

    Parameters
    ----------
    entries
        Audit entries with ``before`` and ``after`` dicts of field values.
    layer
        The layer the entries are about: its field labels head the changes,
        its choices' labels stand for the values, and a code of a unit, a
        person or an item is followed by its name (``BMJT 长沙市交通运输局``).

    Returns
    -------
    pandas.DataFrame
        ``at``, ``actor``, ``action``, ``field`` (the label), ``change``
        (``old → new``), ``reason``; an entry that changed no field keeps
        one row with blanks.
    """
    names = _referenced_names(ctx, entries, layer)
    rows: list[dict[str, Any]] = []
    for entry in entries.itertuples(index=False):
        before, after = entry.before or {}, entry.after or {}
        changed = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
        common = {"at": entry.at, "actor": entry.actor, "action": entry.action}
        for name in changed or [None]:
            if name is None:
                rows.append({**common, "field": "", "change": "", "reason": entry.reason})
                continue
            old = _value(layer, name, before.get(name), names)
            new = _value(layer, name, after.get(name), names)
            rows.append(
                {
                    **common,
                    "field": _label(layer, name),
                    "change": f"{old}{ARROW}{new}",
                    "reason": entry.reason,
                }
            )
    columns = ["at", "actor", "action", "field", "change", "reason"]
    return pd.DataFrame(rows, columns=columns)


def _label(layer: Layer, name: str) -> str:
    field = next((f for f in layer.fields if f.name == name), None)
    return field.label() if field is not None else name


def _referenced_names(
    ctx: CityContext, entries: pd.DataFrame, layer: Layer
) -> dict[str, dict[str, str]]:
    """Field name -> code -> name, for the fields of ``layer`` that hold codes."""
    found: dict[str, dict[str, str]] = {}
    for field in layer.fields:
        if field.references is None:
            continue
        codes = {
            str(values[field.name])
            for column in ("before", "after")
            for values in entries[column]
            if values and values.get(field.name) is not None
        }
        if codes:
            found[field.name] = layer_names(ctx, field.references, sorted(codes))
    return found


def _value(layer: Layer, name: str, value: Any, names: Mapping[str, Mapping[str, str]]) -> str:
    field = next((f for f in layer.fields if f.name == name), None)
    named = names.get(name, {}).get(str(value))
    if named:
        return f"{value} {named}"
    if field is not None and field.choices:
        choice = next((c for c in field.choices if c.value == value), None)
        if choice is not None:
            return choice.label()
    if isinstance(value, str) and field is not None and field.type in ("date", "datetime"):
        parsed = pd.to_datetime(value, errors="coerce")
        return value if pd.isna(parsed) else text(parsed.to_pydatetime())
    return text(value) if value is not None else "—"
