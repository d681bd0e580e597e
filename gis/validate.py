"""Checking and repairing geometries read from a user's file, with row numbers.

:func:`validate_geometries` takes one batch of geometries with their row
numbers in the file and either returns them ready to store (2D, valid,
multi parts where the layer wants them) with the rows it repaired, or
raises :class:`~citygrid.errors.BadInput` naming the file, the rows and
what to do:

- null or empty geometries;
- geometry types the layer cannot hold (a polygon in a point layer), and
  files that mix types;
- coordinates that are not finite or, in a file in degrees, outside
  -180..180 / -90..90, with a hint when they look like swapped lat/lon or
  like metres in a file that claims degrees;
- invalid geometries (self-intersecting rings...) are repaired with
  ``make_valid`` and counted, or refused when ``strict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import GeometryType

from citygrid.errors import BadInput

MAX_ROWS_NAMED = 10
#: The type of a place: a point, or an area (an inspection point drawn as a polygon).
PLACE = "Point or Polygon"

_T = GeometryType
_ACCEPTED: dict[str, tuple[int, ...]] = {
    "Point": (_T.POINT, _T.MULTIPOINT),
    "LineString": (_T.LINESTRING,),
    "MultiLineString": (_T.LINESTRING, _T.MULTILINESTRING),
    "Polygon": (_T.POLYGON,),
    PLACE: (_T.POINT, _T.MULTIPOINT, _T.POLYGON, _T.MULTIPOLYGON),
    "MultiPolygon": (_T.POLYGON, _T.MULTIPOLYGON),
    "Geometry": (
        _T.POINT,
        _T.MULTIPOINT,
        _T.LINESTRING,
        _T.MULTILINESTRING,
        _T.POLYGON,
        _T.MULTIPOLYGON,
    ),
}
_TYPE_NAMES = {int(t): t.name.title().replace("string", "String") for t in GeometryType}
_TYPE_NAMES.update(
    {
        int(_T.MULTIPOINT): "MultiPoint",
        int(_T.MULTILINESTRING): "MultiLineString",
        int(_T.MULTIPOLYGON): "MultiPolygon",
        int(_T.LINEARRING): "LinearRing",
        int(_T.GEOMETRYCOLLECTION): "GeometryCollection",
    }
)


@dataclass(frozen=True)
class GeometryCheck:
    """What :func:`validate_geometries` did to one batch.

    Attributes
    ----------
    geometries
        The geometries to store, in the input order.
    repaired_rows
        File row numbers (from 1) whose geometry was invalid and repaired.
    """

    geometries: np.ndarray
    repaired_rows: np.ndarray


def rows_text(rows: Sequence[int] | np.ndarray) -> str:
    """Row numbers for a message: the first ten, then how many more."""
    rows = [int(r) for r in rows]
    text = ", ".join(str(r) for r in rows[:MAX_ROWS_NAMED])
    if len(rows) > MAX_ROWS_NAMED:
        text += f" (+{len(rows) - MAX_ROWS_NAMED})"
    return text


def _flat(geoms: np.ndarray) -> np.ndarray:
    """The geometries without Z or M values; only those that have some are rebuilt (a
    million plain points would otherwise be copied for nothing)."""
    extra = shapely.has_z(geoms) | shapely.has_m(geoms)
    if not extra.any():
        return geoms
    flat = geoms.copy()
    flat[extra] = shapely.force_2d(geoms[extra])
    return flat


def validate_geometries(
    geoms: np.ndarray,
    rows: np.ndarray,
    *,
    geometry_type: str,
    geographic: bool,
    path: str,
    strict: bool = False,
) -> GeometryCheck:
    """Check one batch of geometries from a file and repair what can be repaired.

    Parameters
    ----------
    geoms
        Shapely geometries (``None`` for a missing one), in the file's CRS.
    rows
        The row number in the file (from 1) of each geometry.
    geometry_type
        The layer's declared type (``Point``, ``MultiPolygon``, ``Geometry``...),
        or :data:`PLACE` for points or polygons.
    geographic
        The coordinates claim to be longitude/latitude in degrees (then
        ranges are checked and swapped or metric coordinates are spotted).
    path
        The file, for messages.
    strict
        Refuse invalid geometries instead of repairing them.

    Returns
    -------
    GeometryCheck

    Raises
    ------
    BadInput
        Null or empty geometries, wrong or mixed types, coordinates out of
        range, or (with ``strict``) invalid geometries; the message names
        the rows.
    """
    geoms = np.asarray(geoms, dtype=object)
    rows = np.asarray(rows)
    _check_present(geoms, rows, path)
    geoms = _flat(geoms)
    _check_types(geoms, rows, geometry_type, path)
    _check_coordinates(geoms, rows, geographic, path)
    geoms = _single_points(geoms, rows, path) if geometry_type in ("Point", PLACE) else geoms
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return GeometryCheck(geoms, rows[:0])
    if strict:
        reasons = shapely.is_valid_reason(geoms[invalid])
        raise BadInput(
            "{path}: invalid geometries in rows {rows} ({reason}). Fix them in your GIS, or "
            "import without --strict to repair them automatically.",
            path=path,
            rows=rows_text(rows[invalid]),
            reason=str(reasons[0]),
        )
    repaired = geoms.copy()
    repaired[invalid] = _repair(geoms[invalid], geometry_type)
    _check_present(repaired, rows, path, after_repair=True)
    return GeometryCheck(repaired, rows[invalid])


def _check_present(
    geoms: np.ndarray, rows: np.ndarray, path: str, after_repair: bool = False
) -> None:
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if not missing.any():
        return
    if after_repair:
        raise BadInput(
            "{path}: the geometries in rows {rows} are invalid and nothing is left after "
            "repair (collapsed to nothing); fix or remove them.",
            path=path,
            rows=rows_text(rows[missing]),
        )
    raise BadInput(
        "{path}: rows {rows} have no geometry (null or empty); draw their geometry or remove "
        "them from the file.",
        path=path,
        rows=rows_text(rows[missing]),
    )


def _check_types(geoms: np.ndarray, rows: np.ndarray, geometry_type: str, path: str) -> None:
    type_ids = shapely.get_type_id(geoms)
    accepted = _ACCEPTED.get(geometry_type, _ACCEPTED["Geometry"])
    wrong = ~np.isin(type_ids, accepted)
    if not wrong.any():
        return
    found = ", ".join(_TYPE_NAMES[int(t)] for t in np.unique(type_ids))
    if len(np.unique(type_ids)) > 1:
        raise BadInput(
            "{path} mixes geometry types ({found}) but this layer takes {expected}: rows "
            "{rows} have another type. Split the file by geometry type or remove those rows.",
            path=path,
            found=found,
            expected=geometry_type,
            rows=rows_text(rows[wrong]),
        )
    raise BadInput(
        "{path} holds {found} geometries but this layer takes {expected} (rows {rows}). "
        "Import the file into a layer of that type, or convert it first.",
        path=path,
        found=found,
        expected=geometry_type,
        rows=rows_text(rows[wrong]),
    )


def _check_coordinates(geoms: np.ndarray, rows: np.ndarray, geographic: bool, path: str) -> None:
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    not_finite = ~np.isfinite(coords).all(axis=1)
    if not_finite.any():
        raise BadInput(
            "{path}: rows {rows} have coordinates that are not numbers (NaN or infinite); "
            "fix them in the file.",
            path=path,
            rows=rows_text(rows[np.unique(index[not_finite])]),
        )
    if not geographic:
        return
    x, y = coords[:, 0], coords[:, 1]
    outside = (np.abs(x) > 180.0) | (np.abs(y) > 90.0)
    if not outside.any():
        return
    bad_rows = rows_text(rows[np.unique(index[outside])])
    if (np.abs(x) > 1000.0).all() or (np.abs(y) > 1000.0).all():
        raise BadInput(
            "{path}: the coordinates look like metres (e.g. {x:.0f}, {y:.0f} in row {row}) "
            "but the file says degrees. Give the projected CRS with --crs, for example "
            "EPSG:4547 (CGCS2000 Gauss-Krüger CM 114E) or EPSG:32650 (UTM 50N).",
            path=path,
            x=float(x[outside][0]),
            y=float(y[outside][0]),
            row=int(rows[index[outside][0]]),
        )
    swapped_fits = (np.abs(y) <= 180.0) & (np.abs(x) <= 90.0)
    if swapped_fits[outside].all():
        raise BadInput(
            "{path}: rows {rows} have latitude where longitude should be (e.g. {x}, {y}): "
            "the columns look swapped. Put longitude first (x = lon, y = lat) and import again.",
            path=path,
            rows=bad_rows,
            x=float(x[outside][0]),
            y=float(y[outside][0]),
        )
    raise BadInput(
        "{path}: rows {rows} have coordinates outside longitude -180..180 / latitude -90..90; "
        "fix them, or give the file's real CRS with --crs.",
        path=path,
        rows=bad_rows,
    )


def _single_points(geoms: np.ndarray, rows: np.ndarray, path: str) -> np.ndarray:
    """One-part MultiPoints as Points (a point layer holds single points)."""
    multi = shapely.get_type_id(geoms) == GeometryType.MULTIPOINT
    if not multi.any():
        return geoms
    out = geoms.copy()
    single = multi & (shapely.get_num_geometries(geoms) == 1)
    out[single] = shapely.get_geometry(geoms[single], 0)
    if (multi & ~single).any():
        raise BadInput(
            "{path}: rows {rows} have several points each but this layer takes one point per "
            "feature; split them into single points (Multipart to singleparts in QGIS).",
            path=path,
            rows=rows_text(rows[multi & ~single]),
        )
    return out


def _repair(geoms: np.ndarray, geometry_type: str) -> np.ndarray:
    """``make_valid`` keeping the layer's dimension (polygons stay polygons)."""
    if "Polygon" in geometry_type:
        fixed = shapely.make_valid(geoms, method="structure", keep_collapsed=False)
    else:
        fixed = shapely.make_valid(geoms)
    dimension = {"Point": 0, "LineString": 1, "MultiLineString": 1}.get(geometry_type, 2)
    if geometry_type == "Geometry":
        return fixed
    collections = shapely.get_type_id(fixed) == GeometryType.GEOMETRYCOLLECTION
    if collections.any():
        fixed[collections] = [_parts_of_dimension(g, dimension) for g in fixed[collections]]
    return fixed


def _parts_of_dimension(collection: shapely.Geometry, dimension: int) -> shapely.Geometry:
    """The parts of a collection with the given dimension, merged into one geometry."""
    parts = [p for p in shapely.get_parts(collection) if shapely.get_dimensions(p) == dimension]
    return shapely.union_all(parts) if parts else shapely.Point()
