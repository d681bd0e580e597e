"""``citygrid analyse hotspots|density|emerging``: hot spots, heat surface and trends.

A thin adapter over :mod:`citygrid.services.hotspots`,
:mod:`citygrid.services.density` and :mod:`citygrid.services.emerging`.
Every command prints the parameters it chose and writes them beside the
output as ``<out>.parameters.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
import geopandas as gpd
from rich.console import Console
from rich.table import Table

from citygrid.cli.context import CliContext
from citygrid.i18n import _
from citygrid.layers.io import write_layer_file
from citygrid.layers.registry import get_layer
from citygrid.services.density import density_contours, run_density, write_geotiff
from citygrid.services.emerging import run_emerging
from citygrid.services.hotspot_map import render_map
from citygrid.services.hotspots import (
    WEIGHT_BY,
    CellsSpec,
    ProblemQuery,
    parse_cells,
    problem_query,
    run_hot_spots,
)
from citygrid.services.weights import WeightsSpec, parse_weights

pass_context = click.make_pass_decorator(CliContext)


def _options(*options: Callable[[Any], Any]) -> Callable[[Callable[..., Any]], Any]:
    """A decorator applying click ``options`` in the order given (as stacked decorators)."""

    def decorate(command: Callable[..., Any]) -> Any:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


#: The problem filters every analysis takes.
_filter_options = _options(
    click.option("--since", metavar="DATE", help="Problems reported on or after this date."),
    click.option("--until", metavar="DATE", help="Problems reported on or before this date."),
    click.option("--category", metavar="CODE", help="Catalogue item (and the items below)."),
    click.option(
        "--status",
        "statuses",
        metavar="STATUS",
        multiple=True,
        help="Problem status (repeat or separate with commas).",
    ),
    click.option("--unit", metavar="CODE", help="Responsible unit."),
)

#: Cells, weights and what a problem counts (default: automatic, as Optimized Hot Spot
#: Analysis).
_cell_options = _options(
    click.option(
        "--cells",
        metavar="SPEC",
        help="grids, fishnet:SIZE_M, hex:SIZE_M or h3:RES (default: fishnet sized from the data).",
    ),
    click.option(
        "--weights",
        metavar="SPEC",
        help="queen, rook, distance:METRES or knn:K (default: distance band chosen from the data).",
    ),
    click.option(
        "--weight-by",
        type=click.Choice(WEIGHT_BY),
        default="count",
        show_default=True,
        help="What a problem adds to its cell: 1, or its catalogue deduction weight.",
    ),
)

#: Replace the files written if they exist (off: an existing file is refused).
_overwrite_option = click.option(
    "--overwrite",
    is_flag=True,
    help="Replace existing output files (in a GeoPackage, only the layer written).",
)

#: The cell layer file written and the optional map image.
_layer_output_options = _options(
    _overwrite_option,
    click.option(
        "--out",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Layer file: .gpkg (styled for QGIS), .geojson, .shp... (format from the extension).",
    ),
    click.option(
        "--png",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Also draw a map for reports.",
    ),
)


def _no_fdr_option(help_text: str) -> Callable[[Any], Any]:
    """The ``--no-fdr`` flag (skip the false discovery rate correction)."""
    return click.option("--no-fdr", is_flag=True, help=help_text)


def _query(
    since: str | None,
    until: str | None,
    category: str | None,
    statuses: tuple[str, ...],
    unit: str | None,
) -> ProblemQuery:
    split = [part for text in statuses for part in text.split(",")]
    return problem_query(since=since, until=until, category=category, statuses=split, unit=unit)


def _specs(cells: str | None, weights: str | None) -> tuple[CellsSpec | None, WeightsSpec | None]:
    return (
        parse_cells(cells) if cells else None,
        parse_weights(weights) if weights else None,
    )


def _report(parameters: dict[str, Any], out: Path) -> None:
    """Print the chosen parameters and write them beside the output."""
    table = Table(_("Parameter"), _("Value"), title=_("Parameters used"))
    for key, value in parameters.items():
        if key != "moran_profile":
            table.add_row(key, "-" if value is None or value == [] else str(value))
    Console().print(table)
    sidecar = out.with_name(out.name + ".parameters.json")
    sidecar.write_text(json.dumps(parameters, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(_("Parameters written to {path}.").format(path=sidecar))


def _date_range(parameters: dict[str, Any]) -> str:
    since = (parameters.get("since") or parameters["first_reported"])[:10]
    until = parameters.get("before")
    last = (
        (datetime.fromisoformat(until) - timedelta(microseconds=1)).date().isoformat()
        if until
        else parameters["last_reported"][:10]
    )
    return f"{since} – {last}"


def _export(
    frame: gpd.GeoDataFrame, out: Path, layer_name: str, png: Path | None, overwrite: bool
) -> None:
    written = write_layer_file(frame, out, layer=layer_name, overwrite=overwrite)
    click.echo(_("Wrote {n} cells to {path}.").format(n=len(frame), path=written))
    _report(frame.attrs["parameters"], written)
    if png is not None:
        image = render_map(
            frame,
            png,
            layer=get_layer(layer_name),
            date_range=_date_range(frame.attrs["parameters"]),
        )
        if image.note:
            click.secho(image.note, fg="yellow", err=True)
        click.echo(_("Map written to {path}.").format(path=image.path))


@click.command("hotspots")
@_cell_options
@_filter_options
@click.option(
    "--permutations",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Conditional permutations for pseudo p-values (e.g. 999).",
)
@click.option("--seed", type=int, help="Seed of the permutations.")
@_no_fdr_option("Bin on raw p-values, without the FDR correction.")
@_layer_output_options
@pass_context
def hotspots_command(
    ctx: CliContext,
    cells: str | None,
    weights: str | None,
    weight_by: str,
    since: str | None,
    until: str | None,
    category: str | None,
    statuses: tuple[str, ...],
    unit: str | None,
    permutations: int,
    seed: int | None,
    no_fdr: bool,
    out: Path,
    png: Path | None,
    overwrite: bool,
) -> None:
    """Getis-Ord Gi* hot and cold spots of problems per cell, with FDR correction."""
    query = _query(since, until, category, statuses, unit)
    cell_spec, weights_spec = _specs(cells, weights)
    frame = run_hot_spots(
        ctx.store(),
        ctx.config,
        query,
        cells=cell_spec,
        weights=weights_spec,
        permutations=permutations,
        seed=seed,
        fdr=not no_fdr,
        weight_by=weight_by,
    )
    _export(frame, out, "hotspots", png, overwrite)


@click.command("emerging")
@_cell_options
@_filter_options
@_no_fdr_option("Bin each month on raw p-values.")
@click.option(
    "--time-window",
    type=int,
    default=0,
    show_default=True,
    metavar="MONTHS",
    help="Also count the neighbours of the K months before (space-time cube, as ArcGIS).",
)
@_layer_output_options
@pass_context
def emerging_command(
    ctx: CliContext,
    cells: str | None,
    weights: str | None,
    weight_by: str,
    since: str | None,
    until: str | None,
    category: str | None,
    statuses: tuple[str, ...],
    unit: str | None,
    no_fdr: bool,
    time_window: int,
    out: Path,
    png: Path | None,
    overwrite: bool,
) -> None:
    """Emerging hot spots: Gi* per month and the Mann-Kendall trend of each cell."""
    query = _query(since, until, category, statuses, unit)
    cell_spec, weights_spec = _specs(cells, weights)
    frame = run_emerging(
        ctx.store(),
        ctx.config,
        query,
        cells=cell_spec,
        weights=weights_spec,
        fdr=not no_fdr,
        weight_by=weight_by,
        time_window=time_window,
    )
    _export(frame, out, "emerging_hotspots", png, overwrite)


@click.command("density")
@_filter_options
@click.option("--bandwidth", type=float, metavar="METRES", help="Kernel radius (default: rule).")
@click.option("--cell-size", type=float, metavar="METRES", help="Raster cell (default: h/10).")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="GeoTIFF of problems per km².",
)
@click.option(
    "--contours",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write contour polygons (GeoPackage, GeoJSON, Shapefile...).",
)
@_overwrite_option
@pass_context
def density_command(
    ctx: CliContext,
    since: str | None,
    until: str | None,
    category: str | None,
    statuses: tuple[str, ...],
    unit: str | None,
    bandwidth: float | None,
    cell_size: float | None,
    out: Path,
    contours: Path | None,
    overwrite: bool,
) -> None:
    """Kernel density (quartic kernel) of problems as a GeoTIFF and contour polygons."""
    query = _query(since, until, category, statuses, unit)
    surface = run_density(
        ctx.store(), ctx.config, query, bandwidth_m=bandwidth, cell_size_m=cell_size
    )
    written = write_geotiff(surface, out)
    rows, cols = surface.values.shape
    click.echo(
        _("Wrote a {rows} x {cols} density raster to {path}.").format(
            rows=rows, cols=cols, path=written
        )
    )
    _report(surface.parameters, written)
    if contours is not None:
        bands = density_contours(surface)
        path = write_layer_file(bands, contours, layer="density_contours", overwrite=overwrite)
        click.echo(_("Wrote {n} contour bands to {path}.").format(n=len(bands), path=path))


COMMANDS: list[click.Command] = []
ANALYSE_COMMANDS = [hotspots_command, density_command, emerging_command]
