"""The analyses' ``--map``, ``--paper`` and ``--orientation`` options, and printing with them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from citygrid.i18n import _
from citygrid.services.analysis import AnalysisResult
from citygrid.services.context import CityContext
from citygrid.services.printing.paper import ORIENTATIONS, PAPER_MM, parse_page

MAP_OPTIONS = ("map_file", "paper", "orientation")
"""The keyword names the options give a command."""

_OPTIONS = (
    click.option(
        "--map",
        "--png",
        "map_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Also draw a map for reports: .png (300 dpi) or .pdf.",
    ),
    click.option(
        "--paper",
        type=click.Choice(tuple(PAPER_MM), case_sensitive=False),
        default="A4",
        show_default=True,
        help="Paper size of the map.",
    ),
    click.option(
        "--orientation",
        type=click.Choice(ORIENTATIONS, case_sensitive=False),
        default="landscape",
        show_default=True,
        help="Orientation of the map's page.",
    ),
)


def map_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the map options to a click command."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def pop_map_options(given: dict[str, Any], overwrite: bool) -> dict[str, Any]:
    """Take the map options out of a command's keyword arguments (the rest are parameters).

    A map file that could not be written is refused now, before the analysis runs.
    """
    chosen = {name: given.pop(name) for name in MAP_OPTIONS}
    if chosen["map_file"] is not None:
        from citygrid.services.printing.sheet import check_map_path  # matplotlib: only for maps

        check_map_path(chosen["map_file"], overwrite=overwrite)
    return chosen


def print_if_asked(
    city: CityContext,
    result: AnalysisResult,
    chosen: dict[str, Any],
    overwrite: bool,
    title: str | None = None,
) -> None:
    """Draw ``result`` to the ``--map`` file when one was given, and say where it went."""
    if chosen["map_file"] is None:
        return
    from citygrid.services.printing.analysis_maps import print_analysis  # matplotlib

    page = parse_page(chosen["paper"], chosen["orientation"])
    image = print_analysis(
        city, result, chosen["map_file"], page=page, title=title, overwrite=overwrite
    )
    if image.note:
        click.secho(image.note, fg="yellow", err=True)
    click.echo(_("Map written to {path}.").format(path=image.path))
