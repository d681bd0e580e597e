"""Proposed fixes for the coverage city, reviewed and applied, on SQLite and PostGIS."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from coverage_city import AS_OF, CONFIG, build_city, frame, rect

from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.layers.store import Store
from citygrid.services.analysis import get_analysis
from citygrid.services.context import CityContext
from citygrid.services.coverage.analysis import CoverageReport, analyse_coverage
from citygrid.services.coverage.apply import apply_proposal, read_proposal
from citygrid.services.coverage.params import CoverageParams
from citygrid.services.coverage.proposals import propose_fixes
from citygrid.services.coverage.report import write_report

OPTIONS = CoverageParams(as_of=AS_OF, cluster_r_m=30.0)
TILING = ("gap_uncovered", "gap_slivers", "gap_overlaps", "gap_outside")


@pytest.fixture
def report(store: Store) -> CoverageReport:
    build_city(store)
    return analyse_coverage(CityContext(store, CONFIG), OPTIONS)


@pytest.fixture
def proposal(store: Store, report: CoverageReport) -> gpd.GeoDataFrame:
    return propose_fixes(CityContext(store, CONFIG, actor="规划员"), report)


@pytest.fixture
def proposal_file(report: CoverageReport, proposal: gpd.GeoDataFrame, tmp_path: Path) -> Path:
    return write_report({**report.layers(), "gap_proposals": proposal}, tmp_path / "建议.gpkg")


def snapshot(store: Store) -> dict[str, pd.DataFrame]:
    return {
        layer: store.read(layer, columns=["code", "unit_code"]).drop(columns="fid")
        for layer in ("grids", "streets", "alleys", "points")
    }


def assert_unchanged(store: Store, before: dict[str, pd.DataFrame]) -> None:
    for layer, now in snapshot(store).items():
        pd.testing.assert_frame_equal(now, before[layer])


def test_each_fix_follows_its_rule(proposal: gpd.GeoDataFrame) -> None:
    assert list(
        proposal[["action", "layer", "feature_code", "rule", "finding_id"]].itertuples(
            index=False, name=None
        )
    ) == [
        # The 200 m x 200 m gap borders G04, G05 and G07 over 200 m each: the first wins.
        ("add_area", "grids", "G04", "longest_shared_edge", "GAP-0001"),
        # The 0.5 m sliver borders G02 and G04 over 200 m, G01 over 0.5 m.
        ("add_area", "grids", "G02", "longest_shared_edge", "SLV-0001"),
        # The hole in G04 borders only G04.
        ("add_area", "grids", "G04", "longest_shared_edge", "SLV-0002"),
        ("remove_area", "grids", "G05", "smaller_code_keeps", "OVL-0001"),
        ("remove_area", "grids", "G06", "outside_jurisdiction", "OUT-0001"),
        ("set_field", "alleys", "A01", "largest_length_share", "UNA-0006"),
        ("set_field", "grids", "G03", "subdistrict", "UNA-0001"),
    ]
    assert proposal["area_m2"].iloc[:5].tolist() == pytest.approx(
        [40_000, 100, 9, 2_000, 4_000], rel=1e-3
    )
    units = proposal[proposal["action"] == "set_field"]
    assert units[["field", "before", "after"]].values.tolist() == [
        ["unit_code", None, "U_HL"],
        ["unit_code", None, "U_JH"],
    ]
    assert proposal["version"].tolist() == [1] * 7
    assert proposal["id"].tolist() == [f"FIX-{i:04d}" for i in range(1, 8)]


def test_applying_the_proposal_leaves_no_gap_or_overlap(store: Store, proposal_file: Path) -> None:
    log = apply_proposal(store, proposal_file, actor="规划员", config=CONFIG)
    assert sorted(zip(log["layer"], log["code"], strict=True)) == [
        ("alleys", "A01"),
        ("grids", "G02"),
        ("grids", "G03"),
        ("grids", "G04"),
        ("grids", "G05"),
        ("grids", "G06"),
    ]
    assert set(log["version"]) == {2}
    after = analyse_coverage(CityContext(store, CONFIG), OPTIONS)
    for name in TILING:
        assert after.findings[name].empty, name
    assert after.summary["covered_share"].tolist() == pytest.approx([1.0, 1.0], abs=1e-6)
    assert store.get("grids", "G03")["unit_code"] == "U_JH"
    assert store.get("alleys", "A01")["assigned_by"] == "auto"
    history = store.history("grids", "G05")
    assert history["actor"].tolist()[-1] == "规划员"
    assert history["action"].tolist()[-1] == "apply_proposal"
    assert "geometry" in json.loads(history["after"].iloc[-1])


def test_a_gap_given_to_a_cell_shares_its_neighbours_vertices_exactly(
    store: Store, proposal_file: Path
) -> None:
    apply_proposal(store, proposal_file, actor="规划员")
    g02, g04 = (store.get("grids", code).geometry for code in ("G02", "G04"))
    shared = shapely.intersection(g02, g04)
    assert shared.geom_type in ("LineString", "MultiLineString")
    assert shared.length > 0  # an edge, not a sliver or a point


def test_a_dry_run_changes_nothing(store: Store, proposal_file: Path) -> None:
    before = snapshot(store)
    geometry = store.get("grids", "G04").geometry
    log = apply_proposal(store, proposal_file, actor="规划员", dry_run=True)
    assert len(log) == 6
    assert_unchanged(store, before)
    assert store.get("grids", "G04").geometry.equals_exact(geometry, 0)
    assert store.history("grids", "G04").empty


def test_a_stale_proposal_is_refused_whole(store: Store, proposal_file: Path) -> None:
    store.update(
        "grids",
        pd.DataFrame({"code": ["G04"], "name": ["江汉四网格(改)"]}),
        actor="别人",
    )
    before = snapshot(store)
    with pytest.raises(Conflict, match=r"stale: grids G04 \(v1 -> v2\)") as caught:
        apply_proposal(store, proposal_file, actor="规划员")
    assert "analyse gaps --propose" in caught.value.message()
    assert_unchanged(store, before)
    assert store.get("grids", "G02")["version"] == 1


def test_unknown_codes_are_refused(store: Store, proposal: gpd.GeoDataFrame) -> None:
    edited = proposal.copy()
    edited.loc[1, "feature_code"] = "G99"
    edited.loc[5, "feature_code"] = "A99"
    before = snapshot(store)
    with pytest.raises(NotFound, match="do not exist: alleys A99, grids G99"):
        apply_proposal(store, edited, actor="规划员")
    assert_unchanged(store, before)


def test_a_unit_that_does_not_exist_is_refused(store: Store, proposal: gpd.GeoDataFrame) -> None:
    edited = proposal.copy()
    edited.loc[6, "after"] = "U_无此单位"
    before = snapshot(store)
    with pytest.raises(NotFound, match="unit_code of grids G03 to U_无此单位, which is not in"):
        apply_proposal(store, edited, actor="规划员")
    assert_unchanged(store, before)


def test_a_reviewed_proposal_applies_only_the_rows_kept(
    store: Store, proposal: gpd.GeoDataFrame
) -> None:
    kept = proposal[proposal["finding_id"] == "OVL-0001"]
    log = apply_proposal(store, kept, actor="规划员")
    assert log["code"].tolist() == ["G05"]
    assert store.get("grids", "G05").geometry.area == pytest.approx(
        store.get("grids", "G04").geometry.area, rel=1e-3
    )
    assert store.get("grids", "G02")["version"] == 1


def test_a_file_that_is_not_a_proposal(
    store: Store, proposal: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    build_dir = tmp_path
    other = gpd.GeoDataFrame({"名称": ["江汉街道"]}, geometry=[rect(0, 0, 1, 1)], crs="EPSG:4547")
    other.to_file(build_dir / "辖区.gpkg", layer="辖区")
    with pytest.raises(BadInput, match="is not a proposal: it has no column action"):
        apply_proposal(store, build_dir / "辖区.gpkg", actor="规划员")
    two = build_dir / "两层.gpkg"
    other.to_file(two, layer="a")
    other.to_file(two, layer="b")
    with pytest.raises(BadInput, match=r"no gap_proposals layer \(it has: a, b\)"):
        apply_proposal(store, two, actor="规划员")
    text = build_dir / "notes.gpkg"
    text.write_text("不是地理数据", encoding="utf-8")
    with pytest.raises(BadInput, match="GDAL cannot read it"):
        apply_proposal(store, text, actor="规划员")
    with pytest.raises(NotFound, match="does not exist"):
        apply_proposal(store, build_dir / "missing.gpkg", actor="规划员")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("action", "demolish", "row 1 has action 'demolish'"),
        ("layer", "problems", "row 1 has layer 'problems'"),
        ("version", "二", "row 1 has version"),
        ("field", "colour", "row 6 has field 'colour'"),
    ],
)
def test_rows_a_proposal_cannot_hold(
    store: Store, proposal: gpd.GeoDataFrame, column: str, value: str, message: str
) -> None:
    edited = proposal.astype({column: object})
    edited.loc[5 if column == "field" else 0, column] = value
    with pytest.raises(BadInput, match=message):
        read_proposal(edited)


def test_a_proposal_contradicting_itself(store: Store, proposal: gpd.GeoDataFrame) -> None:
    twice = pd.concat([proposal, proposal.iloc[[6]].assign(after="U_CG")], ignore_index=True)
    with pytest.raises(BadInput, match="sets unit_code of grids G03 to two different values"):
        apply_proposal(store, twice, actor="规划员")
    versions = pd.concat([proposal, proposal.iloc[[0]].assign(version=5)], ignore_index=True)
    with pytest.raises(BadInput, match="gives grids G04 two different versions"):
        apply_proposal(store, versions, actor="规划员")


def test_cutting_a_cell_away_entirely_is_refused(store: Store, proposal: gpd.GeoDataFrame) -> None:
    whole = proposal.iloc[[3]].copy()
    whole["geometry"] = [store.get("grids", "G05").geometry]
    before = snapshot(store)
    with pytest.raises(Conflict, match="leave grid cell G05 with no area"):
        apply_proposal(store, whole, actor="规划员")
    assert_unchanged(store, before)


def test_an_empty_proposal_changes_nothing(store: Store, proposal: gpd.GeoDataFrame) -> None:
    layers = ("grids", "streets", "alleys", "points", "audit")
    before = {layer: store.read(layer) for layer in layers}
    assert len(before["grids"]) > 0
    assert apply_proposal(store, proposal.iloc[:0], actor="规划员").empty
    for layer in layers:
        pd.testing.assert_frame_equal(store.read(layer), before[layer], obj=layer)


def test_a_city_with_nothing_to_fix_proposes_nothing(store: Store) -> None:

    store.write(
        "jurisdictions",
        frame(
            [{"code": "420102001", "name": "江汉街道", "level": "subdistrict"}],
            [rect(0, 0, 100, 100)],
        ),
    )
    store.write("grids", frame([{"code": "G1", "name": "一网格"}], [rect(0, 0, 100, 100)]))
    ctx = CityContext(store, CONFIG)
    assert propose_fixes(ctx, analyse_coverage(ctx, OPTIONS)).empty


def test_land_no_cell_touches_gets_no_proposal(store: Store) -> None:
    store.write(
        "jurisdictions",
        frame(
            [
                {"code": "420102001", "name": "江汉街道", "level": "subdistrict"},
                {"code": "420102002", "name": "花楼街道", "level": "subdistrict"},
            ],
            [rect(0, 0, 100, 100), rect(300, 0, 400, 100)],
        ),
    )
    store.write("grids", frame([{"code": "G1", "name": "一网格"}], [rect(0, 0, 100, 100)]))
    ctx = CityContext(store, CONFIG)
    report = analyse_coverage(ctx, OPTIONS)
    assert report.findings["gap_uncovered"]["area_m2"].tolist() == pytest.approx([10_000], rel=1e-3)
    assert propose_fixes(ctx, report).empty


def test_the_registered_analysis_gives_the_same_proposal(
    store: Store, proposal: gpd.GeoDataFrame
) -> None:
    analysis = get_analysis("gap_proposals")
    texts = {"as_of": AS_OF.isoformat(), "cluster_r_m": "30"}
    ctx = CityContext(store, CONFIG, actor="规划员")
    result = analysis.run(ctx, analysis.params.from_text(texts))
    pd.testing.assert_frame_equal(result.frame, proposal)
