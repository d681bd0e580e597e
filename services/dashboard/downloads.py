"""Files of the dashboard's downloads: the hot-spot layer, the gap layers and the workload.

Each is computed through its provider (the caller's role and scope apply;
computed layers run their analysis with the parameters given, the problem
filters included) and written with :func:`citygrid.layers.io.write_layer_file`
(pyogrio) into a temporary folder, or printed to PNG as the briefing's maps
are (:func:`citygrid.services.printing.analysis_maps.print_analysis`); the
bytes are returned and nothing stays on disk.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from citygrid.errors import BadInput, NotFound
from citygrid.layers.gap_layers import FINDING_LAYERS
from citygrid.layers.hotspot_layers import HOTSPOTS
from citygrid.layers.io import write_layer_file
from citygrid.services.analysis import AnalysisResult
from citygrid.services.context import CityContext
from citygrid.services.printing.analysis_maps import print_analysis
from citygrid.services.providers import FeatureQuery, provider_for
from citygrid.services.responsibility.panel import ALL, check_planner
from citygrid.services.responsibility.workload import workload

WORKLOAD = "workload"
_FILES = {"gpkg": ".gpkg", "geojson": ".geojson", "shp": ".zip", "png": ".png", "csv": ".csv"}
_TYPES = {
    "gpkg": "application/geopackage+sqlite3",
    "geojson": "application/geo+json",
    "shp": "application/zip",
    "png": "image/png",
    "csv": "text/csv; charset=utf-8",
}


def downloadable() -> dict[str, tuple[str, ...]]:
    """What the dashboard offers: layer (or ``workload``) -> its formats."""
    offered: dict[str, tuple[str, ...]] = {HOTSPOTS.name: ("gpkg", "geojson", "shp", "png")}
    offered.update({layer.name: ("gpkg", "geojson", "shp") for layer in FINDING_LAYERS})
    offered[WORKLOAD] = ("csv", "gpkg")
    return offered


@dataclass(frozen=True)
class Download:
    """A file to send: its name, media type and content."""

    filename: str
    media_type: str
    content: bytes


def download(ctx: CityContext, what: str, fmt: str, texts: Mapping[str, Sequence[str]]) -> Download:
    """The file of ``what`` (a layer of :func:`downloadable`, or ``workload``) in ``fmt``.

    Parameters
    ----------
    ctx
        The request's context (role and scope apply).
    what, fmt
        What to download and its format (``gpkg``, ``geojson``, ``shp`` as a
        zipped shapefile, ``png``, ``csv``).
    texts
        The page's query parameters; those that are analysis parameters
        of the layer (the problem filters for hot spots) are used, the
        others ignored.

    Raises
    ------
    NotFound
        Nothing of that name is offered.
    BadInput
        A format not offered for it, or bad analysis parameters.
    Unauthorized, PermissionDenied
        The caller may not read it (the workload is for planners).
    """
    offered = downloadable()
    if what not in offered:
        raise NotFound(
            "The dashboard offers no download called {what!r}; it offers: {offered}.",
            what=what,
            offered=", ".join(offered),
        )
    if fmt not in offered[what]:
        raise BadInput(
            "{what} is offered as {formats}, not {fmt!r}.",
            what=what,
            formats=", ".join(offered[what]),
            fmt=fmt,
        )
    filename = f"{what}{_FILES[fmt]}"
    with tempfile.TemporaryDirectory(prefix="citygrid-download-") as folder:
        path = Path(folder) / filename
        if what == WORKLOAD:
            check_planner(ctx)
            write_layer_file(workload(ctx), path, layer=WORKLOAD, fmt=fmt)
        else:
            result = _layer_result(ctx, what, texts)
            if fmt == "png":
                print_analysis(ctx, result, path)
            else:
                write_layer_file(result.frame, path, layer=what, fmt=fmt)
        return Download(filename, _TYPES[fmt], path.read_bytes())


def _layer_result(
    ctx: CityContext, name: str, texts: Mapping[str, Sequence[str]]
) -> AnalysisResult:
    """The layer's features for the caller, with the parameters that made them."""
    provider = provider_for(name)
    params = provider.describe().params
    names = set() if params is None else {spec.name for spec in params.specs()}
    query = provider.query({k: v for k, v in texts.items() if k in names and any(v)})
    page = provider.features(ctx, FeatureQuery(params=query.params, limit=ALL))
    return AnalysisResult({name: page.frame}, query.params, page.parameters or {})
