"""``citygrid demo``: load the demo city and its demo accounts.

A thin adapter over :mod:`citygrid.services.demo` and
:mod:`citygrid.services.demo.accounts`; the accounts' passwords are printed
once, at the end.
"""

from __future__ import annotations

from datetime import date

import click
from rich.console import Console
from rich.table import Table

from citygrid.cli.context import CliContext
from citygrid.i18n import _
from citygrid.layers.registry import get_layer
from citygrid.services.accounts.roles import get_role
from citygrid.services.demo import SIZES, check_as_of, check_options, last_day, load_demo
from citygrid.services.demo.accounts import DemoAccount, add_demo_accounts, check_demo_accounts

pass_context = click.make_pass_decorator(CliContext)


@click.command("demo")
@click.option(
    "--size",
    default="small",
    show_default=True,
    metavar="|".join(SIZES),
    help="small: 48 cells, loads in seconds; city: 5,000 cells and 1,000,000 problems.",
)
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Same seed, same city (0 or more)."
)
@click.option("--replace", is_flag=True, help="Replace the data the database already holds.")
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="The data's 24 months end at the start of this day (default: today).",
)
@pass_context
def demo_command(ctx: CliContext, size: str, seed: int, replace: bool, as_of: str | None) -> None:
    """Load the demo city (Changsha) into the database, creating its schema if needed.

    Its 24 months of inspections and problems end today (or --as-of): some
    open problems are within their deadline, some overdue, and most points
    were inspected in the last weeks. Also makes one demo account per role,
    with random passwords printed once at the end; a --replace makes new ones.
    """
    check_options(size, seed)
    today = date.today()
    day = check_as_of(as_of, today) if as_of is not None else min(today, last_day())
    store = ctx.store(check_schema=False)
    store.init()
    city = ctx.city()
    check_demo_accounts(city)
    counts = load_demo(store, size, seed, replace=replace, actor=ctx.config.actor, as_of=day)
    table = Table(_("Layer"), _("Title"), _("Features"))
    for name, count in counts.items():
        table.add_row(name, get_layer(name).title(), f"{count:,}")
    Console().print(table)
    click.echo(
        _("Demo city ({size}, seed {seed}) loaded into {url}.").format(
            size=size, seed=seed, url=store.url
        )
    )
    click.echo(_("Its data ends at the start of {day}.").format(day=day.isoformat()))
    if day < today and as_of is None:
        click.echo(
            _(
                "The working calendar knows no later days, so the demo ends before today; "
                "upgrade chinesecalendar (pip install -U chinesecalendar) for a demo up to today."
            )
        )
    _print_accounts(add_demo_accounts(city))


def _print_accounts(accounts: list[DemoAccount]) -> None:
    """The demo accounts with their passwords, and a warning that they are for the demo."""
    table = Table(title=_("Demo accounts"))
    table.add_column(_("User name"), no_wrap=True)
    table.add_column(_("Role"))
    table.add_column(_("Scope"), overflow="fold")
    table.add_column(_("Password"), no_wrap=True)
    for account in accounts:
        role = get_role(account.role).label()
        table.add_row(account.name, role, account.scope or _("whole city"), account.password)
    Console().print(table)
    click.echo(
        _(
            "These are demo accounts, and their passwords are shown only now. Remove them "
            "(`citygrid users remove NAME`) or change their passwords before real use."
        )
    )


COMMANDS = [demo_command]
