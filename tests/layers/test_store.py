"""The store on both backends: schema, reads by bbox and geometry, writes, edits, audit."""

from __future__ import annotations

import sqlite3
import threading

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from citygrid.errors import BadInput, Conflict, NotFound, SchemaError, StoreUnavailable
from citygrid.i18n import language
from citygrid.layers.edits import _json_texts, _set_fields
from citygrid.layers.frames import ColumnValues
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store


def _grids() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["G001", "G002", "G003"],
            "name": ["五一网格", "解放网格", "橘子洲网格"],
            "unit_code": ["U01", None, "U02"],
            "kind": ["general", "general", "special"],
        },
        geometry=[
            shapely.box(112.97, 28.19, 112.98, 28.20),
            shapely.box(112.98, 28.19, 112.99, 28.20),
            shapely.MultiPolygon([shapely.box(113.00, 28.19, 113.01, 28.20)]),
        ],
        crs="EPSG:4326",
    )


def test_write_then_read_round_trips_chinese_and_geometry(store: Store) -> None:
    fids = store.write("grids", _grids())
    assert len(fids) == 3
    grids = store.read("grids")
    assert grids.crs.to_epsg() == 4326
    assert grids["name"].tolist() == ["五一网格", "解放网格", "橘子洲网格"]
    assert grids["unit_code"].tolist() == ["U01", None, "U02"]
    assert set(grids.geom_type) == {"MultiPolygon"}
    assert grids.geometry.iloc[0].equals(
        shapely.MultiPolygon([shapely.box(112.97, 28.19, 112.98, 28.20)])
    )
    assert (grids["version"] == 1).all()


def test_bbox_and_intersects_filters_are_exact(store: Store) -> None:
    store.write("grids", _grids())
    in_bbox = store.read("grids", bbox=(112.975, 28.195, 112.976, 28.196))
    assert in_bbox["code"].tolist() == ["G001"]
    # The bbox of this triangle touches G002's box but the triangle itself does not.
    triangle = shapely.Polygon([(112.9995, 28.1999), (112.9999, 28.1999), (112.9999, 28.1995)])
    assert store.read("grids", intersects=triangle)["code"].tolist() == []
    assert store.read("grids", intersects=shapely.Point(113.005, 28.195))["code"].tolist() == [
        "G003"
    ]


def test_reprojects_metric_input_and_accepts_cgcs2000(store: Store) -> None:
    metric = _grids().to_crs("EPSG:32649")
    store.write("grids", metric.iloc[:1])
    cgcs = _grids().set_crs("EPSG:4490", allow_override=True).iloc[1:2]
    store.write("grids", cgcs)
    grids = store.read("grids")
    # Through UTM and back, each vertex lands within 1e-7 degrees (about 1 cm) of where
    # it was: the geometry itself is compared, not its area or bounds.
    for stored, expected in zip(grids.geometry, _grids().geometry.iloc[:2], strict=True):
        assert stored.geom_type == "MultiPolygon"
        assert shapely.hausdorff_distance(stored, expected) < 1e-7
        assert stored.normalize().equals_exact(
            shapely.MultiPolygon([expected]).normalize(), tolerance=1e-7
        )


def test_duplicate_codes_are_refused(store: Store) -> None:
    store.write("grids", _grids())
    repeated = _grids()
    repeated.loc[1, "code"] = "G001"
    with pytest.raises(Conflict, match="repeat in the data: G001"):
        store.write("grids", repeated, mode="replace")
    with pytest.raises(Conflict, match="already holds"):
        store.write("grids", _grids().iloc[:1])
    assert store.read("grids")["code"].tolist() == ["G001", "G002", "G003"]


def test_where_filters(store: Store) -> None:
    store.write("grids", _grids())
    assert store.read("grids", where={"unit_code": None})["code"].tolist() == ["G002"]
    assert store.read("grids", where={"code": ["G001", "G003"]})["code"].tolist() == [
        "G001",
        "G003",
    ]
    with pytest.raises(NotFound, match="no field"):
        store.read("grids", where={"colour": "red"})


