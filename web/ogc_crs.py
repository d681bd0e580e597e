"""The coordinate reference systems of the OGC API (Part 2, CRS by reference).

Features are stored in EPSG:4326 with longitude first, which is OGC's
CRS84. The API serves them, and takes ``bbox``, in three CRSs named by
their OGC URIs:

- ``http://www.opengis.net/def/crs/OGC/1.3/CRS84``: longitude, latitude (the default);
- ``http://www.opengis.net/def/crs/EPSG/0/4326``: WGS 84, latitude first;
- ``http://www.opengis.net/def/crs/EPSG/0/4490``: CGCS2000 (China's
  geodetic datum), latitude first.

The EPSG CRSs keep their authority's axis order (latitude, longitude), as
the standard asks. CGCS2000 and WGS 84 agree to within a metre, and PROJ's
transformation between them is the identity (a ballpark transformation),
as citygrid takes them everywhere else; so converting between the three is
swapping the axes, done in numpy. (A PROJ transformer would give the same
numbers, tested, but is rebuilt in every server thread at about a second
each.) Nothing here knows about Flask.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.errors import BadInput
from citygrid.params import Bbox

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
STORAGE_CRS = CRS84
"""The CRS of the store (EPSG:4326, longitude first), as an OGC URI."""

SUPPORTED = {CRS84: "OGC:CRS84", EPSG_4326: "EPSG:4326", EPSG_4490: "EPSG:4490"}
"""Every CRS the API serves: OGC URI -> its short name."""


def parse_crs(text: str | None, parameter: str) -> str:
    """The OGC URI of a CRS parameter (``crs``, ``bbox-crs``); CRS84 when absent.

    Also takes the URIs between angle brackets and the short names
    ``EPSG:4326``, ``EPSG:4490`` and ``CRS84``.

    Raises
    ------
    BadInput
        A CRS the API does not serve; the message lists those it does.
    """
    if text is None:
        return CRS84
    wanted = text.strip().strip("<>").strip()
    for uri, name in SUPPORTED.items():
        if wanted in (uri, name, name.removeprefix("OGC:")):
            return uri
    raise BadInput(
        "{parameter}={crs} is not a CRS this server serves; use one of: {known}.",
        parameter=parameter,
        crs=text,
        known=", ".join(SUPPORTED),
    )


def _points(source: str, target: str) -> Callable[[np.ndarray], np.ndarray]:
    """Coordinates of ``source`` as ``target`` writes them: the axes swapped when one
    of the two puts latitude first and the other does not."""
    if (source == CRS84) == (target == CRS84):
        return lambda xy: xy
    return lambda xy: xy[:, ::-1]


def to_crs(frame: pd.DataFrame, crs: str) -> pd.DataFrame:
    """``frame`` (features in storage CRS) with its geometries in ``crs``, axis order kept.

    Frames without geometry, and CRS84, are returned as they are.
    """
    if crs == STORAGE_CRS or not isinstance(frame, gpd.GeoDataFrame) or frame.empty:
        return frame
    moved = frame.copy()
    geometries = shapely.transform(frame.geometry.to_numpy(), _points(STORAGE_CRS, crs))
    moved[frame.geometry.name] = gpd.GeoSeries(geometries, index=frame.index)
    return moved


def bbox_to_storage(numbers: tuple[float, ...], crs: str) -> Bbox:
    """A bbox given in ``crs`` (in its axis order) as (minlon, minlat, maxlon, maxlat)."""
    if crs == STORAGE_CRS:
        return numbers[0], numbers[1], numbers[2], numbers[3]
    convert = _points(crs, STORAGE_CRS)
    corners = convert(np.array([[numbers[0], numbers[1]], [numbers[2], numbers[3]]]))
    return (
        float(corners[:, 0].min()),
        float(corners[:, 1].min()),
        float(corners[:, 0].max()),
        float(corners[:, 1].max()),
    )


def bbox_in(bbox: Bbox, crs: str) -> list[float]:
    """A storage bbox (lon/lat) written in ``crs``'s axis order."""
    if crs == STORAGE_CRS:
        return list(bbox)
    corners = _points(STORAGE_CRS, crs)(np.array([[bbox[0], bbox[1]], [bbox[2], bbox[3]]]))
    return [float(v) for v in (*corners.min(axis=0), *corners.max(axis=0))]


def content_crs(crs: str) -> str:
    """The ``Content-Crs`` header's value: the URI between angle brackets."""
    return f"<{crs}>"
