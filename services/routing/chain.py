"""Route many locations at once along the chain (see :mod:`citygrid.services.routing`)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from citygrid.errors import BadInput
from citygrid.layers.registry import responsible_layers
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.routing.features import Features, lowest_holding, pick
from citygrid.services.routing.index import RoutingIndex


def routed_fields() -> list[str]:
    """Fields of a problem the router sets: each responsible layer's link, then the rest."""
    links = [layer.responsibility.problem_field for layer in responsible_layers()]  # type: ignore[union-attr]
    return [*links, "subdistrict_code", "unit_code", "head_code", "routed_by"]


def route_columns() -> list[str]:
    """Columns of :func:`route_locations`' answer."""
    return [*routed_fields(), "outside_distance_m"]


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
        Indexed like ``locations``, with :func:`route_columns`: the code of
        each link found (``point_code``, ``street_code``, ``alley_code``,
        ``grid_code``: each responsible layer's ``problem_field``; and
        ``subdistrict_code``, the nearest sub-district when outside), the
        responsible ``unit_code`` and ``head_code``, ``routed_by`` (a
        layer's rule, ``subdistrict`` or ``outside``) and
        ``outside_distance_m`` (metres to the nearest sub-district, NaN
        inside).
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
    links = [level.links(lonlat, x, y) for level in index.levels]
    sub = np.full(n, -1, dtype=np.int64)
    for level, idx in zip(index.levels, links, strict=True):
        given = (sub < 0) & (idx >= 0)
        sub[given] = level.subdistrict[idx[given]]
    missing = np.flatnonzero(sub < 0)
    outside_distance = np.full(n, np.nan)
    if len(missing):
        sub[missing] = lowest_holding(index.subdistrict_tree, index.subdistricts, lonlat[missing])
        outside = missing[sub[missing] < 0]
        if len(outside) and len(index.subdistricts):
            here = shapely.points(x[outside], y[outside])
            (loc, feat), dist = index.subdistricts_metric_tree.query_nearest(
                here, all_matches=True, return_distance=True
            )
            nearest, distance = pick(len(outside), loc, feat, dist, index.subdistricts)
            sub[outside] = nearest
            outside_distance[outside] = distance
    widest = links[-1] if links else np.full(n, -1, dtype=np.int64)
    is_outside = ~np.isnan(outside_distance) | ((widest < 0) & (sub < 0))
    unit, head, rule = _decide(index, links, np.where(is_outside, -1, sub), is_outside)
    codes: dict[str, np.ndarray] = {}
    for level, idx in zip(index.levels, links, strict=True):
        code = take(level.features.codes, idx)
        layer_of = np.full(n, -1, dtype=np.int64)
        layer_of[idx >= 0] = level.layer_of[idx[idx >= 0]]
        for position, layer in enumerate(level.layers):
            field = layer.responsibility.problem_field  # type: ignore[union-attr]
            codes[field] = np.where(layer_of == position, code, None)  # type: ignore[call-overload]  # numpy stubs: None as a value
    codes.update(
        subdistrict_code=take(index.subdistricts.codes, sub),
        unit_code=unit,
        head_code=head,
        routed_by=rule,
    )
    frame = pd.DataFrame(
        {
            name: pd.Series(codes[name], index=locations.index, dtype=object)
            for name in routed_fields()
        }
    )
    frame["outside_distance_m"] = pd.Series(outside_distance, index=locations.index)
    return frame


def _decide(
    index: RoutingIndex, links: list[np.ndarray], sub: np.ndarray, is_outside: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit, head and rule: the first link of the chain with a unit.

    Where no link has a unit, the rule of the first link found is kept (and
    the unit is ``None``), so the gap shows.
    """
    n = len(is_outside)
    chain: list[tuple[Features, np.ndarray]] = [
        (level.features, idx) for level, idx in zip(index.levels, links, strict=True)
    ]
    chain.append((index.subdistricts, sub))
    deciding = np.full(n, -1, dtype=np.int64)  # link that decides
    first_found = np.full(n, -1, dtype=np.int64)
    for k, (features, idx) in enumerate(chain):
        found = idx >= 0
        has_unit = np.zeros(n, dtype=bool)
        has_unit[found] = features.has_unit[idx[found]]
        deciding[has_unit & (deciding < 0)] = k
        first_found[found & (first_found < 0)] = k
    deciding[is_outside] = -1
    shown = np.where(deciding >= 0, deciding, first_found)
    unit = np.full(n, None, dtype=object)
    head = np.full(n, None, dtype=object)
    rule = np.full(n, None, dtype=object)
    for k, (features, idx) in enumerate(chain):
        decides = np.flatnonzero(deciding == k)
        unit[decides] = features.units[idx[decides]]
        head[decides] = features.heads[idx[decides]]
        named = np.flatnonzero(shown == k)
        rule[named] = index.levels[k].rules(idx[named]) if k < len(index.levels) else "subdistrict"
    rule[is_outside] = "outside"
    return unit, head, rule


def take(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``values[idx]`` with ``None`` where ``idx`` is -1."""
    out = np.full(len(idx), None, dtype=object)
    found = idx >= 0
    out[found] = values[idx[found]]
    return out


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
    features = Features.build(cells["code"], cells.geometry.to_numpy(), [], [])
    tree = shapely.STRtree(cells.geometry.to_numpy())
    return take(features.codes, lowest_holding(tree, features, np.asarray(locations, dtype=object)))
