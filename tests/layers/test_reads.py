"""Columnar reads and grouped counts on both backends."""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.layers.columnar import point_coordinates
from citygrid.layers.store import Store


def _problems() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["P1", "P2", "P3", "P4"],
            "catalogue_code": ["C1", "C2", "C1", "C1"],
            "description": ["占道经营", None, "", "垃圾"],
            "status": ["open", "closed", "open", "open"],
            "reported_at": pd.to_datetime(
                ["2024-01-31 23:59:59.5", "2024-02-01", "2024-02-15 08:00", "2024-03-01"],
                format="ISO8601",
            ),
            "deadline": pd.to_datetime([None, "2024-02-03 12:00", None, None], format="ISO8601"),
            "grid_code": ["G1", "G1", None, "G2"],
            "recurrence": pd.array([None, 2, 0, -3], dtype="Int64"),
        },
        geometry=[
            shapely.Point(112.97, 28.19),
            shapely.Point(112.98, 28.195),
            shapely.Point(112.99, 28.2),
            shapely.Point(113.0, 28.21),
        ],
        crs="EPSG:4326",
    )


def _catalogue() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["C1", "C2"],
            "name": ["市容", "广告"],
            "level": ["item", "item"],
            "weight": [0.1 + 0.2, np.nan],
            "negative_list": pd.array([True, None], dtype="boolean"),
        }
    )


def test_columnar_read_keeps_values_types_and_missing_ones(store: Store) -> None:
    store.write("problems", _problems())
    store.write("catalogue", _catalogue())
    problems = store.read("problems")
    assert problems["code"].tolist() == ["P1", "P2", "P3", "P4"]
    assert problems["description"].tolist() == ["占道经营", None, "", "垃圾"]
    assert problems["grid_code"].tolist() == ["G1", "G1", None, "G2"]
    assert problems["reported_at"].dtype == "datetime64[ns]"
    assert problems["reported_at"].iloc[0] == pd.Timestamp("2024-01-31 23:59:59.5")
    assert problems["deadline"].isna().tolist() == [True, False, True, True]
    assert problems["recurrence"].dtype == "Int64"
    assert problems["recurrence"].tolist()[1:] == [2, 0, -3]
    assert problems["recurrence"].isna().tolist() == [True, False, False, False]
    assert problems.geometry.equals(_problems().geometry)
    catalogue = store.read("catalogue", columns=["code", "weight", "negative_list"])
    assert catalogue["weight"].iloc[0] == 0.1 + 0.2  # exactly, not to 15 digits
    assert np.isnan(catalogue["weight"].iloc[1])
    assert catalogue["negative_list"].dtype == "boolean"
    assert catalogue["negative_list"].isna().tolist() == [False, True]


def test_texts_csv_would_quote_and_polygons_read_back_as_stored(store: Store) -> None:
    """PostgreSQL's rows come as CSV: separators, quotes, line breaks and words a CSV
    reader might take for something else stay texts; polygons come back whole."""
    texts = ["第一行\n第二行", 'a,b "c"', "\\N", " t ", "NULL", "f", ""]
    problems = _problems().iloc[[0] * len(texts)].reset_index(drop=True)
    problems["code"] = [f"P{i}" for i in range(len(texts))]
    problems["description"] = texts
    store.write("problems", problems)
    assert store.read("problems")["description"].tolist() == texts
    cells = gpd.GeoDataFrame(
        {"code": ["G1", "G2"], "name": ["一号网格", "二号网格"]},
        geometry=[
            shapely.MultiPolygon([shapely.box(112.9, 28.1, 112.95, 28.15)]),
            shapely.MultiPolygon(
                [shapely.box(113.0, 28.1, 113.05, 28.15), shapely.box(113.1, 28.1, 113.2, 28.2)]
            ),
        ],
        crs="EPSG:4326",
    )
    store.write("grids", cells)
    read = store.read("grids")
    assert read["name"].tolist() == ["一号网格", "二号网格"]
    assert shapely.equals(read.geometry.to_numpy(), cells.geometry.to_numpy()).all()


def test_a_read_leaves_the_garbage_collector_as_it_found_it(store: Store) -> None:
    """SQLite reads pause the cyclic collector while they fetch; it runs again after,
    also when reads overlap in threads, and stays off if it was off."""
    store.write("problems", _problems())
    assert gc.isenabled()
    with ThreadPoolExecutor(4) as pool:
        frames = list(pool.map(lambda _: store.read("problems"), range(8)))
    assert all(len(frame) == 4 for frame in frames)
    assert gc.isenabled()
    gc.disable()
    try:
        store.read("problems")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_columnar_read_keeps_the_order_and_pages(store: Store) -> None:
    store.write("problems", _problems())
    newest = store.read("problems", columns=["code"], sort=[("reported_at", True)])
    assert newest["code"].tolist() == ["P4", "P3", "P2", "P1"]
    page = store.read("problems", columns=["code"], sort=[("reported_at", True)], offset=1, limit=2)
    assert page["code"].tolist() == ["P3", "P2"]
    assert len(store.read("problems", where={"code": "nothing"})) == 0


