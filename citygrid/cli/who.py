"""``citygrid who``: who answers for one place, as JSON.

Its own module, importing the router only when it runs, so that ``who``
loads nothing else of the CLI (no tables, no file formats) and starts fast.
"""

from __future__ import annotations

import json

import click

from citygrid.cli.context import CliContext

pass_context = click.make_pass_decorator(CliContext)


@click.command("who", context_settings={"ignore_unknown_options": True})
@click.argument("lon")
@click.argument("lat")
@click.option("--category", metavar="CODE", help="Catalogue item of the problem.")
@click.option(
    "--crs",
    metavar="CRS",
    help="CRS of LON LAT: EPSG code, wgs84, cgcs2000, gcj02, bd09 (default EPSG:4326).",
)
@pass_context
def who_command(ctx: CliContext, lon: str, lat: str, category: str | None, crs: str | None) -> None:
    """Who answers for the place at LON LAT, as JSON."""
    from citygrid.services import routing

    answer = routing.route_point(ctx.city(), lon, lat, crs=crs, category=category)
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
