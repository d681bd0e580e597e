"""Reading problem points from the store, next to pyogrio reading the same points from a
GeoPackage; and counting them per grid cell by GROUP BY.

Reads every problem of a store (geometry, ``reported_at`` and
``catalogue_code``) with :meth:`Store.read`, writes the same frame to a
GeoPackage once, then times ``pyogrio.read_dataframe(..., use_arrow=True)``
of it in the same run. Best of ``--repeat`` runs for both. The ratio is
ours over pyogrio's; the aim is at most 1.5. Also times
:meth:`Store.count_by` of the problems per grid cell.

Usage::

    python benchmarks/bench_reads.py --db sqlite:///city.db [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pyogrio
from timing import best

from citygrid.layers.store import Store

AIM = 1.5
COLUMNS = ["reported_at", "catalogue_code"]


def main() -> None:
    """Print ours against pyogrio, the ratio and the aim."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="store URL (the city demo)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    store = Store.open(args.db)
    ours, frame = best(lambda: store.read("problems", columns=COLUMNS, order_by=None), args.repeat)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "problems.gpkg"
        pyogrio.write_dataframe(frame, path, layer="problems")
        theirs, _ = best(lambda: pyogrio.read_dataframe(path, use_arrow=True), args.repeat)
    grouped, counts = best(lambda: store.count_by("problems", ["grid_code"]), args.repeat)
    store.close()
    print(f"{'work':44} {'ours s':>8} {'pyogrio s':>10} {'ratio':>6} {'aim':>5}")
    print(
        f"{f'read {len(frame):,} problem points':44} {ours:8.2f} {theirs:10.2f} "
        f"{ours / theirs:6.2f} {AIM:5.1f}"
    )
    print(f"{f'count per grid cell ({len(counts):,} cells)':44} {grouped:8.2f}")


if __name__ == "__main__":
    main()
