"""The store's writes at city scale, as whole commands, beside plain pyogrio/geopandas scripts.

Works on a city store (default: a copy of the city-size demo at
``/work/city/city.db``; ``--db URL`` for a PostGIS database this may
change). Once, untimed, the problems and grid cells are read and written to
GeoPackages. Then each work runs as its own process, timed from outside,
with its peak memory (the process's maximum resident set; the benchmark itself stays small, since
a child starts with its parent's maximum):

- ``import``: ``citygrid import problems FILE.gpkg --replace`` against a
  script that reads the file with pyogrio (Arrow) and writes a GeoPackage
  (which builds an R*Tree too); aim 1.5x.
- ``export``: ``citygrid export problems`` to a GeoPackage against a script
  timing ``pyogrio.write_dataframe`` (Arrow) of the same frame; aim 1.5x.
- ``route``: ``citygrid route`` writing back the open problems (their
  grid and unit cleared first, so every one changes) against a script that
  reads the same problems and sjoins them to the cells; aim 3x.

Run::

    python benchmarks/bench_writes.py [--db URL] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

CITY_DB = Path("/work/city/city.db")
Row = tuple[str, float, float, float, float]  # work, ours_s, baseline_s, aim_ratio, peak_mb

_FILES = """
import sys, pyogrio
from citygrid.layers.store import Store
store = Store.open(sys.argv[1])
for layer, path in (("problems", sys.argv[2]), ("grids", sys.argv[3])):
    pyogrio.write_dataframe(store.read(layer), path, use_arrow=True)
"""
_READ_WRITE = """
import sys, pyogrio
frame = pyogrio.read_dataframe(sys.argv[1], use_arrow=True)
pyogrio.write_dataframe(frame, sys.argv[2], use_arrow=True)
"""
_WRITE = """
import sys, time, pyogrio
frame = pyogrio.read_dataframe(sys.argv[1], use_arrow=True)
start = time.perf_counter()
pyogrio.write_dataframe(frame, sys.argv[2], use_arrow=True)
print(time.perf_counter() - start)
"""
_READ_SJOIN = """
import sys, geopandas as gpd, pyogrio
problems = pyogrio.read_dataframe(sys.argv[1], use_arrow=True, where="status <> 'closed'")
cells = pyogrio.read_dataframe(sys.argv[2], use_arrow=True)
print(len(gpd.sjoin(problems, cells[["code", "geometry"]], predicate="within")))
"""


def run(args: list[str]) -> tuple[float, float, str]:
    """Run a process; return its wall seconds, peak memory in MB and its output."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read() if proc.stdout is not None else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, out


def citygrid(url: str, *args: str) -> list[str]:
    """The command line of a citygrid command on the store at ``url``."""
    return [str(Path(sys.executable).with_name("citygrid")), "--db", url, *args]


def script(code: str, *args: str) -> list[str]:
    """The command line of a Python script."""
    return [sys.executable, "-c", code, *args]


def clear_routing(url: str) -> None:
    """Clear the grid and unit of the problems not closed, so routing changes each of them."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE problems SET grid_code = NULL, unit_code = NULL WHERE status <> 'closed'"
        )
    engine.dispose()


def best(runs: int, prepare: Callable[[], None] | None, args: list[str]) -> tuple[float, float]:
    """Best wall time of ``runs`` runs (``prepare()`` before each) and the peak memory."""
    times, peaks = [], []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        seconds, peak, _ = run(args)
        times.append(seconds)
        peaks.append(peak)
    return min(times), max(peaks)


def measure(url: str, folder: Path, runs: int = 1) -> list[Row]:
    """Time import, export and route on the store at ``url``; one row per work."""
    problems_gpkg, cells_gpkg = folder / "problems.gpkg", folder / "cells.gpkg"
    # In a child process: a parent that held the frames would pass its peak on to every
    # child it starts (Linux counts the memory at fork in the child's maximum).
    run(script(_FILES, url, str(problems_gpkg), str(cells_gpkg)))
    out = folder / "out.gpkg"

    def no_out() -> None:
        out.unlink(missing_ok=True)

    rows: list[Row] = []
    ours, peak = best(
        runs, None, citygrid(url, "import", "problems", str(problems_gpkg), "--replace")
    )
    base, _ = best(runs, no_out, script(_READ_WRITE, str(problems_gpkg), str(out)))
    rows.append(("import problems --replace (1M)", ours, base, 1.5, peak))
    ours, peak = best(
        runs, None, citygrid(url, "export", "problems", "--out", str(out), "--overwrite")
    )
    writes = []
    for _ in range(runs):
        no_out()
        writes.append(float(run(script(_WRITE, str(problems_gpkg), str(out)))[2].split()[-1]))
    rows.append(("export problems (1M)", ours, min(writes), 1.5, peak))
    ours, peak = best(runs, lambda: clear_routing(url), citygrid(url, "route"))
    base, _ = best(runs, None, script(_READ_SJOIN, str(problems_gpkg), str(cells_gpkg)))
    rows.append(("route, with write-back (problems not closed)", ours, base, 3.0, peak))
    return rows


def print_rows(rows: list[Row]) -> None:
    """Print the rows as a table with their ratios."""
    print(f"{'work':<46} {'ours s':>8} {'base s':>8} {'ratio':>6} {'aim':>5} {'peak MB':>8}")
    for work, ours, base, aim, peak in rows:
        print(f"{work:<46} {ours:8.1f} {base:8.1f} {ours / base:5.2f}x {aim:4.1f}x {peak:8.0f}")


def main() -> None:
    """Measure on a copy of the city demo (or ``--db``) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a store URL this may change (default: a demo copy)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each, best kept")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = options.db
        if url is None:
            copy = folder / "city.db"
            shutil.copyfile(CITY_DB, copy)
            url = f"sqlite:///{copy}"
        print_rows(measure(url, folder, options.runs))


if __name__ == "__main__":
    main()
