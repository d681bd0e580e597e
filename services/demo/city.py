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

from citygrid.services.demo import names
from citygrid.services.demo.features import _alleys, _points, _streets
from citygrid.services.demo.layout import (
    CITY,
    DISTRICTS,
    LAYOUTS,
    METRIC_CRS,
    Layout,
    _block_polygons,
    _blocks,
    _codes,
    _hierarchy,
    _lattice,
)

__all__ = ["LAYOUTS", "METRIC_CRS", "City", "CoverageDefect", "build_city"]

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
