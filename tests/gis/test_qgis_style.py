"""QGIS styles written into GeoPackages, checked as text and as QGIS itself reads them.

The QGIS tests write styled GeoPackages through the export path
(:func:`citygrid.layers.io.write_layer_file` / ``write_layers_file``), then
run ``qgis_probe.py`` under Debian's ``/usr/bin/python3`` (``python3-qgis``,
headless): QGIS loads each layer's default style from ``layer_styles`` and
reports the renderer, its classes and the colour of every feature. They
are skipped where QGIS is absent, and fail instead with
``CITYGRID_REQUIRE_QGIS=1`` (CI; see ``tests/conftest.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely

from citygrid.gis.qgis_style import add_gpkg_style, qml, sld
from citygrid.i18n import language
from citygrid.layers.io import write_layer_file, write_layers_file
from citygrid.layers.registry import Layer, get_layer

QGIS_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).with_name("qgis_probe.py")
RAMP = {
    "field": "covered_share",
    "classes": [
        {"lower": 0.0, "upper": 0.5, "color": "#d7191c", "zh": "不足一半", "en": "under half"},
        {"lower": 0.5, "upper": 0.9, "color": "#fdae61", "zh": "大部分", "en": "most"},
        {"lower": 0.9, "upper": 1.0, "color": "#1a9641", "zh": "几乎全部", "en": "nearly all"},
    ],
}


def _boxes(n: int) -> list[shapely.Polygon]:
    return [shapely.box(116.3 + i * 0.01, 39.9, 116.309 + i * 0.01, 39.909) for i in range(n)]


def _declared(layer: Layer, lang: str = "zh_CN") -> list[tuple[str, str, str]]:
    """(value, label, colour) of each category the registry declares, then "other values"."""
    values = layer.style["categories"]["values"]
    other = ("", "other values" if lang == "en" else "其他")
    return [(v["value"], v["en" if lang == "en" else "zh"], v["color"].lower()) for v in values] + [
        (*other, layer.style.get("fillColor", layer.style["color"]).lower())
    ]


# -- the style text ---------------------------------------------------------------------


def test_categorized_qml_has_one_category_per_choice_and_one_for_other_values() -> None:
    layer = get_layer("hotspots")
    root = ET.fromstring(qml(layer.style, layer.geometry_type, lang="zh_CN").split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer is not None
    assert (renderer.get("type"), renderer.get("attr")) == ("categorizedSymbol", "gi_bin")
    categories = renderer.findall("categories/category")
    assert [c.get("value") for c in categories] == ["3", "2", "1", "0", "-1", "-2", "-3", ""]
    assert categories[0].get("label") == "热点 (99% 置信度)"
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    hot = symbols[categories[0].get("symbol")].find("layer/prop[@k='color']")
    assert hot is not None
    assert hot.get("v") == "214,47,39,178"


def test_labels_follow_the_language_and_lines_take_the_category_colour() -> None:
    style = {
        "color": "#000000",
        "weight": 2,
        "categories": get_layer("problems").style["categories"],
    }
    text = qml(style, "MultiLineString", lang="en")
    assert 'label="open"' in text
    assert "待处置" not in text
    root = ET.fromstring(text.split("\n", 1)[1])
    first = root.find("renderer-v2/symbols/symbol[@name='0']/layer")
    assert first is not None
    assert first.get("class") == "SimpleLine"
    # The first category, reported (#fb9a99), colours the first symbol's line.
    assert first.find("prop[@k='line_color']").get("v") == "251,154,153,255"  # type: ignore[union-attr]


def test_sld_has_a_rule_per_category_and_an_else_rule() -> None:
    layer = get_layer("emerging_hotspots")
    text = sld(layer.style, layer.geometry_type, "emerging_hotspots", lang="zh_CN")
    root = ET.fromstring(text.encode())
    se, ogc = "{http://www.opengis.net/se}", "{http://www.opengis.net/ogc}"
    rules = root.findall(f".//{se}Rule")
    assert len(rules) == len(layer.style["categories"]["values"]) + 1
    literals = [r.findtext(f"{ogc}Filter/{ogc}PropertyIsEqualTo/{ogc}Literal") for r in rules]
    assert literals[:-1] == [v["value"] for v in layer.style["categories"]["values"]]
    assert rules[-1].find(f"{se}ElseFilter") is not None
    assert rules[0].findtext(f"{se}Description/{se}Title") == "新增热点"
    assert rules[0].findtext(f".//{se}SvgParameter[@name='fill']") == "#fde0dd"


def test_graduated_qml_and_sld_from_a_ramp() -> None:
    style = {"color": "#252525", "fillOpacity": 0.5, "ramp": RAMP}
    root = ET.fromstring(qml(style, "MultiPolygon", lang="en").split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer is not None
    assert (renderer.get("type"), renderer.get("attr")) == ("graduatedSymbol", "covered_share")
    ranges = [(r.get("lower"), r.get("upper"), r.get("label")) for r in renderer.iter("range")]
    assert ranges[0] == ("0.000000", "0.500000", "under half")
    assert len(ranges) == 3
    text = sld(style, "MultiPolygon", "summary")
    assert text.count("<ogc:PropertyIsGreaterThanOrEqualTo>") == 3


# -- as QGIS reads them -------------------------------------------------------------------


def _qgis(specs: list[tuple[Path, str]]) -> dict[str, Any]:
    """What QGIS reports for each (GeoPackage, layer), keyed by layer name."""
    done = subprocess.run(
        [QGIS_PYTHON, str(PROBE), json.dumps([{"path": str(p), "layer": n} for p, n in specs])],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    return {key.rsplit("|", 1)[1]: value for key, value in report.items()}


def _categories(found: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["value"], c["label"], c["color"]) for c in found["categories"]]


def _drawn(found: dict[str, Any]) -> dict[str | None, str | None]:
    """Feature value -> the colour QGIS draws it with (``None``: not drawn)."""
    return {f["value"]: f["symbol"] and f["symbol"]["color"] for f in found["features"]}


@pytest.fixture(scope="module")
def qgis_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Styled exports of the analysis and work layers, as QGIS reads them."""
    out = tmp_path_factory.mktemp("qgis")
    bins = [3, 2, 1, 0, -1, -2, -3]
    hotspots = gpd.GeoDataFrame(
        {"cell_id": [f"H{b}" for b in bins], "count": 1.0, "gi_bin": bins},
        geometry=_boxes(len(bins)),
        crs=4326,
    )
    patterns = [*get_layer("emerging_hotspots").field("pattern").choice_values(), None]
    emerging = gpd.GeoDataFrame(
        {"cell_id": [f"E{i}" for i in range(len(patterns))], "pattern": patterns, "count": 1.0},
        geometry=_boxes(len(patterns)),
        crs=4326,
    )
    reasons = list(get_layer("gap_unassigned").field("reason").choice_values())
    points = [shapely.Point(116.3 + i * 0.01, 39.9) for i in range(len(reasons))]
    gaps = {
        "gap_uncovered": gpd.GeoDataFrame({"id": ["U1"]}, geometry=_boxes(1), crs=4326),
        "gap_invalid_edges": gpd.GeoDataFrame(
            {"id": ["L1"]},
            geometry=[shapely.LineString([(116.3, 39.9), (116.31, 39.91)])],
            crs=4326,
        ),
        "gap_unassigned": gpd.GeoDataFrame(
            {"id": reasons, "layer": "points", "feature_code": reasons, "reason": reasons},
            geometry=points,
            crs=4326,
        ),
    }
    statuses = list(get_layer("problems").field("status").choice_values())
    problems = gpd.GeoDataFrame(
        {"code": statuses, "status": statuses},
        geometry=[shapely.Point(116.3 + i * 0.01, 39.9) for i in range(len(statuses))],
        crs=4326,
    )
    summary = gpd.GeoDataFrame(
        {"code": ["S1", "S2", "S3"], "covered_share": [0.2, 0.7, 0.95]},
        geometry=_boxes(3),
        crs=4326,
    )
    with language("zh_CN"):
        write_layer_file(hotspots, out / "hotspots.gpkg", layer="hotspots")
        write_layer_file(emerging, out / "emerging.gpkg", layer="emerging_hotspots")
        write_layers_file(gaps, out / "gaps.gpkg")
    with language("en"):
        write_layer_file(problems, out / "problems.gpkg", layer="problems")
    ramp_path = write_layer_file(summary, out / "summary.gpkg", layer="covered")
    ramp_style = {"color": "#252525", "fillOpacity": 0.5, "ramp": RAMP}
    add_gpkg_style(ramp_path, "covered", ramp_style, "MultiPolygon", lang="zh_CN")
    return _qgis(
        [
            (out / "hotspots.gpkg", "hotspots"),
            (out / "emerging.gpkg", "emerging_hotspots"),
            *((out / "gaps.gpkg", name) for name in gaps),
            (out / "problems.gpkg", "problems"),
            (ramp_path, "covered"),
        ]
    )


