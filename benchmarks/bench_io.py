"""Import and export at city scale, next to a plain pyogrio read/write of the same file.

Makes N problem points (default 1,000,000) and a city of grid cells
(default 5,000 polygons), writes each to a GeoPackage, then times:

- ``import``: :func:`citygrid.layers.io.import_file` of the file into a
  fresh store, against ``pyogrio.read_dataframe`` (Arrow) of the same file;
- ``export``: :func:`citygrid.layers.io.export_layer` of the stored layer to
  a GeoPackage, against ``pyogrio.write_dataframe`` (Arrow) of the frame.

The ratio is citygrid's time over pyogrio's (the aim is under 2).

Usage::

    python benchmarks/bench_io.py [--points 1000000] [--grids 5000]
        [--db sqlite|postgis] [--postgis-url URL] [--profile]

``--profile`` prints where the import's time goes (cProfile, top 25).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import sqlalchemy as sa

from citygrid.layers.io import export_layer, import_file
from citygrid.layers.store import Store

STATUSES = np.array(["open", "dispatched", "rectified", "closed", "reopened"])
SOURCES = np.array(["inspection", "unannounced", "mock_evaluation", "citizen"])


def make_problems(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` problems scattered over a 30 km square around Beijing's centre."""
    rng = np.random.default_rng(seed)
    reported = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, n), "s")
    return gpd.GeoDataFrame(
        {
            "code": np.char.add("WT", np.arange(n).astype(str)),
            "catalogue_code": np.char.add("C-", rng.integers(1, 80, n).astype(str)),
            "description": np.where(rng.random(n) < 0.5, "占道经营", "垃圾堆放未清理"),
            "status": STATUSES[rng.integers(0, len(STATUSES), n)],
            "source": SOURCES[rng.integers(0, len(SOURCES), n)],
            "reported_at": reported,
            "grid_code": np.char.add("WG", rng.integers(0, 5000, n).astype(str)),
            "recurrence": rng.integers(0, 4, n),
        },
        geometry=shapely.points(116.25 + rng.random(n) * 0.35, 39.75 + rng.random(n) * 0.27),
        crs="EPSG:4326",
    )


def make_grids(n: int) -> gpd.GeoDataFrame:
    """``n`` square grid cells of about 300 m, with Chinese names."""
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0 = 116.25 + (i % side) * 0.0035
    y0 = 39.75 + (i // side) * 0.0027
    return gpd.GeoDataFrame(
        {
            "code": np.char.add("WG", i.astype(str)),
            "name": np.char.add("第", np.char.add(i.astype(str), "网格")),
            "kind": np.where(i % 10 == 0, "special", "general"),
            "unit_code": np.char.add("U", (i % 120).astype(str)),
        },
        geometry=shapely.box(x0, y0, x0 + 0.0035, y0 + 0.0027),
        crs="EPSG:4326",
    )


@contextmanager
def fresh_store(kind: str, folder: Path, postgis_url: str) -> Iterator[Store]:
    """An empty store with the schema, on SQLite or on a new PostGIS database."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / f'bench_{uuid.uuid4().hex[:6]}.db'}"
        store = Store.open(url, check_schema=False)
        store.init()
        try:
            yield store
        finally:
            store.close()
        return
    name = f"citygrid_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        sa.engine.make_url(postgis_url).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(postgis_url).set(drivername="postgresql+psycopg", database=name)
    store = Store.open(url.render_as_string(hide_password=False), check_schema=False)
    store.init()
    try:
        yield store
    finally:
        store.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bench_layer(
    layer: str, frame: gpd.GeoDataFrame, folder: Path, backend: str, url: str, profile: bool
) -> None:
    source = folder / f"{layer}.gpkg"
    pyogrio.write_dataframe(frame, source, layer=layer, use_arrow=True)
    read_s = timed(lambda: pyogrio.read_dataframe(source, use_arrow=True))
    write_s = timed(
        lambda: pyogrio.write_dataframe(frame, folder / f"{layer}_plain.gpkg", use_arrow=True)
    )
    with fresh_store(backend, folder, url) as store:
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        # Layers are loaded alone here, so their unit, head... codes point at nothing.
        import_s = timed(lambda: import_file(store, layer, source, allow_missing_refs=True))
        if profiler:
            profiler.disable()
        out = folder / f"{layer}_out.gpkg"
        export_s = timed(lambda: export_layer(store, layer, out, overwrite=True))
        assert store.count(layer) == len(frame)
    n = f"{len(frame):,}"
    print(
        f"{layer:9} {n:>10} {backend:8} import {import_s:7.2f} s  pyogrio read  {read_s:6.2f} s"
        f"  ratio {import_s / read_s:5.1f}x"
    )
    print(
        f"{layer:9} {n:>10} {backend:8} export {export_s:7.2f} s  pyogrio write {write_s:6.2f} s"
        f"  ratio {export_s / write_s:5.1f}x"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--grids", type=int, default=5_000)
    parser.add_argument("--db", choices=["sqlite", "postgis"], default="sqlite")
    parser.add_argument("--postgis-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.grids:
            bench_layer("grids", make_grids(args.grids), folder, args.db, args.postgis_url, False)
        if args.points:
            problems = make_problems(args.points)
            bench_layer("problems", problems, folder, args.db, args.postgis_url, args.profile)


if __name__ == "__main__":
    main()
