"""The routing index: the chain's layers read once and kept in memory, in numpy.

One :class:`Level` per rank of the registry's responsible layers (see
:mod:`citygrid.services.routing`), plus the sub-districts that end the chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from pyproj import CRS, Transformer

from citygrid.layers.registry import Layer, responsible_layers
from citygrid.layers.store import STORAGE_CRS, Store
from citygrid.services.context import CityContext
from citygrid.services.routing.features import TIE_TOLERANCE_M, Features, pick
from citygrid.services.routing.nearby import BoxMask, SegmentBins

#: Radius (metres) of a point geometry without its own radius.
DEFAULT_POINT_RADIUS_M = 50.0
_METRES_PER_DEGREE = 111_320.0
# Bins (metres) of the first test for sparse polygons (polygon points).
_ZONE_BIN_M = 10.0
_POLYGONS = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
_POINTS = (shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT)


@dataclass(frozen=True)
class Level:
    """One link of the chain: the features of the layers of one rank.

    Point geometries hold the locations within their radius, lines those
    within the snap distance (both searched in :class:`SegmentBins`, in
    metres), polygons those they contain (an STRtree on EPSG:4326).
    """

    layers: tuple[Layer, ...]
    features: Features
    layer_of: np.ndarray
    limit: np.ndarray
    bins: tuple[SegmentBins, ...]
    zone_tree: shapely.STRtree
    zone_feature: np.ndarray
    zone_mask: BoxMask | None
    subdistrict: np.ndarray

    @classmethod
    def build(
        cls,
        layers: Sequence[Layer],
        frames: Sequence[gpd.GeoDataFrame],
        crs: CRS,
        snap_m: float,
        sub_position: pd.Series,
    ) -> Level:
        """The level of ``layers`` (one rank) from their frames in EPSG:4326."""
        parts = [
            _link_frame(layer, frame, position)
            for position, (layer, frame) in enumerate(zip(layers, frames, strict=True))
        ]
        both = pd.concat(parts, ignore_index=True)
        lonlat = both["geometry"].to_numpy(dtype=object)
        metric = gpd.GeoSeries(lonlat, crs=STORAGE_CRS).to_crs(crs).to_numpy()
        kind = shapely.get_type_id(lonlat)
        is_zone = np.isin(kind, _POLYGONS)
        radius = both["radius"].to_numpy(dtype=float)
        radius = np.where(np.isnan(radius), DEFAULT_POINT_RADIUS_M, radius) + TIE_TOLERANCE_M
        limit = np.where(np.isin(kind, _POINTS), radius, float(snap_m))
        limit = np.where(is_zone, 0.0, limit)
        layer_of = both["layer"].to_numpy(dtype=np.int64)
        zones = np.flatnonzero(is_zone)
        order = pd.Series(layer_of).astype(str).str.zfill(4) + both["code"].astype(str)
        return cls(
            layers=tuple(layers),
            features=Features.build(both["code"], metric, both["unit"], both["head"], order),
            layer_of=layer_of,
            limit=limit,
            bins=_bins(metric, ~is_zone, limit),
            zone_tree=shapely.STRtree(lonlat[zones]),
            zone_feature=zones,
            zone_mask=_sparse_mask(shapely.bounds(metric[zones])),
            subdistrict=both["subdistrict"].map(sub_position).fillna(-1).to_numpy(dtype=np.int64),
        )

    def links(self, lonlat: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the feature holding each location (-1 for none), by the tie rules."""
        found = []
        for bins in self.bins:
            loc, feat, dist = bins.query(x, y)
            inside = dist <= self.limit[feat]
            found.append((loc[inside], feat[inside], dist[inside]))
        if len(self.zone_feature):
            maybe = (
                np.arange(len(lonlat))
                if self.zone_mask is None
                else np.flatnonzero(self.zone_mask.hits(x, y))
            )
            loc, zone = self.zone_tree.query(lonlat[maybe], predicate="intersects")
            found.append((maybe[loc], self.zone_feature[zone], np.zeros(len(loc))))
        if not found:
            return np.full(len(lonlat), -1, dtype=np.int64)
        loc, feat, dist = (np.concatenate(column) for column in zip(*found, strict=True))
        return pick(len(lonlat), loc, feat, dist, self.features)[0]

    def rules(self, idx: np.ndarray) -> np.ndarray:
        """The routing rule of each chosen feature's layer."""
        rules = np.array([layer.responsibility.rule for layer in self.layers], dtype=object)  # type: ignore[union-attr]
        return rules[self.layer_of[idx]]


