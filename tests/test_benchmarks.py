"""``python -m benchmarks`` runs end to end on the small demo, so the command cannot rot.

Timings are not checked (speed lives in the benchmarks): only that the demo
is built once and cached, that the rows chosen are measured on the backends
asked for, and that the table comes out.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
POSTGIS_URL = os.environ.get("CITYGRID_TEST_POSTGIS_URL")


def bench(cache: Path, *args: str) -> str:
    """Run the benchmark command on the small demo cached in ``cache``; its output."""
    env = {k: v for k, v in os.environ.items() if k != "CITYGRID_BENCH_POSTGIS_URL"}
    command = [sys.executable, "-m", "benchmarks", "--size", "small", "--repeat", "1"]
    done = subprocess.run(
        [*command, "--cache", str(cache), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_table_on_sqlite_builds_the_demo_once(tmp_path: Path) -> None:
    first = bench(tmp_path, "--only", "help,read", "--markdown")
    assert "Building the small demo" in first
    assert "PostGIS skipped" in first
    assert "| read 1M problems into a GeoDataFrame (`Store.read`) | sqlite |" in first
    assert "| `citygrid --help` | - |" in first
    assert "load" in first.splitlines()[0]

    again = bench(tmp_path, "--only", "help", "--backend", "sqlite")
    assert "Building" not in again
    assert "`citygrid --help`" in again
    assert "read 1M" not in again


def _drop_small_demos(server_url: str) -> None:
    """Drop the small demos cached on the test server (left by an earlier run, or by this one)."""
    admin = sa.create_engine(
        sa.engine.make_url(server_url).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        names = conn.execute(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
            {"pattern": "citygrid_bench_%small%"},
        ).scalars()
        for name in list(names):
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def server() -> Iterator[str]:
    """The test PostGIS server, without a cached small demo before and after the test."""
    assert POSTGIS_URL is not None
    _drop_small_demos(POSTGIS_URL)
    yield POSTGIS_URL
    _drop_small_demos(POSTGIS_URL)


@pytest.mark.postgis
def test_the_table_on_postgis(tmp_path: Path, server: str) -> None:
    out = bench(tmp_path, "--only", "read", "--backend", "postgis", "--postgis", server)
    assert "Building the small demo into PostGIS" in out
    assert "read 1M problems into a GeoDataFrame (`Store.read`)  postgis" in out


def test_the_floor_scripts_write_back_and_index_what_the_store_holds(tmp_path: Path) -> None:
    bench(tmp_path, "--only", "route", "--backend", "sqlite")
    (store,) = tmp_path.glob("demo-*.db")
    (gpkg,) = tmp_path.glob("files-*/demo.gpkg")
    copy = tmp_path / "copy.db"
    copy.write_bytes(store.read_bytes())
    engine = sa.create_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE problems SET unit_code = NULL WHERE status <> 'closed'")
        unrouted = conn.exec_driver_sql("SELECT count(*) FROM problems WHERE unit_code IS NULL")
        before = unrouted.scalar_one()
    routed = _plain("route-written", str(gpkg), str(copy))
    with engine.connect() as conn:
        left = conn.exec_driver_sql("SELECT count(*) FROM problems WHERE unit_code IS NULL")
        assert left.scalar_one() < before / 2  # the cells' units, written back
    engine.dispose()
    assert " written" in routed

    indexed = _plain("import-indexed", str(gpkg), str(store), str(tmp_path / "out.gpkg"))
    with sqlite3.connect(store) as con:
        held = con.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'problems' "
            "AND sql IS NOT NULL"
        ).fetchone()[0]
    assert held >= 9
    assert f"{held} indexes built" in indexed


def _plain(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "plain.py"), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
