"""The demo city's layout: sizes, the warped lattice of cell corners, codes and names.

Everything is in metres in UTM zone 49N (EPSG:32649), centred on Changsha
(112.98E, 28.20N); see :mod:`citygrid.services.demo.city`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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


def _bilinear(corners: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Points at ``(u, v)`` in [0, 1]^2 of quadrilaterals ``corners`` (n, 4, 2: SW SE NE NW)."""
    u, v = u[..., None], v[..., None]
    sw, se, ne, nw = (corners[:, k][:, None, :] if u.ndim == 3 else corners[:, k] for k in range(4))
    return (1 - u) * (1 - v) * sw + u * (1 - v) * se + u * v * ne + (1 - u) * v * nw


def _cell_corners(lattice: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return np.stack(
        [lattice[i, j], lattice[i + 1, j], lattice[i + 1, j + 1], lattice[i, j + 1]], axis=1
    )
