"""Names beside codes: the unit's name by its code, the head's by theirs, the item's by its.

Which layer a code column points at comes from the registry (a field's
``references``); the names are read from the store in one query per
referenced layer.
"""

from __future__ import annotations

import pandas as pd

from citygrid.layers.registry import Field, Layer, all_layers, get_layer
from citygrid.services.context import CityContext

NAME_SUFFIX = "__name"
"""A name column's key is its code column's key and this."""

_OTHER_COLUMNS = {"unit_before": "unit_code", "head_before": "head_code"}
"""Columns of change tables that hold the same codes as a field."""


def code_field(column: str, layer: Layer | None = None) -> Field | None:
    """The field that ``column`` holds codes of (``layer``'s own first), or ``None``."""
    name = _OTHER_COLUMNS.get(column, column)
    layers = ([layer] if layer is not None else []) + all_layers()
    for candidate in layers:
        found = next((f for f in candidate.fields if f.name == name and f.references), None)
        if found is not None:
            return found
    return None


def with_names(ctx: CityContext, frame: pd.DataFrame, layer: Layer | None = None) -> pd.DataFrame:
    """``frame`` with a name column after each column of codes of a named layer.

    The name column's key is the code column's key + :data:`NAME_SUFFIX`; a
    code column that already has a name beside it (``unit_code`` and
    ``unit_name``) gets none. A code with no name found gets a blank. In a
    table of changes (``field``, ``before``, ``after``) a code of a unit, a
    person or an item is followed by its name (``BMJT 长沙市交通运输局``).
    """
    out = _changes_named(ctx, frame, layer)
    for column in list(frame.columns):
        field = code_field(str(column), layer)
        if field is None or field.references is None or _has_name(frame, str(column)):
            continue
        referenced = get_layer(field.references)
        if not any(f.name == "name" for f in referenced.fields):
            continue
        codes = sorted({str(c) for c in frame[column].dropna()})
        names = layer_names(ctx, referenced.name, codes)
        at = out.columns.get_loc(column) + 1
        out.insert(at, f"{column}{NAME_SUFFIX}", frame[column].map(names))
    return out


def _changes_named(ctx: CityContext, frame: pd.DataFrame, layer: Layer | None) -> pd.DataFrame:
    """``frame`` with the codes in ``before`` and ``after`` followed by their names."""
    out = frame.copy()
    if not {"field", "before", "after"} <= set(frame.columns):
        return out
    for name in frame["field"].dropna().unique():
        field = code_field(str(name), layer)
        if field is None or field.references is None:
            continue
        rows = frame["field"] == name
        codes = pd.concat([frame.loc[rows, "before"], frame.loc[rows, "after"]]).dropna()
        names = layer_names(ctx, field.references, sorted({str(c) for c in codes}))
        for column in ("before", "after"):
            out.loc[rows, column] = [
                f"{v} {names[str(v)]}" if str(v) in names else v for v in frame.loc[rows, column]
            ]
    return out


def _has_name(frame: pd.DataFrame, column: str) -> bool:
    return column.endswith("_code") and f"{column.removesuffix('_code')}_name" in frame.columns


def layer_names(ctx: CityContext, layer_name: str, codes: list[str]) -> dict[str, str]:
    """Code -> name of the features ``codes`` of a layer with a ``name`` field."""
    if not codes or not any(f.name == "name" for f in get_layer(layer_name).fields):
        return {}
    found = ctx.store.read(layer_name, where={"code": codes}, columns=["code", "name"])
    return dict(zip(found["code"].astype(str), found["name"], strict=True))
