"""``citygrid init`` and ``citygrid layers``: the schema and what the store holds."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from citygrid.cli.context import CliContext
from citygrid.i18n import _
from citygrid.layers.registry import all_layers

pass_context = click.make_pass_decorator(CliContext)


@click.command("init")
@pass_context
def init_command(ctx: CliContext) -> None:
    """Create the schema, or upgrade it to this version."""
    store = ctx.store(check_schema=False)
    revision = store.init()
    click.echo(_("Schema {revision} ready at {url}.").format(revision=revision, url=store.url))


@click.command("layers")
@pass_context
def layers_command(ctx: CliContext) -> None:
    """List every layer with its feature count."""
    counts = ctx.store().counts()
    table = Table(_("Layer"), _("Title"), _("Geometry"), _("Features"))
    for layer in all_layers():
        count = str(counts[layer.name]) if layer.stored else _("computed")
        table.add_row(layer.name, layer.title(), layer.geometry_type or "-", count)
    Console().print(table)


COMMANDS = [init_command, layers_command]
