"""The coverage analysis on a city with known gaps, on SQLite and PostGIS.

(Named ``test_coverage_service`` because pytest's default import mode needs
test files with distinct names, and ``tests/gis/test_coverage.py`` exists.)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
import sqlalchemy as sa
from coverage_city import AS_OF, CONFIG, build_city, frame, rect

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.i18n import language
from citygrid.layers.gap_layers import FINDING_LAYERS
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.services.analysis import get_analysis
from citygrid.services.context import CityContext
from citygrid.services.coverage.analysis import CoverageReport, analyse_coverage
from citygrid.services.coverage.params import CoverageParams
from citygrid.services.coverage.report import write_report
from citygrid.services.demo import load_demo, planted_defects

S1, S2 = "420102001", "420102002"
OPTIONS = CoverageParams(as_of=AS_OF, cluster_r_m=30.0)


@pytest.fixture
def report(store: Store) -> CoverageReport:
    build_city(store)
    return analyse_coverage(CityContext(store, CONFIG), OPTIONS)


def rows(report: CoverageReport, layer: str, *columns: str) -> list[tuple]:
    found = report.findings[layer]
    return list(found[list(columns)].itertuples(index=False, name=None))


def test_uncovered_land_and_slivers(report: CoverageReport) -> None:
    gaps = report.findings["gap_uncovered"]
    assert len(gaps) == 1
    assert gaps["area_m2"].iloc[0] == pytest.approx(40_000.0, rel=1e-3)
    assert gaps["width_m"].iloc[0] == pytest.approx(200.0, rel=1e-3)
    assert gaps["subdistrict_code"].tolist() == [S2]
    slivers = report.findings["gap_slivers"]
    assert slivers["area_m2"].tolist() == pytest.approx([100.0, 9.0], rel=1e-3)
    assert slivers["width_m"].tolist() == pytest.approx([0.5, 3.0], rel=1e-3)
    assert slivers["subdistrict_code"].tolist() == [S1, S1]
    assert slivers["id"].tolist() == ["SLV-0001", "SLV-0002"]
    assert gaps.crs == "EPSG:4326"
    assert gaps.geometry.iloc[0].bounds[0] == pytest.approx(114.3, abs=0.1)  # longitude


def test_overlaps_cells_outside_and_invalid_edges(report: CoverageReport) -> None:
    overlaps = report.findings["gap_overlaps"]
    assert rows(report, "gap_overlaps", "code_a", "code_b", "subdistrict_code") == [
        ("G03", "G05", S1)
    ]
    assert overlaps["area_m2"].iloc[0] == pytest.approx(2_000.0, rel=1e-3)
    assert overlaps["share_a"].iloc[0] == pytest.approx(2_000 / 40_000, rel=1e-3)
    assert overlaps["share_b"].iloc[0] == pytest.approx(2_000 / 42_000, rel=1e-3)
    outside = report.findings["gap_outside"]
    assert rows(report, "gap_outside", "feature_code", "subdistrict_code") == [("G06", S2)]
    assert outside["area_m2"].iloc[0] == pytest.approx(4_000.0, rel=1e-3)
    assert outside["share"].iloc[0] == pytest.approx(4_000 / 44_000, rel=1e-3)
    edges = report.findings["gap_invalid_edges"]
    assert rows(report, "gap_invalid_edges", "feature_code", "subdistrict_code") == [
        ("G02", S1),
        ("G03", S1),
        ("G04", S1),
        ("G05", S2),
    ]
    # G02's edge by the 0.5 m sliver; G05's west edge inside G03 and its 10 m foot.
    assert edges.set_index("feature_code").loc[["G02", "G05"], "length_m"].tolist() == (
        pytest.approx([200.0, 210.0], rel=1e-3)
    )


def test_no_one_responsible(report: CoverageReport) -> None:
    assert rows(report, "gap_unassigned", "layer", "feature_code", "reason", "value") == [
        ("grids", "G03", "no_unit", None),
        ("grids", "G06", "unknown_unit", "U_GONE"),
        ("grids", "G07", "no_head", None),
        ("streets", "S02", "no_head", None),
        ("streets", "S02", "outside_cells", None),
        ("alleys", "A01", "no_unit", None),
        ("points", "D04", "no_head", None),
        ("points", "D03", "unknown_head", "P_NOBODY"),
        ("points", "D02", "outside_cells", None),
    ]
    found = report.findings["gap_unassigned"].set_index(["feature_code", "reason"])
    assert found.loc[("S02", "outside_cells"), "outside_m"] == pytest.approx(180.0, rel=1e-3)
    assert found.loc[("G07", "no_head"), "field"] == "manager_code"
    assert found.loc[("G03", "no_unit"), "name"] == "江汉三网格"
    assert found["subdistrict_code"].value_counts().to_dict() == {S2: 8, S1: 1}


def test_not_looked_at_counts_days_up_to_as_of(report: CoverageReport) -> None:
    # D01 seen at 08:00 on the first day of the 30 (fresh); D02 an hour before it
    # (stale, 30 days); D03 only after as_of (never, as of then); D04 at 23:59 on
    # as_of itself (fresh); street S02 on 1 October (50 days); A02 on 1 September (80 days).
    assert rows(report, "gap_stale", "layer", "feature_code", "days_since") == [
        ("points", "D02", 30),
        ("points", "D03", pd.NA),
        ("streets", "S02", 50),
        ("alleys", "A02", 80),
    ]
    stale = report.findings["gap_stale"].set_index("feature_code")
    assert stale.loc["D02", "last_inspected_at"] == pd.Timestamp("2026-10-21 23:00")
    assert pd.isna(stale.loc["D03", "last_inspected_at"])
    assert stale.loc["A02", "name"] == "黄陂街巷"


def test_a_shorter_window_or_a_later_day(store: Store) -> None:
    build_city(store)
    later = analyse_coverage(
        CityContext(store, CONFIG), CoverageParams(as_of=date(2026, 11, 26), stale_days=2)
    )
    assert rows(later, "gap_stale", "feature_code", "days_since") == [
        ("D01", 35),
        ("D02", 36),
        ("D04", 6),
        ("S01", 16),
        ("S02", 56),
        ("A01", 25),
        ("A02", 86),
    ]


def test_blind_spots(report: CoverageReport) -> None:
    spots = report.findings["gap_blind_spots"]
    assert rows(
        report, "gap_blind_spots", "problems", "nearest_point_code", "subdistrict_code"
    ) == [(6, "D02", S2)]
    assert spots["nearest_point_m"].iloc[0] == pytest.approx(
        ((701.3333 - 500) ** 2 + (350.5 - 300) ** 2) ** 0.5, rel=1e-3
    )
    assert 114.3 < spots["center_x"].iloc[0] < 114.4
    assert 30.5 < spots["center_y"].iloc[0] < 30.7


def test_blind_spots_only_from_recent_problems(store: Store) -> None:
    build_city(store)
    # The cluster's problems were reported at 00:00 on 1 November: as of 20 November
    # the last 20 days begin at that very moment, the last 19 days a day later.
    for days, expected in ((20, [6]), (19, [])):
        options = CoverageParams(as_of=AS_OF, cluster_r_m=30.0, problem_days=days)
        found = analyse_coverage(CityContext(store, CONFIG), options)
        assert found.findings["gap_blind_spots"]["problems"].tolist() == expected, days


def test_the_late_problem_only_counts_from_its_day(store: Store) -> None:
    build_city(store)
    later = analyse_coverage(
        CityContext(store, CONFIG), CoverageParams(as_of=date(2026, 11, 21), cluster_r_m=30.0)
    )
    assert later.findings["gap_blind_spots"]["problems"].tolist() == [6, 5]


def test_summary_per_subdistrict(report: CoverageReport) -> None:
    summary = report.summary.set_index("code")
    assert summary.index.tolist() == [S1, S2]
    assert summary["name"].tolist() == ["江汉街道", "花楼街道"]
    assert summary["area_m2"].tolist() == pytest.approx([160_000.0, 160_000.0], rel=1e-3)
    assert summary["covered_m2"].tolist() == pytest.approx([160_000 - 109, 120_000], rel=1e-3)
    assert summary.loc[S1, "covered_share"] == pytest.approx(1 - 109 / 160_000, abs=1e-5)
    assert summary.loc[S2, "covered_share"] == pytest.approx(0.75, abs=1e-5)
    counts = ["gaps", "slivers", "overlaps", "outside", "invalid_edges", "unassigned", "stale"]
    assert summary.loc[S1, [*counts, "blind_spots"]].tolist() == [0, 2, 1, 0, 3, 1, 0, 0]
    assert summary.loc[S2, [*counts, "blind_spots"]].tolist() == [1, 0, 0, 1, 1, 8, 4, 1]
    assert summary.loc[S2, "gap_area_m2"] == pytest.approx(40_000, rel=1e-3)
    assert summary.loc[S1, "overlap_area_m2"] == pytest.approx(2_000, rel=1e-3)
    totals = report.totals()
    assert totals["unassigned"] == 9
    assert totals["covered_share"] == pytest.approx((320_000 - 40_109) / 320_000, abs=1e-5)


def test_every_layer_has_exactly_its_declared_fields(report: CoverageReport) -> None:
    for name, found in report.layers().items():
        layer = get_layer(name)
        assert [c for c in found.columns if c != "geometry"] == list(layer.field_names), name
        assert found.crs == "EPSG:4326"
    assert list(report.findings) == [layer.name for layer in FINDING_LAYERS]


def test_a_store_in_memory_makes_every_layer_in_its_own_thread(report: CoverageReport) -> None:
    memory = Store.open("sqlite://", check_schema=False)
    memory.init()
    build_city(memory)
    assert not memory.shared_across_threads
    in_memory = analyse_coverage(CityContext(memory, CONFIG), OPTIONS).layers()
    for name, found in report.layers().items():
        assert len(in_memory[name]) == len(found), name
    assert in_memory["gap_unassigned"]["feature_code"].tolist() == (
        report.findings["gap_unassigned"]["feature_code"].tolist()
    )
    memory.close()


def test_a_clean_tiling_has_no_tiling_findings(store: Store) -> None:
    store.write(
        "jurisdictions",
        frame(
            [{"code": "420102001", "name": "江汉街道", "level": "subdistrict"}],
            [rect(0, 0, 200, 100)],
        ),
    )
    store.write(
        "grids",
        frame(
            [{"code": "G1", "name": "一网格"}, {"code": "G2", "name": "二网格"}],
            [rect(0, 0, 100, 100), rect(100, 0, 200, 100)],
        ),
    )
    found = analyse_coverage(CityContext(store, CONFIG), OPTIONS)
    for name in (
        "gap_uncovered",
        "gap_slivers",
        "gap_overlaps",
        "gap_outside",
        "gap_invalid_edges",
    ):
        assert found.findings[name].empty, name
    assert found.summary["covered_share"].tolist() == pytest.approx([1.0])
    assert found.findings["gap_unassigned"]["reason"].tolist() == [
        "no_unit",
        "no_unit",
        "no_head",
        "no_head",
    ]


def test_findings_outside_every_subdistrict_get_their_own_summary_row(store: Store) -> None:
    store.write(
        "jurisdictions",
        frame(
            [
                {"code": "420102", "name": "江岸区", "level": "district"},
                {"code": "420102001", "name": "江汉街道", "level": "subdistrict"},
            ],
            [rect(0, 0, 200, 100), rect(0, 0, 100, 100)],
        ),
    )
    store.write("grids", frame([{"code": "G1", "name": "一网格"}], [rect(0, 0, 100, 100)]))
    found = analyse_coverage(CityContext(store, CONFIG), OPTIONS)
    assert found.summary["code"].tolist() == ["420102001", None]
    assert found.summary["gaps"].tolist() == [0, 1]
    assert found.findings["gap_uncovered"]["area_m2"].tolist() == pytest.approx([10_000], rel=1e-3)


def test_an_empty_database_says_what_to_load(store: Store) -> None:
    with pytest.raises(BadInput, match="No jurisdictions are loaded") as caught:
        analyse_coverage(CityContext(store, CONFIG))
    assert "citygrid demo" in caught.value.message()
    with language("zh_CN"):
        assert "没有辖区边界" in caught.value.message()


@pytest.mark.parametrize(
    ("raw", "param", "message"),
    [
        (
            {"min_area_m2": "-5"},
            "min_area_m2",
            "(Minimum area, in m²) is -5.0, below its minimum 0.0.",
        ),
        ({"min_area_m2": "大"}, "min_area_m2", "is not valid"),
        ({"min_width_m": "nan"}, "min_width_m", "is not valid"),
        ({"stale_days": "-1"}, "stale_days", "in days) is -1, below its minimum 1"),
        ({"stale_days": "ten"}, "stale_days", "'ten' is not valid"),
        ({"stale_days": "1.5"}, "stale_days", "is not valid"),
        ({"cluster_r_m": "0"}, "cluster_r_m", "below its minimum"),
        ({"problem_days": "0"}, "problem_days", "below its minimum"),
        ({"cluster_k": "2.5"}, "cluster_k", "is not valid"),
        ({"far_m": "inf"}, "far_m", "is not valid"),
        ({"as_of": "2026-02-30"}, "as_of", "is not valid"),
        ({"as_of": "昨天"}, "as_of", "'昨天'"),
        ({"colour": "red"}, None, "gaps has no parameter colour"),
    ],
)
def test_bad_params_are_refused_naming_the_parameter(
    raw: dict, param: str | None, message: str
) -> None:
    with pytest.raises(BadInput) as caught:
        CoverageParams.from_text(raw)
    assert message in caught.value.message()
    assert caught.value.params.get("param") == param


def test_a_bound_names_its_unit_once_in_the_users_language() -> None:
    with language("zh_CN"), pytest.raises(BadInput) as caught:
        CoverageParams.from_text({"stale_days": "-5"})
    with language("zh_CN"):
        assert caught.value.message() == "参数 stale_days（巡查期限，单位：天）为 -5，小于下限 1。"
    with language("en"), pytest.raises(BadInput) as caught:
        CoverageParams.from_text({"far_m": "-1"})
    assert caught.value.message("en").endswith(
        "(Blind-spot distance, in m) is -1.0, below its minimum 0.0."
    )


def test_params_parse_user_text_and_python_values() -> None:
    params = CoverageParams.from_text(
        {"min_area_m2": "25", "stale_days": "7", "as_of": "2026-11-01", "far_m": None}
    )
    assert params == CoverageParams(min_area_m2=25.0, stale_days=7, as_of=date(2026, 11, 1))
    with pytest.raises(BadInput) as caught:
        CoverageParams(stale_days=1.5)  # type: ignore[arg-type]
    assert caught.value.params["param"] == "stale_days"
    with pytest.raises(BadInput) as caught:
        CoverageParams(min_area_m2=float("nan"))
    assert caught.value.params["param"] == "min_area_m2"
    with language("zh_CN"), pytest.raises(BadInput) as caught:
        CoverageParams.from_text({"min_area_m2": "-1"})
    assert "min_area_m2" in caught.value.message("zh_CN")
    assert "最小面积" in caught.value.message("zh_CN")


def test_as_of_defaults_to_the_context_day(store: Store) -> None:
    build_city(store)
    ctx = CityContext(store, CONFIG, now=datetime(2026, 11, 20, 9, 30))
    assert analyse_coverage(ctx).as_of == date(2026, 11, 20)
    assert analyse_coverage(CityContext(store, CONFIG)).as_of == date.today()


def test_the_registered_analysis_gives_the_same_layers(store: Store) -> None:
    build_city(store)
    ctx = CityContext(store, CONFIG)
    analysis = get_analysis("gaps")
    result = analysis.run(
        ctx, analysis.params.from_text({"as_of": AS_OF.isoformat(), "cluster_r_m": "30"})
    )
    expected = analyse_coverage(ctx, OPTIONS)
    assert list(result.layers) == list(analysis.layers) == list(expected.layers())
    for name, layer in expected.layers().items():
        pd.testing.assert_frame_equal(result.layers[name], layer)
    assert result.parameters()["as_of"] == "2026-11-20"
    assert result.chosen["metric_crs"] == ctx.metric_crs.to_string()


def test_one_finding_reads_only_the_tables_it_needs(store: Store) -> None:
    """The map asks for uncovered land alone: the problems, the inspections and the
    streets are not read, and the finding is the one a full run gives."""
    build_city(store)
    ctx = CityContext(store, CONFIG)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        result = get_analysis("gaps").run(ctx, OPTIONS)
        alone = result.layers["gap_uncovered"]
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    read = " ".join(statements)
    assert "jurisdictions" in read
    assert "grids" in read
    for table in ("problems", "inspections", "streets", "alleys", "points", "people"):
        assert f"FROM {table}" not in read
        assert f"FROM {store.table(table).fullname}" not in read
    everything = analyse_coverage(ctx, OPTIONS).layers()
    pd.testing.assert_frame_equal(alone, everything["gap_uncovered"])
    assert len(result.layers["gap_summary"]) == len(everything["gap_summary"])


def test_write_report_gives_one_layer_per_finding(report: CoverageReport, tmp_path) -> None:
    path = write_report(report.layers(), tmp_path / "缺口.gpkg")
    names = [str(row[0]) for row in pyogrio.list_layers(path)]
    assert names == [*report.layers(), "layer_styles"]  # styles for QGIS
    styles = pyogrio.read_dataframe(path, layer="layer_styles")
    assert "Overlapping cells" in set(styles["description"])
    gaps = gpd.read_file(path, layer="gap_unassigned")
    assert gaps["name"].tolist() == report.findings["gap_unassigned"]["name"].tolist()
    stale = gpd.read_file(path, layer="gap_stale")
    assert stale["last_inspected_at"].iloc[0] == pd.Timestamp(datetime(2026, 10, 21, 23, 0))
    slivers = gpd.read_file(path, layer="gap_slivers")
    assert shapely.equals_exact(
        slivers.geometry.to_numpy(), report.findings["gap_slivers"].geometry.to_numpy(), 0
    ).all()
    write_report(report.layers(), path, overwrite=True)  # replaces its layers
    assert len(pyogrio.list_layers(path)) == len(report.layers()) + 1
    assert not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize(
    ("name", "message"),
    [("gaps.geojson", "ending in .gpkg"), ("nowhere/gaps.gpkg", "does not exist")],
)
def test_write_report_refuses_bad_paths(report: CoverageReport, tmp_path, name, message) -> None:
    with pytest.raises(BadInput, match=message):
        write_report(report.layers(), tmp_path / name)


def test_every_defect_planted_in_the_demo_city_is_found(store: Store) -> None:
    load_demo(store, "small", 0, actor="测试员")
    planted = planted_defects("small", 0)
    as_of = (planted.reference_date - timedelta(days=1)).date()
    found = analyse_coverage(
        CityContext(store, Config(metric_crs="EPSG:32649")), CoverageParams(as_of=as_of)
    )
    expected = {kind: [d for d in planted.coverage if d.kind == kind] for kind in _KINDS}
    for kind, layer in (("gap", "gap_uncovered"), ("sliver_gap", "gap_slivers")):
        assert sorted(found.findings[layer]["area_m2"]) == pytest.approx(
            sorted(d.area_m2 for d in expected[kind]), rel=1e-3
        )
    overlaps = found.findings["gap_overlaps"]
    planted_pairs = {
        tuple(sorted(d.cells)): d.area_m2 for d in expected["overlap"] + expected["sliver_overlap"]
    }
    found_pairs = dict(
        zip(
            zip(overlaps["code_a"], overlaps["code_b"], strict=True),
            overlaps["area_m2"],
            strict=True,
        )
    )
    assert found_pairs.keys() == planted_pairs.keys()
    for pair, area in planted_pairs.items():
        assert found_pairs[pair] == pytest.approx(area, rel=1e-3)
    unassigned = found.findings["gap_unassigned"]
    for layer, fields in planted.unassigned.items():
        for field_name, codes in fields.items():
            reason = "no_unit" if field_name == "unit_code" else "no_head"
            flagged = unassigned[(unassigned["layer"] == layer) & (unassigned["reason"] == reason)]
            assert set(codes) <= set(flagged["feature_code"]), (layer, field_name)
    outside = unassigned[
        (unassigned["layer"] == "points") & (unassigned["reason"] == "outside_cells")
    ]
    assert set(outside["feature_code"]) == set(planted.points_outside_cells)
    stale = found.findings["gap_stale"]
    never = stale[stale["last_inspected_at"].isna()]
    assert set(planted.uninspected_points) <= set(never["feature_code"])


_KINDS = ("gap", "sliver_gap", "overlap", "sliver_overlap")


def test_a_finding_keeps_typed_values_and_the_order_of_its_rows() -> None:
    from citygrid.layers.registry import get_layer
    from citygrid.services.coverage.findings import shaped_as

    frame = gpd.GeoDataFrame(
        {
            "layer": ["points"] * 3,
            "feature_code": ["P1", "P2", "P3"],
            "name": ["五一路口", "解放西路", "坡子街"],
            "head_code": [None, "H1", ""],
            "last_inspected_at": pd.to_datetime(["2026-11-01 08:30", None, "2025-01-02 00:00"]),
            "days_since": pd.array([27, None, 695], dtype="Int64"),
        },
        geometry=[shapely.Point(112.98, 28.19 + i / 100) for i in range(3)],
        crs="EPSG:4326",
        index=[7, 5, 6],
    )
    shaped = shaped_as(get_layer("gap_stale"), frame, {"id": ["STL-1", "STL-2", "STL-3"]})
    assert shaped["id"].tolist() == ["STL-1", "STL-2", "STL-3"]
    assert shaped["name"].tolist() == ["五一路口", "解放西路", "坡子街"]
    assert shaped["head_code"].tolist() == [None, "H1", ""]
    assert shaped["unit_code"].tolist() == [None, None, None]
    assert str(shaped["last_inspected_at"].dtype).startswith("datetime64")
    assert shaped["last_inspected_at"].tolist()[::2] == [
        pd.Timestamp("2026-11-01 08:30"),
        pd.Timestamp("2025-01-02"),
    ]
    assert shaped["last_inspected_at"].isna().tolist() == [False, True, False]
    assert shaped["days_since"].dtype == "Int64"
    assert shaped["days_since"].tolist()[::2] == [27, 695]
    assert shaped.geometry.y.round(2).tolist() == [28.19, 28.2, 28.21]