@pytest.mark.qgis
def test_qgis_draws_hot_spots_by_confidence_bin(qgis_report: dict[str, Any]) -> None:
    found = qgis_report["hotspots"]
    layer = get_layer("hotspots")
    assert (found["valid"], found["loaded"]) == (True, True), found
    assert (found["renderer"], found["attribute"]) == ("categorizedSymbol", "gi_bin")
    assert _categories(found) == _declared(layer)
    assert {c["type"] for c in found["categories"]} == {"fill"}
    assert {c["alpha"] for c in found["categories"]} == {round(0.7 * 255)}
    colours = {v["value"]: v["color"] for v in layer.style["categories"]["values"]}
    assert _drawn(found) == colours


@pytest.mark.qgis
def test_qgis_draws_emerging_patterns_and_other_values(qgis_report: dict[str, Any]) -> None:
    found = qgis_report["emerging_hotspots"]
    layer = get_layer("emerging_hotspots")
    assert (found["renderer"], found["attribute"]) == ("categorizedSymbol", "pattern")
    assert _categories(found) == _declared(layer)
    drawn = _drawn(found)
    assert drawn["intensifying_hot"] == "#a50f15"
    assert drawn["persistent_cold"] == "#3182bd"
    assert drawn["NULL"] == layer.style["fillColor"]  # no pattern: the "other values" class
    assert len(drawn) == len(layer.style["categories"]["values"]) + 1


