"""``citygrid catalogue``: load a city's catalogue with its standards, and show it.

A thin adapter over :mod:`citygrid.services.cycle.catalogue`.
"""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from citygrid.cli.context import CliContext
from citygrid.cli.tables import choice_label, print_table, table_output
from citygrid.i18n import _
from citygrid.layers.registry import get_layer
from citygrid.services.cycle import catalogue

pass_context = click.make_pass_decorator(CliContext)

_INDENT = {"section": 0, "item": 1, "content": 2, "standard": 3}


@click.group("catalogue")
def catalogue_group() -> None:
    """The evaluation catalogue and its registration and closure standards."""


@catalogue_group.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the catalogue and standards held.")
@pass_context
def load_command(ctx: CliContext, file: Path, replace: bool) -> None:
    """Load a catalogue with its standards from FILE (CSV, XLSX or JSON), all or nothing."""
    counts = catalogue.load_catalogue(ctx.city(), file, replace=replace)
    click.echo(
        _("Loaded {entries} catalogue entries and {standards} standards from {path}.").format(
            entries=counts["catalogue"], standards=counts["standards"], path=file
        )
    )


@catalogue_group.command("show")
@click.argument("code", required=False)
@table_output
@pass_context
def show_command(ctx: CliContext, code: str | None) -> None:
    """The whole catalogue, or the entry CODE with its standards."""
    if code is None:
        entries = catalogue.catalogue_entries(ctx.city())
        entries["name"] = [
            "  " * _INDENT.get(level, 0) + name
            for level, name in zip(entries["level"], entries["name"], strict=True)
        ]
        columns = ["code", "name", "kind", "weight", "negative_list", "conditions"]
        print_table(entries[columns], get_layer("catalogue").title(), get_layer("catalogue"), 2000)
        return
    found = catalogue.catalogue_entry(ctx.city(), code)
    entry = found.entry
    path = " > ".join([*found.ancestors["name"], str(entry["name"])])
    click.echo(f"{entry['code']}  {path}")
    layer = get_layer("catalogue")
    for field in layer.fields[2:]:
        value = entry[field.name]
        if not pd.isna(value):
            shown = choice_label("catalogue", field.name, value) if field.choices else value
            click.echo(f"  {field.label()}: {shown}")
    if not found.children.empty:
        print_table(found.children[["code", "name", "level"]], _("Below it"), layer)
    if not found.standards.empty:
        standards = found.standards.drop(columns="catalogue_code")
        print_table(standards, get_layer("standards").title(), get_layer("standards"))