def _link_frame(layer: Layer, frame: gpd.GeoDataFrame, position: int) -> pd.DataFrame:
    """``code``, ``unit``, ``head``, ``radius``, ``subdistrict``, ``layer`` and ``geometry``."""
    duty = layer.responsibility
    assert duty is not None

    def column(name: str | None) -> Any:
        return frame[name].to_numpy(dtype=object) if name and name in frame.columns else None

    return pd.DataFrame(
        {
            "code": frame["code"].to_numpy(dtype=object),
            "unit": column(duty.unit_field),
            "head": column(duty.head_field),
            "radius": pd.to_numeric(pd.Series(column(duty.radius_field)), errors="coerce")
            .reindex(range(len(frame)))
            .to_numpy(dtype=float),
            "subdistrict": column("subdistrict_code"),
            "layer": position,
            "geometry": frame.geometry.to_numpy(),
        }
    )


def _bins(geoms: np.ndarray, searched: np.ndarray, limit: np.ndarray) -> tuple[SegmentBins, ...]:
    """Bins of the points and lines, one set per reach class (powers of two of metres).

    Searching every point as far as the largest radius would make each
    location look at hundreds of small points; a class searches only as
    far as its own largest reach.
    """
    reach_class = np.ceil(np.log2(np.maximum(limit, 1.0))).astype(np.int64)
    out = []
    for wanted in np.unique(reach_class[searched]):  # a handful of classes, not features
        members = searched & (reach_class == wanted)
        bins = SegmentBins.build(
            np.where(members, geoms, None),  # type: ignore[call-overload]  # numpy stubs: None as a value
            float(limit[members].max()),
        )
        if bins is not None:
            out.append(bins)
    return tuple(out)


def _sparse_mask(bounds: np.ndarray) -> BoxMask | None:
    """A first test for polygons that cover little of their extent (polygon points).

    Polygons that tile the city (cells) would mark every bin: they get none.
    """
    if len(bounds) == 0:
        return None
    boxes = float(((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])).sum())
    width, height = bounds[:, 2:].max(axis=0) - bounds[:, :2].min(axis=0)
    if boxes > 0.5 * float(width * height):
        return None
    return BoxMask.build(bounds, _ZONE_BIN_M)


