"""Large reads through ADBC, in ranges of fid: the same frame as the DB-API path, on SQLite
and on PostGIS.

The thresholds are lowered so that a few rows make several ranges; each
test reads the same store both ways and compares, or shows which reads
stay on the DB-API path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from citygrid.layers import adbc_reads
from citygrid.layers.store import Store

ROWS = 40


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store on a SQLite file, with the current schema."""
    store = Store.open(f"sqlite:///{tmp_path / '城市.db'}", check_schema=False)
    store.init()
    yield store
    store.close()


@pytest.fixture
def ranges_read(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple]]:
    """Reads of a few rows go through ADBC, ten fids a range, three at once; the queries
    each range ran."""
    monkeypatch.setattr(adbc_reads, "MIN_FIDS", 1)
    monkeypatch.setattr(adbc_reads, "RANGE_FIDS", 10)
    monkeypatch.setattr(adbc_reads, "WORKERS", 3)
    ran: list[tuple[str, tuple]] = []
    for name in ("_read_sqlite", "_read_postgres"):
        monkeypatch.setattr(adbc_reads, name, _counting(getattr(adbc_reads, name), ran))
    return ran


def _counting(read: Callable[..., Any], ran: list[tuple[str, tuple]]) -> Callable[..., Any]:
    def counted(source: Any, sql: str, params: tuple, rows: int) -> Any:
        ran.append((sql, params))
        return read(source, sql, params, rows)

    return counted


def _problems() -> gpd.GeoDataFrame:
    """Texts missing in the first range and set after (the driver would guess a number),
    a datetime, an integer missing at first, points and one missing geometry."""
    late = [None] * 15 + [f"值{i % 3}" for i in range(15, ROWS)]
    return gpd.GeoDataFrame(
        {
            "code": [f"P{i:03d}" for i in range(ROWS)],
            "catalogue_code": ["C1"] * ROWS,
            "description": late,
            "status": ["open" if i % 4 else "closed" for i in range(ROWS)],
            "reported_at": pd.date_range("2024-01-01 08:00:00.5", periods=ROWS, freq="h"),
            "grid_code": [None] * 10 + [f"G{i % 7}" for i in range(10, ROWS)],
            "recurrence": pd.array([None] * 12 + list(range(12, ROWS)), dtype="Int64"),
        },
        geometry=[None, *(shapely.Point(112.9 + i / 1000, 28.2) for i in range(1, ROWS))],
        crs="EPSG:4326",
    )


def _by_db_api(store: Store, monkeypatch: pytest.MonkeyPatch, **read: object) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(adbc_reads, "MIN_FIDS", 10**12)
        return store.read("problems", **read)  # type: ignore[arg-type]


