"""``citygrid rank``, ``citygrid ledger`` and ``citygrid stats``: the cycle's reports.

A thin adapter over :mod:`citygrid.services.cycle.ranking`,
:mod:`~citygrid.services.cycle.publishing`, :mod:`~citygrid.services.cycle.ledger`,
:mod:`~citygrid.services.cycle.performance` and :mod:`~citygrid.services.cycle.reports`.
Tables show names and labels in the user's language, not codes alone.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from citygrid.cli.context import CliContext
from citygrid.cli.map_options import map_options
from citygrid.cli.tables import print_table, table_output
from citygrid.i18n import _
from citygrid.services.cycle.ranking import RANKING_COLUMNS

if TYPE_CHECKING:
    from citygrid.services.context import CityContext
    from citygrid.services.cycle.ranking import Ranking

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
@map_options
@click.option(
    "--map-by",
    type=click.Choice(["cell", "subdistrict"]),
    default="cell",
    show_default=True,
    help="Colour the --map's scores by grid cell or by sub-district (mean of its cells).",
)
@pass_context
def rank_command(
    ctx: CliContext,
    month: str,
    level: str,
    out: Path | None,
    overwrite: bool,
    publish: bool,
    map_file: Path | None,
    paper: str,
    orientation: str,
    map_by: str,
) -> None:
    """The monthly ranking (月评排名) of points, streets, alleys, cells or units."""
    from citygrid.services.cycle import publishing, ranking, reports
    from citygrid.services.cycle.periods import parse_month

    city = ctx.city()
    wanted = ranking.check_level(level)
    if out is not None:
        reports.check_report_file(city, out, overwrite=overwrite)
    if map_file is not None:
        _check_map(map_file, overwrite)
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
    if map_file is not None:
        cells = found if wanted == "cell" else ranking.monthly_ranking(city, found_month, "cell")
        _print_ranking_map(city, cells, map_file, map_by, paper, orientation, overwrite)
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


def _check_map(path: Path, overwrite: bool) -> None:
    from citygrid.services.printing.sheet import check_map_path

    check_map_path(path, overwrite=overwrite)


def _print_ranking_map(
    city: CityContext,
    cells: Ranking,
    path: Path,
    by: str,
    paper: str,
    orientation: str,
    overwrite: bool,
) -> None:
    from citygrid.services.printing.paper import parse_page
    from citygrid.services.printing.ranking_maps import print_ranking

    page = parse_page(paper, orientation)
    image = print_ranking(city, cells, path, by=by, page=page, overwrite=overwrite)
    if image.note:
        click.secho(image.note, fg="yellow", err=True)
    click.echo(_("Map written to {path}.").format(path=image.path))


@click.command("ledger")
@click.option("--unit", metavar="CODE", help="The ledger of this responsible unit.")
@click.option("--cell", metavar="CODE", help="The ledger of this grid cell.")
@click.option("--subdistrict", metavar="CODE", help="The ledger of this sub-district.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write the ledger to .xlsx, .csv or .gpkg instead of printing it.",
)
@click.option("--overwrite", is_flag=True, help="Replace the --out file if it exists.")
@pass_context
def ledger_command(
    ctx: CliContext,
    unit: str | None,
    cell: str | None,
    subdistrict: str | None,
    out: Path | None,
    overwrite: bool,
) -> None:
    """The ledger (台账) of every open task of a unit, a cell or a sub-district."""
    from citygrid.services.cycle import ledger, reports

    city = ctx.city()
    if out is not None:
        reports.check_report_file(city, out, overwrite=overwrite)
    found = ledger.ledger(city, unit=unit, cell=cell, subdistrict=subdistrict)
    if out is None:
        tasks = found.frame.drop(columns="geometry").rename(columns=found.headers())
        print_table(tasks, found.title)
        return
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
@table_output
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
