"""Hot spots at city scale: citygrid's Gi* beside esda on the same input.

Measures, best of ``--repeat`` runs:

1. Gi* over the city's ~5,000 grid cells with 1,000,000 problems, counting
   included (citygrid: :func:`count_points` + :func:`gi_star`; esda: a
   geopandas ``sjoin`` count + ``G_Local(star=True, transform="B")``), and
   Gi* alone; both on the same queen weights; plus 999 permutations;
2. the same over a 100 m fishnet of the whole city extent;
3. emerging hot spots over 24 months on the grid cells (citygrid:
   monthly counts, Gi* for all months, Mann-Kendall and classification;
   esda: ``G_Local`` month by month and scipy's Kendall tau cell by cell).

Data: the ``city`` demo (:func:`citygrid.services.demo.generate_demo`), or
with ``--synthetic`` 5,000 Voronoi cells and 1,000,000 clustered points
drawn with numpy (faster to build). Not part of the test run::

    python benchmarks/bench_hotspots.py [--synthetic] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from esda.getisord import G_Local
from libpysal.weights import WSP
from plain import esda_count, esda_gi
from scipy import stats
from timing import best

from citygrid.gis.binning import cell_index, count_points, fishnet
from citygrid.gis.metric import metric_crs
from citygrid.services.hotspots.emerging import emerging_frame, month_bins
from citygrid.services.hotspots.gistar import gi_star
from citygrid.services.hotspots.params import parse_weights
from citygrid.services.hotspots.weights import build_weights

MONTHS = 24


def demo_data() -> tuple[gpd.GeoDataFrame, gpd.GeoSeries, np.ndarray, pd.Series]:
    """Grid cells, jurisdiction, problem xy and dates of the city demo, in metres."""
    from citygrid.services.demo import generate_demo

    frames = generate_demo("city")
    grids, problems = frames["grids"], frames["problems"]
    crs = metric_crs(tuple(frames["jurisdictions"].total_bounds), None)
    cells = grids[["code", "geometry"]].rename(columns={"code": "cell_id"}).to_crs(crs)
    area = frames["jurisdictions"].to_crs(crs).geometry
    xy = shapely.get_coordinates(problems.geometry.to_crs(crs).to_numpy())
    return cells.reset_index(drop=True), area, xy, problems["reported_at"]


def synthetic_data(seed: int = 0) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries, np.ndarray, pd.Series]:
    """5,000 Voronoi cells over 24 x 20 km and 1,000,000 clustered points over 24 months."""
    rng = np.random.default_rng(seed)
    width, height, x0, y0 = 24_000.0, 20_000.0, 500_000.0, 3_100_000.0
    box = shapely.box(x0, y0, x0 + width, y0 + height)
    seeds = shapely.multipoints(rng.uniform((x0, y0), (x0 + width, y0 + height), (5_000, 2)))
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box)), box
    )
    centres = rng.uniform((x0, y0), (x0 + width, y0 + height), (40, 2))
    which = rng.integers(0, 40, 600_000)
    clustered = centres[which] + rng.normal(0, 400, (600_000, 2))
    uniform = rng.uniform((x0, y0), (x0 + width, y0 + height), (400_000, 2))
    xy = np.clip(np.vstack([clustered, uniform]), (x0, y0), (x0 + width - 1e-6, y0 + height - 1e-6))
    days = rng.integers(0, 730, len(xy))
    dates = pd.Series(pd.Timestamp("2024-07-01") + pd.to_timedelta(days, unit="D"))
    frame = gpd.GeoDataFrame(
        {"cell_id": [f"G{i:05d}" for i in range(len(cells))]}, geometry=cells, crs=32649
    )
    return frame, gpd.GeoSeries([box], crs=32649), xy, dates


def compare(label: str, ours: float, theirs: float) -> None:
    print(
        f"  {label:<44} citygrid {ours:8.3f} s   esda {theirs:8.3f} s   "
        f"esda/citygrid {theirs / ours:6.1f}x"
    )


def bench_cells(name: str, cells: gpd.GeoDataFrame, xy: np.ndarray, repeat: int) -> None:
    print(f"\n{name}: {len(cells):,} cells, {len(xy):,} problems")
    t_w, neighbours = best(lambda: build_weights(cells, parse_weights("queen")), repeat)
    print(
        f"  queen weights (STRtree)                      {t_w:8.3f} s  "
        f"({neighbours.nnz:,} neighbour pairs)"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = WSP(neighbours).to_W(silence_warnings=True)

    def ours() -> Any:
        return gi_star(count_points(cells, xy), neighbours)

    def theirs() -> Any:
        return esda_gi(esda_count(cells, xy), w)

    t_ours, _ = best(ours, repeat)
    t_theirs, _ = best(theirs, max(1, repeat - 1))
    compare("count + Gi*", t_ours, t_theirs)
    counts = count_points(cells, xy)
    joined = esda_count(cells, xy)
    print(
        f"  problems counted: citygrid {counts.sum():,.0f} (each once), sjoin "
        f"{joined.sum():,.0f}; cells differing {(counts != joined).sum()}"
    )
    t_gi, result = best(lambda: gi_star(counts, neighbours), repeat)
    t_gi_esda, reference = best(lambda: esda_gi(counts, w), repeat)
    compare("Gi* alone (analytic z, p, FDR)", t_gi, t_gi_esda)
    same = np.nanmax(np.abs(result.z - reference))
    print(f"  largest |z(citygrid) - z(esda)|, same counts {same:.2e}")
    if len(cells) <= 10_000:
        t_perm, _ = best(lambda: gi_star(counts, neighbours, permutations=999, seed=1), 1)

        def esda_perm() -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return G_Local(counts, w, transform="B", star=True, permutations=999, seed=1)

        t_perm_esda, _ = best(esda_perm, 1)
        compare("Gi* with 999 permutations", t_perm, t_perm_esda)


def bench_emerging(cells: gpd.GeoDataFrame, xy: np.ndarray, dates: pd.Series, repeat: int) -> None:
    neighbours = build_weights(cells, parse_weights("queen"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = WSP(neighbours).to_W(silence_warnings=True)
    cell_of = cell_index(cells, xy)
    month, months = month_bins(dates, None, None)
    inside = cell_of >= 0
    t = len(months)
    print(f"\nEmerging hot spots: {len(cells):,} cells x {t} months, {len(xy):,} problems")

    def monthly() -> np.ndarray:
        flat = np.bincount(cell_of[inside] * t + month[inside], minlength=len(cells) * t)
        return flat.reshape(len(cells), t).astype(float)

    counts = monthly()

    def ours() -> Any:
        return emerging_frame(cells, monthly(), neighbours)

    def theirs() -> Any:
        z = np.column_stack([esda_gi(counts[:, m], w) for m in range(t)])
        steps = np.arange(t)
        return [stats.kendalltau(steps, row).statistic for row in np.nan_to_num(z)]

    t_ours, _ = best(ours, repeat)
    t_theirs, _ = best(theirs, 1)
    compare("monthly Gi* + Mann-Kendall (+ patterns)", t_ours, t_theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", action="store_true", help="numpy data, not the demo")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    cells, area, xy, dates = synthetic_data() if args.synthetic else demo_data()
    source = "synthetic (numpy)" if args.synthetic else "city demo"
    print(f"Data: {source}, built in {time.perf_counter() - start:.1f} s; CRS {cells.crs}")
    bench_cells("Grid cells", cells, xy, args.repeat)
    t_net, net = best(lambda: fishnet(area, 100), 1)
    bounds = area.total_bounds
    print(
        f"\n100 m fishnet over {(bounds[2] - bounds[0]) / 1000:.1f} x "
        f"{(bounds[3] - bounds[1]) / 1000:.1f} km built in {t_net:.3f} s"
    )
    bench_cells("100 m fishnet", net, xy, args.repeat)
    bench_emerging(cells, xy, dates, args.repeat)


if __name__ == "__main__":
    main()
