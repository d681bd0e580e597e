"""``citygrid report``: the month's briefing (月度通报) written into a folder."""

from __future__ import annotations

import click

from citygrid.cli.context import CliContext
from citygrid.i18n import _
from citygrid.services.briefing.pack import monthly_pack
from citygrid.services.printing.paper import ORIENTATIONS, PAPER_MM, parse_page

pass_context = click.make_pass_decorator(CliContext)


@click.command("report")
@click.option("--month", required=True, metavar="YYYY-MM", help="The month of the briefing.")
@click.option("--out", required=True, metavar="DIR", help="The folder to write the pack into.")
@click.option("--subdistrict", metavar="CODE", help="Only this sub-district.")
@click.option(
    "--paper",
    type=click.Choice(tuple(PAPER_MM), case_sensitive=False),
    default="A4",
    show_default=True,
    help="Paper size of the map.",
)
@click.option(
    "--orientation",
    type=click.Choice(ORIENTATIONS, case_sensitive=False),
    default="landscape",
    show_default=True,
    help="Orientation of the map's page.",
)
@click.option(
    "--overwrite", is_flag=True, help="Replace the pack's files in a folder that has some."
)
@pass_context
def report_command(
    ctx: CliContext,
    month: str,
    out: str,
    subdistrict: str | None,
    paper: str,
    orientation: str,
    overwrite: bool,
) -> None:
    """Write the month's briefing: maps, rankings, rates, ledger and a summary."""
    pack = monthly_pack(
        ctx.city(),
        month,
        out,
        subdistrict=subdistrict,
        page=parse_page(paper, orientation),
        overwrite=overwrite,
    )
    click.echo(pack.summary.rstrip())
    click.echo(
        _("Wrote {count} files to {folder}.").format(count=len(pack.files), folder=pack.folder)
    )


COMMANDS = [report_command]
