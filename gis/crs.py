"""Coordinate reference systems as users name them, and China's web offsets.

Users give a CRS as an EPSG code (``4326``, ``EPSG:4547``), WKT, a PROJ
string, or a name: ``wgs84``, ``cgcs2000`` and the two pseudo-CRS used by
Chinese web maps, ``gcj02`` (GCJ-02, "Mars coordinates", AMap/Tencent) and
``bd09`` (BD-09, Baidu). GCJ-02 and BD-09 are not CRS that PROJ knows: they
are longitude/latitude on WGS 84 with a deliberate, non-linear offset of a
few hundred metres. :func:`parse_crs` gives a :class:`CrsSpec` holding both
the real CRS and the offset; :func:`to_storage` and :func:`from_storage`
move geometries between any spec and the store's EPSG:4326.

The offsets follow the published algorithm (as in eviltransform and
coordtransform): applied only inside China's rough bounding box and never
outside it, as the offsets themselves define. Inverses are computed by
fixed-point iteration, so a round trip is exact to well under a centimetre.

Choosing a projected CRS in metres for analysis (a CGCS2000 Gauss-Krüger
zone or a UTM zone) lives here too, next to :mod:`citygrid.gis.metric`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from citygrid.errors import BadInput

STORAGE_CRS = CRS.from_epsg(4326)
OFFSETS = ("gcj02", "bd09")

_NAMES: dict[str, tuple[int, str | None]] = {
    "wgs84": (4326, None),
    "wgs-84": (4326, None),
    "cgcs2000": (4490, None),
    "gcj02": (4326, "gcj02"),
    "gcj-02": (4326, "gcj02"),
    "bd09": (4326, "bd09"),
    "bd-09": (4326, "bd09"),
}

# Krasovsky 1940 ellipsoid, as the GCJ-02 algorithm uses.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_ITERATIONS = 6


@dataclass(frozen=True)
class CrsSpec:
    """A CRS as the user named it.

    Attributes
    ----------
    name
        What the user gave, for messages (``"gcj02"``, ``"EPSG:4547"``...).
    crs
        The real CRS of the coordinates once any offset is removed
        (EPSG:4326 for ``gcj02`` and ``bd09``).
    offset
        ``"gcj02"``, ``"bd09"`` or ``None``: the Chinese web offset the
        coordinates carry on top of ``crs``.
    """

    name: str
    crs: CRS
    offset: str | None = None

    @property
    def is_geographic(self) -> bool:
        """Whether coordinates are longitude/latitude in degrees."""
        return bool(self.crs.is_geographic)


def parse_crs(value: str | int | CRS | CrsSpec) -> CrsSpec:
    """Read a CRS the way a user writes it.

    Parameters
    ----------
    value
        An EPSG code (``4547``, ``"EPSG:4547"``, ``"epsg:4547"``), WKT, a
        PROJ string, a :class:`pyproj.CRS`, or one of the names ``wgs84``,
        ``cgcs2000``, ``gcj02``, ``bd09`` (any case).

    Returns
    -------
    CrsSpec

    Raises
    ------
    BadInput
        The value is not a CRS pyproj knows nor one of the names.
    """
    if isinstance(value, CrsSpec):
        return value
    if isinstance(value, CRS):
        return CrsSpec(value.to_string(), value)
    text = str(value).strip()
    known = _NAMES.get(text.lower())
    if known is not None:
        epsg, offset = known
        return CrsSpec(text.lower(), CRS.from_epsg(epsg), offset)
    user_input: str | int = int(text) if text.isdigit() else text
    try:
        crs = CRS.from_user_input(user_input)
    except CRSError:
        raise BadInput(
            "Unknown CRS {crs!r}. Give an EPSG code such as EPSG:4326 or EPSG:4547, WKT, a "
            "PROJ string, or one of wgs84, cgcs2000, gcj02, bd09.",
            crs=text[:200],
        ) from None
    return CrsSpec(text if len(text) <= 40 else (crs.to_string() or "custom CRS"), crs)


def same_crs(a: CRS | None, b: CRS) -> bool:
    """Whether two CRS are the same for storage (CGCS2000 counts as WGS 84)."""
    if a is None:
        return False
    equivalent = {4326, 4490}
    epsg_a, epsg_b = a.to_epsg(), b.to_epsg()
    if epsg_a in equivalent and epsg_b in equivalent:
        return True
    return bool(a == b)


# -- the offsets on coordinate arrays ------------------------------------------


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Boolean mask of points inside the box where the offsets apply (degrees)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 shift (degrees) at WGS 84 points, zero outside China."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs = np.sqrt(np.abs(x))
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat += common
    d_lon += common
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 longitude/latitude (degrees, arrays) to GCJ-02; unchanged outside China."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lon, d_lat = _gcj_delta(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 longitude/latitude (degrees, arrays) to WGS 84, by fixed-point iteration."""
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 longitude/latitude (degrees, arrays) to BD-09; unchanged outside China."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    inside = in_china(lon, lat)
    return (
        np.where(inside, z * np.cos(theta) + 0.0065, lon),
        np.where(inside, z * np.sin(theta) + 0.006, lat),
    )


