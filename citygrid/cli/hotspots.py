"""``citygrid analyse hotspots|density|emerging``: hot spots, heat surface and trends.

A thin adapter over :mod:`citygrid.services.hotspots`: the options are
rendered from each analysis's parameters
(:mod:`citygrid.services.hotspots.params`). Every command prints the
parameters it used and chose and writes them beside the output as
``<out>.parameters.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from citygrid import progress
from citygrid.cli.context import CliContext
from citygrid.cli.map_options import map_options, pop_map_options, print_if_asked
from citygrid.cli.params import param_options, params_from_options
from citygrid.gis.formats import staged_file
from citygrid.i18n import _
from citygrid.layers.io import write_layer_file
from citygrid.services.analysis import AnalysisResult
from citygrid.services.context import CityContext
from citygrid.services.hotspots.emerging import run_emerging
from citygrid.services.hotspots.hot_spots import run_hot_spots
from citygrid.services.hotspots.params import DensityParams, EmergingParams, HotSpotParams

pass_context = click.make_pass_decorator(CliContext)


def _options(*options: Callable[[Any], Any]) -> Callable[[Callable[..., Any]], Any]:
    """A decorator applying click ``options`` in the order given (as stacked decorators)."""

    def decorate(command: Callable[..., Any]) -> Any:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


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
    map_options,
)


#: Labels of the values an analysis works out itself (its given parameters are
#: labelled by their declarations).
CHOSEN_LABELS = {
    "cells": "Cells used",
    "cell_size_m": "Cell size (m)",
    "n_cells": "Cells counted",
    "weights": "Weights",
    "weights_default": "Weights chosen from the data",
    "cells_default": "Cells chosen from the data",
    "n_problems": "Problems counted",
    "first_reported": "First reported",
    "last_reported": "Last reported",
    "problems_outside_cells": "Problems outside every cell",
    "metric_crs": "CRS in metres",
    "hot_cells": "Hot cells",
    "cold_cells": "Cold cells",
    "months": "Months",
    "n_months": "Number of months",
    "patterns": "Cells per pattern",
    "bandwidth_m": "Bandwidth (m)",
    "bandwidth_default": "Bandwidth chosen from the data",
    "kernel": "Kernel",
    "units": "Units",
    "n_points": "Problems counted",
}


def _label(result: AnalysisResult, key: str) -> str:
    """A parameter's label in the user's language, with its name for scripts."""
    specs = {spec.name: spec for spec in result.params.specs()}
    label = specs[key].label() if key in specs else _(CHOSEN_LABELS.get(key, key))
    return f"{label} ({key})"


def _report(result: AnalysisResult, out: Path, overwrite: bool) -> None:
    """Print the parameters given and chosen, and write them beside the output."""
    parameters = result.parameters()
    table = Table(_("Parameter"), _("Value"), title=_("Parameters used"))
    for key, value in parameters.items():
        if key != "moran_profile":
            table.add_row(_label(result, key), "-" if value is None or value == [] else str(value))
    Console().print(table)
    sidecar = out.with_name(out.name + ".parameters.json")
    with staged_file(sidecar, overwrite=overwrite) as staged:
        staged.path.write_text(
            json.dumps(parameters, ensure_ascii=False, indent=2), encoding="utf-8"
        )
    click.echo(_("Parameters written to {path}.").format(path=sidecar))


def _export(
    city: CityContext, result: AnalysisResult, out: Path, overwrite: bool, chosen: dict[str, Any]
) -> None:
    ((layer_name, frame),) = result.layers.items()
    with progress.phase(_("Writing…")):
        written = write_layer_file(frame, out, layer=layer_name, overwrite=overwrite)
    click.echo(_("Wrote {n} cells to {path}.").format(n=len(frame), path=written))
    _report(result, written, overwrite)
    print_if_asked(city, result, chosen, overwrite)


@click.command("hotspots")
@param_options(HotSpotParams, repeatable=("statuses",))
@_layer_output_options
@pass_context
def hotspots_command(ctx: CliContext, out: Path, overwrite: bool, **given: Any) -> None:
    """Getis-Ord Gi* hot and cold spots of problems per cell, with FDR correction."""
    chosen = pop_map_options(given, overwrite)
    params = params_from_options(HotSpotParams, given)
    city = ctx.city()
    with progress.phase(_("Computing Gi*…")):
        result = run_hot_spots(city, params)
    _export(city, result, out, overwrite, chosen)


@click.command("emerging")
@param_options(EmergingParams, repeatable=("statuses",))
@_layer_output_options
@pass_context
def emerging_command(ctx: CliContext, out: Path, overwrite: bool, **given: Any) -> None:
    """Emerging hot spots: Gi* per month and the Mann-Kendall trend of each cell."""
    chosen = pop_map_options(given, overwrite)
    params = params_from_options(EmergingParams, given)
    city = ctx.city()
    with progress.phase(_("Computing emerging hot spots…")):
        result = run_emerging(city, params)
    _export(city, result, out, overwrite, chosen)


@click.command("density")
@param_options(DensityParams, repeatable=("statuses",))
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
@map_options
@_overwrite_option
@pass_context
def density_command(
    ctx: CliContext, out: Path, contours: Path | None, overwrite: bool, **given: Any
) -> None:
    """Kernel density (quartic kernel) of problems as a GeoTIFF and contour polygons."""
    chosen = pop_map_options(given, overwrite)
    params = params_from_options(DensityParams, given)
    city = ctx.city()
    from citygrid.services.hotspots.density import (  # scipy.signal: only for density
        density_result,
        density_surface,
        write_geotiff,
    )

    with progress.phase(_("Computing the density…")):
        surface = density_surface(city, params)
    written = write_geotiff(surface, out, overwrite=overwrite)
    rows, cols = surface.values.shape
    click.echo(
        _("Wrote a {rows} x {cols} density raster to {path}.").format(
            rows=rows, cols=cols, path=written
        )
    )
    _report(AnalysisResult({}, params, surface.parameters), written, overwrite)
    if contours is None and chosen["map_file"] is None:
        return
    result = density_result(surface, params)
    if contours is not None:
        bands = result.frame
        path = write_layer_file(bands, contours, layer="density_contours", overwrite=overwrite)
        click.echo(_("Wrote {n} contour bands to {path}.").format(n=len(bands), path=path))
    print_if_asked(city, result, chosen, overwrite)


COMMANDS: list[click.Command] = []
ANALYSE_COMMANDS = [hotspots_command, density_command, emerging_command]
