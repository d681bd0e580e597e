"""Benchmark: generate the demo city and load it into SQLite (and PostGIS when given).

Prints, per backend, the generation time, the load time (every write in one
transaction, commit included), rows per second and the database size.

    python benchmarks/bench_demo.py                      # city size into SQLite
    python benchmarks/bench_demo.py --size small
    python benchmarks/bench_demo.py --postgis postgresql://postgres@127.0.0.1:5432/postgres

With ``--postgis`` a fresh database is created on that server for the run and
dropped afterwards (``--keep`` keeps it and the SQLite file).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from citygrid.layers.store import Store
from citygrid.services.demo import SIZES, load_demo


def _load(url: str, size: str, seed: int) -> dict[str, float]:
    store = Store.open(url, check_schema=False)
    store.init()
    marks: dict[str, float] = {}

    def progress(label: str, done: int, total: int) -> None:
        if done == 3 and "write" not in marks:
            marks["write"] = time.perf_counter()

    start = time.perf_counter()
    counts = load_demo(store, size, seed, replace=True, actor="bench", progress=progress)
    end = time.perf_counter()
    rows = sum(counts.values())
    if store.backend.name == "postgresql":
        with store.engine.connect() as conn:
            size_bytes = conn.exec_driver_sql(
                "SELECT pg_database_size(current_database())"
            ).scalar_one()
    else:
        store.close()
        path = Path(sa.engine.make_url(url).database or "")
        size_bytes = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    store.close()
    return {
        "generate_s": marks["write"] - start,
        "load_s": end - marks["write"],
        "rows": rows,
        "problems": counts["problems"],
        "size_mb": size_bytes / 2**20,
    }


def _report(backend: str, figures: dict[str, float]) -> None:
    print(
        f"{backend:8s} generate {figures['generate_s']:7.1f} s   "
        f"load {figures['load_s']:7.1f} s   "
        f"{figures['rows'] / figures['load_s']:9,.0f} rows/s   "
        f"{figures['problems'] / figures['load_s']:9,.0f} problems/s   "
        f"database {figures['size_mb']:8.1f} MB   ({figures['rows']:,.0f} rows)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="city", choices=SIZES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postgis", metavar="URL", help="admin URL of a PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostGIS")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    print(f"citygrid demo --size {args.size} --seed {args.seed}")
    if not args.no_sqlite:
        folder = Path(tempfile.mkdtemp(prefix="citygrid_bench_"))
        path = folder / "demo.db"
        _report("sqlite", _load(f"sqlite:///{path}", args.size, args.seed))
        if args.keep:
            print(f"         kept {path}")
        else:
            for p in folder.glob("*"):
                p.unlink()
            folder.rmdir()
    if args.postgis:
        admin_url = sa.engine.make_url(args.postgis).set(drivername="postgresql+psycopg")
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = f"citygrid_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        try:
            _report("postgis", _load(url, args.size, args.seed))
        finally:
            if args.keep:
                print(f"         kept {url}")
            else:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
