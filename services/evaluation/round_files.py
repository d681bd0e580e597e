"""A planned round as files: a GeoPackage (stops and route layers) or a GPX for a phone."""

from __future__ import annotations

import os
from pathlib import Path

from citygrid.errors import BadInput
from citygrid.gis.formats.gpx import write_gpx
from citygrid.gis.formats.staging import staged_file
from citygrid.layers.exporting import write_layers_file
from citygrid.services.evaluation.rounds import Round

ROUND_FORMATS = (".gpkg", ".gpx")


def write_round(planned: Round, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``planned`` to ``path`` (.gpkg: layers ``round_stops`` and ``round_route``;
    .gpx: a waypoint per stop, numbered, and the route as a track); return the file.

    Raises
    ------
    BadInput
        Another file type, a folder, a missing folder.
    Conflict
        The file exists and ``overwrite`` is not given.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in ROUND_FORMATS:
        raise BadInput(
            "A round is written as .gpkg or .gpx, not {suffix!r}; change the file name.",
            suffix=suffix or Path(path).name,
        )
    stops = planned.stops.assign(
        arrive=planned.stops["arrive"].dt.strftime("%Y-%m-%d %H:%M"),
        leave=planned.stops["leave"].dt.strftime("%Y-%m-%d %H:%M"),
    )
    if suffix == ".gpkg":
        return write_layers_file(
            {"round_stops": stops, "round_route": planned.route}, path, overwrite=overwrite
        )
    waypoints = [
        (point, f"{order}. {name}", f"{arrive} {reasons}", None)
        for point, order, name, arrive, reasons in zip(
            planned.stops.geometry.representative_point(),
            stops["order"],
            stops["name"],
            stops["arrive"],
            stops["reasons"],
            strict=True,
        )
    ]
    with staged_file(path, overwrite=overwrite) as staged:
        write_gpx(staged.path, waypoints, planned.route.geometry.iloc[0], planned.inspector)
    return staged.target
