"""Route a city's problems to their responsible units, beside a plain sjoin to the cells.

Two cities (``--city``):

``demo`` (default)
    the city-size demo of :func:`citygrid.services.demo.generate_demo`
    (about 5,000 cells, 20,000 streets and alleys, 50,000 points and its
    1,000,000 problems; ``--problems`` takes the first N of them);
``numpy``
    generated here (fixed seed): about 5,000 cells of about 100 m x 100 m
    in 10 sub-districts, 10,000 streets along cell edges, 10,000 alleys,
    50,000 points (some polygons) and ``--problems`` problems spread over
    the city and a little beyond it.

The city is written to a store (a temporary SQLite file, or ``--db URL``),
the routing index is read back from it, and the whole chain (point within
its radius, street or alley within ``street_snap_m``, cell, sub-district,
outside) is timed against ``geopandas.sjoin`` of the same points to the
cells.

Run::

    python benchmarks/bench_routing.py            # the demo's 1,000,000 problems
    python benchmarks/bench_routing.py --city numpy --problems 100000 --db postgresql://...
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.demo import generate_demo
from citygrid.services.routing import RoutingIndex, route_locations, route_point
from citygrid.services.routing.reroute import route_problems

ORIGIN = (112.90, 28.10)
CELL_DEG = (0.001, 0.0009)  # about 98 m x 100 m at 28°N
SIDE = 71  # 71 x 71 = 5,041 cells
SUBDISTRICTS = 10
DEPARTMENTS = 27
#: Layers of a city the router reads (the demo's problems are routed, not stored).
CITY_LAYERS = ("jurisdictions", "units", "people", "grids", "streets", "alleys", "points")


def _timed(label: str, func: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    print(f"  {label:<54} {seconds:8.2f} s")
    return result, seconds


def _codes(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:06d}" for i in range(n)]


def make_city(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The city's layers as frames in EPSG:4326, shaped as the store's layers."""
    x0, y0 = ORIGIN
    dx, dy = CELL_DEG
    col, row = np.meshgrid(np.arange(SIDE), np.arange(SIDE))
    col, row = col.ravel(), row.ravel()
    n_cells = len(col)
    strips = np.array_split(np.arange(SIDE), SUBDISTRICTS)
    strip_of_col = np.concatenate([np.full(len(s), i) for i, s in enumerate(strips)])
    sub_codes = np.array([f"4301020{i:02d}" for i in range(SUBDISTRICTS)], dtype=object)
    subdistricts = gpd.GeoDataFrame(
        {"code": sub_codes, "name": [f"第{i + 1}街道" for i in range(SUBDISTRICTS)]},
        geometry=[
            shapely.box(x0 + s[0] * dx, y0, x0 + (s[-1] + 1) * dx, y0 + SIDE * dy) for s in strips
        ],
        crs="EPSG:4326",
    ).assign(level="subdistrict")
    units = pd.DataFrame(
        {
            "code": [f"US{i:02d}" for i in range(SUBDISTRICTS)]
            + [f"UD{i:02d}" for i in range(DEPARTMENTS)],
            "name": [f"第{i + 1}街道办" for i in range(SUBDISTRICTS)]
            + [f"第{i + 1}职能部门" for i in range(DEPARTMENTS)],
            "kind": ["subdistrict"] * SUBDISTRICTS + ["department"] * DEPARTMENTS,
            "jurisdiction_code": list(sub_codes) + [None] * DEPARTMENTS,
            "contact": "联系人",
        }
    )
    departments = units["code"].to_numpy()[SUBDISTRICTS:]
    people = pd.DataFrame(
        {
            "code": _codes("P", DEPARTMENTS),
            "name": [f"责任人{i}" for i in range(DEPARTMENTS)],
            "role": "street_head",
            "unit_code": departments,
        }
    )

    def some_units(n: int, share: float) -> np.ndarray:
        chosen = rng.integers(0, DEPARTMENTS, n)
        out = departments[chosen].astype(object)
        out[rng.random(n) > share] = None
        return out

    cell_x, cell_y = x0 + col * dx, y0 + row * dy
    cells = gpd.GeoDataFrame(
        {
            "code": _codes("G", n_cells),
            "name": "网格",
            "unit_code": some_units(n_cells, 0.8),
            "manager_code": None,
            "subdistrict_code": sub_codes[strip_of_col[col]],
        },
        geometry=shapely.box(cell_x, cell_y, cell_x + dx, cell_y + dy),
        crs="EPSG:4326",
    )
    bottom = shapely.linestrings(
        np.stack([np.c_[cell_x, cell_y], np.c_[cell_x + dx, cell_y]], axis=1)
    )
    left = shapely.linestrings(
        np.stack([np.c_[cell_x, cell_y], np.c_[cell_x, cell_y + dy]], axis=1)
    )
    street_geoms = np.concatenate([bottom, left])
    streets = gpd.GeoDataFrame(
        {
            "code": _codes("S", len(street_geoms)),
            "name": "街道",
            "unit_code": some_units(len(street_geoms), 0.7),
            "head_code": None,
        },
        geometry=street_geoms,
        crs="EPSG:4326",
    )
    n_alleys = 10_000
    ax = x0 + rng.uniform(0, SIDE * dx, n_alleys)
    ay = y0 + rng.uniform(0, SIDE * dy, n_alleys)
    alleys = gpd.GeoDataFrame(
        {
            "code": _codes("A", n_alleys),
            "name": "小巷",
            "unit_code": some_units(n_alleys, 0.5),
            "head_code": None,
        },
        geometry=shapely.linestrings(
            np.stack([np.c_[ax, ay], np.c_[ax + dx * 0.4, ay + dy * 0.1]], axis=1)
        ),
        crs="EPSG:4326",
    )
    n_points = 50_000
    px = x0 + rng.uniform(0, SIDE * dx, n_points)
    py = y0 + rng.uniform(0, SIDE * dy, n_points)
    geoms = shapely.points(px, py)
    polygons = rng.random(n_points) < 0.1
    geoms[polygons] = shapely.box(px, py, px + dx * 0.2, py + dy * 0.2)[polygons]
    points = gpd.GeoDataFrame(
        {
            "code": _codes("D", n_points),
            "name": "点位",
            "point_type": "residential",
            "unit_code": some_units(n_points, 0.6),
            "head_code": None,
            "radius_m": np.where(polygons, np.nan, rng.uniform(5, 20, n_points)),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    return {
        "jurisdictions": subdistricts,
        "units": gpd.GeoDataFrame(units, geometry=[None] * len(units), crs="EPSG:4326"),
        "people": people,
        "grids": cells,
        "streets": streets,
        "alleys": alleys,
        "points": points,
    }


def make_problems(rng: np.random.Generator, n: int) -> gpd.GeoSeries:
    """``n`` problem locations over the city and 0.5% beyond each side, EPSG:4326."""
    x0, y0 = ORIGIN
    width, height = SIDE * CELL_DEG[0], SIDE * CELL_DEG[1]
    lon = x0 + rng.uniform(-0.005 * width, 1.005 * width, n)
    lat = y0 + rng.uniform(-0.005 * height, 1.005 * height, n)
    return gpd.GeoSeries(shapely.points(lon, lat), crs="EPSG:4326")


def _stored_problems(locations: gpd.GeoSeries) -> gpd.GeoDataFrame:
    """Open problems at ``locations``, ready for the store."""
    n = len(locations)
    return gpd.GeoDataFrame(
        {
            "code": _codes("W", n),
            "catalogue_code": "C01",
            "status": "open",
            "reported_at": pd.Timestamp("2026-11-01"),
        },
        geometry=locations.to_numpy(),
        crs="EPSG:4326",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", choices=["demo", "numpy"], default="demo")
    parser.add_argument("--problems", type=int, default=1_000_000)
    parser.add_argument("--db", help="store URL (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--stored",
        type=int,
        default=20_000,
        help="also store this many problems and time `citygrid route` on them (audit included)",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        store = Store.open(url, check_schema=False)
        store.init()
        print(f"store: {store.url}")
        if args.city == "demo":
            demo, _ = _timed("generate the city-size demo", lambda: generate_demo("city"))
            city = {name: demo[name] for name in CITY_LAYERS}
            problems = demo["problems"].geometry.iloc[: args.problems].reset_index(drop=True)
        else:
            city, _ = _timed("generate the city", lambda: make_city(rng))
            problems, _ = _timed(
                f"generate {args.problems:,} problems", lambda: make_problems(rng, args.problems)
            )

        def write() -> None:
            for layer, frame in city.items():
                store.write(layer, frame, mode="replace", actor="bench")

        _timed("write the city to the store", write)
        ctx = CityContext(store, Config(database_url=url), "bench")
        index, read_s = _timed(
            "read the routing index from the store", lambda: RoutingIndex.from_store(ctx)
        )
        routed, route_s = _timed(
            "route the problems (full chain)", lambda: route_locations(index, problems)
        )
        cells = store.read("grids", columns=["code"])
        frame = gpd.GeoDataFrame(geometry=problems)
        joined, join_s = _timed(
            "plain gpd.sjoin of the points to the cells",
            lambda: gpd.sjoin(frame, cells, predicate="within"),
        )
        sample = problems.sample(20, random_state=1)
        _, who_s = _timed(
            "who: 20 single locations, each read from the store",
            lambda: [route_point(ctx, p.x, p.y) for p in sample],
        )
        if args.stored:
            stored = _stored_problems(problems.iloc[: args.stored])
            _timed(
                f"write {args.stored:,} problems to the store",
                lambda: store.write("problems", stored, actor="bench"),
            )
            changed, stored_s = _timed(
                f"route {args.stored:,} stored problems, write + audit",
                lambda: route_problems(ctx, dry_run=False),
            )
        store.close()
    print()
    sizes = {name: len(city[name]) for name in ("grids", "streets", "alleys", "points")}
    print("  ".join(f"{name} {n:,}" for name, n in sizes.items()), f"problems {len(problems):,}")
    counts = routed["routed_by"].value_counts()
    print("routed by:", ", ".join(f"{rule} {n:,}" for rule, n in counts.items()))
    several = joined.index.duplicated(keep=False)
    single = joined[~several]
    same = routed["grid_code"].reindex(single.index).to_numpy() == single["code"].to_numpy()
    print(
        f"cells agreeing with sjoin: {same.mean():.4%} of {len(single):,} locations in one cell;"
        f" {len(set(joined.index[several])):,} in several (the router takes the lowest code)"
    )
    ratio, with_read = route_s / join_s, (route_s + read_s) / join_s
    print(f"route {route_s:.2f} s / sjoin {join_s:.2f} s = {ratio:.2f}x", end="  ")
    print(f"(with reading the index: {with_read:.2f}x)")
    print(f"throughput: {len(problems) / route_s:,.0f} problems/s")
    print(f"who: {who_s / 20 * 1000:.0f} ms per location")
    if args.stored:
        rate = len(changed) / stored_s
        print(f"stored routing: {len(changed):,} problems rerouted at {rate:,.0f}/s")


if __name__ == "__main__":
    main()
