"""Tables of the commands, headed and labelled in the user's language.

The services return frames with ASCII column names and rule codes; this
module turns them into labels: a column that is a field of the layer the
table is about takes the field's label, the other columns and the rule
codes have message ids here, and values of a field with choices show the
choice's label. Given the city, a column of codes gets the names beside it
(:func:`citygrid.services.tables.names.with_names`).

:func:`print_table` builds one :class:`~citygrid.services.tables.model.Table`
and either prints it fitted to the terminal's width (``COLUMNS`` when set;
a plain ASCII table when stdout is no terminal), or, in a command with
:func:`table_output` and ``--out FILE``, keeps it for the file.

Fitting: text wraps inside its column; when even the narrowest columns do
not fit, columns are left out, the one with the highest
:attr:`~citygrid.services.tables.model.Column.drop` first: codes that have a
name beside them, then from the right, never the first column. The left-out
columns are named under the table (the file has them all).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from citygrid.i18n import gettext

if TYPE_CHECKING:  # pandas and the registry load with the commands that print tables
    import pandas as pd

    from citygrid.layers.registry import Field, Layer
    from citygrid.services.context import CityContext
    from citygrid.services.tables.model import Table

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
    "change": "Change",
    "grids_km2": "Cells (km²)",
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
    from citygrid.services.tables.names import NAME_SUFFIX

    if column.endswith(NAME_SUFFIX):
        code = column.removesuffix(NAME_SUFFIX)
        return gettext("{label} (name)").format(label=column_label(code, layer))
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


def field_label(name: str, layer: Layer | None = None) -> str:
    """The label of the field ``name`` (of ``layer`` first, else of any layer), or the name."""
    from citygrid.layers.registry import all_layers

    for candidate in ([layer] if layer is not None else []) + all_layers():
        found = _field(candidate, name)
        if found is not None:
            return found.label()
    return name


def _known_layer(name: Any) -> Layer | None:
    from citygrid.layers.registry import LAYERS

    return LAYERS.get(name) if isinstance(name, str) else None


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


MIN_WIDTH = 8
"""The narrowest a column is squeezed to (in terminal cells) before columns are left out."""
_PADDING = 3
"""Cells a column takes besides its text: a space either side and a rule."""
SHORT = 16
"""Values up to this many cells (codes, dates, numbers) are never wrapped."""


@dataclass
class _Output:
    """Where a command's tables go: ``--out`` file, and the tables kept for it."""

    path: Path
    overwrite: bool
    tables: list[Table] = field(default_factory=list)


_OUTPUT: ContextVar[_Output | None] = ContextVar("table_output", default=None)


def table_output(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--out FILE`` (.xlsx or .csv) and ``--overwrite`` to a command that prints tables.

    The file is checked before the command runs (a bad ending or an existing
    file without ``--overwrite`` is refused, nothing is done); the tables the
    command prints go to the file instead, all rows and columns, and the
    command says where. Nothing is written when the command fails.
    """

    @functools.wraps(command)
    def run(*args: Any, out: Path | None, overwrite: bool, **kwargs: Any) -> None:
        if out is None:
            command(*args, **kwargs)
            return
        from citygrid.services.tables.files import check_table_file, write_tables

        protected = _protected()
        check_table_file(out, overwrite=overwrite, protected=protected)
        with _collecting(_Output(out, overwrite)) as kept:
            command(*args, **kwargs)
        written = write_tables(kept.tables, out, overwrite=overwrite, protected=protected)
        rows = sum(len(t.frame) for t in kept.tables)
        click.echo(gettext("Wrote {count} rows to {path}.").format(count=rows, path=written))

    run = click.option("--overwrite", is_flag=True, help="Replace the --out file if it exists.")(
        run
    )
    return click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the table to this .xlsx or .csv file instead of printing it.",
    )(run)


def _protected() -> list[Path]:
    """The store's own database files, never to be written (none when no store is set)."""
    from citygrid.cli.context import CliContext
    from citygrid.layers.exporting import database_files

    found = click.get_current_context().find_object(CliContext)
    return database_files(found.store(check_schema=False)) if found is not None else []


@contextmanager
def _collecting(output: _Output) -> Iterator[_Output]:
    token = _OUTPUT.set(output)
    try:
        yield output
    finally:
        _OUTPUT.reset(token)


def make_table(
    frame: pd.DataFrame,
    title: str,
    layer: Layer | None = None,
    city: CityContext | None = None,
    drop_first: Sequence[str] = (),
) -> Table:
    """The :class:`~citygrid.services.tables.model.Table` of ``frame``: labels, names, drop order.

    Choice values and rules show their labels; with ``city``, code columns
    get the names beside them (:func:`~citygrid.services.tables.names.with_names`).
    A narrow terminal leaves out the columns ``drop_first`` first (in that
    order), then codes that have a name beside them, then from the right.
    """
    from citygrid.services.tables.model import Column, Table
    from citygrid.services.tables.names import NAME_SUFFIX, with_names

    shown = with_names(city, frame, layer) if city is not None else frame
    values = _labelled_values(shown, layer)
    keys = [str(c) for c in values.columns]
    named = {k.removesuffix(NAME_SUFFIX) for k in keys if k.endswith(NAME_SUFFIX)}
    first = {key: 2 * len(keys) - i for i, key in enumerate(drop_first)}
    columns = tuple(
        Column(
            key,
            column_label(key, layer),
            0 if i == 0 else first.get(key, len(keys) if key in named else i),
        )
        for i, key in enumerate(keys)
    )
    return Table(title, values.set_axis(keys, axis=1), columns)


def _labelled_values(frame: pd.DataFrame, layer: Layer | None) -> pd.DataFrame:
    """``frame`` with rule labels and choice labels as values (headers kept)."""
    out = frame.copy()
    for column in out.columns:
        if column == "rule":
            out[column] = [rule_label(v) if isinstance(v, str) else v for v in out[column]]
            continue
        if column == "field":  # a table of changes names the fields it changes, by row's layer
            layers = out["layer"] if "layer" in out.columns else [None] * len(out)
            out[column] = [
                field_label(v, _known_layer(row_layer) or layer) if isinstance(v, str) else v
                for v, row_layer in zip(out[column], layers, strict=True)
            ]
            continue
        field = _field(layer, str(column))
        if field is not None and field.choices:
            labels = {c.value: c.label() for c in field.choices}
            out[column] = [labels.get(v, v) for v in out[column]]
    return out


def print_table(
    frame: pd.DataFrame,
    title: str,
    layer: Layer | None = None,
    limit: int = 200,
    *,
    city: CityContext | None = None,
    hide: Sequence[str] = (),
    drop_first: Sequence[str] = (),
) -> None:
    """Print ``frame`` with labelled headers and values, or keep it for ``--out``.

    See :func:`make_table` for the labels and names. At most ``limit`` rows
    are printed, then how many more there are; the columns ``hide`` are left
    out of the terminal only, ``drop_first`` are the first to go when it is
    narrow. A file gets every row and column; a terminal's rows are labelled
    and named only up to ``limit`` (a city's route changes 100,000 problems).
    """
    printed = frame if _OUTPUT.get() is not None else frame.head(limit)
    table = make_table(printed, title, layer, city, drop_first)
    show_table(table, limit, hide, rows=len(frame))


def show_table(
    table: Table, limit: int = 200, hide: Sequence[str] = (), *, rows: int | None = None
) -> None:
    """Print ``table`` fitted to the terminal (see the module), or keep it for ``--out``.

    ``rows`` is how many rows the whole table has when ``table`` holds only
    the first of them (default: ``table``'s own).
    """
    output = _OUTPUT.get()
    if output is not None:
        output.tables.append(table)
        return
    rows = len(table.frame) if rows is None else rows
    table = table.without(hide)
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=False)
    fitted, dropped = fit_table(table, console.width, limit)
    console.print(render_table(fitted, console.width, limit, plain=not console.is_terminal))
    if dropped:
        note = gettext("Left out to fit the width: {columns} (--out writes every column).")
        console.print(Text(note.format(columns=gettext(", ").join(dropped))))
    if rows > limit:
        click.echo(
            gettext("... and {count} more rows; --out FILE.xlsx or .csv writes them all.").format(
                count=rows - limit
            )
        )