def bd09_to_gcj02(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 longitude/latitude (degrees, arrays) to GCJ-02, by fixed-point iteration."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 longitude/latitude (degrees, arrays) to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 longitude/latitude (degrees, arrays) to WGS 84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _invert(
    forward: Callable[[Any, Any], tuple[np.ndarray, np.ndarray]], lon: Any, lat: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x) = target`` for x; the offsets are small and smooth, so it converges."""
    target_lon = np.asarray(lon, dtype=float)
    target_lat = np.asarray(lat, dtype=float)
    x_lon, x_lat = target_lon.copy(), target_lat.copy()
    for _ in range(_ITERATIONS):
        f_lon, f_lat = forward(x_lon, x_lat)
        x_lon = x_lon + (target_lon - f_lon)
        x_lat = x_lat + (target_lat - f_lat)
    return x_lon, x_lat


_FROM_OFFSET = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_TO_OFFSET = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _shift(
    geoms: np.ndarray, convert: Callable[[Any, Any], tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """Apply a lon/lat conversion to every vertex of an array of geometries at once."""

    def on_coords(coords: np.ndarray) -> np.ndarray:
        lon, lat = convert(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, on_coords)


# -- geometries between a spec and the store ----------------------------------


def to_storage(geoseries: gpd.GeoSeries, spec: CrsSpec | None = None) -> gpd.GeoSeries:
    """Geometries in EPSG:4326 (WGS 84), whatever CRS or offset they carry.

    Parameters
    ----------
    geoseries
        Geometries; their own ``crs`` is used unless ``spec`` is given.
    spec
        The CRS the coordinates are really in (overrides ``geoseries.crs``):
        for ``gcj02``/``bd09`` the offset is removed.

    Returns
    -------
    geopandas.GeoSeries
        The geometries in EPSG:4326 (CGCS2000 is kept as is: the two agree
        to well under a metre).
    """
    source = spec.crs if spec is not None else geoseries.crs
    out = gpd.GeoSeries(geoseries.to_numpy(), index=geoseries.index, crs=source)
    if source is not None and not same_crs(CRS.from_user_input(source), STORAGE_CRS):
        out = out.to_crs(STORAGE_CRS)
    else:
        out = out.set_crs(STORAGE_CRS, allow_override=True)
    if spec is not None and spec.offset is not None:
        out = gpd.GeoSeries(
            _shift(out.to_numpy(), _FROM_OFFSET[spec.offset]), index=out.index, crs=STORAGE_CRS
        )
    return out


def from_storage(geoseries: gpd.GeoSeries, spec: CrsSpec) -> gpd.GeoSeries:
    """Geometries from EPSG:4326 into ``spec`` (projected, or with a Chinese web offset).

    Returns
    -------
    geopandas.GeoSeries
        With ``crs`` set to ``spec.crs`` (EPSG:4326 for ``gcj02``/``bd09``,
        whose coordinates carry the offset).
    """
    if spec.offset is not None:
        wgs = geoseries.to_crs(STORAGE_CRS) if geoseries.crs is not None else geoseries
        return gpd.GeoSeries(
            _shift(wgs.to_numpy(), _TO_OFFSET[spec.offset]), index=wgs.index, crs=STORAGE_CRS
        )
    if geoseries.crs is None:
        geoseries = geoseries.set_crs(STORAGE_CRS)
    return geoseries.to_crs(spec.crs)


# -- metric CRS ----------------------------------------------------------------


def gauss_kruger_crs(lon: float) -> CRS:
    """The CGCS2000 3-degree Gauss-Krüger CRS (EPSG:4534-4554) for a longitude in China.

    Parameters
    ----------
    lon
        Longitude in degrees, between 73.5 and 136.5 (zones with central
        meridians 75° to 135° E).

    Raises
    ------
    BadInput
        The longitude lies outside China's Gauss-Krüger zones.
    """
    meridian = round(lon / 3.0) * 3
    if not 75 <= meridian <= 135:
        raise BadInput(
            "Longitude {lon} is outside China's Gauss-Krüger zones (73.5° to 136.5° E); use a "
            "UTM zone instead.",
            lon=lon,
        )
    return CRS.from_epsg(4534 + (meridian - 75) // 3)