def test_writes_in_one_transaction_land_together_or_not_at_all(store: Store) -> None:
    store.write("grids", _grids())

    def replace_then_fail() -> None:
        with store.transaction() as conn:
            store.write("grids", _grids().iloc[:1], mode="replace", conn=conn)
            assert store.count("grids", conn=conn) == 1
            raise RuntimeError("the import failed half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        replace_then_fail()
    assert store.read("grids")["code"].tolist() == ["G001", "G002", "G003"]
    assert len(store.read("grids", bbox=(112.97, 28.19, 113.01, 28.20))) == 3


def test_required_fields_are_checked_before_writing(store: Store) -> None:
    store.write("grids", _grids())
    broken = _grids()
    broken.loc[2, "name"] = None
    with pytest.raises(BadInput, match=r"name.*row 3"):
        store.write("grids", broken, mode="replace")
    assert store.count("grids") == 3


def test_update_bumps_version_and_audits(store: Store) -> None:
    store.write("grids", _grids())
    log = store.update(
        "grids",
        pd.DataFrame({"code": ["G002", "G001"], "unit_code": ["U03", "U01"], "version": [1, 1]}),
        actor="王planner",
        action="assign",
        reason="属地调整",
    )
    assert log["code"].tolist() == ["G002"]  # G001 already had U01: no change, no version bump
    grids = store.read("grids").set_index("code")
    assert grids.loc["G002", "unit_code"] == "U03"
    assert grids.loc["G002", "version"] == 2
    assert grids.loc["G001", "version"] == 1
    history = store.history("grids", "G002")
    assert history["actor"].tolist() == ["王planner"]
    assert history["reason"].tolist() == ["属地调整"]
    assert '"U03"' in history["after"].iloc[0]


def test_a_set_wise_update_changes_only_rows_still_at_the_version_read(store: Store) -> None:
    store.write("grids", _grids())
    table = store.table("grids")
    with store.transaction() as conn:
        conn.execute(table.update().where(table.c.code == "G002").values(version=5))
    with pytest.raises(Conflict), store.transaction() as conn:
        _set_fields(
            conn,
            get_layer("grids"),
            table,
            pd.DataFrame({"fid": [1, 2], "version": [1, 1]}),
            ["unit_code"],
            ColumnValues([["U07", "U08"]], 2),
        )
    stored = store.read("grids").set_index("code")
    assert stored["version"].tolist() == [1, 5, 1]  # the refusal rolled G001's change back
    assert stored.loc["G001", "unit_code"] == "U01"


def test_an_update_given_the_features_read_sets_them_at_the_version_read(store: Store) -> None:
    store.write("grids", _grids())
    read = store.read("grids", columns=["code", "unit_code"])
    changes = pd.DataFrame({"code": ["G001", "G002"], "unit_code": ["U01", "U07"]})
    log = store.update("grids", changes, actor="路由", action="reroute", current=read)
    assert log["code"].tolist() == ["G002"]  # G001 held U01 as read: no change
    assert store.read("grids").set_index("code").loc["G002", "unit_code"] == "U07"
    store.update("grids", pd.DataFrame({"code": ["G003"], "unit_code": ["U05"]}), actor="张三")
    stale = pd.DataFrame({"code": ["G002", "G003"], "unit_code": ["U08", "U09"]})
    with pytest.raises(Conflict, match="changed by someone else"):
        store.update("grids", stale, actor="路由", action="reroute", current=read)
    stored = store.read("grids").set_index("code")
    assert stored.loc[["G002", "G003"], "unit_code"].tolist() == ["U07", "U05"]
    assert stored.loc[["G002", "G003"], "version"].tolist() == [2, 2]


def test_an_update_of_many_features_audits_each_with_its_dates(store: Store) -> None:
    grids = pd.concat([_grids()] * 50, ignore_index=True)
    grids["code"] = [f"G{i:04d}" for i in range(len(grids))]
    store.write("grids", grids)
    changes = pd.DataFrame({"code": grids["code"], "unit_code": "U09"})
    log = store.update("grids", changes, actor="李四", action="assign")
    stored = store.read("grids")
    assert len(log) == len(grids)
    assert (stored["unit_code"] == "U09").all()
    assert (stored["version"] == 2).all()
    history = store.history("grids", "G0007")
    assert history["action"].tolist() == ["assign"]
    assert history["after"].iloc[0] == '{"unit_code": "U09"}'
    assert pd.api.types.is_datetime64_any_dtype(pd.to_datetime(history["at"]))


def test_audit_texts_of_equal_values_are_shared_but_never_across_types() -> None:
    values = [{"n": 1}, {"n": True}, {"n": 1.0}, {"n": 1}, {"n": [1, "二"]}, {}, {"n": None}]
    assert _json_texts(values) == [
        '{"n": 1}',
        '{"n": true}',
        '{"n": 1.0}',
        '{"n": 1}',
        '{"n": [1, "二"]}',
        "{}",
        '{"n": null}',
    ]


def test_stale_edit_is_refused_naming_who_changed_first(store: Store) -> None:
    store.write("grids", _grids())
    store.update(
        "grids",
        pd.DataFrame({"code": ["G001"], "unit_code": ["U05"], "version": [1]}),
        actor="张三",
    )
    with pytest.raises(Conflict, match="changed by 张三") as err:
        store.update(
            "grids",
            pd.DataFrame({"code": ["G001"], "unit_code": ["U06"], "version": [1]}),
            actor="李四",
        )
    assert err.value.status == 409
    assert store.read("grids", where={"code": "G001"})["unit_code"].tolist() == ["U05"]


def test_update_unknown_code_changes_nothing(store: Store) -> None:
    store.write("grids", _grids())
    with pytest.raises(NotFound, match="G999"):
        store.update(
            "grids", pd.DataFrame({"code": ["G001", "G999"], "unit_code": ["X", "Y"]}), actor="a"
        )
    assert store.read("grids", where={"code": "G001"})["unit_code"].tolist() == ["U01"]


def test_update_geometry_moves_the_spatial_index(store: Store) -> None:
    store.write("grids", _grids())
    moved = gpd.GeoDataFrame(
        {"code": ["G001"]}, geometry=[shapely.box(113.1, 28.3, 113.11, 28.31)], crs="EPSG:4326"
    )
    store.update("grids", moved, actor="a")
    assert store.read("grids", bbox=(112.97, 28.19, 112.975, 28.195)).empty
    assert store.read("grids", bbox=(113.1, 28.3, 113.2, 28.4))["code"].tolist() == ["G001"]


def test_delete_audits_and_unindexes(store: Store) -> None:
    store.write("grids", _grids())
    assert store.delete("grids", ["G003"], actor="a", reason="合并") == 1
    assert store.read("grids", bbox=(113.0, 28.19, 113.01, 28.2)).empty
    assert store.history("grids", "G003")["action"].tolist() == ["delete"]


def test_tables_without_geometry(store: Store) -> None:
    people = pd.DataFrame(
        {"code": ["P1"], "name": ["李巷长"], "role": ["alley_head"], "unit_code": ["U01"]}
    )
    store.write("people", people)
    read = store.read("people")
    assert not isinstance(read, gpd.GeoDataFrame)
    assert read["name"].tolist() == ["李巷长"]
    with pytest.raises(BadInput):
        store.read("people", bbox=(0, 0, 1, 1))


def test_bad_bbox_is_refused(store: Store) -> None:
    with pytest.raises(BadInput, match="min <= max"):
        store.read("grids", bbox=(113, 28, 112, 29))


def test_a_closed_store_refuses_reads_and_writes(database_url: str) -> None:
    closing = Store.open(database_url)
    people = pd.DataFrame(
        {"code": ["P1"], "name": ["李巷长"], "role": ["alley_head"], "unit_code": ["U01"]}
    )
    closing.write("people", people)
    closing.close()
    for work in (
        lambda: closing.read("people"),
        lambda: closing.row("people", {"code": "P1"}),
        lambda: closing.write("people", people.assign(code="P2")),
        closing.data_version,
    ):
        with pytest.raises(StoreUnavailable, match="is closed; open it again"):
            work()
    reopened = Store.open(database_url)
    assert reopened.read("people")["code"].tolist() == ["P1"]
    reopened.close()


def test_closing_waits_for_the_reads_under_way_in_other_threads(database_url: str) -> None:
    closing = Store.open(database_url)
    reading, release = threading.Event(), threading.Event()
    found: list[int] = []

    def read() -> None:
        with closing.reader() as conn:
            reading.set()
            release.wait(10)
            found.append(conn.exec_driver_sql("SELECT 1").scalar_one())

    reader = threading.Thread(target=read)
    reader.start()
    assert reading.wait(10)
    closer = threading.Thread(target=closing.close)
    closer.start()
    closer.join(0.3)
    assert closer.is_alive()  # it waits for the read, which still has its connection
    with pytest.raises(StoreUnavailable, match="is closed"):
        closing.data_version()  # and refuses new work meanwhile
    release.set()
    reader.join(10)
    closer.join(10)
    assert found == [1]
    assert not closer.is_alive()


def test_unparseable_url_and_unreachable_server() -> None:
    with pytest.raises(StoreUnavailable, match="does not parse"):
        Store.open("not a url")
    with pytest.raises(StoreUnavailable, match="Cannot reach"):
        Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(StoreUnavailable, match="not supported"):
        Store.open("mysql://root@127.0.0.1/test")


def test_schema_missing_old_and_newer(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(StoreUnavailable, match=r"x\.db does not exist.*citygrid init"):
        Store.open(url)
    assert not (tmp_path / "x.db").exists()
    sqlite3.connect(tmp_path / "x.db").close()
    with pytest.raises(SchemaError, match=r"no citygrid schema.*citygrid init"):
        Store.open(url)
    store = Store.open(url, check_schema=False)
    store.init()
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaError, match="newer version"):
        Store.open(url)
    with pytest.raises(SchemaError, match="newer version"):
        store.init()


def test_extent(store: Store) -> None:
    assert store.extent("grids") is None
    store.write("grids", _grids())
    assert store.extent("grids") == pytest.approx((112.97, 28.19, 113.01, 28.20))


def test_messages_default_to_chinese() -> None:
    with language("zh_CN"), pytest.raises(NotFound) as err:
        get_layer("roads")
    assert "未知图层" in str(err.value.message("zh_CN"))
    assert "Unknown layer" in err.value.message("en")


def test_datetime_filters_include_exact_midnight(store: Store) -> None:
    problems = gpd.GeoDataFrame(
        {
            "code": ["W1", "W2"],
            "catalogue_code": ["C1", "C1"],
            "status": ["open", "open"],
            "reported_at": pd.to_datetime(["2024-01-01 00:00:00", "2023-12-31 23:59:59"]),
        },
        geometry=[shapely.Point(112.98, 28.2), shapely.Point(112.99, 28.2)],
        crs="EPSG:4326",
    )
    store.write("problems", problems)
    table = store.table("problems")
    since = pd.Timestamp("2024-01-01").to_pydatetime()
    found = store.read("problems", filters=[table.c.reported_at >= since])
    assert found["code"].tolist() == ["W1"]
    assert found["reported_at"].iloc[0] == pd.Timestamp("2024-01-01")


def test_update_compares_values_by_field_type(store: Store) -> None:
    problems = gpd.GeoDataFrame(
        {
            "code": ["Q1", "Q2"],
            "catalogue_code": ["C1", "C1"],
            "status": ["open", "open"],
            "reported_at": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "recurrence": [3, None],
        },
        geometry=[shapely.Point(112.98, 28.2), shapely.Point(112.99, 28.2)],
        crs="EPSG:4326",
    )
    store.write("problems", problems)
    same = pd.DataFrame(
        {
            "code": ["Q1", "Q2"],
            "reported_at": ["2024-01-01", "2024-02-01"],
            "recurrence": [3.0, None],
        }
    )
    assert store.update("problems", same, actor="a").empty
    changed = pd.DataFrame({"code": ["Q2"], "recurrence": [1]})
    log = store.update("problems", changed, actor="a")
    assert log["before"].tolist() == [{"recurrence": None}]
    assert log["after"].tolist() == [{"recurrence": 1}]


def test_bulk_load_rebuilds_indexes_and_refuses_clashing_codes(store: Store) -> None:
    store.write("grids", _grids().iloc[:1])
    with store.transaction() as conn, store.bulk_load("grids", conn):
        store.write("grids", _grids().iloc[1:], conn=conn)
    assert store.read("grids", bbox=(112.97, 28.19, 113.01, 28.20))["code"].tolist() == [
        "G001",
        "G002",
        "G003",
    ]

    def load_clash() -> None:
        with store.transaction() as conn, store.bulk_load("grids", conn):
            store.write("grids", _grids().iloc[:1], conn=conn)

    with pytest.raises(Conflict, match="already holds"):
        load_clash()
    assert store.count("grids") == 3
    with pytest.raises(Conflict):  # the unique index is back after the failed load
        store.write("grids", _grids().iloc[:1])


def test_a_bulk_load_indexes_every_geometry_as_it_stands_when_the_load_ends(
    store: Store,
) -> None:
    store.write("grids", _grids().iloc[:1])
    moved = gpd.GeoDataFrame(
        {"code": ["G001"]}, geometry=[shapely.box(113.02, 28.19, 113.03, 28.20)], crs="EPSG:4326"
    )
    with store.transaction() as conn, store.bulk_load("grids", conn):
        store.write("grids", _grids().iloc[1:], conn=conn)
        store.update("grids", moved, actor="planner", conn=conn)
    assert store.read("grids", bbox=(113.021, 28.191, 113.022, 28.192))["code"].tolist() == ["G001"]
    assert store.read("grids", bbox=(112.971, 28.191, 112.972, 28.192)).empty
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT rtreecheck('rtree_grids')").scalar() == "ok"
            assert conn.exec_driver_sql("SELECT count(*) FROM rtree_grids").scalar() == 3

    def failed_load() -> None:
        with store.transaction() as conn, store.bulk_load("grids", conn):
            store.write("grids", _grids().iloc[:0].assign(code=[]), conn=conn)
            raise RuntimeError("the load broke off")

    with pytest.raises(RuntimeError):
        failed_load()
    later = _grids().iloc[:1].assign(code="G004", geometry=[shapely.box(113.1, 28.3, 113.2, 28.4)])
    store.write("grids", later)  # indexed as it is written: the failed load deferred nothing
    assert store.read("grids", bbox=(113.15, 28.35, 113.16, 28.36))["code"].tolist() == ["G004"]


def test_declared_multi_field_indexes_exist(store: Store) -> None:
    with store.engine.connect() as conn:
        indexes = {
            i["name"]: i["column_names"] for i in sa.inspect(conn).get_indexes("inspections")
        }
    assert indexes["ix_inspections_point_code_inspected_at"] == ["point_code", "inspected_at"]
    assert indexes["ix_inspections_alley_code_inspected_at"] == ["alley_code", "inspected_at"]
