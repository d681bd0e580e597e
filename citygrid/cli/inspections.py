"""``citygrid inspections``: record an inspection round, see when places were last inspected.

A thin adapter over :mod:`citygrid.services.cycle.inspections` and
:mod:`~citygrid.services.cycle.inspection_files`. The command line acts as
the system unless ``--as-user`` names an account, whose role and scope
then decide which places it may record.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import pandas as pd

from citygrid.cli.context import CliContext
from citygrid.cli.tables import choice_label, print_table, table_output
from citygrid.errors import BadInput
from citygrid.i18n import _
from citygrid.services.accounts.users import get_user
from citygrid.services.context import CityContext
from citygrid.services.cycle.inspection_files import expected_columns, read_round
from citygrid.services.cycle.inspections import (
    Check,
    Finding,
    Round,
    last_inspected,
    place_fields,
    record_round,
)

pass_context = click.make_pass_decorator(CliContext)

_TIMES = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]


@click.group("inspections")
def inspections_group() -> None:
    """Record inspection rounds (日常巡查, 暗访, 第三方测评) and see when places were last
    inspected."""


@inspections_group.command("record")
@click.option(
    "--kind",
    required=True,
    help="routine (日常巡查), unannounced (暗访) or third-party (第三方测评).",
)
@click.option(
    "--at",
    "inspected_at",
    type=click.DateTime(_TIMES),
    help="When, YYYY-MM-DD HH:MM (default: now).",
)
@click.option("--inspector", metavar="NAME", help="Who inspected (default: --as-user).")
@click.option(
    "--as-user",
    "user",
    metavar="USER",
    help="Record as this account: its role and scope decide which places it may record.",
)
@click.option("--place", metavar="CODE", help="The point, street or alley checked.")
@click.option("--clean", is_flag=True, help="The place was found clean.")
@click.option("--item", metavar="CODE", help="Catalogue item of the problem found at the place.")
@click.option("--description", metavar="TEXT", help="What is wrong (required for events).")
@click.option("--lon", help="Longitude of the problem (EPSG:4326; default: at the place).")
@click.option("--lat", help="Latitude of the problem (EPSG:4326; default: at the place).")
@click.option("--notes", metavar="TEXT", help="A note on the inspection.")
@click.option(
    "--file",
    "path",
    type=click.Path(path_type=Path),
    help="A round of many places: CSV (UTF-8 or GBK) or XLSX, one row per place or problem.",
)
@pass_context
def record_command(
    ctx: CliContext,
    kind: str,
    inspected_at: datetime | None,
    inspector: str | None,
    user: str | None,
    path: Path | None,
    notes: str | None,
    **place: Any,
) -> None:
    """Record an inspection round: one place (--place with --clean or --item) or a --file.

    Every place checked is recorded, clean or with its problems; each
    problem is reported (source from the kind) and routed. All or nothing.
    """
    if path is not None and any(place.values()):
        raise BadInput(
            "Give either --file or one place (--place with --clean or --item), not both."
        )
    checks = read_round(path) if path is not None else [_one_place(**place)]
    city = _acting(ctx.city(), user)
    found = record_round(
        city, kind, checks, inspected_at=inspected_at, inspector=inspector, notes=notes
    )
    _print_round(found)


def _one_place(
    place: str | None,
    clean: bool,
    item: str | None,
    description: str | None,
    lon: str | None,
    lat: str | None,
) -> Check:
    """The one place of the options, clean or with one problem."""
    if not place:
        raise BadInput(
            "Name the place checked (--place CODE) or give a round file (--file; columns "
            "{columns}).",
            columns=expected_columns(),
        )
    if clean == bool(item):
        raise BadInput(
            "Say what was found at {place}: --clean, or --item CODE for a problem (not both).",
            place=place,
        )
    if clean and (description or lon or lat):
        raise BadInput(
            "--description, --lon and --lat describe a problem; a place found --clean has none."
        )
    if (lon is None) != (lat is None):
        raise BadInput("Give both --lon and --lat, or neither to report the problem at the place.")
    return Check(place, () if clean else (Finding(str(item), description, lon, lat),))


def _acting(city: CityContext, user: str | None) -> CityContext:
    """The city as the account ``user`` (its role and scope), or as the system."""
    if not user:
        return city
    account = get_user(city, user)
    if account.disabled:
        raise BadInput(
            "The account {user} is disabled; it may not record inspections.", user=account.name
        )
    return replace(city, actor=account.name, principal=account.principal())


def _print_round(found: Round) -> None:
    rows = found.inspections
    click.echo(
        _(
            "Recorded inspection round {code} ({kind}, {at}): {places} places, {clean} clean; "
            "{problems} problems reported."
        ).format(
            code=found.code,
            kind=choice_label("inspections", "kind", found.kind),
            at=found.inspected_at.strftime("%Y-%m-%d %H:%M"),
            places=len(rows),
            clean=found.clean,
            problems=len(found.problems),
        )
    )
    links = list(place_fields().values())
    table = pd.DataFrame(
        {
            "code": rows["code"],
            "place": rows[links].bfill(axis=1).iloc[:, 0],
            "result": [choice_label("inspections", "result", r) for r in rows["result"]],
            "problems": [
                ", ".join(
                    str(p.problem["code"])
                    for p in found.problems
                    if p.problem["inspection_code"] == code
                )
                for code in rows["code"]
            ],
        }
    )
    headers = {"code": _("Inspection"), "place": _("Place"), "result": _("Result")}
    print_table(table.rename(columns={**headers, "problems": _("Problems")}), _("Places checked"))


@inspections_group.command("last")
@click.option(
    "--layer",
    default="points",
    show_default=True,
    type=click.Choice(["points", "streets", "alleys"]),
    help="Which places.",
)
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Count inspections up to this day, YYYY-MM-DD (default: today).",
)
@click.option(
    "--stale-days",
    type=click.IntRange(min=0),
    help="Only places not inspected in this many days.",
)
@table_output
@pass_context
def last_command(
    ctx: CliContext, layer: str, as_of: datetime | None, stale_days: int | None
) -> None:
    """When each point, street or alley was last inspected, the longest unvisited first."""
    city = ctx.city()
    day = as_of.date() if as_of is not None else city.now.date()
    last = last_inspected(city, layer, day)
    days = (pd.Timestamp(day) - last.dt.normalize()).dt.days
    table = pd.DataFrame({"code": last.index, "last": last.to_numpy(), "days": days.to_numpy()})
    if stale_days is not None:
        table = table[table["days"].isna() | (table["days"] >= stale_days)]
    table = table.sort_values(["last", "code"], na_position="first", kind="stable")
    table["last"] = [_when(v) for v in table["last"]]
    table["days"] = ["" if pd.isna(d) else str(int(d)) for d in table["days"]]
    headers = {"code": _("Code"), "last": _("Last inspected"), "days": _("Days since")}
    print_table(
        table.rename(columns=headers), _("Last inspections as of {day}").format(day=day.isoformat())
    )


def _when(value: Any) -> str:
    return "-" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


COMMANDS = [inspections_group]
