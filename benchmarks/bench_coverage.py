"""Benchmark the coverage-gap analysis on a city-size input.

Builds a synthetic city with numpy and shapely (deterministic): about 5,000
irregular cells (a Voronoi tiling of 10,000 m² cells over 7 km x 7 km,
25 sub-districts) with planted defects (20 cells removed, 40 shifted 0.5 m,
30 grown 3 m, 5 shrunk 0.4 m); 2,000 streets and 18,000 alleys; 50,000 points; 100,000
inspections; 100,000 problems (30% in 300 clusters, 20 of them far from
every point). Writes it into a
store, then times the whole analysis (reading the store included), the
proposals and the GeoPackage.

    python benchmarks/bench_coverage.py [--db URL] [--scale 1.0] [--repeat 3]

``--db`` defaults to a temporary SQLite file; give a PostgreSQL URL to
measure PostGIS (the database must exist; the layers are replaced).
``--demo`` uses ``citygrid.services.demo.generate_demo("city")`` instead;
``--reuse`` analyses what ``--db`` already holds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.config import Config
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.coverage.analysis import analyse_coverage
from citygrid.services.coverage.params import CoverageParams
from citygrid.services.coverage.proposals import propose_fixes
from citygrid.services.coverage.report import write_report

CRS = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E (Wuhan)
X0, Y0 = 520_000.0, 3_380_000.0
AS_OF = datetime(2026, 11, 20)


def _frame(data: dict, geoms: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


def synthetic_city(scale: float, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Every layer the analysis reads, in EPSG:4547, with planted defects."""
    rng = np.random.default_rng(seed)
    side = round(71 * np.sqrt(scale))
    size = side * 100.0
    territory = shapely.box(X0, Y0, X0 + size, Y0 + size)
    blocks = 5
    step = size / blocks
    subs = [
        shapely.box(X0 + i * step, Y0 + j * step, X0 + (i + 1) * step, Y0 + (j + 1) * step)
        for j in range(blocks)
        for i in range(blocks)
    ]
    jurisdictions = _frame(
        {
            "code": ["420102"] + [f"420102{k:03d}" for k in range(1, len(subs) + 1)],
            "name": ["江岸区"] + [f"第{k}街道" for k in range(1, len(subs) + 1)],
            "level": ["district"] + ["subdistrict"] * len(subs),
        },
        np.array([territory, *subs], dtype=object),
    )
    grid = (np.arange(side) + 0.5) * 100.0
    seeds = np.array(np.meshgrid(grid, grid)).reshape(2, -1).T
    seeds += rng.uniform(-30, 30, seeds.shape)
    seeds += (X0, Y0)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=territory)
    )
    cells = shapely.intersection(cells, territory)
    n = len(cells)
    picks = rng.permutation(n)
    removed, shifted, grown, shrunk = picks[:20], picks[20:60], picks[60:90], picks[90:95]
    cells = cells.astype(object)
    cells[shifted] = shapely.transform(cells[shifted], lambda xy: xy + np.array([0.5, 0.0]))
    cells[grown] = shapely.buffer(cells[grown], 3.0, join_style="mitre")
    cells[shrunk] = shapely.buffer(cells[shrunk], -0.4, join_style="mitre")
    keep = np.ones(n, dtype=bool)
    keep[removed] = False
    codes = np.array([f"G{i:05d}" for i in range(n)], dtype=object)
    units = np.array([f"U{k:03d}" for k in range(1, 41)], dtype=object)
    people = np.array([f"P{k:04d}" for k in range(1, 2001)], dtype=object)

    def responsible(m: int) -> dict[str, np.ndarray]:
        unit = rng.choice(units, m).astype(object)
        head = rng.choice(people, m).astype(object)
        unit[rng.random(m) < 0.03] = None
        head[rng.random(m) < 0.05] = None
        return {"unit_code": unit, "head_code": head}

    cell_resp = responsible(n)
    grids = _frame(
        {
            "code": codes,
            "name": [f"网格{i}" for i in range(n)],
            "unit_code": cell_resp["unit_code"],
            "manager_code": cell_resp["head_code"],
        },
        cells,
    )[keep]

    def segments(m: int, length: float) -> np.ndarray:
        start = rng.uniform((X0, Y0), (X0 + size, Y0 + size), (m, 2))
        angle = rng.uniform(0, np.pi, m)
        end = start + length * np.column_stack([np.cos(angle), np.sin(angle)])
        return shapely.linestrings(np.stack([start, end], axis=1))

    n_streets, n_alleys, n_points = (int(v * scale) for v in (2_000, 18_000, 50_000))
    streets = _frame(
        {"code": [f"S{i:05d}" for i in range(n_streets)], "name": "大道", **responsible(n_streets)},
        segments(n_streets, 500.0),
    )
    alleys = _frame(
        {"code": [f"A{i:05d}" for i in range(n_alleys)], "name": "小巷", **responsible(n_alleys)},
        segments(n_alleys, 100.0),
    )
    centres = rng.uniform((X0, Y0), (X0 + size, Y0 + size), (300, 2))
    point_xy = rng.uniform((X0, Y0), (X0 + size, Y0 + size), (int(n_points * 1.02), 2))
    lonely = np.min(np.hypot(*(point_xy[:, None, :] - centres[None, :20, :]).T), axis=0) > 250
    point_xy = point_xy[lonely][:n_points]  # no point near the first 20 clusters
    n_points = len(point_xy)
    points = _frame(
        {
            "code": [f"D{i:05d}" for i in range(n_points)],
            "name": "点位",
            "point_type": "shopping",
            **responsible(n_points),
        },
        shapely.points(point_xy),
    )
    n_inspections = int(100_000 * scale)
    on_point = rng.random(n_inspections) < 0.8
    inspections = pd.DataFrame(
        {
            "code": [f"I{i:06d}" for i in range(n_inspections)],
            "inspected_at": AS_OF - pd.to_timedelta(rng.uniform(0, 90, n_inspections), unit="D"),
            "point_code": np.where(on_point, rng.choice(points["code"], n_inspections), None),
            "alley_code": np.where(on_point, None, rng.choice(alleys["code"], n_inspections)),
        }
    )
    n_problems = int(100_000 * scale)
    clustered = int(n_problems * 0.3)
    problem_xy = np.vstack(
        [
            centres[rng.integers(0, 300, clustered)] + rng.normal(0, 15, (clustered, 2)),
            rng.uniform((X0, Y0), (X0 + size, Y0 + size), (n_problems - clustered, 2)),
        ]
    )
    problems = _frame(
        {
            "code": [f"W{i:06d}" for i in range(n_problems)],
            "catalogue_code": "C01",
            "status": "open",
            "reported_at": AS_OF - timedelta(days=10),
        },
        shapely.points(problem_xy),
    )
    return {
        "jurisdictions": jurisdictions,
        "units": pd.DataFrame({"code": units, "name": "单位"}),
        "people": pd.DataFrame(
            {"code": people, "name": "人员", "role": "grid_manager", "unit_code": "U001"}
        ),
        "catalogue": pd.DataFrame([{"code": "C01", "name": "暴露垃圾", "level": "standard"}]),
        "grids": grids,
        "streets": streets,
        "alleys": alleys,
        "points": points,
        "inspections": inspections,
        "problems": problems,
    }


