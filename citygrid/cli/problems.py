"""``citygrid problems``: report a problem, move it through the workflow, show its case.

A thin adapter over :mod:`citygrid.services.cycle.intake`,
:mod:`~citygrid.services.cycle.workflow` and :mod:`~citygrid.services.cycle.case`.
The command line acts as the system, which may make every transition the
workflow allows from a problem's status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import pandas as pd

from citygrid.cli.context import CliContext
from citygrid.cli.tables import choice_label, print_table, table_output
from citygrid.i18n import _
from citygrid.layers.registry import get_layer
from citygrid.services.cycle import case, intake, photos, recurrence, workflow

pass_context = click.make_pass_decorator(CliContext)


@click.group("problems")
def problems_group() -> None:
    """Report problems and move them through the workflow (立案, 派遣, 反馈, 核查, 返工)."""


@problems_group.command("report")
@click.option("--lon", required=True, help="Longitude of the problem (EPSG:4326).")
@click.option("--lat", required=True, help="Latitude of the problem (EPSG:4326).")
@click.option("--item", "item", required=True, metavar="CODE", help="Catalogue item code.")
@click.option("--description", metavar="TEXT", help="What is wrong (required for events).")
@click.option(
    "--source",
    default="inspection",
    show_default=True,
    help="inspection, unannounced, mock_evaluation or citizen.",
)
@click.option("--reporter", metavar="NAME", help="Who found it.")
@click.option(
    "--reported-at",
    type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]),
    help="When it was found, YYYY-MM-DD HH:MM (default: now).",
)
@click.option(
    "--photo",
    "photo_paths",
    multiple=True,
    metavar="FILE",
    help="Photo of the problem, JPEG, PNG or WebP (repeatable); stored with it.",
)
@pass_context
def report_command(
    ctx: CliContext,
    lon: str,
    lat: str,
    item: str,
    description: str | None,
    source: str,
    reporter: str | None,
    reported_at: datetime | None,
    photo_paths: tuple[str, ...],
) -> None:
    """Report a problem at a place: it is coded, routed and waits to be registered."""
    city = ctx.city()
    found = intake.report_problem(
        city,
        lon,
        lat,
        item,
        description,
        source,
        reporter,
        reported_at=reported_at,
        photos=[photos.photo_from_file(city, p) for p in photo_paths],
    )
    problem = found.problem
    if found.merged:
        click.echo(
            _(
                "An open problem of this item lies within {metres} m: the report was merged "
                "into problem {code} ({status}), which has now been reported {reports} times."
            ).format(
                metres=city.config.duplicate_metres,
                code=problem["code"],
                status=workflow.status_label(problem["status"]),
                reports=int(problem["reports"]),
            )
        )
        return
    unit = case.names(city, problem).get("unit_code", _or_dash(problem["unit_code"]))
    click.echo(
        _("Reported problem {code}: {status}, routed by {rule} to {unit}.").format(
            code=problem["code"],
            status=workflow.status_label(problem["status"]),
            rule=choice_label("problems", "routed_by", problem["routed_by"]),
            unit=unit,
        )
    )
    if found.recurs is not None:
        click.echo(
            _(
                "It recurs problem {recurs}, closed within the last {days} days nearby "
                "(recurrence {count})."
            ).format(
                recurs=found.recurs,
                days=city.config.recurrence_days,
                count=int(problem["recurrence"]),
            )
        )
    if found.outside:
        click.echo(
            _(
                "Warning: the place lies outside the city, {distance} m from sub-district "
                "{subdistrict}; check the location."
            ).format(
                distance=found.outside_distance_m, subdistrict=_or_dash(problem["subdistrict_code"])
            )
        )


def _transition_command(name: str, doc: str) -> click.Command:
    """The command of one transition, with the options that transition takes."""

    @pass_context
    def run(ctx: CliContext, code: str, **options: Any) -> None:
        city = ctx.city()
        before = workflow.get_problem(city, code)["status"]
        options["photos"] = [photos.photo_from_file(city, p) for p in options.pop("photo", ())]
        after = workflow.transition(city, name, code, **options)
        click.echo(
            _("Problem {code}: {before} -> {after} (version {version}).").format(
                code=code,
                before=workflow.status_label(before),
                after=workflow.status_label(after["status"]),
                version=int(after["version"]),
            )
        )
        if workflow.get_transition(name).name == "register":
            click.echo(_("Deadline: {deadline}.").format(deadline=_when(after["deadline"])))

    step = workflow.get_transition(name)
    params: list[Callable[[Any], Any]] = [
        click.argument("code"),
        click.option("--note", metavar="TEXT", help=_NOTE_HELP[step.note_required]),
        click.option(
            "--version", type=int, metavar="N", help="The version you saw; refused if stale."
        ),
    ]
    if step.name == "dispatch":
        params.append(
            click.option("--unit", metavar="CODE", help="Send it to this unit, not the routed one.")
        )
    if step.name == "register":
        params.append(
            click.option(
                "--condition",
                metavar="CODE",
                help="Registration condition that sets the deadline (default: the item's first).",
            )
        )
    if step.name == "rectify":
        params.append(
            click.option(
                "--photo",
                multiple=True,
                metavar="FILE",
                help="Evidence photo, JPEG, PNG or WebP (repeatable); stored with the problem.",
            )
        )
    for param in reversed(params):
        run = param(run)
    return click.command(name, help=doc)(run)


_NOTE_HELP = {
    False: "Note for the case's timeline.",
    True: "Note for the case's timeline (required).",
}

for _name, _doc in (
    ("register", "Register (立案) a reported problem CODE and set its deadline."),
    ("dispatch", "Dispatch (派遣) the problem CODE to its unit."),
    ("rectify", "Report back (反馈) that the problem CODE is rectified."),
    ("verify", "Verify (核查) the rectified problem CODE and close it."),
    ("close", "Close (结案) the rectified problem CODE: the same as verify."),
    ("rework", "Send the rectified problem CODE back to its unit (返工)."),
):
    problems_group.add_command(_transition_command(_name, _doc))


@problems_group.command("show")
@click.argument("code")
@table_output
@pass_context
def show_command(ctx: CliContext, code: str) -> None:
    """The problem CODE with names, deadline, days overdue and its timeline."""
    found = case.case(ctx.city(), code)
    layer = get_layer("problems")
    problem = found.problem
    click.echo(f"{problem['code']}  {workflow.status_label(problem['status'])}")
    for field in layer.fields[1:]:
        value = problem.get(field.name)
        if value is None or pd.isna(value):
            continue
        shown = choice_label("problems", field.name, value) if field.choices else value
        if field.type == "datetime":
            shown = _when(value)
        if field.name in found.names:
            shown = f"{value} {found.names[field.name]}"
        click.echo(f"  {field.label()}: {shown}")
    if found.overdue_days is not None:
        click.echo(f"  {_('Working days overdue')}: {found.overdue_days:.1f}")
    steps = found.timeline.copy()
    steps["action"] = [_step_label(a) for a in steps["action"]]
    for column in ("status_before", "status"):
        steps[column] = [
            workflow.status_label(s) if isinstance(s, str) else s for s in steps[column]
        ]
    steps = steps.rename(columns={c: _(h) for c, h in _TIMELINE_HEADERS.items()})
    print_table(steps, _("Timeline"))


@problems_group.command("photos")
@click.argument("code")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Write the photos into this folder (made if missing), named by photo id.",
)
@pass_context
def photos_command(ctx: CliContext, code: str, out: str | None) -> None:
    """The photos of the problem CODE; with --out, the images written to files."""
    city = ctx.city()
    found = photos.list_photos(city, code)
    shown = found.assign(kind=[choice_label("photos", "kind", k) for k in found["kind"]])
    shown = shown.rename(columns={c: get_layer("photos").field(c).label() for c in shown.columns})
    print_table(shown, _("Photos of problem {code}").format(code=code))
    if out is None:
        return
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for photo_id in found["code"]:
        photo = photos.get_photo(city, code, photo_id)
        (folder / f"{photo.code}{photo.suffix}").write_bytes(photo.data)
    click.echo(_("Wrote {n} photos to {folder}.").format(n=len(found), folder=folder))


@problems_group.command("recurrences")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Count and link only problems reported on or after this day (YYYY-MM-DD).",
)
@click.option("--dry-run", is_flag=True, help="Count only; change nothing.")
@pass_context
def recurrences_command(ctx: CliContext, since: datetime | None, dry_run: bool) -> None:
    """Link every problem to the closed one it recurs (反弹) and print the counts."""
    city = ctx.city()
    found = recurrence.detect_recurrences(city, since=since, dry_run=dry_run)
    click.echo(
        _(
            "{problems} problems looked at: {recurrences} recur a problem closed within "
            "{days} days and {metres} m; the longest chain has {longest} recurrences; "
            "{changed} links written."
        ).format(
            problems=found.problems,
            recurrences=found.recurrences,
            days=city.config.recurrence_days,
            metres=city.config.recurrence_metres,
            longest=found.longest,
            changed=found.changed,
        )
    )


_TIMELINE_HEADERS = {
    "at": "Time",
    "actor": "By",
    "action": "Action",
    "status_before": "Status before",
    "status": "Status after",
    "note": "Note",
}


def _step_label(action: str) -> str:
    step = workflow.TRANSITIONS.get(action)
    if step is not None:
        return step.label()
    other = recurrence.ACTIONS.get(action)
    return other.label() if other is not None else action


def _when(value: Any) -> str:
    return (
        "-" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")
    )


def _or_dash(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else str(value)