def fit_table(table: Table, width: int, limit: int = 200) -> tuple[Table, list[str]]:
    """``table`` without the columns that must go to fit ``width`` cells; their labels."""
    least = _widths(table, limit)[0]
    kept = list(table.columns)
    dropped: list[str] = []
    while len(kept) > 1 and sum(least[c.key] + _PADDING for c in kept) + 1 > width:
        going = max(
            (c for c in kept if c.drop > 0), key=lambda c: (c.drop, kept.index(c)), default=None
        )
        if going is None:
            break
        kept.remove(going)
        dropped.append(going.label)
    return table.without([c.key for c in table.columns if c not in kept]), dropped


def _widths(table: Table, limit: int) -> tuple[dict[str, int], dict[str, int]]:
    """The fewest and the most cells each column takes.

    Short values (codes, dates, numbers: up to :data:`SHORT` cells) are never
    wrapped; longer text may wrap down to :data:`MIN_WIDTH`; a header wraps.
    """
    from rich.cells import cell_len

    texts = table.texts(limit)
    least, most = {}, {}
    for i, column in enumerate(table.columns):
        longest = max([1, *(cell_len(row[i]) for row in texts)])
        header = min(cell_len(column.label), 4)
        least[column.key] = max(longest, header) if longest <= SHORT else MIN_WIDTH
        most[column.key] = max(longest, cell_len(column.label))
    return least, most


def column_widths(table: Table, width: int, limit: int = 200) -> dict[str, int]:
    """Each column's width so that the table takes at most ``width`` cells.

    Every column gets its least width (:func:`_widths`); what is left of
    ``width`` goes to the columns that want more, in proportion to what they want.
    """
    least, most = _widths(table, limit)
    spare = width - 1 - sum(least[c.key] + _PADDING for c in table.columns)
    wanted = {key: most[key] - least[key] for key in least}
    total = sum(wanted.values())
    if total <= spare:
        return most
    extra = {key: spare * want // total if total else 0 for key, want in wanted.items()}
    return {key: least[key] + max(0, extra[key]) for key in least}


def render_table(table: Table, width: int, limit: int = 200, *, plain: bool = False) -> Any:
    """A rich table of ``table``'s first ``limit`` rows in ``width`` cells (ASCII if ``plain``)."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    widths = column_widths(table, width, limit)
    shown = RichTable(title=table.title, box=box.ASCII if plain else box.HEAVY_HEAD)
    for column in table.columns:
        shown.add_column(column.label, overflow="fold", width=widths[column.key])
    for row in table.texts(limit):  # Text: a value's [brackets] are not markup
        shown.add_row(*(Text(v) for v in row))
    return shown
