"""Import and export through the store, on SQLite and PostGIS, with real files.

Every bad input is a real file made here; each must leave the database
exactly as it was (same counts, same features, same audit log).
"""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pytest
import shapely
from sqlite_locks import second_writer_is_locked_out

from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.gis.crs import gcj02_to_wgs84, wgs84_to_gcj02
from citygrid.gis.formats import write_frame
from citygrid.i18n import language
from citygrid.layers import importing
from citygrid.layers.arrow_reads import GEOMETRY_COLUMN, LayerBatches, layer_schema
from citygrid.layers.import_values import typed_column
from citygrid.layers.io import export_layer, import_file, write_layer_file, write_layers_file
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store

FORMATS = ["gpkg", "geojson", "shp", "zip", "kml", "fgb", "parquet", "csv"]


def problems_frame(n: int = 4, start: int = 0) -> gpd.GeoDataFrame:
    """Problems as a surveyor's file would hold them: Chinese labels and values."""
    rng = np.random.default_rng(start)
    statuses = ["待处置", "已派遣", "返工", "已结案"]
    return gpd.GeoDataFrame(
        {
            "问题编号": [f"WT{start + i:05d}" for i in range(n)],
            "测评条目": ["T-09-09"] * n,
            "问题描述": [f"解放路{i}号门前垃圾堆放" for i in range(n)],
            "状态": [statuses[i % 4] for i in range(n)],
            "发现时间": [f"2025-0{1 + i % 9}-1{i % 10} 09:30:00" for i in range(n)],
            "反弹次数": [float(i % 3) for i in range(n)],
        },
        geometry=shapely.points(116.38 + rng.uniform(0, 0.05, n), 39.90 + rng.uniform(0, 0.03, n)),
        crs="EPSG:4326",
    )


def snapshot(store: Store) -> tuple[dict[str, int], list[tuple]]:
    counts = store.counts()
    problems = store.read("problems")
    rows = [(r.code, r.status, r.version, r.geometry.wkt) for r in problems.itertuples(index=False)]
    return counts, rows


@pytest.fixture
def store(store: Store) -> Store:
    """The conftest store, holding the catalogue item and units the test files refer to."""
    store.write(
        "catalogue", pd.DataFrame({"code": ["T-09-09"], "name": ["测试"], "level": ["item"]})
    )
    units = gpd.GeoDataFrame(
        {"code": ["U1", "U2"], "name": ["一单位", "二单位"]},
        geometry=shapely.points([116.39, 116.40], [39.90, 39.91]),
        crs="EPSG:4326",
    )
    store.write("units", units)
    return store


@pytest.fixture
def seeded(store: Store, tmp_path: Path) -> Store:
    """A store holding four problems, imported from a GeoPackage."""
    write_frame(problems_frame(), tmp_path / "seed.gpkg")
    import_file(store, "problems", tmp_path / "seed.gpkg")
    return store


# -- round trips -----------------------------------------------------------------


@pytest.mark.parametrize("ext", FORMATS)
def test_round_trip_every_format_with_chinese_labels(
    seeded: Store, tmp_path: Path, ext: str
) -> None:
    before = seeded.read("problems").sort_values("code").reset_index(drop=True)
    out = tmp_path / f"问题导出.{ext}"
    report = export_layer(seeded, "problems", out, labels="zh")
    assert report.features == 4
    imported = import_file(seeded, "problems", out, mode="replace")
    assert imported.features == 4
    assert imported.mapping["status"] == "状态"
    after = seeded.read("problems").sort_values("code").reset_index(drop=True)
    columns = ["code", "catalogue_code", "description", "status", "reported_at", "recurrence"]
    pd.testing.assert_frame_equal(after[columns], before[columns])
    assert after["description"].iloc[1] == "解放路1号门前垃圾堆放"
    assert shapely.equals_exact(
        after.geometry.to_numpy(), before.geometry.to_numpy(), tolerance=1e-9
    ).all()