def test_ranges_read_the_same_frame_as_the_db_api(
    store: Store, ranges_read: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("problems", _problems())
    through_adbc = store.read("problems")
    assert len(ranges_read) == 4  # forty fids, ten a range
    expected = _by_db_api(store, monkeypatch)
    pd.testing.assert_frame_equal(through_adbc, expected)
    assert through_adbc["description"].iloc[20] == "值2"
    assert through_adbc["description"].iloc[0] is None
    assert through_adbc["recurrence"].dtype == "Int64"
    assert through_adbc.geometry.iloc[0] is None


def test_a_column_missing_in_every_row_of_a_range_is_still_of_its_type(
    store: Store, ranges_read: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems = _problems()
    problems["deadline"] = [None] * 30 + [datetime(2024, 3, 1, 17, 30)] * 10
    store.write("problems", problems)
    frame = store.read("problems", columns=["code", "deadline", "closed_at"])
    assert ranges_read
    assert frame["deadline"].dtype == "datetime64[ns]"
    assert frame["deadline"].iloc[-1] == pd.Timestamp("2024-03-01 17:30")
    assert frame["closed_at"].isna().all()
    pd.testing.assert_frame_equal(
        frame, _by_db_api(store, monkeypatch, columns=["code", "deadline", "closed_at"])
    )


def test_a_filter_on_texts_runs_as_one_statement(
    store: Store, ranges_read: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("problems", _problems())
    wanted = {"status": ["closed"], "grid_code": [f"G{i}" for i in range(5)]}
    frame = store.read("problems", where=wanted)
    assert len(ranges_read) == 1  # on the filter's index, not through every range
    assert "fid >" not in ranges_read[0][0]
    pd.testing.assert_frame_equal(frame, _by_db_api(store, monkeypatch, where=wanted))
    assert set(frame["status"]) == {"closed"}


def test_polygons_among_points_are_read_by_geos(sqlite_store: Store, ranges_read: list) -> None:
    problems = _problems()  # a PostGIS column holds one geometry type; SQLite any
    problems.loc[5, "geometry"] = shapely.box(112.9, 28.2, 112.91, 28.21)
    sqlite_store.write("problems", problems)
    whole = sqlite_store.read("problems", order_by=None)
    assert ranges_read
    assert whole.geometry.iloc[5].equals(shapely.box(112.9, 28.2, 112.91, 28.21))
    assert whole.geometry.iloc[6].equals(problems.geometry.iloc[6])


def test_datetimes_in_a_filter_are_sent_as_the_store_keeps_them(
    store: Store, ranges_read: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("problems", _problems())
    table = store.table("problems")
    since = [table.c.reported_at >= datetime(2024, 1, 2, 9)]
    frame = store.read("problems", filters=since)
    assert ranges_read
    if store.engine.dialect.name == "sqlite":  # as the store keeps them: text
        assert all("2024-01-02 09:00:00.000000" in params for _, params in ranges_read)
    assert frame["reported_at"].min() == pd.Timestamp("2024-01-02 09:00:00.5")
    pd.testing.assert_frame_equal(frame, _by_db_api(store, monkeypatch, filters=since))


@pytest.mark.parametrize(
    "read",
    [
        {"reported_at_any_of": True},  # a list of values SQLAlchemy would convert each
        {"limit": 5},
        {"offset": 3},
        {"sort": [("code", True)]},
        {"in_transaction": True},
    ],
    ids=lambda read: next(iter(read)),
)
def test_reads_adbc_cannot_serve_take_the_db_api_path(
    sqlite_store: Store, ranges_read: list, read: dict
) -> None:
    sqlite_store.write("problems", _problems())
    table = sqlite_store.table("problems")
    if read.pop("reported_at_any_of", False):
        read["filters"] = [table.c.reported_at.in_([datetime(2024, 1, 2, 9, 0, 0, 500000)])]
    if read.pop("in_transaction", False):
        with sqlite_store.transaction() as conn:
            frame = sqlite_store.read("problems", conn=conn)
    else:
        frame = sqlite_store.read("problems", **read)
    assert not ranges_read
    assert len(frame) > 0
    if "filters" in read:
        assert frame["reported_at"].tolist() == [pd.Timestamp("2024-01-02 09:00:00.5")]


def test_a_transaction_sees_its_own_changes_and_a_new_read_sees_them_once_committed(
    store: Store, ranges_read: list
) -> None:
    store.write("problems", _problems())
    with store.transaction() as conn:
        store.update(
            "problems",
            pd.DataFrame({"code": ["P001"], "status": ["closed"]}),
            actor="测试",
            conn=conn,
        )
        assert store.read("problems", conn=conn)["status"].iloc[1] == "closed"
        assert not ranges_read
    assert store.read("problems")["status"].iloc[1] == "closed"
    assert ranges_read


def test_a_store_in_memory_reads_through_the_db_api(ranges_read: list) -> None:
    store = Store.open("sqlite://", check_schema=False)
    store.init()
    store.write("problems", _problems())
    assert len(store.read("problems")) == ROWS
    assert not ranges_read
    store.close()


def test_fids_far_apart_make_ranges_of_few_rows(store: Store, ranges_read: list) -> None:
    store.write("problems", _problems())
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE problems SET fid = 5000000000 WHERE code = 'P039'")
    frame = store.read("problems")
    assert len(ranges_read) == adbc_reads.MOST_RANGES
    assert frame["fid"].iloc[-1] == 5_000_000_000
    assert frame["code"].iloc[-1] == "P039"
    assert len(frame) == ROWS


def test_a_value_stored_as_another_type_falls_back_to_the_db_api(
    sqlite_store: Store, ranges_read: list
) -> None:
    sqlite_store.write("problems", _problems())
    with sqlite_store.transaction() as conn:  # SQLite keeps a blob in a TEXT column as a blob
        conn.exec_driver_sql("UPDATE problems SET description = x'e5a4a7' WHERE code = 'P030'")
    frame = sqlite_store.read("problems")
    assert ranges_read
    assert frame["description"].iloc[30] == "大".encode()
    assert frame["description"].iloc[31] == "值1"
