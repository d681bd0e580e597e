"""Read every problem of a store into a GeoDataFrame, timed in the process.

    python benchmarks/store_read.py URL

Prints ``BENCH_SECONDS=<s>`` (opening the store and reading), which the
benchmark command takes instead of the process's wall time.
"""

from __future__ import annotations

import sys
import time

from citygrid.layers.store import Store

if __name__ == "__main__":
    started = time.perf_counter()
    store = Store.open(sys.argv[1])
    problems = store.read("problems")
    print(f"BENCH_SECONDS={time.perf_counter() - started:.6f}")
    print(f"{len(problems):,} problems read")
    store.close()
