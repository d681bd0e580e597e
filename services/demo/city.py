"""The demo city's geography: jurisdictions, grid cells, streets, alleys and points.

Everything is built in metres in UTM zone 49N (EPSG:32649) on a lattice of
cell corners centred on Changsha (112.98E, 28.20N) and gently warped, so
cells are quadrilaterals that tile each community exactly; communities
tile sub-districts, sub-districts tile districts. Streets run along lattice
lines (main roads on sub-district boundaries, secondary roads on community
boundaries, branch roads between), alleys wind into cells, points sit in
cells, on streets and alleys, and at city entrances. A few cells are then
damaged on purpose (removed, notched, shrunk or grown) so the coverage
analysis has gaps, slivers and overlaps to find.

Frames carry private columns (``_cell``, ``_community``, ``_subdistrict``,
``_district``: positions in this module's arrays) that the other demo
modules use and :mod:`citygrid.services.demo` drops.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from citygrid.services.demo import names

METRIC_CRS = "EPSG:32649"
CENTRE = (112.98, 28.20)
CITY = ("430100000000", "长沙市")
DISTRICTS = (
    ("430104", "岳麓区", "橘子洲 望岳 岳麓 西湖 咸嘉湖 银盆岭 观沙岭 望城坡"),
    ("430105", "开福区", "湘雅路 望麓园 清水塘 东风路 芙蓉北路 新河 通泰街 伍家岭"),
    ("430103", "天心区", "坡子街 城南路 裕南街 金盆岭 新开铺 青园 桂花坪 赤岭路"),
    ("430102", "芙蓉区", "文艺路 朝阳街 韭菜园 五里牌 火星 马王堆 东湖 定王台"),
    ("430111", "雨花区", "侯家塘 左家塘 雨花亭 高桥 砂子塘 东塘 圭塘 井湾子"),
)
"""Real Changsha districts (code, name, sub-districts), west to east."""

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


@dataclass(frozen=True)
class Layout:
    """The shape and volumes of one demo size.

    Cells are ``cell_m`` metres square before warping; each level is a
    block of the level below (``community`` cells, ``subdistrict``
    communities, ``district`` sub-districts, ``districts`` districts), each
    given as (columns, rows).
    """

    size: str
    cell_m: float
    community: tuple[int, int]
    subdistrict: tuple[int, int]
    district: tuple[int, int]
    districts: tuple[int, int]
    first_district: int
    seq_digits: int
    points: int
    problems: int
    clusters_per_kind: int
    cluster_spacing: int
    removed_cells: int
    notched_cells: int
    sliver_gaps: int
    sliver_overlaps: int
    overlaps: int

    def cells_per(self, level: str) -> tuple[int, int]:
        """Cells (columns, rows) in one block of ``level``."""
        order = ("community", "subdistrict", "district", "city")
        blocks = (self.community, self.subdistrict, self.district, self.districts)
        cx, cy = 1, 1
        for name, (bx, by) in zip(order, blocks, strict=True):
            cx, cy = cx * bx, cy * by
            if name == level:
                break
        return cx, cy

    @property
    def shape(self) -> tuple[int, int]:
        """Cells (columns, rows) in the whole city."""
        return self.cells_per("city")


LAYOUTS = {
    "small": Layout(
        "small", 100.0, (4, 3), (1, 2), (1, 1), (2, 1), 2, 2,
        points=480, problems=3000, clusters_per_kind=1, cluster_spacing=2,
        removed_cells=1, notched_cells=1, sliver_gaps=1, sliver_overlaps=1, overlaps=1,
    ),
    "city": Layout(
        "city", 100.0, (5, 5), (2, 4), (1, 5), (5, 1), 0, 3,
        points=50_000, problems=1_000_000, clusters_per_kind=3, cluster_spacing=6,
        removed_cells=6, notched_cells=4, sliver_gaps=4, sliver_overlaps=3, overlaps=4,
    ),
}  # fmt: skip
"""The demo sizes: ``small`` (48 cells) for tests, ``city`` (5,000 cells) for benchmarks."""

SLIVER_M = 0.8
"""Width (metres) of the planted sliver gaps and overlaps."""


@dataclass(frozen=True)
class CoverageDefect:
    """One planted coverage defect.

    Attributes
    ----------
    kind
        ``gap`` (land no cell covers: a removed cell or a notch cut from
        one), ``sliver_gap`` (a strip about 0.8 m wide between two cells),
        ``overlap`` (a cell grown a quarter into its neighbour) or
        ``sliver_overlap`` (a cell grown about 0.8 m into its neighbour).
    cells
        Codes of the cells involved: the damaged cell first, then the
        neighbour it now overlaps (for overlaps). A removed cell's code is
        not in the data.
    geometry
        The uncovered or doubly covered area, EPSG:4326.
    area_m2
        Its area in square metres (in EPSG:32649).
    """

    kind: str
    cells: tuple[str, ...]
    geometry: shapely.Geometry
    area_m2: float


@dataclass
class City:
    """The geography of one demo city, in metres (EPSG:32649)."""

    layout: Layout
    lattice: np.ndarray
    cells: gpd.GeoDataFrame
    jurisdictions: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    alleys: gpd.GeoDataFrame
    points: gpd.GeoDataFrame
    defects: list[CoverageDefect]
    removed_cells: list[str]


def build_city(layout: Layout, rng: np.random.Generator) -> City:
    """Build the geography of ``layout`` with ``rng`` (same generator state, same city)."""
    lattice = _lattice(layout, rng)
    jurisdictions = _jurisdictions(layout, lattice, rng)
    cells = _cells(layout, lattice, jurisdictions)
    streets = _streets(layout, lattice, rng)
    alleys = _alleys(layout, lattice, cells, rng)
    points = _points(layout, lattice, cells, streets, alleys, jurisdictions, rng)
    damaged, defects, removed = _damage(layout, cells, rng)
    return City(layout, lattice, damaged, jurisdictions, streets, alleys, points, defects, removed)


# -- lattice and blocks ---------------------------------------------------------


def _lattice(layout: Layout, rng: np.random.Generator) -> np.ndarray:
    """Cell corners, shape ``(nx + 1, ny + 1, 2)``, metres: a grid warped by smooth waves."""
    nx, ny = layout.shape
    cell = layout.cell_m
    to_metric = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    x0, y0 = to_metric.transform(*CENTRE)
    gx, gy = np.meshgrid(np.arange(nx + 1) * cell, np.arange(ny + 1) * cell, indexing="ij")
    x, y = gx - nx * cell / 2, gy - ny * cell / 2
    dx, dy = np.zeros_like(x), np.zeros_like(y)
    for k in range(1, 4):
        wavelength = cell * rng.uniform(8, 25)
        angle, phase_x, phase_y = rng.uniform(0, 2 * np.pi, 3)
        along = (x * np.cos(angle) + y * np.sin(angle)) * 2 * np.pi / wavelength
        dx += 0.22 * cell / k * np.sin(along + phase_x)
        dy += 0.22 * cell / k * np.sin(along + phase_y)
    jitter = rng.normal(0.0, 0.04 * cell, (*x.shape, 2))
    return np.stack([x0 + x + dx, y0 + y + dy], axis=-1) + jitter


def _block_polygons(
    lattice: np.ndarray, i0: np.ndarray, j0: np.ndarray, bx: int, by: int
) -> np.ndarray:
    """Polygons of the lattice blocks ``bx`` x ``by`` cells with corners at ``(i0, j0)``."""
    ring_i = np.concatenate(
        [np.arange(bx + 1), np.full(by, bx), np.arange(bx - 1, -1, -1), np.zeros(by, int)]
    )
    ring_j = np.concatenate(
        [np.zeros(bx + 1, int), np.arange(1, by + 1), np.full(bx, by), np.arange(by - 1, -1, -1)]
    )
    coords = lattice[i0[:, None] + ring_i[None, :], j0[:, None] + ring_j[None, :]]
    return shapely.polygons(coords)


def _blocks(layout: Layout, level: str) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Lattice origins of every block of ``level`` and the block size in cells."""
    nx, ny = layout.shape
    bx, by = layout.cells_per(level)
    i0, j0 = np.meshgrid(np.arange(0, nx, bx), np.arange(0, ny, by), indexing="ij")
    return i0.ravel(), j0.ravel(), bx, by


