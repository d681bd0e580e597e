"""Choosing the projected CRS in metres that areas and distances are computed in."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pyproj import CRS, Transformer

from citygrid.errors import BadInput


def project_xy(xy: np.ndarray, crs: Any, to_crs: Any) -> np.ndarray:
    """``(n, 2)`` coordinates (x, y; longitude, latitude) in ``crs`` as ``(n, 2)`` in ``to_crs``,
    projected as arrays: no geometry is made."""
    transformer = Transformer.from_crs(crs, to_crs, always_xy=True)
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS 84 UTM zone CRS (EPSG:326xx north, 327xx south) containing ``(lon, lat)``."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise BadInput("({lon}, {lat}) is not a longitude/latitude in degrees.", lon=lon, lat=lat)
    zone = min(math.floor((lon + 180.0) / 6.0) + 1, 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def metric_crs(
    bounds: tuple[float, float, float, float] | None, configured: str | None = None
) -> CRS:
    """The CRS in metres for a city.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` of the city in EPSG:4326, or ``None``
        when nothing is stored yet.
    configured
        The city's own choice (``Config.metric_crs``, e.g. ``EPSG:4547``, a
        CGCS2000 Gauss-Krüger zone); it wins when given.

    Returns
    -------
    pyproj.CRS
        ``configured`` when given, else the UTM zone of the bounds' centre.

    Raises
    ------
    BadInput
        ``configured`` is not a CRS, is not projected in metres, or
        neither it nor ``bounds`` is given.
    """
    if configured:
        try:
            crs = CRS.from_user_input(configured)
        except Exception:  # pyproj raises CRSError, a plain Exception subclass
            raise BadInput(
                "{crs!r} is not a CRS pyproj knows; give one like EPSG:4547.", crs=configured
            ) from None
        unit = crs.axis_info[0].unit_name if crs.axis_info else ""
        if not crs.is_projected or unit not in ("metre", "meter"):
            raise BadInput(
                "{crs} is not a projected CRS in metres; choose one such as a CGCS2000 "
                "Gauss-Krüger zone (EPSG:4534-4554) or a UTM zone.",
                crs=configured,
            )
        return crs
    if bounds is None:
        raise BadInput(
            "No data to choose a metric CRS from; load a city first or set CITYGRID_METRIC_CRS."
        )
    minx, miny, maxx, maxy = bounds
    return utm_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0)
