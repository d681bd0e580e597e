"""Small vectorised geometry helpers shared by the store and the analyses."""

from __future__ import annotations

import numpy as np
import shapely
from shapely import GeometryType

_MULTI_OF = {
    "MultiPolygon": (GeometryType.POLYGON, shapely.multipolygons),
    "MultiLineString": (GeometryType.LINESTRING, shapely.multilinestrings),
    "MultiPoint": (GeometryType.POINT, shapely.multipoints),
}


def promote_to_multi(geoms: np.ndarray, geometry_type: str) -> np.ndarray:
    """Wrap single parts in their multi type when ``geometry_type`` is a multi type.

    Parameters
    ----------
    geoms
        Array of shapely geometries (``None`` allowed).
    geometry_type
        The layer's declared type, e.g. ``"MultiPolygon"``; other types
        return ``geoms`` unchanged.

    Returns
    -------
    numpy.ndarray
        A new array where every single ``Polygon`` (or line, point) is a
        one-part multi geometry.
    """
    if geometry_type not in _MULTI_OF:
        return geoms
    single_type, make_multi = _MULTI_OF[geometry_type]
    out = np.asarray(geoms, dtype=object).copy()
    singles = shapely.get_type_id(out) == single_type
    if singles.any():
        out[singles] = make_multi(out[singles].reshape(-1, 1))
    return out
