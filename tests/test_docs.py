"""The README documents every setting and every command (as datasette's test_docs does)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from citygrid import config
from citygrid.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    """Every command path under ``group``, loading lazily listed commands."""
    names = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            names += _commands(command, f"{prefix}{name} ")
        else:
            names.append(f"{prefix}{name}")
    return names


def test_every_environment_variable_is_documented() -> None:
    variables = set(re.findall(r"CITYGRID_[A-Z0-9_]+", config.__doc__ or ""))
    assert variables, "config's docstring lists the variables"
    missing = sorted(v for v in variables if f"`{v}`" not in README)
    assert not missing, f"document in README.md: {missing}"


def test_every_command_is_documented() -> None:
    missing = [name for name in _commands(main) if f"`citygrid {name}" not in README]
    assert not missing, f"document in README.md's command table: {missing}"
