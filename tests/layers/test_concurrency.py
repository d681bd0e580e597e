"""Concurrent edits on both backends: two real connections in two threads.

Two stores on one database edit the same feature with the same version: exactly one
wins, the other is told who changed it first, and nothing is lost. Concurrent writers
on SQLite queue on the busy timeout; when it runs out they get a clear "busy" error,
never a raw ``database is locked``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from click.testing import CliRunner

from citygrid.cli import main
from citygrid.errors import Conflict, StoreBusy
from citygrid.layers.store import Store


def _grids() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["G1", "G2"], "name": ["五一网格", "解放网格"], "unit_code": ["U1", "U1"]},
        geometry=[
            shapely.box(112.97, 28.19, 112.98, 28.20),
            shapely.box(112.98, 28.19, 112.99, 28.2),
        ],
        crs="EPSG:4326",
    )


def _points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["P1"], "name": ["五一广场"], "point_type": ["community"]},
        geometry=[shapely.Point(112.975, 28.195)],
        crs="EPSG:4326",
    )


def _assign(unit: str) -> pd.DataFrame:
    return pd.DataFrame({"code": ["G1"], "unit_code": [unit], "version": [1]})


def _in_threads(*jobs: Callable[[], Any]) -> list[Any]:
    """Run each job in its own thread; return its result or the exception it raised."""
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            results[i] = jobs[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.fixture
def two_stores(database_url: str) -> Any:
    """Two stores (two engines, two connection pools) on one database holding G1 and G2."""
    first, second = Store.open(database_url), Store.open(database_url)
    first.write("grids", _grids())
    yield first, second
    first.close()
    second.close()


def test_an_edit_waiting_on_an_open_edit_of_the_same_version_is_refused(two_stores) -> None:
    """张三's edit is open (uncommitted) when 李四 edits the same version: 李四 waits for
    the lock, then sees version 2 and is refused, naming 张三."""
    first, second = two_stores
    started = threading.Barrier(2)

    def zhang() -> pd.DataFrame:
        with first.transaction() as conn:
            log = first.update("grids", _assign("U5"), actor="张三", conn=conn)
            started.wait()
            time.sleep(0.5)  # 李四's edit starts while this one is still open
            return log

    def li() -> pd.DataFrame:
        started.wait()
        return second.update("grids", _assign("U6"), actor="李四")

    won, lost = _in_threads(zhang, li)
    assert isinstance(won, pd.DataFrame), won
    assert isinstance(lost, Conflict), lost
    assert "changed by 张三" in lost.message("en")
    g1 = first.get("grids", "G1")
    assert (g1["unit_code"], g1["version"]) == ("U5", 2)
    assert first.history("grids", "G1")["actor"].tolist() == ["张三"]


def test_two_simultaneous_edits_of_one_version_exactly_one_wins(two_stores) -> None:
    first, second = two_stores
    started = threading.Barrier(2)

    def edit(store: Store, unit: str, actor: str) -> Callable[[], Any]:
        def job() -> pd.DataFrame:
            started.wait()
            return store.update("grids", _assign(unit), actor=actor)

        return job

    results = _in_threads(edit(first, "U5", "张三"), edit(second, "U6", "李四"))
    wins = [i for i, r in enumerate(results) if isinstance(r, pd.DataFrame)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1, results
    assert len(conflicts) == 1, results
    winner, unit = [("张三", "U5"), ("李四", "U6")][wins[0]]
    assert f"changed by {winner}" in conflicts[0].message("en")
    g1 = first.get("grids", "G1")
    assert (g1["unit_code"], g1["version"]) == (unit, 2)
    assert first.history("grids", "G1")["actor"].tolist() == [winner]


def test_concurrent_bulk_edits_with_stale_versions_change_nothing(two_stores) -> None:
    first, second = two_stores
    both = pd.DataFrame({"code": ["G1", "G2"], "unit_code": ["U7", "U7"], "version": [1, 1]})
    first.update("grids", _assign("U5"), actor="张三")
    with pytest.raises(Conflict, match="changed by 张三"):
        second.update("grids", both, actor="李四")
    assert first.read("grids")["unit_code"].tolist() == ["U5", "U1"]


def test_concurrent_writers_both_finish(two_stores) -> None:
    first, second = two_stores
    started = threading.Barrier(2)

    def load(store: Store, prefix: str) -> Any:
        points = gpd.GeoDataFrame(
            {
                "code": [f"{prefix}{i}" for i in range(300)],
                "name": ["点位"] * 300,
                "point_type": ["market"] * 300,
            },
            geometry=shapely.points([[112.97 + i * 1e-5, 28.19] for i in range(300)]),
            crs="EPSG:4326",
        )
        started.wait()
        for chunk in range(3):
            store.write("points", points.iloc[chunk * 100 : (chunk + 1) * 100], actor=prefix)
        return store.data_version()

    results = _in_threads(lambda: load(first, "A"), lambda: load(second, "B"))
    assert all(isinstance(r, int) for r in results), results
    assert first.count("points") == 600
    assert len(first.read("points", bbox=(112.96, 28.18, 113.0, 28.2))) == 600


@pytest.fixture
def locked_sqlite(tmp_path) -> Any:
    """A SQLite store holding G1 and unit U9, and a raw connection that holds its write lock."""
    path = tmp_path / "busy.db"
    store = Store.open(f"sqlite:///{path}", check_schema=False)
    store.init()
    store.write("grids", _grids())
    units = gpd.GeoDataFrame(
        {"code": ["U9"], "name": ["城管局"]}, geometry=[shapely.Point(112.98, 28.2)], crs=4326
    )
    store.write("units", units)
    store.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield path
    holder.execute("ROLLBACK")
    holder.close()


def test_a_lock_wait_that_runs_out_is_a_clear_busy_error(locked_sqlite) -> None:
    store = Store.open(f"sqlite:///{locked_sqlite}?timeout=0.2")
    assert store.read("grids")["code"].tolist() == ["G1", "G2"]  # readers never wait
    with pytest.raises(StoreBusy, match="busy with another change; try again") as err:
        store.update("grids", _assign("U5"), actor="a")
    assert err.value.status == 503
    with pytest.raises(StoreBusy):
        store.write("grids", _grids().assign(code=["G3", "G4"]))
    assert store.get("grids", "G1")["version"] == 1
    store.close()


def test_cli_reports_a_busy_database_in_one_line(locked_sqlite) -> None:
    url = f"sqlite:///{locked_sqlite}?timeout=0.2"
    result = CliRunner().invoke(
        main, ["--db", url, "--lang", "en", "assign", "grids", "G1", "--unit", "U9"]
    )
    assert result.exit_code == 2, result.output
    assert "busy with another change" in result.output
    assert "Traceback" not in result.output
    assert "OperationalError" not in result.output


def test_data_version_counts_committed_writes_only(store: Store, tmp_path) -> None:
    start = store.data_version()
    store.write("grids", _grids())
    after_insert = store.data_version()
    store.update("grids", _assign("U5"), actor="a")
    after_update = store.data_version()
    store.update("grids", _assign("U5").drop(columns="version"), actor="a")  # no change
    store.read("grids")
    assert store.data_version() == after_update
    store.delete("grids", ["G2"], actor="a")
    after_delete = store.data_version()
    with store.transaction() as conn, store.bulk_load("grids", conn):
        store.write("grids", _grids().iloc[1:], conn=conn)
    after_bulk = store.data_version()

    def write_then_fail() -> None:
        with store.transaction() as conn:
            store.write("grids", _grids().assign(code=["G8", "G9"]), conn=conn)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert store.data_version() == after_bulk
    from citygrid.layers.io import import_file

    source = tmp_path / "more.geojson"
    _grids().assign(code=["G5", "G6"]).to_file(source)
    import_file(store, "grids", source, allow_missing_refs=True)
    steps = [start, after_insert, after_update, after_delete, after_bulk, store.data_version()]
    assert steps == sorted(set(steps)), steps
    assert store.data_version("grids") == 5  # only grids were written, five times
    with store.engine.connect() as conn:  # counters read without touching the layers
        names = conn.execute(sa.text("SELECT name FROM citygrid_meta ORDER BY name")).scalars()
        assert list(names) == ["data_version", "data_version:grids"]


def test_each_layer_counts_the_commits_that_wrote_it(store: Store) -> None:
    store.write("grids", _grids())
    grids, points = store.data_version("grids"), store.data_version("points")
    assert points == 0  # never written
    store.update("grids", _assign("U5"), actor="a")
    assert (store.data_version("grids"), store.data_version("points")) == (grids + 1, points)
    store.read("grids")
    with store.transaction() as conn:  # one commit writing two layers counts once for each
        store.delete("grids", ["G2"], actor="a", conn=conn)
        store.write("points", _points(), conn=conn)
    assert (store.data_version("grids"), store.data_version("points")) == (grids + 2, 1)
    assert store.data_version("units") == 0
