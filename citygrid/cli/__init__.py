"""The ``citygrid`` command line: a thin adapter over the services.

Each module in ``_COMMAND_MODULES`` defines ``COMMANDS`` (top-level
commands) and may define ``ANALYSE_COMMANDS`` (under ``citygrid analyse``).
Errors a user can cause are printed in the user's language without a
traceback, with exit status 2 (1 for an unexpected failure).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from citygrid import __version__
from citygrid.cli.context import CliContext
from citygrid.config import Config
from citygrid.errors import CitygridError
from citygrid.i18n import set_language

_COMMAND_MODULES = ("store", "demo", "io", "responsibility", "hotspots", "gaps", "serve")


class _Group(click.Group):
    """A group that renders :class:`CitygridError` as one clear line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CitygridError as exc:
            click.secho(f"citygrid: {exc.message()}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    help="Database URL (default: $CITYGRID_DATABASE_URL or sqlite:///citygrid.db).",
)
@click.option(
    "--lang",
    type=click.Choice(["zh_CN", "zh", "en"]),
    help="Language of messages (default: $CITYGRID_LANG or zh_CN).",
)
@click.option(
    "--actor", metavar="NAME", help="Name for the audit log (default: $CITYGRID_ACTOR or cli)."
)
@click.version_option(__version__, prog_name="citygrid")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, lang: str | None, actor: str | None) -> None:
    """citygrid: 网格化管理 — grids, streets, alleys and points, who answers for them,
    and where problems cluster."""
    config = Config.from_env(database_url=database_url, language=lang, actor=actor)
    set_language(config.language)
    ctx.obj = CliContext(config)
    ctx.call_on_close(ctx.obj.close)


@click.group(cls=_Group)
def analyse() -> None:
    """Analyses that write layers: hot spots, gaps."""


def _load_commands() -> None:
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"citygrid.cli.{name}")
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)
        for command in getattr(module, "ANALYSE_COMMANDS", ()):
            analyse.add_command(command)
    if analyse.commands:
        main.add_command(analyse)


_load_commands()