def _hierarchy(layout: Layout, i: np.ndarray, j: np.ndarray) -> dict[str, np.ndarray]:
    """For cells ``(i, j)``: district index, sub-district number, community number, sequence."""
    cx, cy = layout.community
    sx, sy = layout.subdistrict
    dx, dy = layout.district
    ci, cj = i // cx, j // cy
    si, sj = ci // sx, cj // sy
    di, dj = si // dx, sj // dy
    return {
        "district": dj * layout.districts[0] + di,
        "subdistrict": (sj % dy) * dx + (si % dx) + 1,
        "community": (cj % sy) * sx + (ci % sx) + 1,
        "sequence": (j % cy) * cx + (i % cx) + 1,
    }


def _codes(layout: Layout, parts: dict[str, np.ndarray], level: str) -> np.ndarray:
    """12-digit administrative codes (``level`` = district, subdistrict, community) or
    unit grid codes (``level`` = cell: county + sub-district + community + sequence)."""
    county = np.array([d[0] for d in DISTRICTS], dtype=object)[
        parts["district"] + layout.first_district
    ]
    zeros = np.zeros(len(county), int)
    sub = names.digits(parts["subdistrict"] if level != "district" else zeros, 3)
    com = names.digits(parts["community"] if level in ("community", "cell") else zeros, 3)
    if level == "cell":
        return names.concat(county, sub, com, names.digits(parts["sequence"], layout.seq_digits))
    return names.concat(county, sub, com)