@pytest.mark.qgis
def test_qgis_draws_gap_layers_with_their_geometry_symbols(qgis_report: dict[str, Any]) -> None:
    uncovered, edges = qgis_report["gap_uncovered"], qgis_report["gap_invalid_edges"]
    assert (uncovered["renderer"], uncovered["symbol"]["type"]) == ("singleSymbol", "fill")
    assert uncovered["symbol"]["color"] == get_layer("gap_uncovered").style["fillColor"]
    assert (edges["renderer"], edges["symbol"]["type"]) == ("singleSymbol", "line")
    assert edges["symbol"]["color"] == get_layer("gap_invalid_edges").style["color"]
    unassigned = qgis_report["gap_unassigned"]
    layer = get_layer("gap_unassigned")
    assert (unassigned["renderer"], unassigned["attribute"]) == ("categorizedSymbol", "reason")
    assert _categories(unassigned)[:-1] == _declared(layer)[:-1]
    # declared "any geometry", written as points: marker symbols, not fills
    assert {c["type"] for c in unassigned["categories"]} == {"marker"}
    assert _drawn(unassigned)["no_head"] == "#7a0177"


@pytest.mark.qgis
def test_qgis_draws_problems_by_status_in_the_export_language(
    qgis_report: dict[str, Any],
) -> None:
    found = qgis_report["problems"]
    layer = get_layer("problems")
    assert (found["renderer"], found["attribute"]) == ("categorizedSymbol", "status")
    assert _categories(found)[:-1] == _declared(layer, "en")[:-1]
    assert _categories(found)[1][1] == "open"  # after reported, to register
    assert {c["type"] for c in found["categories"]} == {"marker"}
    assert _drawn(found) == {v["value"]: v["color"] for v in layer.style["categories"]["values"]}


@pytest.mark.qgis
def test_qgis_draws_a_ramp_graduated(qgis_report: dict[str, Any]) -> None:
    found = qgis_report["covered"]
    assert (found["renderer"], found["attribute"]) == ("graduatedSymbol", "covered_share")
    assert [(r["lower"], r["upper"], r["label"], r["color"]) for r in found["ranges"]] == [
        (c["lower"], c["upper"], c["zh"], c["color"]) for c in RAMP["classes"]
    ]
    drawn = [f["symbol"]["color"] for f in found["features"]]
    assert drawn == [c["color"] for c in RAMP["classes"]]
