"""Every whole-command benchmark, on SQLite and PostGIS, in one table.

    python -m benchmarks [--size city|small] [--seed 0] [--repeat 3]
        [--only NAME[,NAME...]] [--backend sqlite|postgis] [--postgis URL]
        [--cache DIR] [--markdown]

Builds the demo city once (cached by citygrid version, schema revision,
size and seed: see :mod:`demo_cache`), then runs each row of
:data:`rows.BENCHES`: our whole command and its plain baseline, each as a
process of its own, best of ``--repeat`` runs, with the peak memory of each
process. Baselines do not depend on the backend: each is timed once in the
same run and stands beside both backends' rows. Commands that change data
run last, on a working copy of the cached demo. A command that fails is
shown with the end of its stderr and marked ``failed`` in the table.

PostGIS is measured when ``--postgis URL`` or ``$CITYGRID_BENCH_POSTGIS_URL``
names a server where the user may create databases; otherwise a line says
it is skipped. Run from the repository's root.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import tempfile
import time
from pathlib import Path

import citygrid
from benchmarks.demo_cache import (
    DEFAULT_CACHE,
    baseline_files,
    citygrid_command,
    postgis_demo,
    sqlite_demo,
    working_copy,
)
from benchmarks.measure import CommandFailed, Timing, best_of
from benchmarks.rows import BENCHES, Bench, Where
from benchmarks.table import Row, render
from citygrid.layers.migrations import head

BACKENDS = ("sqlite", "postgis")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--size", choices=["city", "small"], default="city", help="demo size")
    parser.add_argument("--seed", type=int, default=0, help="demo seed (default 0)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (default 3)")
    parser.add_argument(
        "--only",
        metavar="PATTERN",
        help="rows whose name matches, comma-separated globs: "
        + ", ".join(bench.name for bench in BENCHES),
    )
    parser.add_argument("--backend", choices=BACKENDS, help="one backend only (default both)")
    parser.add_argument(
        "--postgis",
        metavar="URL",
        default=os.environ.get("CITYGRID_BENCH_POSTGIS_URL"),
        help="PostgreSQL server to cache the demo on (default $CITYGRID_BENCH_POSTGIS_URL)",
    )
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"cache folder (default {DEFAULT_CACHE})"
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    return parser.parse_args()


def _selected(only: str | None) -> list[Bench]:
    patterns = [p.strip() for p in (only or "*").split(",") if p.strip()]
    chosen = [b for b in BENCHES if any(fnmatch.fnmatch(b.name, p) for p in patterns)]
    if not chosen:
        raise SystemExit(f"--only {only!r} matches no row")
    return sorted(chosen, key=lambda bench: bench.changes_data)


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    """Build or find the cached demo, run the rows chosen and print the table."""
    args = _arguments()
    started = time.perf_counter()
    benches = _selected(args.only)
    backends = [args.backend] if args.backend else list(BACKENDS)
    header = (
        f"citygrid {citygrid.__version__}, schema {head()}, demo {args.size} seed {args.seed}; "
        f"best of {args.repeat}; {os.cpu_count()} CPUs, load {_load()} "
        f"({time.strftime('%Y-%m-%d %H:%M %Z')})"
    )
    print(header, flush=True)
    sqlite_url = sqlite_demo(args.cache, args.size, args.seed)
    urls = {"sqlite": sqlite_url}
    if "postgis" in backends:
        if args.postgis:
            urls["postgis"] = postgis_demo(args.postgis, args.size, args.seed)
        else:
            print("PostGIS skipped: give --postgis URL or set CITYGRID_BENCH_POSTGIS_URL.")
    files = baseline_files(args.cache, args.size, args.seed, sqlite_url)
    baselines: dict[str, Timing] = {}
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="citygrid-bench-") as scratch:
        for backend in (b for b in backends if b in urls):
            with working_copy(urls[backend], Path(scratch)) as url:
                where = Where(citygrid_command(), url, files, Path(scratch))
                for bench in benches:
                    if not bench.on_store and bench.name in baselines:
                        continue
                    if bench.name not in baselines:
                        baselines[bench.name] = best_of(bench.baseline(where), args.repeat)
                    before = (lambda b=bench, u=url: b.before(u)) if bench.before else None
                    try:
                        ours: Timing | None = best_of(bench.ours(where), args.repeat, before=before)
                    except CommandFailed as failure:
                        print(failure, flush=True)
                        ours = None
                    row = Row(
                        bench, backend if bench.on_store else "-", ours, baselines[bench.name]
                    )
                    print(row.line(), flush=True)
                    rows.append(row)
    print()
    print(render(rows, header, markdown=args.markdown))
    print(f"\nWhole run {time.perf_counter() - started:.0f} s; load at the end {_load()}.")


if __name__ == "__main__":
    main()
