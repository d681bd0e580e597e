"""What to fix first as a file: an XLSX ledger for printing, a CSV, or map layers.

The ledger lists the open problems by the points fixing them wins back,
with item, place, point type, unit and deadline (:func:`.priorities.fix_first`).
A GeoPackage also gets a second layer, ``evaluation_places``: every place of
the plan with its chance of a visit and its expected loss, to map.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd

from citygrid.i18n import gettext
from citygrid.layers.base_layers import POINT_TYPES
from citygrid.layers.exporting import database_files, write_layer_file
from citygrid.services.context import CityContext
from citygrid.services.cycle.report_files import report_format, write_report
from citygrid.services.evaluation.priorities import costly_places, fix_first
from citygrid.services.evaluation.simulate import Evaluation

LEDGER_HEADERS = {
    "code": "Problem",
    "item": "Item",
    "place": "Place",
    "point_type": "Point type",
    "unit": "Unit",
    "deadline": "Deadline",
    "points": "Points won back",
}
PLACES_LAYER = "evaluation_places"


def write_fix_first(
    ctx: CityContext, evaluation: Evaluation, path: str | os.PathLike[str], *, overwrite: bool
) -> Path:
    """Write the problems to fix first to ``path`` (.xlsx, .csv or .gpkg); return the file."""
    fmt = report_format(path)
    types = {c.value: c.label() for c in POINT_TYPES}
    first = fix_first(ctx, evaluation)
    first["point_type"] = first["point_type"].map(types)
    first["points"] = first["points"].round(3)
    spots = evaluation.places.set_index("code").geometry
    located = gpd.GeoDataFrame(
        first,
        geometry=first["point_code"].map(spots).to_numpy(),
        crs=evaluation.places.crs,
    )
    title = gettext("Fix first: expected score {score:.2f} on {day}").format(
        score=evaluation.score, day=evaluation.as_of.strftime("%Y-%m-%d")
    )
    protected = database_files(ctx.store)
    written = write_report(
        located,
        path,
        title=title,
        headers={c: gettext(m) for c, m in LEDGER_HEADERS.items()},
        overwrite=overwrite,
        protected=protected,
    )
    if fmt == "gpkg":
        places = costly_places(ctx, evaluation).assign(geometry=evaluation.places.geometry)
        write_layer_file(
            gpd.GeoDataFrame(places, geometry="geometry", crs=evaluation.places.crs),
            written,
            layer=PLACES_LAYER,
            overwrite=True,
            protected=protected,
        )
    return written
