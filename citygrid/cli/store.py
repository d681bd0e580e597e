"""``citygrid init`` and ``citygrid layers``: the schema and what the store holds."""

from __future__ import annotations

import click

from citygrid.cli.context import CliContext
from citygrid.cli.tables import print_table, table_output
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
@table_output
@pass_context
def layers_command(ctx: CliContext) -> None:
    """List every layer with its feature count."""
    import pandas as pd

    counts = ctx.store().counts()
    rows = [
        {
            _("Layer"): layer.name,
            _("Title"): layer.title(),
            _("Geometry"): layer.geometry_type or "-",
            _("Features"): counts[layer.name] if layer.stored else _("computed"),
        }
        for layer in all_layers()
    ]
    print_table(pd.DataFrame(rows), _("Layers"))


COMMANDS = [init_command, layers_command]
