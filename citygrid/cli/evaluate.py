"""``citygrid evaluate``: the simulated third-party evaluation and what to fix first."""

from __future__ import annotations

from datetime import datetime

import click
import pandas as pd

from citygrid.cli.context import CliContext
from citygrid.cli.tables import print_table
from citygrid.i18n import _
from citygrid.layers.base_layers import POINT_TYPES
from citygrid.services.context import CityContext
from citygrid.services.evaluation.compare import Comparison, compare, read_findings
from citygrid.services.evaluation.ledger import write_fix_first
from citygrid.services.evaluation.plans import read_plan
from citygrid.services.evaluation.priorities import (
    costly_places,
    fix_first,
    item_losses,
    item_names,
    unit_losses,
)
from citygrid.services.evaluation.simulate import Evaluation, evaluate

pass_context = click.make_pass_decorator(CliContext)
SHOWN = 15


@click.command("evaluate")
@click.option(
    "--plan",
    "plan_file",
    required=True,
    help="Sampling plan: CSV, XLSX or JSON (point_type, count, draw, weight_field, items), "
    "or `national` for the plan citygrid ships.",
)
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%d %H:%M"]),
    help="The day of the visit (default: now).",
)
@click.option("--runs", type=int, default=1000, show_default=True, help="Evaluations drawn.")
@click.option("--seed", type=int, help="Seed of the draws, to repeat a result.")
@click.option(
    "--out",
    help="Also write the problems to fix first as a ledger: .xlsx (for printing), .csv or "
    ".gpkg (a map layer, with the places' expected losses as a second layer).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@click.option(
    "--findings",
    help="After the visit: the real evaluation's findings (CSV or XLSX: place, item, "
    "deduction) to compare with the prediction for the places it visited.",
)
@pass_context
def evaluate_command(
    ctx: CliContext,
    plan_file: str,
    as_of: datetime | None,
    runs: int,
    seed: int | None,
    out: str | None,
    overwrite: bool,
    findings: str | None,
) -> None:
    """Predict the score of a third-party evaluation, and what to fix first."""
    city = ctx.city()
    plan = read_plan(plan_file)
    day = as_of or city.now
    if findings is not None:
        _print_comparison(city, compare(city, plan, day, read_findings(city, findings)))
        return
    result = evaluate(city, plan, day, runs=runs, seed=seed)
    _print_summary(result)
    types = {c.value: c.label() for c in POINT_TYPES}
    by_type = result.by("point_type")
    places = costly_places(city, result)
    first = fix_first(city, result)
    for frame in (by_type, places, first):
        frame["point_type"] = frame["point_type"].map(types)
    first["deadline"] = first["deadline"].dt.strftime("%Y-%m-%d %H:%M")
    tables = (
        (_("Expected loss per point type"), by_type, ("point_type", "places", "visits", "loss")),
        (
            _("Expected loss per item"),
            item_losses(city, result),
            ("catalogue_code", "item", "loss"),
        ),
        (
            _("Expected loss per unit"),
            unit_losses(city, result),
            ("unit_code", "unit", "places", "loss"),
        ),
        (
            _("Places that cost most"),
            places,
            (
                "code",
                "place",
                "point_type",
                "unit",
                "open_count",
                "days_since_inspection",
                "points",
            ),
        ),
        (_("Fix first"), first, ("code", "item", "place", "unit", "deadline", "points")),
    )
    for title, frame, columns in tables:
        print_table(_points(frame, {c: _(HEADERS[c]) for c in columns}), title, limit=SHOWN)
    if out is not None:
        written = write_fix_first(city, result, out, overwrite=overwrite)
        click.echo(_("Ledger written to {path}.").format(path=written))


#: Column names of the tables, and their message ids.
HEADERS = {
    "point_type": "Point type",
    "places": "Places",
    "visits": "Visits per evaluation",
    "loss": "Points lost",
    "catalogue_code": "Item code",
    "item": "Item",
    "unit_code": "Unit code",
    "unit": "Unit",
    "code": "Code",
    "place": "Place",
    "open_count": "Open problems",
    "days_since_inspection": "Days since inspected",
    "points": "Points won back",
    "deadline": "Deadline",
    "point_code": "Place code",
    "predicted": "Predicted",
    "actual": "Deducted",
    "error": "Error",
}


def _print_comparison(city: CityContext, result: Comparison) -> None:
    click.echo(
        _(
            "Predicted score {predicted:.2f}, actual score {actual:.2f} for the {places} places "
            "visited; mean absolute error {error:.2f} points per place."
        ).format(
            predicted=result.predicted_score,
            actual=result.actual_score,
            places=len(result.places),
            error=result.mean_absolute_error,
        )
    )
    errors = ("predicted", "actual", "error")
    items = result.items.assign(item=result.items["catalogue_code"].map(item_names(city)))
    for title, frame, columns in (
        (_("Prediction and findings per place"), result.places, ("point_code", "place", *errors)),
        (_("Prediction and findings per item"), items, ("catalogue_code", "item", *errors)),
    ):
        print_table(_points(frame, {c: _(HEADERS[c]) for c in columns}), title)


def _print_summary(result: Evaluation) -> None:
    click.echo(
        _(
            "Expected score {score:.2f} (90% of evaluations between {low:.2f} and {high:.2f}), "
            "from {runs} evaluations of {places} places on {day}."
        ).format(
            score=result.score,
            low=result.low,
            high=result.high,
            runs=result.runs,
            places=result.plan.places,
            day=result.as_of.strftime("%Y-%m-%d"),
        )
    )
    for note in result.notes:
        click.secho(
            _("The plan visits more places than the city has ({note}); all are visited.").format(
                note=note
            ),
            fg="yellow",
            err=True,
        )


def _points(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    """The ``headers`` columns of ``frame``, renamed, with points rounded to 3 places."""
    shown = frame[list(headers)].copy()
    for column in ("loss", "points", "visits", "predicted", "actual", "error"):
        if column in shown:
            shown[column] = shown[column].round(3)
    return shown.rename(columns=headers)


COMMANDS = [evaluate_command]
