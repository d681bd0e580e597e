"""Every write staged and renamed into place: nothing else on disk ever changes."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from citygrid.errors import BadInput, Conflict
from citygrid.gis import formats


@pytest.fixture
def points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["D1", "D2"], "name": ["东门", "市场"]},
        geometry=[shapely.Point(116.39, 39.90), shapely.Point(116.40, 39.91)],
        crs="EPSG:4326",
    )


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (hidden staging files included)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_folder_target_is_refused_and_kept(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "keep.txt").write_text("precious", "utf-8")
    before = files(tmp_path)
    with pytest.raises(BadInput, match=r"is a folder"):
        formats.write_frame(points, folder, fmt="gpkg", overwrite=True)
    assert files(tmp_path) == before


def test_dot_is_refused(
    tmp_path: Path, points: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "citygrid.db").write_bytes(b"not really a database")
    monkeypatch.chdir(tmp_path)
    before = files(tmp_path)
    for target in (".", "./", ""):
        with pytest.raises(BadInput, match=r"is a folder"):
            formats.write_frame(points, target, fmt="gpkg", overwrite=True)
    assert files(tmp_path) == before


def test_an_existing_file_needs_overwrite(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    notes = tmp_path / "notes.csv"
    notes.write_text("an unrelated text file", "utf-8")
    (tmp_path / "other.txt").write_text("untouched", "utf-8")
    before = files(tmp_path)
    with pytest.raises(Conflict, match=r"notes\.csv exists already; give --overwrite"):
        formats.write_frame(points, notes)
    assert files(tmp_path) == before
    assert formats.write_frame(points, notes, overwrite=True) == [notes]
    after = files(tmp_path)
    assert set(after) == {"notes.csv", "other.txt"}
    assert after["other.txt"] == before["other.txt"]
    assert pd.read_csv(notes)["code"].tolist() == ["D1", "D2"]


def test_overwriting_a_geopackage_layer_keeps_the_other_layers(
    tmp_path: Path, points: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "city.gpkg"
    problems = points.assign(code=["P1", "P2"])
    formats.write_frame(problems, path, layer="problems")
    with pytest.raises(Conflict, match=r"exists already"):
        formats.write_frame(points, path, layer="points")
    formats.write_frame(points, path, layer="points", overwrite=True)
    formats.write_frame(points.iloc[:1], path, layer="points", overwrite=True)
    layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    assert layers == {"problems", "points"}
    assert pyogrio.read_dataframe(path, layer="problems")["code"].tolist() == ["P1", "P2"]
    assert pyogrio.read_dataframe(path, layer="points")["code"].tolist() == ["D1"]
    assert set(files(tmp_path)) == {"city.gpkg"}


def test_protected_files_and_citygrid_databases_are_never_written(
    tmp_path: Path, points: gpd.GeoDataFrame
) -> None:
    database = tmp_path / "store.sqlite"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
    conn.close()
    named = tmp_path / "named.gpkg"
    named.write_bytes(b"whatever")
    before = files(tmp_path)
    with pytest.raises(BadInput, match=r"citygrid's own database"):
        formats.write_frame(points, database, fmt="gpkg", overwrite=True)
    with pytest.raises(BadInput, match=r"citygrid's own database"):
        formats.write_frame(points, named, overwrite=True, protected=[named])
    assert files(tmp_path) == before


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/proc/x.gpkg", r"Cannot write /proc/x\.gpkg"),
        ("nosuch/x.gpkg", r"The folder .*nosuch does not exist"),
    ],
)
def test_unwritable_places_are_refused(
    tmp_path: Path,
    points: gpd.GeoDataFrame,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BadInput, match=message):
        formats.write_frame(points, target)
    assert files(tmp_path) == {}


def test_a_failed_shapefile_write_changes_nothing(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    path = tmp_path / "点位.shp"
    formats.write_frame(points, path)
    before = files(tmp_path)
    format_ = formats.detect_format(path)

    def fail_half_way() -> None:
        with formats.stage(path, format_, overwrite=True) as staged:
            formats.write_into(staged, points.iloc[:1], format_)
            raise RuntimeError("the disk filled up")

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert files(tmp_path) == before
    (tmp_path / "点位.shp").unlink()
    with pytest.raises(Conflict, match=r"点位\.(shx|dbf|prj|cpg) exists already"):
        formats.write_frame(points, path)
    assert files(tmp_path) == {k: v for k, v in before.items() if k != "点位.shp"}


def test_overwriting_a_shapefile_replaces_all_its_parts(
    tmp_path: Path, points: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "pts.shp"
    long = points.assign(负责单位联系人=["张三", "李四"])
    assert formats.write_frame(long, path) == [path, tmp_path / "pts.fields.csv"]
    assert formats.write_frame(points, path, overwrite=True) == [path]
    assert sorted(files(tmp_path)) == ["pts.cpg", "pts.dbf", "pts.prj", "pts.shp", "pts.shx"]
    assert pyogrio.read_dataframe(path).columns.tolist() == ["code", "name", "geometry"]


def test_csv_cells_that_look_like_formulas_are_neutralised(
    tmp_path: Path, points: gpd.GeoDataFrame
) -> None:
    risky = ['=HYPERLINK("http://x")', "+86 123", "-rm", "@SUM(A1)", "\tx", "\rx", "safe"]
    table = pd.DataFrame({"note": risky, "score": [-1.5, 2, -3, 4, 5, 6, 7]})
    path = tmp_path / "t.csv"
    formats.write_frame(table, path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header == ["note", "score"]
    assert [r[0] for r in rows] == ["'" + v for v in risky[:-1]] + ["safe"]
    assert [r[1] for r in rows] == ["-1.5", "2.0", "-3.0", "4.0", "5.0", "6.0", "7.0"]
    back = pd.concat(list(formats.read_batches(formats.open_source(path, geometry=False))))
    assert back["note"].tolist()[:5] == risky[:5]
    spatial = tmp_path / "p.csv"
    formats.write_frame(points.assign(name=["=1+1", "市场"]), spatial)
    assert pd.read_csv(spatial, encoding="utf-8-sig")["name"].tolist() == ["'=1+1", "市场"]


def test_an_unknown_encoding_is_refused_for_every_format(
    tmp_path: Path, points: gpd.GeoDataFrame
) -> None:
    for name in ("x.gpkg", "x.geojson", "x.csv", "x.shp"):
        formats.write_frame(points, tmp_path / name)
        with pytest.raises(BadInput, match=r"Unknown text encoding 'nosuchenc'.*utf-8, gbk"):
            formats.open_source(tmp_path / name, encoding="nosuchenc")
