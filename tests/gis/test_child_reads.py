"""GDAL queries run in a child process: the same rows as in this one, errors that say why."""

from __future__ import annotations

import shutil
import sqlite3
import sys
import sysconfig
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pyogrio
import pytest
import shapely
from sqlite_locks import second_writer_is_locked_out

from citygrid.errors import BadInput
from citygrid.gis.formats.child_reads import (
    PYTHON_VARIABLE,
    ChildReadFailed,
    child_python,
    query_batches,
)


@pytest.fixture
def places(tmp_path: Path) -> Path:
    """A GeoPackage of 10 named points."""
    path = tmp_path / "places.gpkg"
    frame = gpd.GeoDataFrame(
        {"name": [f"胡同{i}号" for i in range(10)], "n": range(10)},
        geometry=shapely.points(range(10), range(10)),
        crs="EPSG:4326",
    )
    pyogrio.write_dataframe(frame, path, layer="places")
    return path


def test_the_child_sends_what_gdal_reads_here_a_batch_at_a_time(places: Path) -> None:
    sql = "SELECT name, n FROM places WHERE n >= 3 ORDER BY n"
    with query_batches(places, sql, batch_size=4) as batches:
        read = list(batches)
    assert [b.num_rows for b in read] == [4, 3]
    _, here = pyogrio.read_arrow(places, sql=sql)
    assert pa.Table.from_batches(read).equals(here)
    assert read[0].column(0).to_pylist()[0] == "胡同3号"


def test_a_query_gdal_refuses_fails_with_its_message(places: Path) -> None:
    with (
        pytest.raises(ChildReadFailed, match="no_such_table"),
        query_batches(places, "SELECT * FROM no_such_table"),
    ):
        pass


def test_a_file_gdal_cannot_open_fails_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.gpkg"
    with pytest.raises(ChildReadFailed, match=r"missing\.gpkg"), query_batches(missing, "SELECT 1"):
        pass


def test_a_block_that_stops_early_stops_the_child(places: Path) -> None:
    with query_batches(places, "SELECT * FROM places", batch_size=1) as batches:
        first = batches.read_next_batch()
    assert first.num_rows == 1


def test_a_block_that_raises_passes_its_error_on(places: Path) -> None:
    with pytest.raises(KeyError), query_batches(places, "SELECT * FROM places"):
        raise KeyError("stop")


def test_inside_a_server_that_embeds_python_the_child_runs_on_the_environment_s_python(
    places: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mod_wsgi and uWSGI give their own program as sys.executable.
    monkeypatch.delenv(PYTHON_VARIABLE, raising=False)
    monkeypatch.setattr(sys, "executable", shutil.which("sh"))
    python = child_python()
    assert Path(python).name.startswith("python")
    assert Path(python).parent == Path(sysconfig.get_path("scripts"))
    with query_batches(places, "SELECT n FROM places") as batches:
        assert pa.Table.from_batches(list(batches)).num_rows == 10


def test_the_interpreter_can_be_named_and_a_wrong_name_is_refused_clearly(
    places: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(PYTHON_VARIABLE, sys.executable)
    assert child_python() == sys.executable
    monkeypatch.setenv(PYTHON_VARIABLE, str(tmp_path / "no-python"))
    with (
        pytest.raises(BadInput, match=f"{PYTHON_VARIABLE}=.*no-python is not a file"),
        query_batches(places, "SELECT n FROM places"),
    ):
        pass


def test_reading_leaves_this_process_s_write_lock_held(tmp_path: Path) -> None:
    """The reason for the child: GDAL's SQLite closing the file here would drop the lock."""
    path = tmp_path / "held.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (x INTEGER)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    try:
        with query_batches(path, "SELECT x FROM t") as batches:
            assert pa.Table.from_batches(list(batches), batches.schema).num_rows == 0
        assert second_writer_is_locked_out(path)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
