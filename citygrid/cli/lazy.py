"""A click group that imports a command's module only when that command runs.

click's documented "lazily loading subcommands" pattern: the group knows
each command by name, where it lives and its one-line help, so
``citygrid --help`` lists every command without importing geopandas and
the rest; ``tests/cli/test_lazy.py`` holds the one-line helps equal to the
real commands' own.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

from citygrid import collector
from citygrid.cli.help import LocalizedContext, adopt, short_help_rows
from citygrid.errors import CitygridError


@dataclass(frozen=True)
class LazyCommand:
    """A command the group loads on first use.

    Attributes
    ----------
    name
        The command's name on the command line.
    target
        ``"module:attribute"`` of the click command.
    help
        Its one-line help, an English message id equal to the command's
        ``get_short_help_str`` (a test holds them equal).
    """

    name: str
    target: str
    help: str

    def load(self) -> click.Command:
        """Import the command's module and return the command.

        The cyclic garbage collector is paused during the import: importing
        geopandas, SQLAlchemy and the rest makes about a million objects and
        next to no garbage, and the full collections they would set off cost
        a command tens of milliseconds.
        """
        module_name, _, attribute = self.target.partition(":")
        with collector.paused():
            module = importlib.import_module(module_name)
        command = getattr(module, attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class LazyGroup(click.Group):
    """A group of lazily loaded commands with localized help.

    A :class:`~citygrid.errors.CitygridError` from any command is printed as
    one red line in the user's language, with exit status 2.
    """

    context_class = LocalizedContext

    def __init__(self, *args: Any, lazy: Sequence[LazyCommand] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = {entry.name: entry for entry in lazy}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, loaded or not, sorted."""
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, importing its module on first use."""
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in self.lazy:
            command = adopt(self.lazy[cmd_name].load())
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands with their translated one-line help, loading none."""
        entries = [
            (name, self.lazy[name].help if name in self.lazy else self._short_help(name))
            for name in self.list_commands(ctx)
        ]
        if entries:
            with formatter.section("Commands"):
                formatter.write_dl(short_help_rows(entries))

    def _short_help(self, name: str) -> str:
        return self.commands[name].get_short_help_str(limit=sys.maxsize)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, rendering a :class:`CitygridError` as one line (exit 2)."""
        try:
            return super().invoke(ctx)
        except CitygridError as exc:
            click.secho(f"citygrid: {exc.message()}", fg="red", err=True)
            sys.exit(2)
