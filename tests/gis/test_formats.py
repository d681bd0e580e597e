"""Reading and writing every format with real files, Chinese names and bad files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from citygrid.errors import BadInput, NotFound
from citygrid.gis import formats

FORMATS = ["x.gpkg", "x.geojson", "x.shp", "x.zip", "x.kml", "x.fgb", "x.parquet", "x.csv"]


@pytest.fixture
def points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "点位编码": ["D001", "D002", "D003"],
            "点位名称": ["人民公园东门", "解放路农贸市场", "火车站广场"],
            "范围半径(米)": [50.0, 80.5, 120.0],
        },
        geometry=[
            shapely.Point(116.391, 39.907),
            shapely.Point(116.402, 39.913),
            shapely.Point(116.427, 39.903),
        ],
        crs="EPSG:4326",
    )


def read_all(path: Path, **kwargs) -> gpd.GeoDataFrame:
    source = formats.open_source(path, **kwargs)
    return pd.concat(list(formats.read_batches(source, batch_size=2)))


@pytest.mark.parametrize("name", FORMATS)
def test_chinese_names_and_values_round_trip(
    tmp_path: Path, points: gpd.GeoDataFrame, name: str
) -> None:
    written = formats.write_frame(points, tmp_path / name, layer="点位")
    source = formats.open_source(written[0])
    assert list(source.columns) == list(points.columns.drop("geometry"))
    back = read_all(written[0])
    back = back.set_crs("EPSG:4326", allow_override=True)
    back["范围半径(米)"] = pd.to_numeric(back["范围半径(米)"])
    back = back.sort_values("点位编码").reset_index(drop=True)
    for column in ("点位编码", "点位名称"):
        back[column] = back[column].astype(object)
    assert_geodataframe_equal(back, points, check_dtype=False, check_less_precise=True)


def test_detect_format_by_extension_and_name(tmp_path: Path) -> None:
    assert formats.detect_format("a.GeoJSON").name == "geojson"
    assert formats.detect_format("a.shp.zip").name == "shp"
    assert formats.detect_format("a.dat", "GeoPackage").name == "gpkg"
    with pytest.raises(BadInput, match=r"Cannot tell the format of a.dat"):
        formats.detect_format("a.dat")
    with pytest.raises(BadInput, match=r"Unknown format 'dwg'"):
        formats.detect_format("a.gpkg", "dwg")


def test_shapefile_is_gbk_by_default_and_five_chinese_characters_fit_a_name(
    tmp_path: Path, points: gpd.GeoDataFrame
) -> None:
    frame = points.assign(负责单位联系人=["张三", "李四", "王五"])
    written = formats.write_frame(frame, tmp_path / "点位.shp")
    mapping = tmp_path / "点位.fields.csv"
    assert written == [tmp_path / "点位.shp", mapping]
    assert (tmp_path / "点位.cpg").read_text().strip().upper() == "GBK"
    assert "张三".encode("gbk") in (tmp_path / "点位.dbf").read_bytes()
    table = pd.read_csv(mapping)
    # 点位编码 and 点位名称 are 8 bytes in GBK and stay whole; only longer names are cut
    assert set(table["field_name"]) == {"范围半径(米)", "负责单位联系人"}
    assert all(len(s.encode("gbk")) <= 10 for s in table["short_name"])
    assert "负责单位联" in set(table["short_name"])
    assert read_all(tmp_path / "点位.shp")["负责单位联系人"].tolist() == ["张三", "李四", "王五"]


def test_shapefile_in_utf8_on_request(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    frame = points.assign(负责单位联系人=["张三", "李四", "王五"])
    formats.write_frame(frame, tmp_path / "点位.shp", encoding="utf-8")
    assert (tmp_path / "点位.cpg").read_text().strip().upper() == "UTF-8"
    table = pd.read_csv(tmp_path / "点位.fields.csv")
    assert set(table["field_name"]) == {"点位编码", "点位名称", "范围半径(米)", "负责单位联系人"}
    raw = pyogrio.read_info(tmp_path / "点位.shp")["fields"]
    assert all(len(str(f).encode("utf-8")) <= 10 for f in raw)
    assert read_all(tmp_path / "点位.shp")["负责单位联系人"].tolist() == ["张三", "李四", "王五"]


def test_text_gbk_cannot_hold_is_refused_with_the_way_out(
    tmp_path: Path, points: gpd.GeoDataFrame
) -> None:
    frame = points.assign(name=["𠮷野家", "李四", "王五"])  # 𠮷 is outside GBK
    with pytest.raises(BadInput, match="--encoding utf-8"):
        formats.write_frame(frame, tmp_path / "点位.shp")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(BadInput, match="GBK or UTF-8"):
        formats.write_frame(points, tmp_path / "点位.shp", encoding="latin-1")


def test_shapefile_names_stay_unique() -> None:
    names = formats.shapefile_names(["问题描述一", "问题描述二", "code"])
    assert names["code"] == "code"
    shorts = list(names.values())
    assert len(set(shorts)) == 3
    assert all(len(s.encode("utf-8")) <= 10 for s in shorts)


def test_zipped_shapefile_carries_its_mapping(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    formats.write_frame(points, tmp_path / "点位.zip", layer="points")
    (tmp_path / "点位.fields.csv").unlink()
    with zipfile.ZipFile(tmp_path / "点位.zip") as archive:
        assert "points.fields.csv" in archive.namelist()
    assert "范围半径(米)" in formats.open_source(tmp_path / "点位.zip").columns


def _gbk_shapefile(path: Path, points: gpd.GeoDataFrame) -> None:
    pyogrio.write_dataframe(points[["点位编码", "点位名称", "geometry"]], path, encoding="GBK")
    path.with_suffix(".cpg").unlink()


def test_gbk_shapefile_without_cpg_is_detected(tmp_path: Path, points) -> None:
    _gbk_shapefile(tmp_path / "gbk.shp", points)
    source = formats.open_source(tmp_path / "gbk.shp")
    assert source.encoding == "GB18030"
    assert read_all(tmp_path / "gbk.shp")["点位名称"].tolist() == points["点位名称"].tolist()


def test_gbk_shapefile_honours_its_cpg_in_a_zip(tmp_path: Path, points) -> None:
    pyogrio.write_dataframe(points[["点位名称", "geometry"]], tmp_path / "gbk.shp", encoding="GBK")
    with zipfile.ZipFile(tmp_path / "gbk.zip", "w") as archive:
        for part in tmp_path.glob("gbk.*"):
            if part.suffix != ".zip":
                archive.write(part, f"数据/{part.name}")
    assert formats.open_source(tmp_path / "gbk.zip").encoding == "GBK"
    assert read_all(tmp_path / "gbk.zip")["点位名称"].tolist() == points["点位名称"].tolist()


@pytest.mark.parametrize("cpg", ["936", "ANSI 936", "CP936", "GBK"])
def test_code_page_numbers_in_cpg(tmp_path: Path, points, cpg: str) -> None:
    _gbk_shapefile(tmp_path / "gbk.shp", points)
    (tmp_path / "gbk.cpg").write_text(cpg)
    assert read_all(tmp_path / "gbk.shp")["点位名称"].tolist() == points["点位名称"].tolist()


def test_codec_names() -> None:
    assert formats.codec_name("65001") == "UTF-8"
    assert formats.codec_name(" ansi 936 ") == "CP936"
    assert formats.codec_name("gb18030") == "gb18030"


def test_gbk_read_as_utf8_is_refused_with_a_hint(tmp_path: Path, points) -> None:
    _gbk_shapefile(tmp_path / "gbk.shp", points)
    with pytest.raises(BadInput, match=r"gbk\.shp is not in utf-8.*--encoding GB18030"):
        formats.open_source(tmp_path / "gbk.shp", encoding="utf-8")


def test_gbk_csv_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "问题.csv"
    path.write_bytes("编号,描述,经度,纬度\nW1,垃圾堆放,116.40,39.91\n".encode("gbk"))
    frame = read_all(path)
    assert formats.open_source(path).encoding == "GB18030"
    assert frame["描述"].tolist() == ["垃圾堆放"]
    assert frame.geometry.iloc[0].equals(shapely.Point(116.40, 39.91))


def test_csv_with_a_wkt_column(tmp_path: Path) -> None:
    path = tmp_path / "grids.csv"
    path.write_text('code,WKT\nG1,"POLYGON ((116 39, 116.1 39, 116.1 39.1, 116 39))"\n', "utf-8")
    frame = read_all(path)
    assert frame.geometry.iloc[0].geom_type == "Polygon"
    assert list(frame.columns) == ["code", "geometry"]


def test_csv_bad_wkt_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "grids.csv"
    path.write_text("code,wkt\nG1,POINT (1 2)\nG2,POINT (oops)\n", "utf-8")
    with pytest.raises(BadInput, match=r"grids\.csv row 2: the wkt column is not WKT"):
        read_all(path)


def test_csv_bad_number_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("code,lon,lat\nA,116.4,39.9\nB,116.5,北纬39\n", "utf-8")
    with pytest.raises(BadInput, match=r"p\.csv row 2: lon/lat are not numbers"):
        read_all(path)


def test_csv_without_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("编号,地址\nA,解放路1号\n", "utf-8")
    with pytest.raises(BadInput, match=r"p\.csv has no coordinate columns.*编号, 地址"):
        formats.open_source(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"does not exist"):
        formats.open_source(tmp_path / "nope.gpkg")
    with pytest.raises(BadInput, match=r"is a folder"):
        formats.open_source(tmp_path)


def test_binary_junk_named_geojson(tmp_path: Path) -> None:
    path = tmp_path / "junk.geojson"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(BadInput, match=r"Cannot read .*junk\.geojson as GeoJSON"):
        formats.open_source(path)


def test_truncated_geopackage(tmp_path: Path, points) -> None:
    path = tmp_path / "cut.gpkg"
    formats.write_frame(points, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(BadInput, match=r"Cannot read .*cut\.gpkg as GeoPackage"):
        read_all(path)


def test_truncated_geojson(tmp_path: Path, points) -> None:
    path = tmp_path / "cut.geojson"
    formats.write_frame(points, path)
    path.write_text(path.read_text("utf-8")[:150], "utf-8")
    with pytest.raises(BadInput, match=r"cut\.geojson"):
        read_all(path)


def test_zip_without_shapefile(tmp_path: Path) -> None:
    path = tmp_path / "data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("说明.txt", "没有图层")
    with pytest.raises(BadInput, match=r"data\.zip holds no shapefile .*说明\.txt"):
        formats.open_source(path)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "data.zip"
    path.write_bytes(b"PK not really")
    with pytest.raises(BadInput, match=r"not a readable zip"):
        formats.open_source(path)


def test_shapefile_without_prj_has_no_crs(tmp_path: Path, points) -> None:
    formats.write_frame(points, tmp_path / "p.shp")
    (tmp_path / "p.prj").unlink()
    assert formats.open_source(tmp_path / "p.shp").crs is None


def test_geopackage_with_several_layers(tmp_path: Path, points) -> None:
    path = tmp_path / "city.gpkg"
    pyogrio.write_dataframe(points, path, layer="点位")
    pyogrio.write_dataframe(points.iloc[:1], path, layer="other", append=False)
    with pytest.raises(BadInput, match=r"several layers .*--source-layer"):
        formats.open_source(path)
    assert formats.open_source(path, source_layer="点位").feature_count == 3
    with pytest.raises(NotFound, match=r"has no layer 'roads'"):
        formats.open_source(path, source_layer="roads")


def test_parquet_without_geo_metadata(tmp_path: Path) -> None:
    path = tmp_path / "plain.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(BadInput, match=r"without GeoParquet metadata"):
        formats.open_source(path)


def test_shapefile_refuses_mixed_types(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"code": ["a", "b"]},
        geometry=[shapely.Point(116, 39), shapely.box(116, 39, 116.1, 39.1)],
        crs="EPSG:4326",
    )
    with pytest.raises(BadInput, match=r"one geometry type.*GeoPackage"):
        formats.write_frame(frame, tmp_path / "mixed.shp")
    formats.write_frame(frame, tmp_path / "mixed.gpkg")
    assert len(read_all(tmp_path / "mixed.gpkg")) == 2


def test_table_without_geometry(tmp_path: Path) -> None:
    table = pd.DataFrame({"人员编码": ["R1"], "姓名": ["张伟"]})
    formats.write_frame(table, tmp_path / "people.csv")
    assert pd.read_csv(tmp_path / "people.csv", encoding="utf-8-sig")["姓名"].tolist() == ["张伟"]
    formats.write_frame(table, tmp_path / "people.gpkg")
    assert pyogrio.read_dataframe(tmp_path / "people.gpkg")["姓名"].tolist() == ["张伟"]
    with pytest.raises(BadInput, match=r"no geometry; export it as CSV"):
        formats.write_frame(table, tmp_path / "people.shp")


def test_missing_output_folder(tmp_path: Path, points) -> None:
    with pytest.raises(BadInput, match=r"does not exist; create it"):
        formats.write_frame(points, tmp_path / "no" / "x.gpkg")


@pytest.mark.parametrize(
    ("geometry_type", "symbol", "symbolizer"),
    [
        ("MultiPolygon", "SimpleFill", "PolygonSymbolizer"),
        ("MultiLineString", "SimpleLine", "LineSymbolizer"),
        ("Point", "SimpleMarker", "PointSymbolizer"),
    ],
)
def test_qgis_styles_from_leaflet_options(geometry_type: str, symbol: str, symbolizer: str) -> None:
    import xml.etree.ElementTree as ET

    from citygrid.gis.qgis_style import qml, sld

    style = {"color": "#1f78b4", "weight": 2, "fillColor": "#a6cee3", "fillOpacity": 0.5}
    root = ET.fromstring(qml(style, geometry_type).split("\n", 1)[1])
    layer = root.find("renderer-v2/symbols/symbol/layer")
    assert layer is not None
    assert layer.get("class") == symbol
    props = {p.get("k"): p.get("v") for p in layer.findall("prop")}
    options = {o.get("name"): o.get("value") for o in layer.findall("Option/Option")}
    assert props == options
    colour = options.get("outline_color") or options.get("line_color")
    assert colour == "31,120,180,255"
    assert symbolizer in sld(style, geometry_type, "层")
