"""``citygrid analyse gaps`` and ``citygrid apply-proposal`` on both backends."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner, Result

from citygrid.cli import main
from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.analysis import get_analysis
from citygrid.services.context import CityContext

CRS = "EPSG:4547"
ENV = {"CITYGRID_METRIC_CRS": CRS, "CITYGRID_LANG": "", "CITYGRID_ACTOR": "规划科"}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=ENV, catch_exceptions=False)


def box(x1: float, y1: float, x2: float, y2: float) -> shapely.Polygon:
    return shapely.box(530_000 + x1, 3_385_000 + y1, 530_000 + x2, 3_385_000 + y2)


@pytest.fixture
def city(database_url: str) -> str:
    """One sub-district 300 m x 100 m, two cells and a 100 m x 100 m gap between them."""
    store = Store.open(database_url)
    store.write(
        "jurisdictions",
        gpd.GeoDataFrame(
            {"code": ["420102001"], "name": ["江汉街道"], "level": ["subdistrict"]},
            geometry=[
                shapely.Polygon(
                    [
                        (530_000 + x, 3_385_000 + y)
                        for x, y in [
                            (0, 0),
                            (100, 0),
                            (200, 0),
                            (300, 0),
                            (300, 100),
                            (200, 100),
                            (100, 100),
                            (0, 100),
                        ]
                    ]
                )
            ],
            crs=CRS,
        ),
    )
    store.write(
        "grids",
        gpd.GeoDataFrame(
            {"code": ["G1", "G2"], "name": ["一网格", "二网格"], "unit_code": ["U1", "U1"]},
            geometry=[box(0, 0, 100, 100), box(200, 0, 300, 100)],
            crs=CRS,
        ),
    )
    store.close()
    return database_url


def test_gaps_writes_a_geopackage_and_a_summary_in_chinese(city: str, tmp_path: Path) -> None:
    out = tmp_path / "缺口.gpkg"
    result = run("--db", city, "analyse", "gaps", "--as-of", "2026-11-20", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "覆盖情况汇总" in result.output
    assert "江汉街道" in result.output
    assert "66.67%" in result.output
    assert "合计" in result.output
    assert f"已将 9 个图层写入 {out}" in result.output
    layers = [str(name) for name, _ in pyogrio.list_layers(out)]
    assert layers[0] == "gap_uncovered"
    assert "gap_summary" in layers
    assert "gap_proposals" not in layers
    gaps = gpd.read_file(out, layer="gap_uncovered")
    assert gaps.to_crs(CRS).area.tolist() == pytest.approx([10_000.0], rel=1e-3)


def test_propose_then_apply(city: str, tmp_path: Path) -> None:
    out = tmp_path / "gaps.gpkg"
    result = run("--db", city, "--lang", "en", "analyse", "gaps", "--propose", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "1 fixes proposed" in result.output
    assert f"citygrid apply-proposal {out}" in result.output
    dry = run("--db", city, "--lang", "en", "apply-proposal", str(out), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run: 1 features would change; nothing was written." in dry.output
    applied = run("--db", city, "--lang", "en", "apply-proposal", str(out))
    assert applied.exit_code == 0, applied.output
    assert "Applied: 1 features changed" in applied.output
    store = Store.open(city)
    try:
        assert store.get("grids", "G1").geometry.area == pytest.approx(
            2 * store.get("grids", "G2").geometry.area, rel=1e-3
        )
        assert store.history("grids", "G1")["actor"].tolist()[-1] == "规划科"
    finally:
        store.close()
    again = run("--db", city, "--lang", "en", "apply-proposal", str(out))
    assert again.exit_code == 2
    assert "The proposal is stale: grids G1 (v1 -> v2)" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--min-area", "-1"],
            "Option --min-area: Parameter min_area_m2 (Minimum area, in m²) is -1.0,",
        ),
        (["--min-area", "abc"], "Option --min-area: Parameter min_area_m2 (Minimum area): 'abc'"),
        (["--stale-days", "-3"], "Option --stale-days: Parameter stale_days"),
        (["--stale-days", "thirty"], "Parameter stale_days (Days without inspection): 'thirty'"),
        (["--as-of", "11/20/2026"], "Option --as-of: Parameter as_of (As of): '11/20/2026'"),
        (
            ["--cluster-r", "0"],
            "Option --cluster-r: Parameter cluster_r_m (Cluster radius, in m) is 0.0",
        ),
        (["--far-m", "NaN"], "Option --far-m: Parameter far_m"),
        (["--outside-tolerance-m", "-1"], "Parameter outside_tolerance_m"),
        (["--out", "gaps.shp"], "give a path ending in .gpkg"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    city: str, tmp_path: Path, args: list[str], message: str
) -> None:
    out = ["--out", str(tmp_path / "gaps.gpkg")]
    result = run("--db", city, "--lang", "en", "analyse", "gaps", *out, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_empty_database_says_what_to_load(database_url: str, tmp_path: Path) -> None:
    out = tmp_path / "gaps.gpkg"
    result = run("--db", database_url, "analyse", "gaps", "--out", str(out))
    assert result.exit_code == 2
    assert "没有辖区边界" in result.output
    assert "citygrid demo" in result.output
    assert not out.exists()


def test_apply_proposal_refuses_what_is_not_a_proposal(city: str, tmp_path: Path) -> None:
    other = tmp_path / "辖区.geojson"
    gpd.GeoDataFrame(
        {"名称": ["江汉街道"]}, geometry=[shapely.Point(114.3, 30.6)], crs="EPSG:4326"
    ).to_file(other)
    result = run("--db", city, "--lang", "en", "apply-proposal", str(other))
    assert result.exit_code == 2
    assert "is not a proposal: it has no column action" in result.output
    missing = run("--db", city, "apply-proposal", str(tmp_path / "无.gpkg"))
    assert missing.exit_code == 2
    assert "整改建议文件" in missing.output
    assert "不存在" in missing.output


def test_a_bad_value_is_named_in_chinese(city: str, tmp_path: Path) -> None:
    out = tmp_path / "gaps.gpkg"
    result = run("--db", city, "analyse", "gaps", "--min-width", "-2", "--out", str(out))
    assert result.exit_code == 2
    assert (
        "选项 --min-width：参数 min_width_m（最小宽度，单位：米）为 -2.0，小于下限 0.0。"
        in result.output
    )
    assert not out.exists()


def test_the_cli_writes_what_the_registered_analysis_gives(city: str, tmp_path: Path) -> None:
    out = tmp_path / "gaps.gpkg"
    result = run("--db", city, "analyse", "gaps", "--as-of", "2026-11-20", "--out", str(out))
    assert result.exit_code == 0, result.output
    store = Store.open(city)
    try:
        analysis = get_analysis("gaps")
        ctx = CityContext(store, Config(metric_crs=CRS))
        result = analysis.run(ctx, analysis.params.from_text({"as_of": "2026-11-20"}))
        expected = dict(result.layers)  # each layer is made when first read: while open
    finally:
        store.close()
    for name, frame in expected.items():
        written = pyogrio.read_dataframe(out, layer=name)
        assert len(written) == len(frame), name
        if "id" in frame.columns:
            assert written["id"].tolist() == frame["id"].tolist(), name
