"""Route a location to who answers for it: point, street or alley, cell, sub-district.

The chain (谁主管谁负责, 属地管理)
-----------------------------------
For each location the router finds:

``point``
    the point whose zone holds it: a point geometry with its ``radius_m``
    in metres (default :data:`DEFAULT_POINT_RADIUS_M`), or a polygon point
    containing it;
``street`` / ``alley``
    the street or alley within ``Config.street_snap_m`` metres;
``grid``
    the cell holding it;
``subdistrict``
    the sub-district (jurisdiction of level ``subdistrict``) holding it: the
    cell's ``subdistrict_code`` when the cell has one, else found by
    location.

The responsible unit is the unit of the first link of the chain that has
one, and ``routed_by`` names that link's rule; a link without a unit
passes the problem on to the next; when no link has a unit, ``routed_by``
names the first link found and the unit is empty, so the gap shows. A
sub-district answers through its unit of kind ``subdistrict``. A location in
no sub-district is ``outside``; the answer names the nearest sub-district
and its distance in metres.

Tie rules (the same on every backend)
-------------------------------------
All decisions are made here, in numpy and shapely on frames read from the
store, so SQLite and PostGIS give the same answers. Distances are measured
in the city's metric CRS; containment (cells, sub-districts, polygon
points) is tested on the stored EPSG:4326 coordinates, exactly.

* Distances closer than :data:`TIE_TOLERANCE_M` (1 cm) are equal.
* Several point zones: the nearest point wins (0 inside a polygon), then
  the lowest code.
* Several streets or alleys: the nearest wins; at equal distance a street
  wins over an alley, then the lowest code.
* A location on a shared cell edge or corner: the lowest cell code; the
  same for sub-districts.
* Outside: the nearest sub-district; at equal distance, the lowest code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from pyproj import CRS, Transformer

from citygrid.config import Config
from citygrid.errors import BadInput, NotFound
from citygrid.gis.crs import parse_crs, to_storage
from citygrid.gis.metric import metric_crs
from citygrid.layers.store import STORAGE_CRS, Store
from citygrid.services._nearby import BoxMask, SegmentBins, group_min

#: Radius (metres) of a point geometry without its own ``radius_m``.
DEFAULT_POINT_RADIUS_M = 50.0
#: Distances (metres) closer than this are equal, for the tie rules.
TIE_TOLERANCE_M = 0.01
#: Fields of a problem the router sets.
ROUTED_FIELDS = [
    "point_code",
    "street_code",
    "alley_code",
    "grid_code",
    "subdistrict_code",
    "unit_code",
    "head_code",
    "routed_by",
]
#: Columns of :func:`route_locations`' answer.
ROUTE_COLUMNS = [*ROUTED_FIELDS, "outside_distance_m"]
_METRES_PER_DEGREE = 111_320.0
# Bins (metres) of the first test for polygon points.
_ZONE_BIN_M = 10.0


@dataclass(frozen=True)
class _Features:
    """One layer of the chain: codes, units, heads, tie ranks, metric geometries."""

    codes: np.ndarray
    geoms: np.ndarray
    units: np.ndarray
    heads: np.ndarray
    rank: np.ndarray
    by_rank: np.ndarray
    has_unit: np.ndarray

    @classmethod
    def build(
        cls,
        codes: Sequence[Any],
        geoms: np.ndarray,
        units: Sequence[Any],
        heads: Sequence[Any],
        order: Sequence[Any] | None = None,
    ) -> _Features:
        codes_arr = np.asarray(codes, dtype=object)
        keys = codes_arr if order is None else np.asarray(order, dtype=object)
        by_rank = np.argsort(keys.astype(str), kind="stable")
        rank = np.empty(len(keys), dtype=np.int64)
        rank[by_rank] = np.arange(len(keys))
        unit_arr = _objects(units)
        return cls(
            codes_arr,
            np.asarray(geoms, dtype=object),
            unit_arr,
            _objects(heads),
            rank,
            by_rank,
            pd.notna(unit_arr).astype(bool),
        )

    def __len__(self) -> int:
        return len(self.codes)

    def position(self, code: Any, among: np.ndarray | None = None) -> int:
        """Index of the feature with ``code`` (it must be there), among a mask if given."""
        match = self.codes == code
        return int(np.flatnonzero(match if among is None else match & among)[0])


def _objects(values: Sequence[Any]) -> np.ndarray:
    """An object array with ``None`` for every missing value (NaN, NA, None)."""
    out = np.asarray(values, dtype=object).copy()
    out[pd.isna(out)] = None
    return out


@dataclass(frozen=True)
class RoutingIndex:
    """Everything routing needs, read once from the store and kept in memory.

    Build it with :meth:`from_store` (or :meth:`from_frames`); route with
    :func:`route_locations`. ``crs`` is the city's metric CRS.
    """

    crs: CRS
    snap_m: float
    points: _Features
    point_radius: np.ndarray
    point_bins: tuple[SegmentBins, ...]
    zone_tree: shapely.STRtree
    zone_feature: np.ndarray
    zone_mask: BoxMask | None
    lines: _Features
    line_layers: np.ndarray
    line_bins: SegmentBins | None
    cells: _Features
    cell_tree: shapely.STRtree
    cell_subdistrict: np.ndarray
    subdistricts: _Features
    subdistrict_tree: shapely.STRtree
    subdistricts_metric_tree: shapely.STRtree
    units: pd.DataFrame
    people: pd.DataFrame
    names: dict[str, pd.Series]

    @classmethod
    def from_store(
        cls,
        store: Store,
        config: Config,
        *,
        around: tuple[float, float, float, float] | None = None,
        conn: Any = None,
    ) -> RoutingIndex:
        """Read the chain's layers from the store.

        Parameters
        ----------
        around
            ``(minx, miny, maxx, maxy)`` of the locations to route, in
            EPSG:4326: read only the features that could answer for them
            (sub-districts are always read whole, for the nearest one when a
            location is outside).
        conn
            A connection of an open transaction, to see its changes.
        """
        crs = city_metric_crs(store, config)
        bbox = None if around is None else _bbox_around(store, around, config.street_snap_m, conn)
        line_fields = ["code", "name", "unit_code", "head_code"]
        return cls.from_frames(
            crs,
            float(config.street_snap_m),
            points=store.read("points", columns=[*line_fields, "radius_m"], bbox=bbox, conn=conn),
            streets=store.read("streets", columns=line_fields, bbox=bbox, conn=conn),
            alleys=store.read("alleys", columns=line_fields, bbox=bbox, conn=conn),
            cells=store.read(
                "grids",
                columns=["code", "name", "unit_code", "manager_code", "subdistrict_code"],
                bbox=bbox,
                conn=conn,
            ),
            subdistricts=store.read(
                "jurisdictions", columns=["code", "name"], where={"level": "subdistrict"}, conn=conn
            ),
            units=store.read(
                "units",
                columns=["code", "name", "kind", "jurisdiction_code", "contact", "phone"],
                conn=conn,
            ),
            people=store.read("people", columns=["code", "name", "unit_code", "phone"], conn=conn),
        )

    @classmethod
    def from_frames(
        cls,
        crs: CRS,
        snap_m: float,
        *,
        points: gpd.GeoDataFrame,
        streets: gpd.GeoDataFrame,
        alleys: gpd.GeoDataFrame,
        cells: gpd.GeoDataFrame,
        subdistricts: gpd.GeoDataFrame,
        units: pd.DataFrame,
        people: pd.DataFrame,
    ) -> RoutingIndex:
        """Build the index from frames shaped as the store's layers (any CRS).

        Parameters
        ----------
        crs
            The city's metric CRS, for distances.
        snap_m
            How far (metres) a location may be from a street or alley.
        points, streets, alleys, cells, subdistricts, units, people
            The layers' features with the fields :meth:`from_store` reads.
        """
        points, streets, alleys, cells, subdistricts = (
            _in_storage_crs(frame) for frame in (points, streets, alleys, cells, subdistricts)
        )
        lines = pd.concat(
            [streets.assign(layer="streets"), alleys.assign(layer="alleys")], ignore_index=True
        )
        lines = gpd.GeoDataFrame(lines, geometry="geometry", crs=STORAGE_CRS)
        metric = {
            name: frame.geometry.to_crs(crs).to_numpy()
            for name, frame in (("points", points), ("lines", lines), ("cells", cells))
        }
        metric["subdistricts"] = subdistricts.geometry.to_crs(crs).to_numpy()
        is_point = shapely.get_type_id(metric["points"]) == shapely.GeometryType.POINT
        radius = points["radius_m"].to_numpy(dtype=float, na_value=np.nan)
        radius = np.where(np.isnan(radius) | ~is_point, DEFAULT_POINT_RADIUS_M, radius)
        radius = np.where(is_point, radius, 0.0)
        zones = np.flatnonzero(~is_point)
        street_first = np.where(lines["layer"] == "streets", "0", "1").astype(object)
        sub_position = pd.Series(np.arange(len(subdistricts)), index=subdistricts["code"])
        sub_position = sub_position[~sub_position.index.duplicated()]
        return cls(
            crs=crs,
            snap_m=snap_m,
            points=_Features.build(
                points["code"], metric["points"], points["unit_code"], points["head_code"]
            ),
            point_radius=radius,
            point_bins=_point_bins(metric["points"], is_point, radius),
            zone_tree=shapely.STRtree(points.geometry.to_numpy()[zones]),
            zone_feature=zones,
            zone_mask=BoxMask.build(shapely.bounds(metric["points"][zones]), _ZONE_BIN_M),
            lines=_Features.build(
                lines["code"],
                metric["lines"],
                lines["unit_code"],
                lines["head_code"],
                street_first + lines["code"].astype(str).to_numpy(dtype=object),
            ),
            line_layers=lines["layer"].to_numpy(dtype=object),
            line_bins=SegmentBins.build(metric["lines"], snap_m + TIE_TOLERANCE_M),
            cells=_Features.build(
                cells["code"], metric["cells"], cells["unit_code"], cells["manager_code"]
            ),
            cell_tree=shapely.STRtree(cells.geometry.to_numpy()),
            cell_subdistrict=cells["subdistrict_code"]
            .map(sub_position)
            .fillna(-1)
            .to_numpy(dtype=np.int64),
            subdistricts=_Features.build(
                subdistricts["code"],
                metric["subdistricts"],
                subdistricts["code"].map(subdistrict_units(units)),
                [None] * len(subdistricts),
            ),
            subdistrict_tree=shapely.STRtree(subdistricts.geometry.to_numpy()),
            subdistricts_metric_tree=shapely.STRtree(metric["subdistricts"]),
            units=units.set_index("code"),
            people=people.set_index("code"),
            names={
                "points": points.set_index("code")["name"],
                "streets": streets.set_index("code")["name"],
                "alleys": alleys.set_index("code")["name"],
                "grids": cells.set_index("code")["name"],
                "jurisdictions": subdistricts.set_index("code")["name"],
            },
        )

    def to_metric(self, geoms: np.ndarray) -> np.ndarray:
        """EPSG:4326 geometries in :attr:`crs`."""
        transformer = Transformer.from_crs(STORAGE_CRS, self.crs, always_xy=True)
        return shapely.transform(geoms, transformer.transform, interleaved=False)


def _point_bins(
    geoms: np.ndarray, is_point: np.ndarray, radius: np.ndarray
) -> tuple[SegmentBins, ...]:
    """Bins of the point geometries, one set per radius class (powers of two of metres).

    Searching every point as far as the largest radius would make each
    location look at hundreds of small points; a class searches only as
    far as its own largest radius.
    """
    radius_class = np.ceil(np.log2(np.maximum(radius, 1.0))).astype(np.int64)
    out = []
    for wanted in np.unique(radius_class[is_point]):  # a handful of classes, not features
        members = is_point & (radius_class == wanted)
        bins = SegmentBins.build(
            np.where(members, geoms, None), float(radius[members].max()) + TIE_TOLERANCE_M
        )
        if bins is not None:
            out.append(bins)
    return tuple(out)


def city_metric_crs(store: Store, config: Config) -> CRS:
    """The CRS in metres of the city in ``store`` (``config.metric_crs`` wins)."""
    return metric_crs(store.extent("jurisdictions") or store.extent("grids"), config.metric_crs)


def subdistrict_units(units: pd.DataFrame) -> pd.Series:
    """Sub-district code -> the code of its unit (属地管理).

    Parameters
    ----------
    units
        The units layer (``code``, ``kind``, ``jurisdiction_code``).

    Returns
    -------
    pandas.Series
        For each sub-district code, the unit of kind ``subdistrict`` whose
        ``jurisdiction_code`` it is; the lowest unit code when several are.
    """
    units = units[units["kind"] == "subdistrict"].dropna(subset=["jurisdiction_code"])
    units = units.sort_values("code").drop_duplicates("jurisdiction_code")
    return units.set_index("jurisdiction_code")["code"]


def _in_storage_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is None or frame.crs.to_epsg() in (4326, 4490):
        return frame
    return frame.to_crs(STORAGE_CRS)


def _bbox_around(
    store: Store, bounds: tuple[float, float, float, float], snap_m: float, conn: Any
) -> tuple[float, float, float, float]:
    """``bounds`` grown by the largest point radius or the snap distance (and a margin)."""
    table = store.table("points")
    stmt = sa.select(sa.func.max(table.c.radius_m))
    if conn is None:
        with store.engine.connect() as own:
            largest = own.execute(stmt).scalar()
    else:
        largest = conn.execute(stmt).scalar()
    margin_m = max(snap_m, DEFAULT_POINT_RADIUS_M, float(largest or 0.0)) * 1.5 + 10.0
    minx, miny, maxx, maxy = bounds
    dy = margin_m / _METRES_PER_DEGREE
    dx = dy / max(np.cos(np.radians(max(abs(miny), abs(maxy)))), 0.01)
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


# -- picking one feature per location --------------------------------------------


def _by_location(loc: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """The pairs ordered by location (tree and bin queries mostly give them so already)."""
    if len(loc) < 2 or bool(np.all(loc[1:] >= loc[:-1])):
        return (loc, *columns)
    order = np.argsort(loc, kind="stable")
    return (loc[order], *(column[order] for column in columns))


def _pick(
    n: int, loc: np.ndarray, feat: np.ndarray, dist: np.ndarray, features: _Features
) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``n`` locations, the nearest candidate; ties go to the lowest rank.

    Returns the chosen feature index (-1 for none) and its distance (NaN).
    """
    loc, feat, dist = _by_location(loc, feat, dist)
    if len(loc) < 2 or bool(np.all(loc[1:] > loc[:-1])):  # one candidate each: no tie to break
        chosen, distance = np.full(n, -1, dtype=np.int64), np.full(n, np.nan)
        chosen[loc], distance[loc] = feat, dist
        return chosen, distance
    nearest = group_min(n, loc, dist)
    close = dist <= nearest[loc] + TIE_TOLERANCE_M
    lowest = group_min(n, loc[close], features.rank[feat[close]])
    found = np.isfinite(lowest)
    chosen = np.full(n, -1, dtype=np.int64)
    chosen[found] = features.by_rank[lowest[found].astype(np.int64)]
    return chosen, np.where(found, nearest, np.nan)


