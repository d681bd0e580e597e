"""The baselines: what a plain geopandas, pyogrio or esda script does with the same data.

Run as a process of its own by ``python -m benchmarks`` (and importable by
the per-topic benchmarks for its helpers). It imports nothing of citygrid.
Each script reads the GeoPackage the benchmark command exported from the
cached demo (layers ``problems``, ``grids``, ``jurisdictions``)::

    python benchmarks/plain.py import DEMO.gpkg OUT.gpkg        # pyogrio read + GeoPackage write
    python benchmarks/plain.py export PROBLEMS.parquet OUT.gpkg # GeoParquet read + pyogrio write
    python benchmarks/plain.py route DEMO.gpkg                  # problems not closed, sjoin
    python benchmarks/plain.py hotspots DEMO.gpkg OUT.gpkg      # sjoin count, queen, esda Gi*
    python benchmarks/plain.py gaps DEMO.gpkg OUT.gpkg          # land no cell covers
    python benchmarks/plain.py read DEMO.gpkg                   # pyogrio read, timed inside

Two more measure what the store's own work costs at least, beyond the
baselines of the table (the floors the README's route and import notes
quote; they change the files they are given, so give them copies)::

    python benchmarks/plain.py route-written DEMO.gpkg STORE.db   # route, cell units written
    python benchmarks/plain.py import-indexed DEMO.gpkg STORE.db OUT.gpkg  # + store's indexes

``read`` prints ``BENCH_SECONDS=<s>``: the time of the read alone, which the
benchmark command takes instead of the process's wall time.
"""

from __future__ import annotations

import sqlite3
import sys
import time
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

#: Cells smaller than this are rounding, not land nobody covers (m²).
GAP_MIN_AREA_M2 = 1.0


def _read(path: str, layer: str, **options: Any) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(path, layer=layer, use_arrow=True, **options)


def _metric(*frames: gpd.GeoDataFrame) -> list[gpd.GeoDataFrame]:
    """The frames in the UTM zone of the first one's extent (metres)."""
    crs = frames[0].estimate_utm_crs()
    return [frame.to_crs(crs) for frame in frames]


def esda_count(cells: gpd.GeoDataFrame, xy: np.ndarray) -> np.ndarray:
    """The usual geopandas way: points, a spatial join, a group count."""
    points = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=cells.crs)
    joined = gpd.sjoin(points, cells[["geometry"]], predicate="within")
    counts = joined.groupby("index_right").size()
    return counts.reindex(range(len(cells)), fill_value=0).to_numpy(dtype=float)


def esda_gi(counts: np.ndarray, w: Any) -> np.ndarray:
    """esda's Gi* z-scores (binary weights, no permutations)."""
    from esda.getisord import G_Local

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return G_Local(counts, w, transform="B", star=True, permutations=0).Zs


def import_(source: str, out: str) -> None:
    """Read the problems with pyogrio and write them to a GeoPackage (with its R*Tree)."""
    pyogrio.write_dataframe(_read(source, "problems"), out, layer="problems", use_arrow=True)


def export(source: str, out: str) -> None:
    """Load the problems from GeoParquet and write them with pyogrio."""
    pyogrio.write_dataframe(gpd.read_parquet(source), out, layer="problems", use_arrow=True)


def _joined_to_cells(source: str, columns: list[str] | None = None) -> gpd.GeoDataFrame:
    """The problems not closed (their ``columns``, default all), each joined to its cell."""
    problems = _read(source, "problems", where="status <> 'closed'", columns=columns)
    cells = _read(source, "grids", columns=["code", "unit_code"])
    return gpd.sjoin(problems, cells, predicate="within", how="left")


def route(source: str) -> None:
    """Join the problems not closed to the grid cell each lies in."""
    joined = _joined_to_cells(source)
    print(f"{len(joined):,} problems joined")


def route_written(source: str, store: str) -> None:
    """:func:`route`, then each problem's cell unit written back to the store's problems table
    in one ``UPDATE ... FROM`` and committed (no audit, no version check, no other level)."""
    joined = _joined_to_cells(source, columns=["code"])
    con = sqlite3.connect(store, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
        con.execute(f"PRAGMA {pragma}")
    con.execute("BEGIN IMMEDIATE")
    con.execute("CREATE TEMP TABLE routed (code TEXT PRIMARY KEY, unit_code TEXT)")
    rows = zip(joined["code_left"], joined["unit_code"], strict=True)
    con.executemany("INSERT OR IGNORE INTO routed VALUES (?, ?)", rows)
    written = con.execute(
        "UPDATE problems SET unit_code = routed.unit_code, version = problems.version + 1 "
        "FROM routed WHERE problems.code = routed.code"
    ).rowcount
    con.execute("COMMIT")
    con.close()
    print(f"{len(joined):,} problems joined, {written:,} written")


def import_indexed(source: str, store: str, out: str) -> None:
    """:func:`import_`, then the B-tree indexes the store keeps on problems (their SQL read
    from ``store``) built on the GeoPackage's table."""
    import_(source, out)
    con = sqlite3.connect(store)
    made = con.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'problems' "
        "AND sql IS NOT NULL"
    ).fetchall()
    con.close()
    con = sqlite3.connect(out, isolation_level=None)
    con.execute("BEGIN")
    for (sql,) in made:
        con.execute(sql)
    con.execute("COMMIT")
    con.close()
    print(f"{len(made)} indexes built")


def hotspots(source: str, out: str) -> None:
    """Problems per grid cell, queen weights and esda's Gi*, written to a GeoPackage."""
    from libpysal.weights import Queen

    problems = _read(source, "problems", columns=[])
    cells = _read(source, "grids", columns=["code"])
    cells, problems = _metric(cells, problems)
    counts = esda_count(cells, shapely.get_coordinates(problems.geometry.to_numpy()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(cells, use_index=False, silence_warnings=True)
    cells["problems"], cells["z"] = counts, esda_gi(counts, w)
    pyogrio.write_dataframe(cells, out, layer="hotspots")


def gaps(source: str, out: str) -> None:
    """The land of the city's sub-districts that no grid cell covers, written to a GeoPackage."""
    places = _read(source, "jurisdictions", where="level = 'subdistrict'")
    cells = _read(source, "grids", columns=[])
    places, cells = _metric(places, cells)
    uncovered = shapely.difference(places.union_all(), cells.union_all())
    found = gpd.GeoDataFrame(geometry=shapely.get_parts([uncovered]), crs=places.crs)
    found = found[found.area >= GAP_MIN_AREA_M2]
    pyogrio.write_dataframe(found, out, layer="gaps")
    print(f"{len(found):,} gaps")


def read(source: str) -> None:
    """Time pyogrio reading the problems into a GeoDataFrame."""
    started = time.perf_counter()
    problems = _read(source, "problems")
    print(f"BENCH_SECONDS={time.perf_counter() - started:.6f}")
    print(f"{len(problems):,} problems read")


SCRIPTS = {
    "import": import_,
    "export": export,
    "route": route,
    "route-written": route_written,
    "import-indexed": import_indexed,
    "hotspots": hotspots,
    "gaps": gaps,
    "read": read,
}

if __name__ == "__main__":
    SCRIPTS[sys.argv[1]](*sys.argv[2:])
