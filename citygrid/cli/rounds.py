"""``citygrid plan-inspections``: an inspector's round for a day, along the streets."""

from __future__ import annotations

from datetime import datetime

import click

from citygrid.cli.context import CliContext
from citygrid.cli.tables import print_table
from citygrid.i18n import _
from citygrid.layers.base_layers import POINT_TYPES
from citygrid.services.evaluation.round_files import write_round
from citygrid.services.evaluation.rounds import Round, plan_round

pass_context = click.make_pass_decorator(CliContext)

#: Why a place is on the round, and the message ids of the reasons.
REASON_LABELS = {
    "due": "not inspected for 30 days",
    "open_problems": "open problems",
    "recurring": "recurring",
    "hot_spot": "in an emerging hot spot",
    "at_risk": "at risk in an evaluation",
}


@click.command("plan-inspections")
@click.option("--inspector", required=True, metavar="CODE", help="The inspector's person code.")
@click.option(
    "--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Day of the round."
)
@click.option("--hours", type=float, help="Hours the round may take (default: a working day).")
@click.option(
    "--unannounced",
    is_flag=True,
    help="An unannounced round (暗访): order and start time drawn so they cannot be predicted.",
)
@click.option("--seed", type=int, help="Seed of an unannounced round's draws.")
@click.option("--out", metavar="PATH", help="Also write the round: .gpkg (map layers) or .gpx.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@pass_context
def plan_inspections_command(
    ctx: CliContext,
    inspector: str,
    day: datetime,
    hours: float | None,
    unannounced: bool,
    seed: int | None,
    out: str | None,
    overwrite: bool,
) -> None:
    """Plan an inspector's round: the places most at risk, ordered along the streets."""
    planned = plan_round(
        ctx.city(), inspector, day.date(), hours, unannounced=unannounced, seed=seed
    )
    _print_round(planned)
    if out is not None:
        written = write_round(planned, out, overwrite=overwrite)
        click.echo(_("Round written to {path}.").format(path=written))


def _print_round(planned: Round) -> None:
    route = planned.route.iloc[0]
    click.echo(
        _(
            "{count} places, {km:.1f} km, from {start} back by {end}; {left} more places "
            "did not fit."
        ).format(
            count=len(planned.stops),
            km=route["metres"] / 1000.0,
            start=planned.start.strftime("%H:%M"),
            end=planned.end.strftime("%H:%M"),
            left=planned.left_out,
        )
    )
    if not planned.along_streets:
        click.secho(
            _("The street network does not join every place; some legs are straight lines."),
            fg="yellow",
            err=True,
        )
    types = {c.value: c.label() for c in POINT_TYPES}
    stops = planned.stops
    shown = {
        _("No."): stops["order"],
        _("Arrive"): stops["arrive"].dt.strftime("%H:%M"),
        _("Place"): stops["name"],
        _("Point type"): stops["point_type"].map(types),
        _("Open problems"): stops["open_count"].astype(int),
        _("Days since inspected"): stops["days_since_inspection"].round(0).astype(int),
        _("Why"): stops["reasons"].map(
            lambda text: "、".join(_(REASON_LABELS[r]) for r in text.split(",") if r)
        ),
    }
    import pandas as pd

    print_table(pd.DataFrame(shown), _("Inspection round"))


COMMANDS = [plan_inspections_command]
