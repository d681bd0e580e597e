"""``citygrid demo``: load the demo city (a thin adapter over :mod:`citygrid.services.demo`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from citygrid.cli.context import CliContext
from citygrid.i18n import _
from citygrid.layers.registry import get_layer
from citygrid.services.demo import SIZES, check_options, load_demo
from citygrid.services.demo import Progress as ProgressCallback

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
@pass_context
def demo_command(ctx: CliContext, size: str, seed: int, replace: bool) -> None:
    """Load the demo city (Changsha) into the database, creating its schema if needed."""
    check_options(size, seed)
    store = ctx.store(check_schema=False)
    store.init()
    with _progress(enabled=size != SIZES[0]) as report:
        counts = load_demo(
            store, size, seed, replace=replace, actor=ctx.config.actor, progress=report
        )
    table = Table(_("Layer"), _("Title"), _("Features"))
    for name, count in counts.items():
        table.add_row(name, get_layer(name).title(), f"{count:,}")
    Console().print(table)
    click.echo(
        _("Demo city ({size}, seed {seed}) loaded into {url}.").format(
            size=size, seed=seed, url=store.url
        )
    )


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A rich progress bar fed by the service's ``progress(label, done, total)`` calls."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(_("Generating the city"), total=None)

        def report(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        yield report


COMMANDS = [demo_command]