def _lowest_holding(
    tree: shapely.STRtree, features: _Features, locations: np.ndarray
) -> np.ndarray:
    """Index of the lowest-ranked feature of ``tree`` holding (or touching) each location."""
    if len(features) == 0 or len(locations) == 0:
        return np.full(len(locations), -1, dtype=np.int64)
    loc, feat = tree.query(locations, predicate="intersects")
    return _pick(len(locations), loc, feat, np.zeros(len(loc)), features)[0]


def cell_at(cells: gpd.GeoDataFrame, locations: np.ndarray) -> np.ndarray:
    """Code of the cell holding each location, ``None`` outside every cell.

    Parameters
    ----------
    cells
        Cells with a ``code`` column, in the same CRS as ``locations``.
    locations
        Point geometries.

    Returns
    -------
    numpy.ndarray
        Object array of cell codes; on a shared edge the lowest code.
    """
    features = _Features.build(cells["code"], cells.geometry.to_numpy(), [], [])
    tree = shapely.STRtree(cells.geometry.to_numpy())
    return _take(
        features.codes, _lowest_holding(tree, features, np.asarray(locations, dtype=object))
    )


def _take(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    out = np.full(len(idx), None, dtype=object)
    found = idx >= 0
    out[found] = values[idx[found]]
    return out


def _point_links(
    index: RoutingIndex, lonlat: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    parts = []
    for bins in index.point_bins:
        loc, feat, dist = bins.query(x, y)
        inside = dist <= index.point_radius[feat] + TIE_TOLERANCE_M
        parts.append((loc[inside], feat[inside], dist[inside]))
    if index.zone_mask is not None:
        maybe = np.flatnonzero(index.zone_mask.hits(x, y))
        loc, zone = index.zone_tree.query(lonlat[maybe], predicate="intersects")
        parts.append((maybe[loc], index.zone_feature[zone], np.zeros(len(loc))))
    if not parts:
        return np.full(len(lonlat), -1, dtype=np.int64)
    loc, feat, dist = (np.concatenate(column) for column in zip(*parts, strict=True))
    return _pick(len(lonlat), loc, feat, dist, index.points)[0]


def _line_links(index: RoutingIndex, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if index.line_bins is None:
        return np.full(len(x), -1, dtype=np.int64)
    loc, feat, dist = index.line_bins.query(x, y)
    keep = dist <= index.snap_m
    return _pick(len(x), loc[keep], feat[keep], dist[keep], index.lines)[0]


# -- the chain ----------------------------------------------------------------------


def route_locations(index: RoutingIndex, locations: gpd.GeoSeries) -> pd.DataFrame:
    """Route many locations at once (vectorised: no loop over features or locations).

    Parameters
    ----------
    index
        The city, from :meth:`RoutingIndex.from_store`.
    locations
        Point geometries in any CRS (none: EPSG:4326).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``locations``, with :data:`ROUTE_COLUMNS`: the code of
        each link found (``point_code``, ``street_code``, ``alley_code``,
        ``grid_code``, ``subdistrict_code``; the nearest sub-district when
        outside), the responsible ``unit_code`` and ``head_code``,
        ``routed_by`` (``point``, ``street``, ``alley``, ``grid``,
        ``subdistrict`` or ``outside``) and ``outside_distance_m`` (metres to
        the nearest sub-district, NaN inside).
    """
    lonlat = locations.to_numpy()
    if locations.crs is not None and locations.crs.to_epsg() not in (4326, 4490):
        lonlat = locations.to_crs(STORAGE_CRS).to_numpy()
    not_points = (shapely.get_type_id(lonlat) != shapely.GeometryType.POINT) | shapely.is_empty(
        lonlat
    )
    if not_points.any():
        raise BadInput(
            "Every location must be one point; {count} of them are empty or not points.",
            count=int(not_points.sum()),
        )
    coords = shapely.get_coordinates(lonlat)
    to_metric = Transformer.from_crs(STORAGE_CRS, index.crs, always_xy=True)
    x, y = to_metric.transform(coords[:, 0], coords[:, 1])
    n = len(lonlat)
    point = _point_links(index, lonlat, x, y)
    line = _line_links(index, x, y)
    cell = _lowest_holding(index.cell_tree, index.cells, lonlat)
    sub = np.full(n, -1, dtype=np.int64)
    sub[cell >= 0] = index.cell_subdistrict[cell[cell >= 0]]
    missing = np.flatnonzero(sub < 0)
    outside_distance = np.full(n, np.nan)
    if len(missing):
        sub[missing] = _lowest_holding(index.subdistrict_tree, index.subdistricts, lonlat[missing])
        outside = missing[sub[missing] < 0]
        if len(outside) and len(index.subdistricts):
            here = shapely.points(x[outside], y[outside])
            (loc, feat), dist = index.subdistricts_metric_tree.query_nearest(
                here, all_matches=True, return_distance=True
            )
            nearest, distance = _pick(len(outside), loc, feat, dist, index.subdistricts)
            sub[outside] = nearest
            outside_distance[outside] = distance
    is_outside = ~np.isnan(outside_distance) | ((cell < 0) & (sub < 0))
    levels = [
        (index.points, point, "point"),
        (index.lines, line, None),
        (index.cells, cell, "grid"),
        (index.subdistricts, np.where(is_outside, -1, sub), "subdistrict"),
    ]
    unit, head, rule = _decide(index, levels, line, is_outside)
    line_layer = _take(index.line_layers, line)
    line_code = _take(index.lines.codes, line)
    codes = {
        "point_code": _take(index.points.codes, point),
        "street_code": np.where(line_layer == "streets", line_code, None),
        "alley_code": np.where(line_layer == "alleys", line_code, None),
        "grid_code": _take(index.cells.codes, cell),
        "subdistrict_code": _take(index.subdistricts.codes, sub),
        "unit_code": unit,
        "head_code": head,
        "routed_by": rule,
    }
    frame = pd.DataFrame(
        {
            name: pd.Series(values, index=locations.index, dtype=object)
            for name, values in codes.items()
        }
    )
    frame["outside_distance_m"] = pd.Series(outside_distance, index=locations.index)
    return frame


def _decide(
    index: RoutingIndex,
    levels: list[tuple[_Features, np.ndarray, str | None]],
    line: np.ndarray,
    is_outside: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit, head and rule: the first link of the chain with a unit.

    Where no link has a unit, the rule of the first link found is kept (and
    the unit is ``None``), so the gap shows.
    """
    n = len(is_outside)
    deciding = np.full(n, -1, dtype=np.int64)  # level that decides
    first_found = np.full(n, -1, dtype=np.int64)
    for level, (features, idx, _name) in enumerate(levels):
        found = idx >= 0
        has_unit = np.zeros(n, dtype=bool)
        has_unit[found] = features.has_unit[idx[found]]
        deciding[has_unit & (deciding < 0)] = level
        first_found[found & (first_found < 0)] = level
    deciding[is_outside] = -1
    shown = np.where(deciding >= 0, deciding, first_found)
    unit = np.full(n, None, dtype=object)
    head = np.full(n, None, dtype=object)
    rule = np.full(n, None, dtype=object)
    for level, (features, idx, name) in enumerate(levels):
        decides = np.flatnonzero(deciding == level)
        unit[decides] = features.units[idx[decides]]
        head[decides] = features.heads[idx[decides]]
        named = np.flatnonzero(shown == level)
        if name is None:  # the line level: street or alley by the line's layer
            is_alley = index.line_layers[line[named]] == "alleys"
            rule[named] = np.where(is_alley, "alley", "street")
        else:
            rule[named] = name
    rule[is_outside] = "outside"
    return unit, head, rule


# -- one location, as the JSON answer of `citygrid who` -------------------------------


def check_lon_lat(lon: Any, lat: Any, crs: str | None = None) -> tuple[float, float]:
    """Parse a location given by a user into EPSG:4326 ``(lon, lat)``.

    Parameters
    ----------
    lon, lat
        Numbers or strings; with ``crs`` the x and y in that CRS.
    crs
        The CRS of the coordinates as import and export take it
        (:func:`citygrid.gis.crs.parse_crs`: an EPSG code, ``cgcs2000``,
        ``gcj02``, ``bd09``...); default EPSG:4326 (CGCS2000 EPSG:4490 is
        taken as equal to it).

    Raises
    ------
    BadInput
        Not numbers, not finite, outside -180..180 / -90..90, or an unknown CRS.
    """
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise BadInput(
            "LON LAT must be numbers, like 112.98 28.19; got {lon} {lat}.", lon=lon, lat=lat
        ) from None
    if crs:
        located = to_storage(gpd.GeoSeries([shapely.Point(x, y)]), parse_crs(crs))[0]
        x, y = located.x, located.y
    if not (np.isfinite(x) and np.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise BadInput(
            "({lon}, {lat}) is not a longitude and latitude: longitude must be within -180..180 "
            "and latitude within -90..90 degrees (give --crs for projected coordinates).",
            lon=lon,
            lat=lat,
        )
    return float(x), float(y)


def check_category(store: Store, code: str) -> dict[str, Any]:
    """The catalogue item ``code`` as a dict, or :class:`NotFound`."""
    found = store.read(
        "catalogue",
        where={"code": code},
        columns=["code", "name", "weight", "rectify_days", "urgent_hours"],
    )
    if found.empty:
        raise NotFound(
            "There is no catalogue item {code}; use a code from the evaluation catalogue.",
            code=code,
        )
    return _jsonable(found.drop(columns=["fid", "version"]).iloc[0].to_dict())


def route_point(
    store: Store,
    config: Config,
    lon: Any,
    lat: Any,
    *,
    crs: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """Who answers for one location, with the whole chain.

    Parameters
    ----------
    lon, lat
        The location, in EPSG:4326 unless ``crs`` is given.
    category
        A catalogue item code; it is checked and echoed with its time limits.

    Returns
    -------
    dict
        ``location`` (lon, lat in EPSG:4326), ``routed_by``, ``unit`` and
        ``head`` of the responsible link, ``chain`` (each link found:
        ``rule``, ``layer``, ``code``, ``name``, ``distance_m``, ``unit``,
        ``head``, ``decides``), and when outside ``outside`` with the
        nearest sub-district and ``distance_m``; ``category`` if given.
    """
    x, y = check_lon_lat(lon, lat, crs)
    category_info = check_category(store, category) if category else None
    index = RoutingIndex.from_store(store, config, around=(x, y, x, y))
    location = gpd.GeoSeries([shapely.Point(x, y)], crs=STORAGE_CRS)
    row = route_locations(index, location).iloc[0]
    metric = index.to_metric(location.to_numpy())[0]
    answer: dict[str, Any] = {
        "location": {"lon": x, "lat": y},
        "routed_by": row["routed_by"],
        "unit": _unit(index, row["unit_code"]),
        "head": _person(index, row["head_code"]),
    }
    if category_info is not None:
        answer["category"] = category_info
    if row["routed_by"] == "outside":
        code = row["subdistrict_code"]
        distance = row["outside_distance_m"]
        answer["outside"] = {
            "nearest_subdistrict": code,
            "name": _name(index, "jurisdictions", code),
            "distance_m": None if pd.isna(distance) else round(float(distance), 2),
            "unit": None if code is None else _unit(index, _sub_unit(index, code)),
        }
        answer["chain"] = []
        return answer
    answer["chain"] = _chain(index, row, metric)
    return answer


def _chain(index: RoutingIndex, row: pd.Series, metric: shapely.Point) -> list[dict[str, Any]]:
    specs = [
        ("point", "points", row["point_code"], index.points),
        ("street", "streets", row["street_code"], index.lines),
        ("alley", "alleys", row["alley_code"], index.lines),
        ("grid", "grids", row["grid_code"], index.cells),
        ("subdistrict", "jurisdictions", row["subdistrict_code"], index.subdistricts),
    ]
    chain = []
    for rule, layer, code, features in specs:
        if code is None:
            continue
        among = index.line_layers == layer if features is index.lines else None
        at = features.position(code, among)
        unit_code = features.units[at]
        chain.append(
            {
                "rule": rule,
                "layer": layer,
                "code": code,
                "name": _name(index, layer, code),
                "distance_m": round(float(shapely.distance(metric, features.geoms[at])), 2),
                "unit": _unit(index, unit_code),
                "head": _person(index, features.heads[at]),
                "decides": rule == row["routed_by"],
            }
        )
    return chain


def _sub_unit(index: RoutingIndex, code: Any) -> Any:
    return index.subdistricts.units[index.subdistricts.position(code)]


def _name(index: RoutingIndex, layer: str, code: Any) -> Any:
    names = index.names[layer]
    return names.get(code) if code is not None else None


def _unit(index: RoutingIndex, code: Any) -> dict[str, Any] | None:
    if code is None or pd.isna(code):
        return None
    if code not in index.units.index:
        return {"code": code, "name": None, "contact": None, "phone": None}
    unit = index.units.loc[code]
    return _jsonable(
        {"code": code, "name": unit["name"], "contact": unit["contact"], "phone": unit["phone"]}
    )


def _person(index: RoutingIndex, code: Any) -> dict[str, Any] | None:
    if code is None or pd.isna(code):
        return None
    if code not in index.people.index:
        return {"code": code, "name": None, "phone": None}
    person = index.people.loc[code]
    return _jsonable({"code": code, "name": person["name"], "phone": person["phone"]})


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            out[key] = None
        elif isinstance(value, np.generic):
            out[key] = value.item()
        else:
            out[key] = value
    return out
