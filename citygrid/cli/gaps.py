"""``citygrid analyse gaps`` and ``citygrid apply-proposal``: where nobody is responsible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from citygrid import progress
from citygrid.cli.context import CliContext
from citygrid.cli.map_options import map_options, pop_map_options, print_if_asked
from citygrid.cli.params import param_options, params_from_options
from citygrid.i18n import _
from citygrid.layers.gap_layers import GAP_PROPOSALS, GAP_SUMMARY
from citygrid.services.analysis import AnalysisResult
from citygrid.services.coverage.analysis import CoverageReport, analyse_coverage
from citygrid.services.coverage.apply import apply_proposal
from citygrid.services.coverage.params import CoverageParams
from citygrid.services.coverage.proposals import propose_fixes
from citygrid.services.coverage.report import check_report_path, write_report

pass_context = click.make_pass_decorator(CliContext)

_COUNT_COLUMNS = (
    "gaps",
    "slivers",
    "overlaps",
    "outside",
    "invalid_edges",
    "unassigned",
    "stale",
    "blind_spots",
)


@click.command("gaps")
@param_options(CoverageParams)
@click.option(
    "--out",
    metavar="PATH.gpkg",
    default="gaps.gpkg",
    show_default=True,
    help="GeoPackage to write, one layer per finding.",
)
@click.option("--propose", is_flag=True, help="Add a gap_proposals layer of fixes to review.")
@map_options
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace existing output files (in a GeoPackage, only the layer written).",
)
@pass_context
def gaps(ctx: CliContext, out: str, propose: bool, overwrite: bool, **given: Any) -> None:
    """Find every place where nobody is responsible, and write it to a GeoPackage."""
    chosen = pop_map_options(given, overwrite)
    params = params_from_options(CoverageParams, given)
    path = check_report_path(out, overwrite=overwrite)
    city = ctx.city()
    with progress.phase(_("Analysing coverage…")):
        report = analyse_coverage(city, params)
    layers = report.layers()
    if propose:
        with progress.phase(_("Proposing fixes…")):
            layers[GAP_PROPOSALS.name] = propose_fixes(city, report)
    with progress.phase(_("Writing…")):
        written = write_report(layers, path, overwrite=overwrite)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    console.print(_summary_table(report))
    click.echo(
        _("Wrote {count} layers to {path} (as of {as_of}).").format(
            count=len(layers), path=written, as_of=report.as_of.isoformat()
        )
    )
    if propose:
        click.echo(
            _(
                "{count} fixes proposed in layer gap_proposals; review them (delete the rows "
                "you reject), then run `citygrid apply-proposal {path}`."
            ).format(count=len(layers[GAP_PROPOSALS.name]), path=written)
        )
    findings = AnalysisResult(report.findings, params, {"as_of": report.as_of.isoformat()})
    print_if_asked(city, findings, chosen, overwrite, title=_("Coverage gaps"))


def _summary_table(report: CoverageReport) -> Table:
    """One row per sub-district and a total row, headed with the summary layer's labels."""
    fields = {f.name: f for f in GAP_SUMMARY.fields}
    table = Table(
        fields["name"].label(),
        _("Area (km²)"),
        fields["covered_share"].label(),
        *(fields[c].label() for c in _COUNT_COLUMNS),
        title=GAP_SUMMARY.title(),
    )
    for row in report.summary.itertuples():
        name = row.name if isinstance(row.name, str) else _("outside every sub-district")
        table.add_row(name, *_figures(row._asdict()))
    table.add_row(_("Total"), *_figures(report.totals()), style="bold")
    return table


def _figures(row: dict) -> list[str]:
    area = float(row["area_m2"]) / 1e6
    share = row["covered_share"]
    cells = [f"{area:,.3f}", "-" if pd.isna(share) or area == 0 else f"{share:.2%}"]
    return cells + [f"{int(row[c]):,}" for c in _COUNT_COLUMNS]


@click.command("apply-proposal")
@click.argument("file", metavar="FILE")
@click.option(
    "--dry-run", is_flag=True, help="Check the proposal and show the changes; write nothing."
)
@pass_context
def apply_proposal_command(ctx: CliContext, file: str, dry_run: bool) -> None:
    """Apply a reviewed proposal (gap_proposals layer) in one transaction, audited."""
    log = apply_proposal(
        ctx.store(), Path(file), actor=ctx.config.actor, dry_run=dry_run, config=ctx.config
    )
    if log.empty:
        click.echo(_("Nothing to apply: the proposal changes nothing."))
        return
    table = Table(_("Layer"), _("Code"), _("Changed"), _("New version"))
    for row in log.itertuples():
        table.add_row(row.layer, str(row.code), ", ".join(row.after), str(row.version))
    Console().print(table)
    message = (
        _("Dry run: {count} features would change; nothing was written.")
        if dry_run
        else _("Applied: {count} features changed, each recorded in the audit log.")
    )
    click.echo(message.format(count=len(log)))


ANALYSE_COMMANDS = [gaps]
COMMANDS = [apply_proposal_command]
