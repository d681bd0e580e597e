"""The demo city's streets, alleys and points, laid on the lattice of cell corners.

Streets run along lattice lines (main roads on sub-district boundaries,
secondary roads on community boundaries, branch roads between), alleys
wind into cells, points sit in cells, on streets and alleys, and at city
entrances.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.services.demo import names
from citygrid.services.demo.layout import (
    METRIC_CRS,
    Layout,
    _bilinear,
    _cell_corners,
    _codes,
    _hierarchy,
)

POINT_RADIUS_M = {
    "residential": 60.0,
    "back_alley": 40.0,
    "main_road": 250.0,
    "community": 150.0,
    "shopping": 40.0,
    "market": 30.0,
    "toilet": 10.0,
    "station": 50.0,
    "entrance": 100.0,
    "school": 100.0,
    "internet_cafe": 10.0,
    "urban_village": 80.0,
    "small_business": 10.0,
    "park": 50.0,
}
"""How far (metres) each type of point reaches; parks and urban villages are polygons."""

BULK_TYPES = {
    "small_business": 0.45,
    "residential": 0.2,
    "shopping": 0.07,
    "toilet": 0.08,
    "market": 0.04,
    "school": 0.05,
    "internet_cafe": 0.04,
    "urban_village": 0.03,
    "park": 0.04,
}
"""Point types scattered in cells, with their shares."""

POLYGON_TYPES = ("park", "urban_village")


# -- streets and alleys ---------------------------------------------------------


def _road_class(index: np.ndarray, community: int, subdistrict: int) -> np.ndarray:
    return np.where(
        index % subdistrict == 0, "main", np.where(index % community == 0, "secondary", "branch")
    )


def _streets(layout: Layout, lattice: np.ndarray, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Street pieces between community boundaries, along every lattice line."""
    nx, ny = layout.shape
    cx, cy = layout.community
    sx, sy = layout.cells_per("subdistrict")
    pieces = []
    # vertical lines i, one piece per community row; horizontal lines j, per community column
    for axis, n_lines, step, other_n, cls in (
        (0, nx + 1, cy, ny // cy, _road_class(np.arange(nx + 1), cx, sx)),
        (1, ny + 1, cx, nx // cx, _road_class(np.arange(ny + 1), cy, sy)),
    ):
        line, piece = (
            a.ravel() for a in np.meshgrid(np.arange(n_lines), np.arange(other_n), indexing="ij")
        )
        along = piece[:, None] * step + np.arange(step + 1)[None, :]
        across = np.broadcast_to(line[:, None], along.shape)
        ii, jj = (across, along) if axis == 0 else (along, across)
        ci = np.minimum(ii[:, 0] // cx, nx // cx - 1) if axis == 0 else ii[:, 0] // cx
        cj = jj[:, 0] // cy if axis == 0 else np.minimum(jj[:, 0] // cy, ny // cy - 1)
        pieces.append(
            pd.DataFrame(
                {
                    "_line": line + axis * (nx + 1),
                    "road_class": cls[line],
                    "_ci": ci,
                    "_cj": cj,
                    "geometry": shapely.linestrings(lattice[ii, jj]),
                }
            )
        )
    frame = pd.concat(pieces, ignore_index=True)
    line_class = frame.groupby("_line")["road_class"].first()
    line_names = pd.Series(names.street_names(rng, line_class.to_numpy()), index=line_class.index)
    frame["name"] = line_names.loc[frame["_line"]].to_numpy()
    return _coded_lines(layout, frame, "S")


def _coded_lines(layout: Layout, frame: pd.DataFrame, prefix: str) -> gpd.GeoDataFrame:
    """Give lines codes ``<prefix><county><serial>`` and their community's indices."""
    cx, cy = layout.community
    parts = _hierarchy(layout, frame["_ci"].to_numpy() * cx, frame["_cj"].to_numpy() * cy)
    frame["_community_code"] = _codes(layout, parts, "community")
    county = _codes(layout, parts, "district")
    serial = frame.groupby(county).cumcount().to_numpy() + 1
    frame["code"] = names.concat(
        prefix, pd.Series(county).str[:6].to_numpy(), names.digits(serial, 5)
    )
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=METRIC_CRS)


def _alleys(
    layout: Layout, lattice: np.ndarray, cells: gpd.GeoDataFrame, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Two to five back alleys per cell, each entering from a cell edge with a bend."""
    per_cell = rng.integers(2, 6, len(cells))
    cell = np.repeat(np.arange(len(cells)), per_cell)
    n = len(cell)
    rank = pd.Series(cell).groupby(cell).cumcount().to_numpy()
    count = per_cell[cell]
    v0 = (rank + 0.2 + 0.6 * rng.random(n)) / count
    u = np.stack([np.zeros(n), rng.uniform(0.35, 0.6, n), rng.uniform(0.7, 1.08, n)], axis=1)
    u[:, 2] = np.minimum(u[:, 2], 1.0)
    v = np.clip(v0[:, None] + rng.uniform(-0.08, 0.08, (n, 3)) * [0, 1, 1], 0.02, 0.98)
    mirror, swap = rng.random(n) < 0.5, rng.random(n) < 0.5
    u[mirror] = 1 - u[mirror]
    u[swap], v[swap] = v[swap], u[swap].copy()
    corners = _cell_corners(lattice, cells["_i"].to_numpy()[cell], cells["_j"].to_numpy()[cell])
    frame = pd.DataFrame(
        {
            "name": names.alley_names(rng, n),
            "road_class": "alley",
            "_cell_code": cells["code"].to_numpy()[cell],
            "_ci": cells["_i"].to_numpy()[cell] // layout.community[0],
            "_cj": cells["_j"].to_numpy()[cell] // layout.community[1],
            "geometry": shapely.linestrings(_bilinear(corners, u, v)),
        }
    )
    return _coded_lines(layout, frame, "X")


# -- points ---------------------------------------------------------------------


def _points(
    layout: Layout,
    lattice: np.ndarray,
    cells: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    alleys: gpd.GeoDataFrame,
    jurisdictions: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Points of every type: communities, road sections, alleys, entrances, stations, the rest."""
    communities = jurisdictions[jurisdictions["level"] == "community"]
    community_name = communities.set_index("code")["name"]
    nx, ny = layout.shape
    parts: list[pd.DataFrame] = []

    # one point per community, at its centre
    rep = shapely.get_coordinates(communities.geometry.centroid.to_numpy())
    parts.append(_typed_points("community", rep, communities["name"].to_numpy()))

    # one per main or secondary road section, at its middle, moved 8 m towards the centre
    centre = lattice.reshape(-1, 2).mean(axis=0)
    major = streets[streets["road_class"] != "branch"]
    middle = shapely.line_interpolate_point(major.geometry.to_numpy(), 0.5, normalized=True)
    parts.append(
        _typed_points(
            "main_road",
            _inward(shapely.get_coordinates(middle), centre),
            names.concat(
                major["name"].to_numpy(),
                "（",
                community_name.loc[major["_community_code"]].to_numpy(dtype=object),
                "段）",
            ),
            street=major["code"].to_numpy(),
        )
    )

    # one per four alleys, at the bend
    chosen = alleys.iloc[np.sort(rng.choice(len(alleys), max(1, len(alleys) // 4), replace=False))]
    bend = shapely.get_coordinates(shapely.get_point(chosen.geometry.to_numpy(), 1))
    parts.append(
        _typed_points(
            "back_alley", bend, chosen["name"].to_numpy(), alley=chosen["code"].to_numpy()
        )
    )

    # city entrances where main roads meet the city boundary, moved 8 m inwards
    cx_main, cy_main = layout.cells_per("subdistrict")
    gates = [(0, j) for j in range(cy_main, ny, cy_main)] + [
        (nx, j) for j in range(cy_main, ny, cy_main)
    ]
    gates += [(i, 0) for i in range(cx_main, nx, cx_main)] + [
        (i, ny) for i in range(cx_main, nx, cx_main)
    ]
    gate_xy = _inward(np.array([lattice[i, j] for i, j in gates]), centre)
    gate_names = names.concat(names.place_names(rng, len(gates), ""), "出入市口")
    parts.append(_typed_points("entrance", gate_xy, gate_names))

    # stations beside main roads
    n_stations = max(1, len(major) // 60)
    at = major.iloc[np.sort(rng.choice(len(major), n_stations, replace=False))]
    station_xy = _inward(
        shapely.get_coordinates(
            shapely.line_interpolate_point(at.geometry.to_numpy(), 0.25, normalized=True)
        ),
        centre,
        15.0,
    )
    station_names = names.concat(
        at["name"].to_numpy(), names.pick(rng, ("地铁站", "公交站", "公交首末站"), n_stations)
    )
    parts.append(_typed_points("station", station_xy, station_names))

    # the rest scattered in cells; every bulk type at least once
    n_bulk = layout.points - sum(len(p) for p in parts)
    types = np.array(list(BULK_TYPES), dtype=object)
    kinds = rng.choice(
        types, n_bulk, p=np.array(list(BULK_TYPES.values())) / sum(BULK_TYPES.values())
    )
    kinds[: len(types)] = types
    cell = rng.integers(0, len(cells), n_bulk)
    corners = _cell_corners(lattice, cells["_i"].to_numpy()[cell], cells["_j"].to_numpy()[cell])
    xy = _bilinear(corners, rng.uniform(0.1, 0.9, n_bulk), rng.uniform(0.1, 0.9, n_bulk))
    parts.append(_typed_points(kinds, xy, _bulk_names(rng, kinds)))

    frame = pd.concat(parts, ignore_index=True)
    geoms = shapely.points(np.stack([frame.pop("_x"), frame.pop("_y")], axis=1))
    frame["radius_m"] = frame["point_type"].map(POINT_RADIUS_M)
    polygonal = frame["point_type"].isin(POLYGON_TYPES).to_numpy()
    geoms[polygonal] = shapely.buffer(
        geoms[polygonal], frame["radius_m"].to_numpy()[polygonal] * 0.3, quad_segs=3
    )
    located = gpd.GeoDataFrame(frame, geometry=geoms, crs=METRIC_CRS)
    tree = shapely.STRtree(cells.geometry.to_numpy())
    nearest = tree.query_nearest(shapely.centroid(geoms), all_matches=False)
    cell_of = nearest[1][np.argsort(nearest[0])]
    located["_cell_code"] = cells["code"].to_numpy()[cell_of]
    located["_community_code"] = cells["community_code"].to_numpy()[cell_of]
    county = pd.Series(located["_community_code"]).str[:6].to_numpy()
    serial = located.groupby(county).cumcount().to_numpy() + 1
    located["code"] = names.concat("D", county, names.digits(serial, 6))
    located["address"] = _addresses(layout, located, cells, streets, jurisdictions, rng)
    return located


def _inward(xy: np.ndarray, centre: np.ndarray, metres: float = 8.0) -> np.ndarray:
    """Move points ``metres`` towards ``centre`` (off the road line, inside the city)."""
    towards = centre - xy
    return xy + metres * towards / np.linalg.norm(towards, axis=1, keepdims=True)


def _typed_points(
    kind, xy: np.ndarray, label: np.ndarray, *, street=None, alley=None
) -> pd.DataFrame:
    n = len(xy)
    return pd.DataFrame(
        {
            "point_type": kind,
            "name": label,
            "_x": xy[:, 0],
            "_y": xy[:, 1],
            "_street": street if street is not None else np.full(n, None, dtype=object),
            "_alley": alley if alley is not None else np.full(n, None, dtype=object),
        }
    )


def _bulk_names(rng: np.random.Generator, kinds: np.ndarray) -> np.ndarray:
    """Names by type: 枫林花园, 步步高超市（太平店）, 白沙农贸市场, 学宫小学周边..."""
    n = len(kinds)
    word = names.pick(rng, names.PLACE_WORDS, n)
    patterns = {
        "residential": names.concat(word, names.pick(rng, names.ESTATE_SUFFIXES, n)),
        "shopping": names.concat(names.pick(rng, names.SHOP_BRANDS, n), "（", word, "店）"),
        "market": names.concat(word, "农贸市场"),
        "toilet": names.concat(word, names.pick(rng, ("", "路", "街"), n), "公厕"),
        "school": names.concat(word, names.pick(rng, names.SCHOOL_KINDS, n), "周边"),
        "internet_cafe": names.concat(word, names.pick(rng, ("网吧", "网咖", "电竞馆"), n)),
        "urban_village": names.concat(word, names.pick(rng, ("村", "新村", "城中村"), n)),
        "small_business": names.concat(
            names.pick(rng, names.SURNAMES, n),
            names.pick(rng, ("记", "氏", "家", ""), n),
            names.pick(rng, names.BUSINESS_KINDS, n),
        ),
        "park": names.concat(word, names.pick(rng, names.PARK_KINDS, n)),
    }
    out = np.empty(n, dtype=object)
    for kind, values in patterns.items():
        mask = kinds == kind
        out[mask] = values[mask]
    return out


def _addresses(
    layout: Layout,
    points: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    jurisdictions: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> np.ndarray:
    """``<district><street on the cell's south side><number>号``."""
    nx = layout.shape[0]
    j = cells.set_index("code")["_j"].loc[points["_cell_code"]].to_numpy()
    line_name = streets.groupby("_line")["name"].first()
    district_name = jurisdictions.set_index("code")["name"]
    county = names.concat(points["_community_code"].str[:6].to_numpy(), "000000")
    return names.concat(
        district_name.loc[county].to_numpy(dtype=object),
        line_name.loc[j + nx + 1].to_numpy(dtype=object),
        pd.Series(rng.integers(1, 400, len(points))).astype(str).to_numpy(dtype=object),
        "号",
    )