# -- jurisdictions and cells ----------------------------------------------------


def _jurisdictions(
    layout: Layout, lattice: np.ndarray, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """City, districts, sub-districts and communities, each level tiling the one above."""
    frames = []
    i0, j0, bx, by = _blocks(layout, "city")
    frames.append(
        pd.DataFrame(
            {"code": [CITY[0]], "name": [CITY[1]], "level": "city", "parent_code": None}
        ).assign(geometry=_block_polygons(lattice, i0, j0, bx, by))
    )
    for level in ("district", "subdistrict", "community"):
        i0, j0, bx, by = _blocks(layout, level)
        parts = _hierarchy(layout, i0, j0)
        codes = _codes(layout, parts, level)
        district = parts["district"] + layout.first_district
        if level == "district":
            label = np.array([d[1] for d in DISTRICTS], dtype=object)[district]
            parents = np.full(len(codes), CITY[0], dtype=object)
        elif level == "subdistrict":
            pools = [d[2].split() for d in DISTRICTS]
            label = np.array(
                [
                    pools[d][k - 1] + "街道"
                    for d, k in zip(district, parts["subdistrict"], strict=True)
                ],
                dtype=object,
            )
            parents = _codes(layout, parts, "district")
        else:
            label = names.place_names(rng, len(codes), "社区")
            parents = _codes(layout, parts, "subdistrict")
        frames.append(
            pd.DataFrame(
                {"code": codes, "name": label, "level": level, "parent_code": parents}
            ).assign(geometry=_block_polygons(lattice, i0, j0, bx, by))
        )
    frame = pd.concat(frames, ignore_index=True).sort_values("code", kind="stable")
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry", crs=METRIC_CRS)


def _cells(
    layout: Layout, lattice: np.ndarray, jurisdictions: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Unit grid cells, one per lattice square, coded and named by their community."""
    nx, ny = layout.shape
    i, j = (a.ravel() for a in np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij"))
    parts = _hierarchy(layout, i, j)
    codes = _codes(layout, parts, "cell")
    community = _codes(layout, parts, "community")
    subdistrict = _codes(layout, parts, "subdistrict")
    by_code = jurisdictions.set_index("code")["name"]
    label = names.concat(
        by_code.loc[community].to_numpy(dtype=object),
        "第",
        names.digits(parts["sequence"], 2),
        "网格",
    )
    frame = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": label,
            "subdistrict_code": subdistrict,
            "community_code": community,
            "_i": i,
            "_j": j,
        },
        geometry=_block_polygons(lattice, i, j, 1, 1),
        crs=METRIC_CRS,
    )
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


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


def _bilinear(corners: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Points at ``(u, v)`` in [0, 1]^2 of quadrilaterals ``corners`` (n, 4, 2: SW SE NE NW)."""
    u, v = u[..., None], v[..., None]
    sw, se, ne, nw = (corners[:, k][:, None, :] if u.ndim == 3 else corners[:, k] for k in range(4))
    return (1 - u) * (1 - v) * sw + u * (1 - v) * se + u * v * ne + (1 - u) * v * nw


def _cell_corners(lattice: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return np.stack(
        [lattice[i, j], lattice[i + 1, j], lattice[i + 1, j + 1], lattice[i, j + 1]], axis=1
    )


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


# -- planted coverage defects ---------------------------------------------------


def _damage(
    layout: Layout, cells: gpd.GeoDataFrame, rng: np.random.Generator
) -> tuple[gpd.GeoDataFrame, list[CoverageDefect], list[str]]:
    """Remove, notch, shrink and grow a few cells; return the cells and what was planted."""
    nx, ny = layout.shape
    i, j = cells["_i"].to_numpy(), cells["_j"].to_numpy()
    candidates = np.flatnonzero((i % 2 == 1) & (j % 2 == 1) & (i < nx - 1) & (j < ny - 1))
    counts = {
        "gap": layout.removed_cells,
        "notch": layout.notched_cells,
        "sliver_gap": layout.sliver_gaps,
        "sliver_overlap": layout.sliver_overlaps,
        "overlap": layout.overlaps,
    }
    chosen = rng.choice(candidates, sum(counts.values()), replace=False)
    geoms = cells.geometry.to_numpy().copy()
    cell_at = {(a, b): k for k, (a, b) in enumerate(zip(i, j, strict=True))}
    defects: list[CoverageDefect] = []
    removed: list[int] = []
    start = 0
    for kind, count in counts.items():
        for k in chosen[start : start + count]:
            code = cells.at[k, "code"]
            if kind == "gap":
                removed.append(int(k))
                defects.append(CoverageDefect("gap", (code,), geoms[k], geoms[k].area))
                continue
            neighbour = cell_at[(i[k] - 1, j[k])] if kind == "sliver_overlap" else None
            neighbour = cell_at[(i[k] + 1, j[k])] if kind == "overlap" else neighbour
            into = None if neighbour is None else geoms[neighbour]
            geoms[k], changed = _reshape(kind, geoms[k], into, layout.cell_m)
            involved = (code,) if neighbour is None else (code, cells.at[neighbour, "code"])
            defects.append(CoverageDefect(kind, involved, changed, changed.area))
        start += count
    damaged = cells.set_geometry(geoms)
    removed_codes = cells["code"].to_numpy()[removed].tolist()
    damaged = damaged.drop(index=removed).reset_index(drop=True)
    to_wgs = gpd.GeoSeries([d.geometry for d in defects], crs=METRIC_CRS).to_crs("EPSG:4326")
    defects = [
        CoverageDefect(
            "gap" if d.kind == "notch" else d.kind, d.cells, g, round(float(d.area_m2), 2)
        )
        for d, g in zip(defects, to_wgs, strict=True)
    ]
    return damaged, defects, removed_codes


def _reshape(
    kind: str, cell: shapely.Polygon, neighbour: shapely.Polygon | None, cell_m: float
) -> tuple[shapely.Polygon, shapely.Polygon]:
    """Damage one quadrilateral cell; return the new cell and the area lost or added.

    ``notch`` cuts a corner off; ``sliver_gap`` pulls the west edge in by
    :data:`SLIVER_M`; ``sliver_overlap`` pushes it that far into the west
    ``neighbour`` and ``overlap`` pushes the east edge a quarter of a cell into
    the east ``neighbour``, along the neighbour's own edges so that the added
    area lies in that neighbour only.
    """
    sw, se, ne, nw = shapely.get_coordinates(cell)[:4]

    def along(a: np.ndarray, b: np.ndarray, metres: float) -> np.ndarray:
        return a + (b - a) / np.linalg.norm(b - a) * metres

    if kind == "notch":
        p, q = ne + (se - ne) * 0.35, ne + (nw - ne) * 0.35
        return shapely.Polygon([sw, se, p, q, nw]), shapely.Polygon([p, ne, q])
    if kind == "sliver_gap":
        a, b = along(sw, se, SLIVER_M), along(nw, ne, SLIVER_M)
        return shapely.Polygon([a, se, ne, b]), shapely.Polygon([sw, a, b, nw])
    assert neighbour is not None
    n_sw, n_se, n_ne, n_nw = shapely.get_coordinates(neighbour)[:4]
    if kind == "sliver_overlap":
        a, b = along(sw, n_sw, SLIVER_M), along(nw, n_nw, SLIVER_M)
        return shapely.Polygon([a, sw, se, ne, nw, b]), shapely.Polygon([a, sw, nw, b])
    a, b = along(se, n_se, 0.25 * cell_m), along(ne, n_ne, 0.25 * cell_m)
    return shapely.Polygon([sw, se, a, b, ne, nw]), shapely.Polygon([se, a, b, ne])
