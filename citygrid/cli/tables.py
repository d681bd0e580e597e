"""Tables of the commands, headed and labelled in the user's language.

The services return frames with ASCII column names and rule codes; this
module turns them into labels: a column that is a field of the layer the
table is about takes the field's label, the other columns and the rule
codes have message ids here, and values of a field with choices show the
choice's label. :func:`print_table` prints such a frame with rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from citygrid.i18n import gettext

if TYPE_CHECKING:  # pandas and the registry load with the commands that print tables
    import pandas as pd

    from citygrid.layers.registry import Field, Layer

#: Columns that are no layer field, and their message ids.
HEADERS = {
    "layer": "Layer",
    "code": "Code",
    "field": "Field",
    "before": "Before",
    "after": "After",
    "rule": "Rule",
    "unit_before": "Unit before",
    "at": "Time",
    "actor": "By",
    "action": "Action",
    "reason": "Reason",
    "unit_code": "Unit code",
    "unit_name": "Unit",
    "head_code": "Head code",
    "head_name": "Head",
    "cells": "Cells",
    "streets_km": "Streets (km)",
    "alleys_km": "Alleys (km)",
    "points": "Points",
    "open_problems": "Open problems",
    "overdue_problems": "Overdue problems",
    "state": "State",
    "conditions": "Conditions",
}

#: The rules auto-assign and proposals give for a change, and their message ids.
RULES = {
    "subdistrict": "unit of the sub-district",
    "containing_cell": "unit of the containing cell",
    "largest_length_share": "cell with most of the length",
    "head_of_other_unit": "head of another unit cleared",
    "longest_shared_edge": "cell with the longest shared edge",
}

#: Workload columns ``points_<type>`` count the points of one type.
_POINTS_PREFIX = "points_"


def column_label(column: str, layer: Layer | None = None) -> str:
    """The header of ``column``: the layer's field label, a known header, or the name."""
    field = _field(layer, column)
    if field is not None:
        return field.label()
    if column in HEADERS:
        return gettext(HEADERS[column])
    if column.startswith(_POINTS_PREFIX):
        return choice_label("points", "point_type", column.removeprefix(_POINTS_PREFIX))
    return column


def _field(layer: Layer | None, column: str) -> Field | None:
    if layer is None:
        return None
    return next((f for f in layer.fields if f.name == column), None)


def rule_label(rule: str) -> str:
    """The label of a change's rule (an auto-assign rule or a routing rule)."""
    if rule in RULES:
        return gettext(RULES[rule])
    return choice_label("problems", "routed_by", rule)


def choice_label(layer_name: str, field_name: str, value: Any) -> str:
    """The label of ``value`` among the choices of a layer's field (the value if none)."""
    from citygrid.layers.registry import get_layer

    field = get_layer(layer_name).field(field_name)
    choice = next((c for c in field.choices or () if c.value == value), None)
    return choice.label() if choice is not None else str(value)


def labelled(frame: pd.DataFrame, layer: Layer | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with labelled headers, rule labels and choice labels as values."""
    out = frame.copy()
    for column in out.columns:
        if column == "rule":
            out[column] = [rule_label(v) if isinstance(v, str) else v for v in out[column]]
            continue
        field = _field(layer, column)
        if field is not None and field.choices:
            labels = {c.value: c.label() for c in field.choices}
            out[column] = [labels.get(v, v) for v in out[column]]
    return out.rename(columns={c: column_label(c, layer) for c in out.columns})


def print_table(
    frame: pd.DataFrame, title: str, layer: Layer | None = None, limit: int = 200
) -> None:
    """Print ``frame`` with labelled headers and values (fields of ``layer`` by their labels).

    At most ``limit`` rows are printed, then how many more there are; empty
    values print as blanks, and values print as written (no rich markup).
    """
    import pandas as pd
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    shown = labelled(frame.head(limit), layer)
    table = Table(*map(str, shown.columns), title=title)
    for row in shown.itertuples(index=False):  # Text: a value's [brackets] are not markup
        table.add_row(*(Text("" if pd.isna(v) else str(v)) for v in row))
    console = Console(width=max(Console().width, 120))
    console.print(table)
    if len(frame) > limit:
        click.echo(gettext("... and {count} more rows.").format(count=len(frame) - limit))