@dataclass(frozen=True)
class RoutingIndex:
    """Everything routing needs, read once from the store and kept in memory.

    Build it with :meth:`from_store` (or :meth:`from_frames`); route with
    :func:`citygrid.services.routing.route_locations`. ``crs`` is the
    city's metric CRS; ``levels`` are the chain's links, lowest rank first.
    """

    crs: CRS
    snap_m: float
    levels: tuple[Level, ...]
    subdistricts: Features
    subdistrict_tree: shapely.STRtree
    subdistricts_metric_tree: shapely.STRtree
    units: pd.DataFrame
    people: pd.DataFrame
    names: dict[str, pd.Series]

    @classmethod
    def from_store(
        cls,
        ctx: CityContext,
        *,
        around: tuple[float, float, float, float] | None = None,
        conn: Any = None,
    ) -> RoutingIndex:
        """Read the chain's layers from the context's store.

        Parameters
        ----------
        ctx
            The city: its store, ``config.street_snap_m`` and metric CRS.
        around
            ``(minx, miny, maxx, maxy)`` of the locations to route, in
            EPSG:4326: read only the features that could answer for them
            (sub-districts are always read whole, for the nearest one when a
            location is outside).
        conn
            A connection of an open transaction, to see its changes.
        """
        store, snap_m = ctx.store, float(ctx.config.street_snap_m)
        bbox = None if around is None else _bbox_around(store, around, snap_m, conn)
        layers = {
            layer.name: store.read(layer.name, columns=_read_columns(layer), bbox=bbox, conn=conn)
            for layer in responsible_layers()
        }
        return cls.from_frames(
            ctx.metric_crs,
            snap_m,
            layers=layers,
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
        layers: Mapping[str, gpd.GeoDataFrame],
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
        layers
            Responsible layer name -> its features, with ``code``, ``name``
            and the fields its :class:`~citygrid.layers.registry.Responsibility`
            names (a layer left out has no features).
        subdistricts, units, people
            The sub-districts (``code``, ``name``), the units and the people,
            with the fields :meth:`from_store` reads.
        """
        subdistricts = _in_storage_crs(subdistricts)
        sub_position = pd.Series(np.arange(len(subdistricts)), index=subdistricts["code"])
        sub_position = sub_position[~sub_position.index.duplicated()]
        frames = {
            layer.name: _in_storage_crs(layers.get(layer.name, _empty(layer)))
            for layer in responsible_layers()
        }
        levels = []
        for _rank, group in groupby(responsible_layers(), key=lambda lyr: lyr.responsibility.rank):  # type: ignore[union-attr]
            members = list(group)
            members_frames = [frames[lyr.name] for lyr in members]
            levels.append(Level.build(members, members_frames, crs, snap_m, sub_position))
        names = {
            name: frame.set_index("code")["name"] if "name" in frame else pd.Series(dtype=object)
            for name, frame in frames.items()
        }
        names["jurisdictions"] = subdistricts.set_index("code")["name"]
        metric_subdistricts = subdistricts.geometry.to_crs(crs).to_numpy()
        return cls(
            crs=crs,
            snap_m=snap_m,
            levels=tuple(levels),
            subdistricts=Features.build(
                subdistricts["code"],
                metric_subdistricts,
                subdistricts["code"].map(subdistrict_units(units)),
                [None] * len(subdistricts),
            ),
            subdistrict_tree=shapely.STRtree(subdistricts.geometry.to_numpy()),
            subdistricts_metric_tree=shapely.STRtree(metric_subdistricts),
            units=units.set_index("code"),
            people=people.set_index("code"),
            names=names,
        )

    def to_metric(self, geoms: np.ndarray) -> np.ndarray:
        """EPSG:4326 geometries in :attr:`crs`."""
        transformer = Transformer.from_crs(STORAGE_CRS, self.crs, always_xy=True)
        return shapely.transform(geoms, transformer.transform, interleaved=False)


def _read_columns(layer: Layer) -> list[str]:
    """The fields routing reads of a responsible layer."""
    duty = layer.responsibility
    assert duty is not None
    wanted = ["code", "name", duty.unit_field, duty.head_field, duty.radius_field]
    wanted.append("subdistrict_code")
    return [name for name in dict.fromkeys(wanted) if name and name in layer.field_names]


def _empty(layer: Layer) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {name: pd.Series(dtype=object) for name in _read_columns(layer)},
        geometry=gpd.GeoSeries([], crs=STORAGE_CRS),
    )


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
    largest = 0.0
    for layer in responsible_layers():
        field = layer.responsibility.radius_field  # type: ignore[union-attr]
        if field is None:
            continue
        stmt = sa.select(sa.func.max(store.table(layer.name).c[field]))
        if conn is None:
            with store.engine.connect() as own:
                value = own.execute(stmt).scalar()
        else:
            value = conn.execute(stmt).scalar()
        largest = max(largest, float(value or 0.0))
    margin_m = max(snap_m, DEFAULT_POINT_RADIUS_M, largest) * 1.5 + 10.0
    minx, miny, maxx, maxy = bounds
    dy = margin_m / _METRES_PER_DEGREE
    dx = dy / max(np.cos(np.radians(max(abs(miny), abs(maxy)))), 0.01)
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)
