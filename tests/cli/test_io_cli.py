"""``citygrid import`` and ``citygrid export`` end to end, on SQLite and PostGIS."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner, Result

from citygrid.cli import main
from citygrid.gis.formats import write_frame
from citygrid.layers.store import Store


def run(url: str, *args: str, lang: str = "en") -> Result:
    return CliRunner().invoke(main, ["--db", url, "--lang", lang, *args])


def grids_file(path: Path) -> Path:
    grids = gpd.GeoDataFrame(
        {
            "网格编码": ["WG001", "WG002", "WG003"],
            "网格名称": ["人民路第一网格", "人民路第二网格", "解放街网格"],
            "网格类型": ["综合网格", "专属网格", "综合网格"],
        },
        geometry=[
            shapely.box(116.30 + i * 0.01, 39.90, 116.31 + i * 0.01, 39.91) for i in range(3)
        ],
        crs="EPSG:4326",
    )
    write_frame(grids, path)
    return path


def test_import_then_export_with_filters(database_url: str, tmp_path: Path) -> None:
    source = grids_file(tmp_path / "网格.zip")
    result = run(database_url, "import", "grids", str(source))
    assert result.exit_code == 0, result.output
    assert "Imported 3 features" in result.output
    assert "code←网格编码" in result.output
    out = tmp_path / "special.gpkg"
    result = run(
        database_url,
        "export",
        "grids",
        "--out",
        str(out),
        "--where",
        "kind=special",
        "--bbox",
        "116.0,39.0,117.0,40.0",
        "--crs",
        "gcj02",
    )
    assert result.exit_code == 0, result.output
    assert "Exported 1 features" in result.output
    exported = gpd.read_file(out)
    assert exported["name"].tolist() == ["人民路第二网格"]
    assert exported.total_bounds[0] > 116.31  # shifted east by the GCJ-02 offset


def test_dry_run_replace_and_map(database_url: str, tmp_path: Path) -> None:
    source = grids_file(tmp_path / "grids.geojson")
    assert run(database_url, "import", "grids", str(source)).exit_code == 0
    result = run(database_url, "import", "grids", str(source), "--replace", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: 3 features" in result.output
    result = run(
        database_url, "import", "grids", str(source), "--replace", "--map", "name=网格类型"
    )
    assert result.exit_code == 0, result.output
    store = Store.open(database_url)
    try:
        assert sorted(store.read("grids")["name"]) == ["专属网格", "综合网格", "综合网格"]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "grids", "{tmp}/none.shp"], "does not exist"),
        (["import", "roads", "{src}"], "Unknown layer 'roads'"),
        (["import", "grids", "{src}", "--crs", "mars"], "Unknown CRS 'mars'"),
        (["import", "grids", "{src}", "--map", "colour=网格名称"], "no field 'colour'"),
        (["import", "grids", "{src}", "--map", "code"], "is not FIELD=SOURCE"),
        (["export", "grids", "--out", "{tmp}/x.gpkg", "--bbox", "1,2,3"], "is not minx,miny"),
        (["export", "grids", "--out", "{tmp}/x.gpkg", "--where", "kind=="], "does not parse"),
        (["export", "grids", "--out", "{tmp}/x.dwg"], "Cannot tell the format"),
        (["export", "hotspots", "--out", "{tmp}/x.gpkg"], "citygrid analyse"),
        (["import", "hotspots", "{src}"], "computed by an analysis"),
        (["export", "grids", "--out", "{tmp}/no/x.gpkg"], "does not exist; create it"),
    ],
)
def test_bad_input_exits_2_without_traceback(
    database_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    source = grids_file(tmp_path / "grids.gpkg")
    filled = [a.format(tmp=tmp_path, src=source) for a in args]
    result = run(database_url, *filled)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    store = Store.open(database_url)
    try:
        assert store.count("grids") == 0
    finally:
        store.close()


def test_messages_in_chinese(database_url: str, tmp_path: Path) -> None:
    source = grids_file(tmp_path / "grids.shp")
    (tmp_path / "grids.prj").unlink()
    result = run(database_url, "import", "grids", str(source), lang="zh_CN")
    assert result.exit_code == 2
    assert "缺少 .prj 文件" in result.output
    result = run(database_url, "import", "grids", str(source), "--crs", "cgcs2000", lang="zh_CN")
    assert result.exit_code == 0, result.output
    assert "已从" in result.output
    assert "导入 3 个要素" in result.output


# -- exports never lose a file (issue 11) -------------------------------------------------


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (the SQLite store included)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def imported(database_url: str, tmp_path: Path) -> str:
    """A store holding the three grid cells, imported through the CLI."""
    (tmp_path / "source").mkdir()
    source = grids_file(tmp_path / "source" / "grids.gpkg")
    assert run(database_url, "import", "grids", str(source)).exit_code == 0
    return database_url


def refused(result: Result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("{tmp}/work", "is a folder"),
        (".", "is a folder"),
        ("{tmp}/work/notes.txt", "exists already; give --overwrite"),
        ("/proc/x.gpkg", "Cannot write /proc/x.gpkg"),
        ("{tmp}/nosuch/x.gpkg", "does not exist; create it"),
    ],
)
def test_export_refuses_and_changes_nothing(
    imported: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str, message: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("minutes of the meeting", "utf-8")
    monkeypatch.chdir(work)
    before = files(tmp_path)
    result = run(imported, "export", "grids", "--out", out.format(tmp=tmp_path), "--format", "gpkg")
    refused(result, message)
    assert files(tmp_path) == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_export_refuses_the_store_own_file(imported: str, tmp_path: Path) -> None:
    """SQLite only: a PostGIS store has no file to protect."""
    database = imported.removeprefix("sqlite:///")
    before = Path(database).read_bytes()
    result = run(imported, "export", "grids", "--out", database, "--format", "gpkg", "--overwrite")
    refused(result, "citygrid's own database")
    assert Path(database).read_bytes() == before
    assert run(imported, "layers").exit_code == 0


def test_export_overwrite_replaces_only_that_file_or_layer(imported: str, tmp_path: Path) -> None:
    out = tmp_path / "city.gpkg"
    keep = gpd.GeoDataFrame(
        {"code": ["P1"]}, geometry=[shapely.Point(116.3, 39.9)], crs="EPSG:4326"
    )
    write_frame(keep, out, layer="problems")
    refused(run(imported, "export", "grids", "--out", str(out)), "exists already")
    result = run(imported, "export", "grids", "--out", str(out), "--overwrite")
    assert result.exit_code == 0, result.output
    assert gpd.read_file(out, layer="problems")["code"].tolist() == ["P1"]
    assert len(gpd.read_file(out, layer="grids")) == 3
    notes = tmp_path / "notes.csv"
    notes.write_text("not a CSV of grids", "utf-8")
    assert run(imported, "export", "grids", "--out", str(notes), "--overwrite").exit_code == 0
    assert "WG001" in notes.read_text("utf-8-sig")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_workload_out_refuses_an_existing_file(imported: str, tmp_path: Path) -> None:
    out = tmp_path / "workload.csv"
    out.write_text("last month's figures", "utf-8")
    refused(run(imported, "workload", "--out", str(out)), "exists already")
    assert out.read_text("utf-8") == "last month's figures"
    result = run(imported, "workload", "--out", str(out), "--overwrite")
    assert result.exit_code == 0, result.output
    assert out.read_text("utf-8-sig").startswith("Unit code,Unit,")  # headings for people


def test_import_bad_encoding_and_dangling_codes(database_url: str, tmp_path: Path) -> None:
    source = grids_file(tmp_path / "grids.gpkg")
    result = run(database_url, "import", "grids", str(source), "--encoding", "nosuchenc")
    refused(result, "Unknown text encoding 'nosuchenc'")
    assert "utf-8, gbk or gb18030" in result.output
    units = tmp_path / "units.csv"
    units.write_text("code,name,lon,lat,parent_code\nU1,一单位,116.3,39.9,U0\n", "utf-8")
    refused(run(database_url, "import", "units", str(units)), "parent_code: U0 (1)")
    store = Store.open(database_url)
    try:
        assert store.count("grids") == 0
        assert store.count("units") == 0
    finally:
        store.close()
    result = run(database_url, "import", "units", str(units), "--allow-missing-refs")
    assert result.exit_code == 0, result.output
    assert "imported anyway" in result.output
    assert "parent_code: U0 (1)" in result.output


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("recurrence>99999999999999999999999", "is not a int for recurrence"),
        ("recurrence=²", "is not a int for recurrence"),
        ("radius_m>nan", "is not a float for radius_m"),
    ],
)
def test_export_where_refuses_numbers_no_field_can_hold(
    imported: str, tmp_path: Path, where: str, message: str
) -> None:
    layer = "problems" if where.startswith("recurrence") else "points"
    before = files(tmp_path)
    result = run(imported, "export", layer, "--out", str(tmp_path / "out.csv"), "--where", where)
    refused(result, message)
    assert files(tmp_path) == before


def test_export_shapefile_with_chinese_labels_in_gbk_keeps_them_whole(
    imported: str, tmp_path: Path
) -> None:
    out = tmp_path / "网格.shp"
    result = run(imported, "export", "grids", "--out", str(out), "--labels", "zh")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "网格.cpg").read_text().strip() == "GBK"
    assert "网格编码" in pyogrio.read_info(out)["fields"]  # 8 bytes in GBK, 12 in UTF-8
    assert not (tmp_path / "网格.fields.csv").exists()
    assert "shortened" not in result.output


def test_export_says_which_shapefile_names_were_shortened(imported: str, tmp_path: Path) -> None:
    out = tmp_path / "grids.shp"
    result = run(
        imported, "export", "grids", "--out", str(out), "--labels", "en", "--encoding", "utf-8"
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "grids.cpg").read_text().strip() == "UTF-8"
    assert "grids.fields.csv" in result.output
    assert "responsible unit → " in result.output
