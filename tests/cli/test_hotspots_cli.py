"""``citygrid analyse hotspots|emerging|density``: files written, parameters printed, errors."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
from click.testing import CliRunner, Result

from citygrid.cli import main
from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.analysis import get_analysis
from citygrid.services.context import CityContext

_spec = importlib.util.spec_from_file_location(
    "hotspot_city", Path(__file__).parents[1] / "services" / "hotspot_city.py"
)
assert _spec is not None
assert _spec.loader is not None
hotspot_city = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hotspot_city)


def run(url: str, *args: str, lang: str = "en") -> Result:
    return CliRunner().invoke(main, ["--db", url, "--lang", lang, "analyse", *args])


@pytest.fixture
def city_url(database_url: str) -> str:
    store = Store.open(database_url)
    hotspot_city.build_city(store)
    store.close()
    return database_url


def test_hotspots_to_a_styled_geopackage_with_a_map(city_url: str, tmp_path: Path) -> None:
    out, png = tmp_path / "热点.gpkg", tmp_path / "热点.png"
    result = run(
        city_url,
        "hotspots",
        "--cells",
        "grids",
        "--weights",
        "queen",
        "--since",
        "2024-01-01",
        "--until",
        "2024-06-30",
        "--permutations",
        "99",
        "--seed",
        "1",
        "--out",
        str(out),
        "--png",
        str(png),
    )
    assert result.exit_code == 0, result.output
    assert "Parameters used" in result.output
    assert "queen" in result.output
    frame = pyogrio.read_dataframe(out, layer="hotspots")
    assert len(frame) == 64
    assert {"count", "gi_zscore", "gi_pvalue", "gi_bin", "n_neighbors"} <= set(frame.columns)
    assert frame["gi_bin"].max() >= 1  # 99 permutations and FDR: the cluster is still hot
    with sqlite3.connect(out) as conn:
        styles = conn.execute("SELECT f_table_name FROM layer_styles").fetchall()
    assert ("hotspots",) in styles
    parameters = json.loads(Path(f"{out}.parameters.json").read_text(encoding="utf-8"))
    assert parameters["weights"] == "queen"
    assert parameters["permutations"] == 99
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hotspots_with_defaults_to_geojson(city_url: str, tmp_path: Path) -> None:
    out = tmp_path / "hot.geojson"
    result = run(
        city_url,
        "hotspots",
        "--status",
        "open,closed",
        "--weight-by",
        "deduction",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "fishnet:" in result.output
    assert "distance:" in result.output
    assert pyogrio.read_info(out)["features"] > 64


def test_emerging_to_a_shapefile(city_url: str, tmp_path: Path) -> None:
    out = tmp_path / "emerging.shp"
    result = run(city_url, "emerging", "--cells", "grids", "--weights", "rook", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert pyogrio.read_info(out)["features"] == 64
    cube = tmp_path / "cube.gpkg"
    result = run(city_url, "emerging", "--time-window", "1", "--out", str(cube))
    assert result.exit_code == 0, result.output
    parameters = json.loads(Path(f"{cube}.parameters.json").read_text(encoding="utf-8"))
    assert parameters["time_window"] == 1


def test_density_raster_and_contours(city_url: str, tmp_path: Path) -> None:
    tif, contours = tmp_path / "density.tif", tmp_path / "contours.gpkg"
    result = run(
        city_url, "density", "--category", "S1", "--out", str(tif), "--contours", str(contours)
    )
    assert result.exit_code == 0, result.output
    with rasterio.open(tif) as src:
        assert src.read(1).max() > 0
    assert pyogrio.read_dataframe(contours)["level"].tolist() == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hotspots", "--cells", "squares"], "Cells 'squares' are not understood"),
        (["hotspots", "--weights", "distance:abc"], "are not understood"),
        (["hotspots", "--since", "2024-05-01", "--until", "2024-01-01"], "is after until"),
        (["hotspots", "--since", "5月1日"], "Option --since: Parameter since"),
        (["hotspots", "--status", "open", "--status", "lost"], "Unknown problem status lost"),
        (["hotspots", "--permutations", "-1"], "Option --permutations: Parameter permutations"),
        (["hotspots", "--seed", "NaN"], "Parameter seed"),
        (["hotspots", "--weight-by", "price"], "Option --weight-by: Parameter weight_by"),
        (["hotspots", "--category", "NOPE"], "Unknown category 'NOPE'"),
        (["hotspots", "--since", "2031-01-01"], "No problems match"),
        (["hotspots", "--cells", "fishnet:0.5"], "the smallest size allowed here is fishnet:5"),
        (["hotspots", "--cells", "grids", "--weights", "distance:5"], "without a neighbour"),
        (["emerging", "--since", "2024-01-01", "--until", "2024-01-31"], "at least 3 months"),
        (["density", "--bandwidth", "-1"], "Option --bandwidth: Parameter bandwidth_m"),
        (["density", "--cell-size", "nan"], "Option --cell-size: Parameter cell_size_m"),
        (["emerging", "--time-window", "-2"], "Option --time-window: Parameter time_window"),
        (["emerging", "--trend-alpha", "2"], "above its maximum"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    city_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / ("out.tif" if args[0] == "density" else "out.gpkg")
    result = run(city_url, *args, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_messages_in_chinese(city_url: str, tmp_path: Path) -> None:
    result = run(
        city_url,
        "hotspots",
        "--weights",
        "hexagon",
        "--out",
        str(tmp_path / "x.gpkg"),
        lang="zh_CN",
    )
    assert result.exit_code == 2
    assert "无法识别空间权重" in result.output


def test_the_cli_writes_what_the_registered_analysis_gives(city_url: str, tmp_path: Path) -> None:
    out = tmp_path / "hot.gpkg"
    args = ["--cells", "grids", "--weights", "queen", "--since", "2024-02-01", "--no-fdr"]
    result = run(city_url, "hotspots", *args, "--out", str(out))
    assert result.exit_code == 0, result.output
    store = Store.open(city_url)
    try:
        analysis = get_analysis("hotspots")
        texts = {"cells": "grids", "weights": "queen", "since": "2024-02-01", "fdr": "false"}
        expected = analysis.run(CityContext(store, Config()), analysis.params.from_text(texts))
    finally:
        store.close()
    written = pyogrio.read_dataframe(out, layer="hotspots")
    assert written["cell_id"].tolist() == expected.frame["cell_id"].tolist()
    assert written["gi_bin"].tolist() == expected.frame["gi_bin"].tolist()
    np.testing.assert_allclose(written["gi_zscore"], expected.frame["gi_zscore"])
    parameters = json.loads(Path(f"{out}.parameters.json").read_text(encoding="utf-8"))
    assert parameters == json.loads(json.dumps(expected.parameters()))
    assert parameters["fdr"] is False


def test_help_is_rendered_from_the_parameters(city_url: str) -> None:
    english = " ".join(run(city_url, "hotspots", "--help").output.split())
    assert "Conditional permutations for pseudo p-values" in english
    assert "--no-fdr" in english
    chinese = run(city_url, "density", "--help", lang="zh_CN")
    assert "核半径" in chinese.output
    assert "--bandwidth" in chinese.output


def test_hotspots_map_as_an_a3_portrait_pdf(city_url: str, tmp_path: Path) -> None:
    out, pdf = tmp_path / "hot.gpkg", tmp_path / "热点图.pdf"
    args = ["hotspots", "--cells", "grids", "--permutations", "99", "--seed", "1"]
    result = run(
        city_url,
        *args,
        "--out",
        str(out),
        "--map",
        str(pdf),
        "--paper",
        "a3",
        "--orientation",
        "portrait",
    )
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_hotspots_map_on_a_paper_that_does_not_exist(city_url: str, tmp_path: Path) -> None:
    out, png = tmp_path / "hot.gpkg", tmp_path / "hot.png"
    result = run(city_url, "hotspots", "--out", str(out), "--map", str(png), "--paper", "B5")
    assert result.exit_code == 2
    assert "B5" in result.output
    assert not out.exists()
    assert not png.exists()
