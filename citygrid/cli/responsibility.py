"""Who answers for each place: assign, auto-assign, route, history, workload, units.

A thin adapter over :mod:`citygrid.services.responsibility`,
:mod:`~citygrid.services.routing.reroute` and
:mod:`~citygrid.services.responsibility.workload`.
"""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from citygrid import progress
from citygrid.cli.context import CliContext
from citygrid.cli.tables import print_table, rule_label, table_output
from citygrid.i18n import _
from citygrid.layers.base_layers import OPEN_STATUSES
from citygrid.layers.registry import Layer, get_layer
from citygrid.services import responsibility
from citygrid.services.responsibility import workload
from citygrid.services.routing.reroute import route_problems

pass_context = click.make_pass_decorator(CliContext)

_LAYERS = click.Choice(responsibility.assignable_layers())
_STATUSES = click.Choice(list(OPEN_STATUSES))


def _print_changes(
    ctx: CliContext, changes: pd.DataFrame, dry_run: bool, layer: Layer | None = None
) -> None:
    if changes.empty:
        click.echo(_("Nothing to change."))
        return
    title = _("Would change") if dry_run else _("Changed")
    print_table(changes, title, layer, city=ctx.city())
    message = (
        _("{count} changes would be made; run without --dry-run to make them.")
        if dry_run
        else _("{count} changes made.")
    )
    click.echo(message.format(count=len(changes)))


@click.command("assign")
@click.argument("layer", type=_LAYERS)
@click.argument("code")
@click.option("--unit", required=True, metavar="CODE", help="Responsible unit code.")
@click.option("--head", metavar="CODE", help="Head (grid manager for a cell) of that unit.")
@click.option("--version", type=int, help="The version you edited; refused if stale.")
@click.option("--reason", help="Why, for the audit log.")
@pass_context
def assign_command(
    ctx: CliContext,
    layer: str,
    code: str,
    unit: str,
    head: str | None,
    version: int | None,
    reason: str | None,
) -> None:
    """Make UNIT (and HEAD) responsible for the feature CODE of LAYER."""
    log = responsibility.assign(
        ctx.city(), layer, code, unit=unit, head=head, version=version, reason=reason
    )
    if log.empty:
        click.echo(_("{layer} {code} already has these values.").format(layer=layer, code=code))
        return
    click.echo(
        _("{layer} {code} assigned to {unit} (version {version}).").format(
            layer=layer, code=code, unit=unit, version=int(log["version"].iloc[0])
        )
    )


@click.command("assign-bulk")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--layer", type=_LAYERS, help="Layer of every row, if the file has no layer column.")
@click.option("--dry-run", is_flag=True, help="Check and list the changes without making them.")
@click.option("--reason", help="Why, for the audit log.")
@table_output
@pass_context
def assign_bulk_command(
    ctx: CliContext, file: Path, layer: str | None, dry_run: bool, reason: str | None
) -> None:
    """Apply the assignments in FILE (CSV, GeoPackage, Shapefile...), all or none.

    Columns: layer (图层), code (编码) or name (名称), unit_code (责任单位),
    head_code (责任人), version (版本).
    """
    changes = responsibility.assign_file(
        ctx.city(), file, layer_name=layer, reason=reason, dry_run=dry_run
    )
    _print_changes(ctx, changes, dry_run)


@click.command("auto-assign")
@click.option("--dry-run", is_flag=True, help="List what would change without changing it.")
@click.option(
    "--include-manual",
    is_flag=True,
    help="Also reassign features assigned by hand or held by their department.",
)
@table_output
@pass_context
def auto_assign_command(ctx: CliContext, dry_run: bool, include_manual: bool) -> None:
    """Give units to cells (sub-district), points (their cell) and streets/alleys
    (the cell with most of their length); features assigned by hand are kept."""
    changes = responsibility.auto_assign(ctx.city(), dry_run=dry_run, include_manual=include_manual)
    _print_changes(ctx, changes, dry_run)


@click.command("route")
@click.option(
    "--status",
    "statuses",
    type=_STATUSES,
    multiple=True,
    help="Route problems in this status (repeatable; default: all but closed).",
)
@click.option("--dry-run", is_flag=True, help="List the changes without making them.")
@table_output
@pass_context
def route_command(ctx: CliContext, statuses: tuple[str, ...], dry_run: bool) -> None:
    """Route the problems layer to the units responsible for each location."""
    with progress.phase(_("Routing problems…")):
        changes = route_problems(ctx.city(), statuses=statuses or OPEN_STATUSES, dry_run=dry_run)
    shown = changes.drop(columns=["outside_distance_m"]) if not changes.empty else changes
    _print_changes(ctx, shown, dry_run, get_layer("problems"))
    if not changes.empty:
        counts = changes["routed_by"].value_counts().sort_index()
        click.echo(
            _("Routed by: {counts}.").format(
                counts="; ".join(f"{rule_label(rule)} {count}" for rule, count in counts.items())
            )
        )


@click.command("history")
@click.argument("layer")
@click.argument("code")
@table_output
@pass_context
def history_command(ctx: CliContext, layer: str, code: str) -> None:
    """The changes to the feature CODE of LAYER, oldest first."""
    from citygrid.services.tables.changes import field_changes

    city = ctx.city()
    entries = responsibility.feature_history(city, layer, code)
    changes = field_changes(city, entries, get_layer(layer))
    title = _("History of {layer} {code}").format(layer=layer, code=code)
    print_table(changes, title, drop_first=["action", "actor"])


@click.command("workload")
@click.option(
    "--by",
    type=click.Choice(["unit", "head"]),
    default="unit",
    show_default=True,
    help="One row per responsible unit, or per head.",
)
@table_output
@pass_context
def workload_command(ctx: CliContext, by: str) -> None:
    """Each unit's (or head's) cells, street and alley km, points and problems.

    The table leaves out point types nobody holds; the CSV has them all.
    """
    table = workload.workload(ctx.city(), by=by)  # type: ignore[arg-type]
    counts = workload.count_columns()
    breakdown = [c for c in table.columns if c.startswith("points_")]
    empty_types = [c for c in breakdown if not table[c].any()]
    drop_first = [*reversed(breakdown), *reversed(counts[:-2])]
    print_table(table, _("Workload"), hide=empty_types, drop_first=drop_first)


@click.group("units")
def units_group() -> None:
    """Responsible units."""


@units_group.command("delete")
@click.argument("code")
@click.option("--reason", help="Why, for the audit log.")
@pass_context
def units_delete_command(ctx: CliContext, code: str, reason: str | None) -> None:
    """Delete the unit CODE; refused while it still holds anything."""
    responsibility.delete_unit(ctx.city(), code, reason=reason)
    click.echo(_("Unit {unit} deleted.").format(unit=code))


COMMANDS = [
    assign_command,
    assign_bulk_command,
    auto_assign_command,
    route_command,
    history_command,
    workload_command,
    units_group,
]
