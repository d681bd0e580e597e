"""``citygrid rank``, ``citygrid ledger`` and ``citygrid stats``: the cycle's reports.

A thin adapter over :mod:`citygrid.services.cycle.ranking`,
:mod:`~citygrid.services.cycle.publishing`, :mod:`~citygrid.services.cycle.ledger`,
:mod:`~citygrid.services.cycle.performance` and :mod:`~citygrid.services.cycle.reports`.
Tables show names and labels in the user's language, not codes alone.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from citygrid.cli.context import CliContext
from citygrid.cli.tables import print_table
from citygrid.i18n import _
from citygrid.services.cycle.ranking import RANKING_COLUMNS

pass_context = click.make_pass_decorator(CliContext)

_DATE = click.DateTime(["%Y-%m-%d"])
_SHOWN = (
    "rank",
    "name",
    *(c for c in RANKING_COLUMNS if c not in ("rank", "name", "previous_rank")),
)
"""The ranking's columns shown in the terminal (files have them all)."""


@click.command("rank")
@click.option("--month", required=True, metavar="YYYY-MM", help="The month to rank.")
@click.option(
    "--level",
    default="point",
    show_default=True,
    metavar="LEVEL",
    help="What to rank: point, street, alley, cell or unit.",
)
@click.option(
    "--out", type=click.Path(path_type=Path), help="Write the ranking to .xlsx, .csv or .gpkg."
)
@click.option("--overwrite", is_flag=True, help="Replace the --out file if it exists.")
@click.option(
    "--publish",
    is_flag=True,
    help="Store the month's ranking at every level; later reads return it unchanged.",
)
@pass_context
def rank_command(
    ctx: CliContext, month: str, level: str, out: Path | None, overwrite: bool, publish: bool
) -> None:
    """The monthly ranking (月评排名) of points, streets, alleys, cells or units."""
    from citygrid.services.cycle import publishing, ranking, reports
    from citygrid.services.cycle.periods import parse_month

    city = ctx.city()
    wanted = ranking.check_level(level)
    if out is not None:
        reports.check_report_file(city, out, overwrite=overwrite)
    found_month = parse_month(month)
    if publish:
        counts = publishing.publish_ranking(city, month)
        click.echo(
            _("Published the ranking of {month}: {counts}.").format(
                month=found_month,
                counts=", ".join(f"{reports.level_label(k)} {v}" for k, v in counts.items()),
            )
        )
    found = ranking.monthly_ranking(city, found_month, wanted)
    if out is not None:
        written = reports.write_ranking(city, found, out, overwrite=overwrite)
        click.echo(_("Wrote {count} rows to {path}.").format(count=len(found.frame), path=written))
        return
    print_table(reports.ranking_table(found, _SHOWN), reports.ranking_title(found))
    failed = ranking.failed_points(city, found.month)
    click.echo(
        _("Points that failed the standard (score below {score:g}): {count}.").format(
            score=city.config.ranking_pass_score, count=len(failed)
        )
    )
    if len(failed):
        failed_ranking = ranking.Ranking(found.month, "point", failed)
        print_table(
            reports.ranking_table(failed_ranking, _SHOWN), _("Points that failed the standard")
        )


@click.command("ledger")
@click.option("--unit", metavar="CODE", help="The ledger of this responsible unit.")
@click.option("--cell", metavar="CODE", help="The ledger of this grid cell.")
@click.option("--subdistrict", metavar="CODE", help="The ledger of this sub-district.")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="The file to write: .xlsx, .csv or .gpkg.",
)
@click.option("--overwrite", is_flag=True, help="Replace the --out file if it exists.")
@pass_context
def ledger_command(
    ctx: CliContext,
    unit: str | None,
    cell: str | None,
    subdistrict: str | None,
    out: Path,
    overwrite: bool,
) -> None:
    """The ledger (台账) of every open task of a unit, a cell or a sub-district."""
    from citygrid.services.cycle import ledger, reports

    city = ctx.city()
    reports.check_report_file(city, out, overwrite=overwrite)
    found = ledger.ledger(city, unit=unit, cell=cell, subdistrict=subdistrict)
    written = reports.write_ledger(city, found, out, overwrite=overwrite)
    click.echo(
        _("Wrote the ledger of {name} ({count} open tasks) to {path}.").format(
            name=found.name, count=len(found.frame), path=written
        )
    )


@click.command("stats")
@click.option("--since", required=True, type=_DATE, help="First day, YYYY-MM-DD.")
@click.option("--until", required=True, type=_DATE, help="Last day, YYYY-MM-DD.")
@click.option(
    "--by",
    default="unit",
    show_default=True,
    metavar="GROUP",
    help="One row per unit, subdistrict or cell.",
)
@pass_context
def stats_command(ctx: CliContext, since: datetime, until: datetime, by: str) -> None:
    """Performance figures: on-time closure, rework and on-time registration rates."""
    from citygrid.services.cycle import performance, reports

    figures = performance.performance(ctx.city(), since.date(), until.date(), by)
    print_table(
        reports.performance_table(figures),
        _("Performance from {since} to {until}").format(
            since=figures.since.isoformat(), until=figures.until.isoformat()
        ),
    )