def demo_city() -> dict[str, pd.DataFrame]:
    from citygrid.services.demo import generate_demo

    return generate_demo("city")


def demo_day() -> datetime:
    """The last day of the demo's 24 months (the analysis looks back from it)."""
    from citygrid.services.demo import reference_date

    return reference_date(0) - timedelta(days=1)


def load(store: Store, frames: dict[str, pd.DataFrame]) -> float:
    """Write every layer (replacing what the store holds); return the seconds taken."""
    started = time.perf_counter()
    for name in _ORDER:
        frame = frames[name]
        if get_layer(name).has_geometry and not isinstance(frame, gpd.GeoDataFrame):
            frame = gpd.GeoDataFrame(frame, geometry=[None] * len(frame), crs=CRS)
        store.write(name, frame, mode="replace", actor="bench")
    return time.perf_counter() - started


_ORDER = (
    "catalogue",
    "units",
    "people",
    "jurisdictions",
    "grids",
    "streets",
    "alleys",
    "points",
    "inspections",
    "problems",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--scale", type=float, default=1.0, help="size relative to city size")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the analysis")
    parser.add_argument("--demo", action="store_true", help='use generate_demo("city")')
    parser.add_argument("--reuse", action="store_true", help="analyse what --db already holds")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_coverage_"))
    url = args.db or f"sqlite:///{folder / 'city.db'}"
    store = Store.open(url, check_schema=False)
    store.init()
    if not args.reuse:
        started = time.perf_counter()
        frames = demo_city() if args.demo else synthetic_city(args.scale)
        print(f"generated in {time.perf_counter() - started:.1f} s")
        print(f"loaded in {load(store, frames):.1f} s into {store.backend.name}")
    counts = store.counts()
    print(
        ", ".join(
            f"{name} {counts[name]:,}"
            for name in ("grids", "streets", "alleys", "points", "inspections", "problems")
        )
    )
    config = Config(metric_crs=None if args.demo else CRS)
    params = CoverageParams(as_of=(demo_day() if args.demo else AS_OF).date())
    times, cpu = [], []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        report = analyse_coverage(CityContext(store, config, actor="bench"), params)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    best = min(times)
    print(
        f"analysis on {store.backend.name} (read + all findings): best {best:.2f} s wall, "
        f"{min(cpu):.2f} s CPU; runs "
        + ", ".join(f"{t:.2f}" for t in times)
        + f"; aim 3 s -> {best / 3.0:.2f} of the budget"
        + f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    for name, found in report.layers().items():
        print(f"  {name:<18} {len(found):>7,}")
    started = time.perf_counter()
    proposal = propose_fixes(CityContext(store, config, actor="bench"), report)
    print(f"proposals: {len(proposal):,} fixes in {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    write_report({**report.layers(), "gap_proposals": proposal}, folder / "gaps.gpkg")
    print(f"GeoPackage written in {time.perf_counter() - started:.2f} s")
    store.close()


if __name__ == "__main__":
    main()
