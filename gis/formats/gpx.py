"""GPX files for phones and GPS units: waypoints and one track, written with gpxpy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import gpxpy.gpx
import shapely


def write_gpx(
    path: Path,
    waypoints: Sequence[tuple[shapely.Point, str, str, datetime | None]],
    track: shapely.LineString | None,
    name: str,
) -> None:
    """Write waypoints ``(point, name, description, time)`` and a track (EPSG:4326) to ``path``.

    Write into a staged file (:func:`citygrid.gis.formats.staging.staged_file`)
    so that a failure leaves an existing file as it was.
    """
    document = gpxpy.gpx.GPX()
    document.name = name
    for point, label, description, when in waypoints:
        document.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=point.y, longitude=point.x, name=label, description=description, time=when
            )
        )
    if track is not None and not track.is_empty:
        segment = gpxpy.gpx.GPXTrackSegment(
            [gpxpy.gpx.GPXTrackPoint(latitude=y, longitude=x) for x, y in track.coords]
        )
        route = gpxpy.gpx.GPXTrack(name=name)
        route.segments.append(segment)
        document.tracks.append(route)
    path.write_text(document.to_xml(), encoding="utf-8")