@pytest.mark.parametrize("ext", ["gpkg", "shp", "csv"])
def test_round_trip_with_field_names(seeded: Store, tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"problems.{ext}"
    export_layer(seeded, "problems", out)
    report = import_file(seeded, "problems", out, mode="replace")
    assert report.mapping["reported_at"] == "reported_at"
    assert seeded.count("problems") == 4


def test_import_finds_fields_by_en_label_and_explicit_map(store: Store, tmp_path: Path) -> None:
    frame = problems_frame(2).rename(
        columns={"问题编号": "编号", "测评条目": "catalogue item", "状态": "Status"}
    )
    write_frame(frame, tmp_path / "p.geojson")
    report = import_file(store, "problems", tmp_path / "p.geojson", mapping={"问题编号": "编号"})
    assert report.mapping["code"] == "编号"
    assert report.mapping["catalogue_code"] == "catalogue item"
    assert report.mapping["status"] == "Status"
    assert "编号" not in report.ignored
    assert sorted(store.read("problems")["code"]) == ["WT00000", "WT00001"]


def test_append_replace_and_dry_run(seeded: Store, tmp_path: Path) -> None:
    write_frame(problems_frame(3, start=100), tmp_path / "more.gpkg")
    before = snapshot(seeded)
    dry = import_file(seeded, "problems", tmp_path / "more.gpkg", dry_run=True)
    assert dry.dry_run
    assert dry.features == 3
    assert snapshot(seeded) == before
    import_file(seeded, "problems", tmp_path / "more.gpkg")
    assert seeded.count("problems") == 7
    import_file(seeded, "problems", tmp_path / "more.gpkg", mode="replace")
    assert sorted(seeded.read("problems")["code"]) == ["WT00100", "WT00101", "WT00102"]


def test_streaming_in_batches_reports_progress(store: Store, tmp_path: Path) -> None:
    write_frame(problems_frame(25), tmp_path / "p.fgb")
    calls: list[tuple[int, int]] = []
    report = import_file(
        store,
        "problems",
        tmp_path / "p.fgb",
        batch_size=10,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert report.features == 25
    assert calls == [(10, 25), (20, 25), (25, 25)]
    assert store.count("problems") == 25


def test_error_in_a_late_batch_leaves_nothing(seeded: Store, tmp_path: Path) -> None:
    frame = problems_frame(25, start=200)
    frame.loc[22, "状态"] = "不知道"
    write_frame(frame, tmp_path / "p.gpkg")
    before = snapshot(seeded)
    with pytest.raises(BadInput, match=r"rows 23 have values not allowed in status: 不知道"):
        import_file(seeded, "problems", tmp_path / "p.gpkg", batch_size=10, mode="replace")
    assert snapshot(seeded) == before


def test_duplicate_codes_across_batches_name_the_row(store: Store, tmp_path: Path) -> None:
    frame = problems_frame(6)
    frame.loc[5, "问题编号"] = frame.loc[0, "问题编号"]
    write_frame(frame, tmp_path / "dup.geojson")
    with pytest.raises(BadInput, match=r"rows 6 repeat codes .*WT00000"):
        import_file(store, "problems", tmp_path / "dup.geojson", batch_size=4)
    assert store.count("problems") == 0


def test_codes_already_stored_conflict(seeded: Store, tmp_path: Path) -> None:
    write_frame(problems_frame(2), tmp_path / "again.gpkg")
    late = pd.concat([problems_frame(3, start=50), problems_frame(1, start=3)], ignore_index=True)
    write_frame(late, tmp_path / "late.gpkg")
    before = snapshot(seeded)
    with pytest.raises(Conflict, match=r"again\.gpkg: rows 1, 2 have codes .*WT00000, WT00001"):
        import_file(seeded, "problems", tmp_path / "again.gpkg")
    with pytest.raises(Conflict, match=r"late\.gpkg: rows 4 have codes .*WT00003"):
        import_file(seeded, "problems", tmp_path / "late.gpkg", batch_size=2)
    assert snapshot(seeded) == before


def test_invalid_polygons_repaired_and_counted_or_refused(store: Store, tmp_path: Path) -> None:
    bowtie = shapely.Polygon([(116.0, 39.0), (116.1, 39.1), (116.1, 39.0), (116.0, 39.1)])
    grids = gpd.GeoDataFrame(
        {"网格编码": ["G1", "G2"], "网格名称": ["一网格", "二网格"]},
        geometry=[shapely.box(116.2, 39.0, 116.3, 39.1), bowtie],
        crs="EPSG:4326",
    )
    write_frame(grids, tmp_path / "grids.gpkg")
    with pytest.raises(BadInput, match=r"invalid geometries in rows 2"):
        import_file(store, "grids", tmp_path / "grids.gpkg", strict=True)
    assert store.count("grids") == 0
    report = import_file(store, "grids", tmp_path / "grids.gpkg")
    assert report.repaired == 1
    assert report.repaired_rows == [2]
    stored = store.read("grids")
    assert stored.geometry.is_valid.all()
    assert (stored.geometry.geom_type == "MultiPolygon").all()


def test_non_spatial_layer_from_gbk_csv_and_geopackage(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes("人员编码,姓名,职务,所属单位\nR1,张伟,网格员,U1\n".encode("gb18030"))
    assert import_file(store, "people", path).features == 1
    table = pd.DataFrame(
        {
            "人员编码": ["R2", "R3"],
            "姓名": ["李娜", "王芳"],
            "职务": ["street_head", "Point head"],
            "所属单位": ["U1", "U2"],
        }
    )
    write_frame(table, tmp_path / "people.gpkg")
    assert import_file(store, "people", tmp_path / "people.gpkg").features == 2
    assert store.read("people")["role"].tolist() == ["grid_manager", "street_head", "point_head"]
    export_layer(store, "people", tmp_path / "back.csv", labels="zh")
    back = pd.read_csv(tmp_path / "back.csv", encoding="utf-8-sig")
    assert back["职务"].tolist() == ["网格员", "街长", "点长"]
    assert back["姓名"].tolist() == ["张伟", "李娜", "王芳"]


# -- CRS ---------------------------------------------------------------------------


def test_projected_file_is_reprojected(store: Store, tmp_path: Path) -> None:
    frame = problems_frame(3)
    write_frame(frame.to_crs("EPSG:4548"), tmp_path / "gk.shp")
    import_file(store, "problems", tmp_path / "gk.shp")
    stored = store.read("problems").sort_values("code")
    assert np.allclose(stored.geometry.x, frame.geometry.x, atol=1e-7)


def test_gcj02_file_is_shifted_to_wgs84(store: Store, tmp_path: Path) -> None:
    frame = problems_frame(3)
    lon, lat = wgs84_to_gcj02(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    amap = frame.set_geometry(gpd.GeoSeries(shapely.points(lon, lat), crs="EPSG:4326"))
    write_frame(amap, tmp_path / "amap.geojson")
    report = import_file(store, "problems", tmp_path / "amap.geojson", crs="gcj02")
    assert report.crs == "gcj02"
    stored = store.read("problems").sort_values("code")
    assert np.allclose(stored.geometry.x, frame.geometry.x, atol=1e-8)
    assert np.allclose(stored.geometry.y, frame.geometry.y, atol=1e-8)


def test_export_to_gcj02_and_bd09(seeded: Store, tmp_path: Path) -> None:
    stored = seeded.read("problems").sort_values("code")
    export_layer(seeded, "problems", tmp_path / "gcj.geojson", crs="gcj02")
    out = gpd.read_file(tmp_path / "gcj.geojson").sort_values("code")
    back_lon, back_lat = gcj02_to_wgs84(out.geometry.x.to_numpy(), out.geometry.y.to_numpy())
    assert np.allclose(back_lon, stored.geometry.x, atol=1e-8)
    assert np.allclose(back_lat, stored.geometry.y, atol=1e-8)
    assert not np.allclose(out.geometry.x, stored.geometry.x, atol=1e-4)
    export_layer(seeded, "problems", tmp_path / "bd.csv", crs="bd09")
    import_file(seeded, "problems", tmp_path / "bd.csv", crs="bd09", mode="replace")
    again = seeded.read("problems").sort_values("code")
    assert np.allclose(again.geometry.x, stored.geometry.x, atol=1e-8)


# -- export filters ---------------------------------------------------------------


def test_export_with_where_and_bbox(seeded: Store, tmp_path: Path) -> None:
    out = tmp_path / "open.gpkg"
    report = export_layer(seeded, "problems", out, where="status in (open, reopened)")
    assert report.features == 2
    assert set(pyogrio.read_dataframe(out)["status"]) == {"open", "reopened"}
    report = export_layer(
        seeded,
        "problems",
        out,
        where=["status=待处置", "reported_at>=2025-01-01"],
        overwrite=True,
    )
    assert report.features == 1
    report = export_layer(
        seeded, "problems", out, where="status = closed or status = open", overwrite=True
    )
    assert report.features == 2
    stored = seeded.read("problems")
    x, y = stored.geometry.x.iloc[0], stored.geometry.y.iloc[0]
    box = (x - 1e-6, y - 1e-6, x + 1e-6, y + 1e-6)
    report = export_layer(seeded, "problems", out, bbox=box, overwrite=True)
    assert report.features == 1


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("status='open'; DROP TABLE problems", "does not parse"),
        ("status = open or 1=1", "no field '1'"),
        ("reported_at >= yesterday", "not a datetime"),
        ("status in (open", "ends where"),
        ("status ~ open", "does not parse"),
        ("colour=red", "no field 'colour'"),
        ("status=maybe", "not a value of status"),
    ],
)
def test_where_refuses_bad_filters_without_touching_sql(
    seeded: Store, tmp_path: Path, where: str, message: str
) -> None:
    with pytest.raises((BadInput, NotFound), match=message):
        export_layer(seeded, "problems", tmp_path / "x.gpkg", where=where)
    assert seeded.count("problems") == 4


def test_geopackage_export_carries_the_qgis_style(seeded: Store, tmp_path: Path) -> None:
    export_layer(seeded, "problems", tmp_path / "p.gpkg")
    with sqlite3.connect(tmp_path / "p.gpkg") as conn:
        table, qml, sld, default = conn.execute(
            "SELECT f_table_name, styleQML, styleSLD, useAsDefault FROM layer_styles"
        ).fetchone()
    assert (table, default) == ("problems", 1)
    assert "SimpleMarker" in qml
    assert "215,48,31" in qml
    assert "PointSymbolizer" in sld


@pytest.mark.parametrize("ext", ["gpkg", "fgb"])
def test_a_whole_layer_export_read_by_gdal_equals_the_frame_s(
    seeded: Store, tmp_path: Path, ext: str
) -> None:
    more = problems_frame(2, start=10).assign(发现时间="2025-03-01 09:30:00.123456")
    more["反弹次数"] = [None, 2.0]  # an integer field with a null
    write_frame(more, tmp_path / "more.gpkg")
    import_file(seeded, "problems", tmp_path / "more.gpkg")
    whole = tmp_path / f"whole.{ext}"
    report = export_layer(seeded, "problems", whole)
    framed = tmp_path / f"framed.{ext}"  # a bbox over the world reads the frame
    export_layer(seeded, "problems", framed, bbox=(-180, -90, 180, 90))
    assert report.features == 6
    read = {"layer": "problems"} if ext == "gpkg" else {}
    assert _info(whole, **read) == _info(framed, **read)
    expected = pyogrio.read_dataframe(framed, **read)
    assert expected["description"].str.contains("解放路").all()
    pd.testing.assert_frame_equal(pyogrio.read_dataframe(whole, **read), expected)
    empty = tmp_path / f"empty.{ext}"
    export_layer(seeded, "grids", empty)  # no features: a layer all the same
    grids = {"layer": "grids"} if ext == "gpkg" else {}
    assert _info(empty, **grids)["geometry_type"] == "MultiPolygon"
    assert pyogrio.read_dataframe(empty, **grids).empty


def test_an_export_reports_its_progress_in_features(seeded: Store, tmp_path: Path) -> None:
    whole: list[tuple[int, int]] = []
    export_layer(seeded, "problems", tmp_path / "whole.gpkg", progress=lambda *c: whole.append(c))
    assert whole == [(4, 4)]
    some: list[tuple[int, int]] = []
    export_layer(
        seeded,
        "problems",
        tmp_path / "some.gpkg",
        where="code = WT00001",
        progress=lambda *c: some.append(c),
    )
    assert some == [(1, 1)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_whole_layer_export_leaves_the_store_s_write_lock_held(
    seeded: Store, tmp_path: Path
) -> None:
    """GDAL reads the SQLite store in a child process: its own SQLite closing the file here
    would drop the locks this process holds on it, and another process could write too."""
    path = Path(str(seeded.engine.url.database))
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        assert export_layer(seeded, "problems", tmp_path / "whole.gpkg").features == 4
        assert second_writer_is_locked_out(path)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_whole_layer_export_with_no_python_to_read_with_says_so_and_keeps_the_old_file(
    seeded: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child's failure reaches the user as itself, not as GDAL's "Error while accessing
    batch from stream", and the file it was to replace stays as it was."""
    target = tmp_path / "whole.gpkg"
    export_layer(seeded, "problems", target)
    before = target.read_bytes()
    monkeypatch.setenv("CITYGRID_PYTHON", str(tmp_path / "no-python"))
    with pytest.raises(BadInput, match=r"CITYGRID_PYTHON=.*no-python is not a file"):
        export_layer(seeded, "problems", target, overwrite=True)
    assert target.read_bytes() == before
    with language("zh_CN"), pytest.raises(BadInput, match="不是一个文件"):
        export_layer(seeded, "problems", target, overwrite=True)


def test_layer_batches_give_every_feature_a_slice_at_a_time_in_the_layer_schema(
    seeded: Store,
) -> None:
    problems = get_layer("problems")
    given: list[int] = []
    batches = LayerBatches(seeded, problems, size=3, progress=given.append)
    read = list(pa.RecordBatchReader.from_stream(batches))
    assert [b.num_rows for b in read] == [3, 1]
    assert batches.features == 4
    assert given == [3, 4]
    table = pa.Table.from_batches(read)
    assert table.schema == layer_schema(problems)
    stored = seeded.read("problems")
    assert table.column("code").to_pylist() == stored["code"].tolist()
    assert table.column("description").to_pylist() == stored["description"].tolist()
    points = shapely.from_wkb(table.column(GEOMETRY_COLUMN).to_numpy(zero_copy_only=False))
    assert shapely.equals(points, stored.geometry.to_numpy()).all()


def _info(path: Path, **read: str) -> dict[str, object]:
    """What GDAL says of a file's layer (arrays as lists, comparable)."""
    info = pyogrio.read_info(path, **read)
    return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in info.items()}


def test_write_layer_file_for_a_derived_frame(tmp_path: Path) -> None:
    cells = gpd.GeoDataFrame(
        {"cell": ["H1"], "z_score": [3.2], "类别": ["热点"]},
        geometry=[shapely.box(116.3, 39.9, 116.31, 39.91)],
        crs="EPSG:4326",
    )
    path = write_layer_file(cells, tmp_path / "hot.gpkg", crs="EPSG:4548")
    out = gpd.read_file(path)
    assert out.crs.to_epsg() == 4548
    assert out["类别"].tolist() == ["热点"]


# -- bad input: each a real file, each leaving the database as it was --------------------


def _shapefile_without_prj(tmp_path: Path) -> Path:
    write_frame(problems_frame(2), tmp_path / "noprj.shp")
    (tmp_path / "noprj.prj").unlink()
    return tmp_path / "noprj.shp"


def _truncated(tmp_path: Path) -> Path:
    path = tmp_path / "cut.fgb"
    write_frame(problems_frame(50), path)
    path.write_bytes(path.read_bytes()[:700])
    return path


def _zip_without_shapefile(tmp_path: Path) -> Path:
    path = tmp_path / "问题.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    return path


def _junk_geojson(tmp_path: Path) -> Path:
    path = tmp_path / "junk.geojson"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    return path


def _zero_features(tmp_path: Path) -> Path:
    path = tmp_path / "empty.gpkg"
    write_frame(problems_frame(1).iloc[:0], path)
    return path


def _mixed_types(tmp_path: Path) -> Path:
    frame = problems_frame(3)
    frame.loc[1, "geometry"] = shapely.box(116.3, 39.9, 116.31, 39.91)
    path = tmp_path / "mixed.gpkg"
    write_frame(frame, path)
    return path


def _required_missing_everywhere(tmp_path: Path) -> Path:
    frame = problems_frame(3)
    frame["状态"] = None
    path = tmp_path / "nostatus.geojson"
    write_frame(frame, path)
    return path


def _required_column_absent(tmp_path: Path) -> Path:
    path = tmp_path / "nocol.geojson"
    write_frame(problems_frame(3).drop(columns=["状态"]), path)
    return path


def _csv_without_coordinates(tmp_path: Path) -> Path:
    path = tmp_path / "nocoords.csv"
    path.write_text("问题编号,状态\nW1,待处置\n", "utf-8")
    return path


def _out_of_range(tmp_path: Path) -> Path:
    path = tmp_path / "range.csv"
    path.write_text(
        "问题编号,测评条目,状态,发现时间,lon,lat\n"
        "W1,C1,待处置,2025-01-01,116.4,39.9\nW2,C1,待处置,2025-01-01,116.4,139.9\n",
        "utf-8",
    )
    return path


def _swapped(tmp_path: Path) -> Path:
    path = tmp_path / "swapped.csv"
    path.write_text(
        "问题编号,测评条目,状态,发现时间,lon,lat\nW1,C1,待处置,2025-01-01,39.9,116.4\n", "utf-8"
    )
    return path


def _metres(tmp_path: Path) -> Path:
    path = tmp_path / "metres.csv"
    path.write_text(
        "问题编号,测评条目,状态,发现时间,x,y\nW1,C1,待处置,2025-01-01,448000.5,4418000.2\n",
        "utf-8",
    )
    return path


def _gbk_declared_utf8(tmp_path: Path) -> Path:
    path = tmp_path / "gbk.shp"
    pyogrio.write_dataframe(problems_frame(2), path, encoding="GBK")
    path.with_suffix(".cpg").write_text("UTF-8")
    return path


def _bad_number(tmp_path: Path) -> Path:
    frame = problems_frame(3)
    frame["反弹次数"] = ["1", "两次", "0"]
    path = tmp_path / "badint.geojson"
    write_frame(frame, path)
    return path


def _bad_date(tmp_path: Path) -> Path:
    frame = problems_frame(3)
    frame.loc[2, "发现时间"] = "上周三"
    path = tmp_path / "baddate.geojson"
    write_frame(frame, path)
    return path


def _table_without_geometry(tmp_path: Path) -> Path:
    path = tmp_path / "table.gpkg"
    write_frame(pd.DataFrame(problems_frame(2).drop(columns="geometry")), path)
    return path


def _gbk_csv_declared_utf8_late(tmp_path: Path) -> Path:
    path = tmp_path / "late.csv"
    head = "问题编号,测评条目,状态,发现时间,lon,lat\n".encode()
    ascii_rows = b"".join(f"W{i},C1,open,2025-01-01,116.4,39.9\n".encode() for i in range(200_000))
    path.write_bytes(head + ascii_rows + "W9,C1,返工,2025-01-01,116.4,39.9\n".encode("gbk"))
    return path


BAD_FILES = {
    "missing file": (lambda p: p / "nowhere.gpkg", {}, BadInput, r"nowhere\.gpkg does not exist"),
    "truncated file": (_truncated, {}, BadInput, r"Cannot read .*cut\.fgb"),
    "zip without shapefile": (
        _zip_without_shapefile,
        {},
        BadInput,
        r"问题\.zip holds no shapefile",
    ),
    "shapefile without prj": (
        _shapefile_without_prj,
        {},
        BadInput,
        r"noprj\.shp has no \.prj file.*--crs",
    ),
    "unknown crs": (_shapefile_without_prj, {"crs": "EPSG:123456"}, BadInput, "Unknown CRS"),
    "unknown map field": (
        lambda p: _mixed_types(p),
        {"mapping": {"颜色": "状态"}},
        NotFound,
        "no field '颜色'",
    ),
    "unknown map source": (
        _required_column_absent,
        {"mapping": {"status": "state"}},
        NotFound,
        r"no column 'state'",
    ),
    "required column absent": (
        _required_column_absent,
        {},
        BadInput,
        r"nocol\.geojson has no column for the required field status",
    ),
    "required empty in every row": (
        _required_missing_everywhere,
        {},
        BadInput,
        r"nostatus\.geojson: the required field status .* every row",
    ),
    "mixed geometry types": (
        _mixed_types,
        {},
        BadInput,
        r"mixed\.gpkg mixes geometry types .*rows 2",
    ),
    "zero features": (_zero_features, {}, BadInput, r"empty\.gpkg holds no features"),
    "junk named geojson": (_junk_geojson, {}, BadInput, r"Cannot read .*junk\.geojson as GeoJSON"),
    "csv without coordinates": (_csv_without_coordinates, {}, BadInput, "no coordinate columns"),
    "coordinates out of range": (
        _out_of_range,
        {},
        BadInput,
        r"range\.csv: rows 2 have coordinates outside",
    ),
    "swapped lat lon": (_swapped, {}, BadInput, "look swapped"),
    "metres in degrees": (_metres, {}, BadInput, "look like metres"),
    "gbk declared utf8": (_gbk_declared_utf8, {}, BadInput, r"gbk\.shp is not in UTF-8.*GB18030"),
    "table without geometry": (
        _table_without_geometry,
        {},
        BadInput,
        r"table\.gpkg has no geometries",
    ),
    "gbk late in a utf8 csv": (
        _gbk_csv_declared_utf8_late,
        {},
        BadInput,
        r"late\.csv is not in UTF-8 further down",
    ),
    "not a number": (
        _bad_number,
        {},
        BadInput,
        r"badint\.geojson: rows 2 have values that are not whole numbers",
    ),
    "not a date": (_bad_date, {}, BadInput, r"baddate\.geojson: rows 3 .* not dates or times"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_input_leaves_the_database_as_it_was(seeded: Store, tmp_path: Path, case: str) -> None:
    make, options, error, message = BAD_FILES[case]
    path = make(tmp_path)
    before = snapshot(seeded)
    with pytest.raises(error, match=message):
        import_file(seeded, "problems", path, mode="replace", **options)
    assert snapshot(seeded) == before


def test_unknown_layer_and_computed_layer(seeded: Store, tmp_path: Path) -> None:
    write_frame(problems_frame(1), tmp_path / "p.gpkg")
    before = snapshot(seeded)
    with pytest.raises(NotFound, match="Unknown layer 'roads'"):
        import_file(seeded, "roads", tmp_path / "p.gpkg")
    with pytest.raises(BadInput, match="cannot be imported into"):
        import_file(seeded, "audit", tmp_path / "p.gpkg")
    assert snapshot(seeded) == before


def test_bad_input_message_in_chinese(seeded: Store, tmp_path: Path) -> None:
    with pytest.raises(BadInput) as caught:
        import_file(seeded, "problems", _shapefile_without_prj(tmp_path))
    with language("zh_CN"):
        text = caught.value.message()
    assert "noprj.shp" in text
    assert "坐标系" in text
    assert "--crs" in text


def test_write_layers_file_puts_styled_layers_in_one_geopackage(tmp_path: Path) -> None:
    cell = shapely.box(116.3, 39.9, 116.31, 39.91)
    hot = gpd.GeoDataFrame({"z": [2.5]}, geometry=[cell], crs="EPSG:4326")
    other = gpd.GeoDataFrame({"备注": ["未登记图层"]}, geometry=[cell.centroid], crs="EPSG:4326")
    path = tmp_path / "report.gpkg"
    path.write_bytes(b"an older report")
    with pytest.raises(Conflict, match=r"exists already"):
        write_layers_file({"grids": hot}, path)
    written = write_layers_file(
        {"grids": hot, "备注点": other}, path, crs="cgcs2000", overwrite=True
    )
    assert written == path
    assert sorted(str(n) for n, _ in pyogrio.list_layers(path)) == sorted(
        ["grids", "备注点", "layer_styles"]
    )
    assert pyogrio.read_dataframe(path, layer="备注点")["备注"].tolist() == ["未登记图层"]
    with sqlite3.connect(path) as conn:
        styled = conn.execute("SELECT f_table_name FROM layer_styles").fetchall()
    assert styled == [("grids",)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.gpkg"]
    with pytest.raises(BadInput, match=r"Only a GeoPackage"):
        write_layers_file({"grids": hot, "备注点": other}, tmp_path / "report.shp")
    assert not (tmp_path / "report.shp").exists()


def test_catalogue_types_from_a_gbk_csv(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "测评体系.csv"
    path.write_bytes(
        (
            "条目编码,条目名称,层级,扣分分值,整改时限(天),负面清单\n"
            "C-01,市容环境,版块,,,\n"
            "C-01-02,垃圾堆放,标准,0.5,3,是\n"
            "C-01-03,占道经营,standard,1,7,否\n"
        ).encode("gb18030")
    )
    report = import_file(store, "catalogue", path)
    assert report.encoding == "GB18030"
    stored = store.read("catalogue").set_index("code")
    assert stored.loc["C-01-02", "weight"] == 0.5
    assert stored.loc["C-01-03", "rectify_days"] == 7
    assert pd.isna(stored.loc["C-01", "negative_list"])
    assert bool(stored.loc["C-01-02", "negative_list"])
    assert not bool(stored.loc["C-01-03", "negative_list"])
    assert stored.loc["C-01-03", "level"] == "standard"
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,level,negative_list,rectify_days\nX,x,item,maybe,1.5\n", "utf-8")
    with pytest.raises(BadInput, match=r"bad\.csv: rows 1 have values that are not"):
        import_file(store, "catalogue", bad)
    assert store.count("catalogue") == 4  # the three imported and the fixture's own


# -- references, geometry kinds, encodings, safe export (issue 11) -------------------


def test_dangling_reference_codes_are_refused_or_reported(seeded: Store, tmp_path: Path) -> None:
    before = snapshot(seeded)
    frame = problems_frame(3, start=10).assign(测评条目=["T-09-09", "NOPE-1", "NOPE-2"])
    frame["责任单位"] = ["U1", "U404", "U404"]
    write_frame(frame, tmp_path / "dangling.gpkg")
    with pytest.raises(BadInput, match=r"codes that do not exist") as caught:
        import_file(seeded, "problems", tmp_path / "dangling.gpkg")
    message = str(caught.value)
    assert "catalogue_code: NOPE-1 (2), NOPE-2 (3)" in message
    assert "unit_code: U404 (2, 3)" in message
    assert "--allow-missing-refs" in message
    assert snapshot(seeded) == before
    report = import_file(seeded, "problems", tmp_path / "dangling.gpkg", allow_missing_refs=True)
    assert report.features == 3
    assert report.missing_refs == {
        "catalogue_code": {"NOPE-1": [2], "NOPE-2": [3]},
        "unit_code": {"U404": [2, 3]},
    }


def test_dangling_codes_name_their_first_rows_across_batches(seeded: Store, tmp_path: Path) -> None:
    frame = problems_frame(25, start=10)
    frame["责任单位"] = [
        "U1" if i % 5 == 0 else ("网格单位甲" if i % 2 else "U404") for i in range(25)
    ]
    write_frame(frame, tmp_path / "many.gpkg")
    report = import_file(
        seeded, "problems", tmp_path / "many.gpkg", batch_size=4, allow_missing_refs=True
    )
    assert report.features == 25
    rows = [i + 1 for i in range(25) if i % 5]
    assert report.missing_refs == {
        "unit_code": {
            "网格单位甲": [r for r in rows if (r - 1) % 2][:10],
            "U404": [r for r in rows if (r - 1) % 2 == 0][:10],
        }
    }
    assert list(report.missing_refs["unit_code"]) == [
        "网格单位甲",
        "U404",
    ]  # as the file names them


def test_a_layer_referring_to_itself_may_name_codes_of_the_same_file(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text("code,name,level,parent_code\nA-02,子项,item,A\nA,版块,section,\n", "utf-8")
    assert import_file(store, "catalogue", path).features == 2
    bad = tmp_path / "orphan.csv"
    bad.write_text("code,name,level,parent_code\nB-01,子项,item,B\n", "utf-8")
    with pytest.raises(BadInput, match=r"parent_code: B \(1\)"):
        import_file(store, "catalogue", bad)
    assert store.count("catalogue") == 3


def test_lines_are_refused_in_the_points_layer(store: Store, tmp_path: Path) -> None:
    points = gpd.GeoDataFrame(
        {"code": ["D1", "D2", "D3"], "name": ["门", "路", "场"], "point_type": ["market"] * 3},
        geometry=[
            shapely.Point(116.39, 39.90),
            shapely.LineString([(116.39, 39.90), (116.40, 39.91)]),
            shapely.box(116.40, 39.90, 116.41, 39.91),
        ],
        crs="EPSG:4326",
    )
    write_frame(points, tmp_path / "points.gpkg")
    with pytest.raises(BadInput, match=r"LineString.*Point or Polygon.*rows 2"):
        import_file(store, "points", tmp_path / "points.gpkg")
    assert store.count("points") == 0
    write_frame(points.drop(index=1), tmp_path / "places.gpkg")
    assert import_file(store, "points", tmp_path / "places.gpkg").features == 2


def test_an_unknown_encoding_is_a_clear_error(seeded: Store, tmp_path: Path) -> None:
    before = snapshot(seeded)
    write_frame(problems_frame(2, start=20), tmp_path / "p.geojson")
    with pytest.raises(BadInput, match=r"Unknown text encoding 'nosuchenc'.*utf-8, gbk or gb18030"):
        import_file(seeded, "problems", tmp_path / "p.geojson", encoding="nosuchenc")
    assert snapshot(seeded) == before


def test_export_never_writes_the_store_database(seeded: Store, tmp_path: Path) -> None:
    url = seeded.engine.url
    if url.get_backend_name() == "sqlite":
        target = Path(url.database)
    else:  # a PostGIS store: another citygrid database file is refused as well
        target = tmp_path / "other.db"
        other = Store.open(f"sqlite:///{target}", check_schema=False)
        other.init()
        other.close()
    before = target.read_bytes()
    with pytest.raises(BadInput, match=r"citygrid's own database"):
        export_layer(seeded, "problems", target, fmt="gpkg", overwrite=True)
    assert target.read_bytes() == before
    assert seeded.count("problems") == 4


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_refuses_the_store_s_own_database(seeded: Store) -> None:
    before = snapshot(seeded)
    own = Path(str(seeded.engine.url.database))
    with pytest.raises(BadInput, match=r"store's own database.*citygrid export"):
        import_file(seeded, "problems", own, fmt="gpkg", mode="replace")
    assert snapshot(seeded) == before


def test_export_refuses_an_existing_file_and_keeps_other_geopackage_layers(
    seeded: Store, tmp_path: Path
) -> None:
    path = tmp_path / "city.gpkg"
    export_layer(seeded, "problems", path)
    with pytest.raises(Conflict, match=r"exists already"):
        export_layer(seeded, "units", path)
    export_layer(seeded, "units", path, overwrite=True)
    layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    assert {"problems", "units"} <= layers
    assert len(pyogrio.read_dataframe(path, layer="problems")) == 4


def test_csv_export_neutralises_formulas_in_text_only(seeded: Store, tmp_path: Path) -> None:
    frame = problems_frame(1, start=30).assign(问题描述=['=HYPERLINK("http://evil")'])
    frame["反弹次数"] = [-2.0]
    write_frame(frame, tmp_path / "evil.geojson")
    import_file(seeded, "problems", tmp_path / "evil.geojson")
    export_layer(seeded, "problems", tmp_path / "out.csv", where="code=WT00030")
    written = pd.read_csv(tmp_path / "out.csv", encoding="utf-8-sig")
    assert written["description"].tolist() == ['\'=HYPERLINK("http://evil")']
    assert written["recurrence"].tolist() == [-2]


def test_a_bulk_append_names_the_stored_codes_of_every_batch(
    seeded: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BULK_IMPORT_FEATURES", 1)  # indexes built at the end
    early = pd.concat([problems_frame(1, start=1), problems_frame(4, start=60)], ignore_index=True)
    write_frame(early, tmp_path / "early.gpkg")
    before = snapshot(seeded)
    with pytest.raises(Conflict, match=r"early\.gpkg: rows 1 have codes .*\(WT00001\)"):
        import_file(seeded, "problems", tmp_path / "early.gpkg", batch_size=2)
    assert snapshot(seeded) == before


def test_choices_are_read_from_values_and_labels_in_either_language() -> None:
    status = get_layer("problems").field("status")
    given = pd.Series(["CLOSED", "已派遣", " open ", None, "  ", "Rectified, To Verify", "返工"])
    values = typed_column(given, status, np.arange(1, 8), "问题.csv")
    expected = ["closed", "dispatched", "open", None, None, "rectified", "reopened"]
    assert values.tolist() == expected
    with pytest.raises(BadInput, match="rows 2, 3 have values not allowed in status: 不知道, 丢了"):
        typed_column(pd.Series(["open", "不知道", "丢了"]), status, np.arange(1, 4), "问题.csv")