def test_count_by_groups_in_the_database(store: Store) -> None:
    store.write("problems", _problems())
    table = store.table("problems")
    by_cell = store.count_by("problems", ["grid_code"]).set_index("grid_code")["count"]
    assert by_cell.to_dict() == {"G1": 2, "G2": 1, None: 1}
    open_ones = store.count_by("problems", ["grid_code"], filters=[table.c.status == "open"])
    assert dict(zip(open_ones["grid_code"], open_ones["count"], strict=True)) == {
        "G1": 1,
        "G2": 1,
        None: 1,
    }
    monthly = store.count_by("problems", ["grid_code"], month_of="reported_at")
    months = {(g, m.strftime("%Y-%m-%d")): c for g, m, c in monthly.to_numpy()}
    assert months == {
        ("G1", "2024-01-01"): 1,
        ("G1", "2024-02-01"): 1,
        (None, "2024-02-01"): 1,
        ("G2", "2024-03-01"): 1,
    }
    assert store.count_by("problems", []).iloc[0]["count"] == 4
    nothing = store.count_by("problems", [], filters=[table.c.code == "none"]).iloc[0]
    assert nothing["count"] == 0


def test_value_range_gives_the_first_and_last_value_of_a_field(store: Store) -> None:
    store.write("problems", _problems())
    table = store.table("problems")
    first, last = store.value_range("problems", "reported_at")
    assert pd.Timestamp(first) == pd.Timestamp("2024-01-31 23:59:59.5")
    assert pd.Timestamp(last) == pd.Timestamp("2024-03-01")
    in_g1 = store.value_range("problems", "reported_at", filters=[table.c.grid_code == "G1"])
    assert pd.Timestamp(in_g1[1]) == pd.Timestamp("2024-02-01")
    assert store.value_range("problems", "recurrence") == (-3, 2)
    assert store.value_range("problems", "code") == ("P1", "P4")
    none = store.value_range("problems", "reported_at", filters=[table.c.code == "none"])
    assert all(pd.isna(v) for v in none)


def test_any_of_a_list_longer_than_drivers_allow_parameters(store: Store) -> None:
    """100,000 codes (psycopg takes at most 65,535 parameters); a quote in a code stays a
    value, not SQL."""
    store.write("problems", _problems())
    codes = [f"X{i}" for i in range(100_000)] + ["P2", "P4", "it's"]
    found = store.read("problems", where={"code": codes}, columns=["code"])
    assert found["code"].tolist() == ["P2", "P4"]
    changed = store.update(
        "problems", pd.DataFrame({"code": ["P2", "P4"], "status": ["open", "closed"]}), actor="t"
    )
    assert len(changed) == 2


def test_one_plain_row_holds_what_the_frame_holds(store: Store) -> None:
    store.write("problems", _problems())
    store.write("catalogue", _catalogue())
    for code in ("P1", "P2", "P3"):
        row = store.row("problems", {"code": code})
        frame = store.read("problems", where={"code": code}).iloc[0]
        assert row is not None
        assert "geom" not in row
        assert "geometry" not in row
        for name, value in row.items():
            expected = frame[name]
            assert (value is None and pd.isna(expected)) or value == expected, (code, name)
    assert store.row("problems", {"grid_code": "G1"})["code"] == "P1"  # type: ignore[index]
    first, second = store.row("catalogue", {"code": "C1"}), store.row("catalogue", {"code": "C2"})
    assert first is not None
    assert second is not None
    assert (first["name"], first["weight"], first["negative_list"]) == ("市容", 0.1 + 0.2, True)
    assert (second["name"], second["weight"], second["negative_list"]) == ("广告", None, None)
    assert store.row("problems", {"code": "P9"}) is None


def test_plain_points_are_decoded_by_numpy_and_anything_else_is_left_to_geos() -> None:
    points = shapely.points([113.0, 113.5], [28.0, 28.25])
    xy = point_coordinates(list(shapely.to_wkb(points)))
    assert xy is not None
    assert xy[0].tolist() == [113.0, 113.5]
    assert xy[1].tolist() == [28.0, 28.25]
    others = [
        [shapely.to_wkb(points[0]), None],  # a missing geometry
        list(shapely.to_wkb(shapely.points([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]))),  # 3-D
        [shapely.to_wkb(points[0]), shapely.to_wkb(shapely.Point())],  # empty: NaN
        list(shapely.to_wkb(points, byte_order=0)),  # big-endian
        [shapely.to_wkb(shapely.box(0, 0, 1, 1))],
    ]
    assert all(point_coordinates(values) is None for values in others)
