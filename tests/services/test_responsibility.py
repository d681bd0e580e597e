"""Assigning units and heads by hand, in bulk and automatically; history; deleting units."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from responsibility_city import add_problems, build_city

from citygrid.config import Config
from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.i18n import language
from citygrid.layers.store import Store
from citygrid.services import responsibility
from citygrid.services.context import CityContext
from citygrid.services.responsibility import (
    assign,
    assign_file,
    assign_many,
    auto_assign,
    delete_unit,
    feature_history,
    largest_share,
)

CONFIG = Config()


@pytest.fixture
def city(store: Store) -> Store:
    build_city(store)
    return store


def _field(store: Store, layer: str, code: str, field: str):
    return store.get(layer, code)[field]


def test_assign_sets_unit_head_and_audits_before_and_after(city: Store) -> None:
    log = assign(
        CityContext(city, CONFIG, "规划科"),
        "grids",
        "G02",
        unit="U_WY",
        head="P_LS",
        reason="属地调整",
    )
    assert log["code"].tolist() == ["G02"]
    cell = city.get("grids", "G02")
    assert (cell["unit_code"], cell["manager_code"], cell["assigned_by"]) == (
        "U_WY",
        "P_LS",
        "manual",
    )
    history = feature_history(CityContext(city, CONFIG), "grids", "G02")
    last = history.iloc[-1]
    assert (last["actor"], last["action"], last["reason"]) == ("规划科", "assign", "属地调整")
    assert last["before"] == {"unit_code": None, "manager_code": None, "assigned_by": None}
    assert last["after"] == {"unit_code": "U_WY", "manager_code": "P_LS", "assigned_by": "manual"}


def test_assign_refuses_a_head_of_another_unit_and_changes_nothing(city: Store) -> None:
    with pytest.raises(BadInput, match="P_ZS belongs to unit U_CG, not U_WY"):
        assign(CityContext(city, CONFIG, "t"), "streets", "S01", unit="U_WY", head="P_ZS")
    assert _field(city, "streets", "S01", "unit_code") is None
    assert feature_history(CityContext(city, CONFIG), "streets", "S01").empty


@pytest.mark.parametrize(
    ("layer", "code", "unit", "error", "match"),
    [
        ("grids", "G99", "U_WY", NotFound, "no feature with code G99"),
        ("grids", "G02", "U_NONE", NotFound, "There is no unit U_NONE"),
        ("units", "U_WY", "U_WY", BadInput, "has no responsible unit"),
    ],
)
def test_assign_refuses_unknown_codes(city: Store, layer, code, unit, error, match) -> None:
    with pytest.raises(error, match=match):
        assign(CityContext(city, CONFIG, "t"), layer, code, unit=unit)
    assert city.get("grids", "G02")["version"] == 1


def test_a_stale_version_names_who_changed_it_first(city: Store) -> None:
    assign(
        CityContext(city, CONFIG, "张科长"), "streets", "S01", unit="U_CG", head="P_ZS", version=1
    )
    with pytest.raises(Conflict, match="changed by 张科长") as caught:
        assign(CityContext(city, CONFIG, "李科长"), "streets", "S01", unit="U_WY", version=1)
    assert caught.value.params["version"] == 2
    assert _field(city, "streets", "S01", "unit_code") == "U_CG"


def test_assign_refusal_in_chinese(city: Store) -> None:
    with pytest.raises(BadInput) as caught:
        assign(CityContext(city, CONFIG, "t"), "streets", "S01", unit="U_WY", head="P_ZS")
    with language("zh_CN"):
        assert caught.value.message() == (
            "P_ZS 属于单位 U_CG，不属于 U_WY；请从 U_WY 中选择责任人，或将 S01 分配给 U_CG。"
        )


def test_bulk_file_in_gb18030_by_zh_columns_and_names(city: Store, tmp_path: Path) -> None:
    path = tmp_path / "分配.csv"
    path.write_bytes(
        "图层,名称,责任单位,责任人\n"
        "streets,五一大道,U_CG,P_ZS\n"
        "alleys,太平街,U_PZ,P_ZL\n"
        "points,南门口农贸市场,U_SW,\n".encode("gb18030")
    )
    preview = assign_file(CityContext(city, CONFIG, "t"), path, dry_run=True)
    assert set(zip(preview["layer"], preview["code"], preview["field"], strict=True)) >= {
        ("streets", "S01", "unit_code"),
        ("alleys", "A01", "head_code"),
        ("points", "D02", "unit_code"),
    }
    assert _field(city, "streets", "S01", "unit_code") is None  # dry run changed nothing
    done = assign_file(CityContext(city, CONFIG, "t"), path, reason="批量")
    assert sorted(done.loc[done["field"] == "unit_code", "code"]) == ["A01", "D02", "S01"]
    assert _field(city, "alleys", "A01", "head_code") == "P_ZL"
    assert _field(city, "points", "D02", "assigned_by") == "manual"


def test_bulk_reports_every_bad_row_and_applies_none(city: Store) -> None:
    assign(CityContext(city, CONFIG, "王科长"), "grids", "G03", unit="U_PZ")
    rows = pd.DataFrame(
        {
            "layer": ["grids", "grids", "streets", "points", "points", "units", "grids"],
            "code": ["G02", "G77", "S01", "D01", "D01", "U_WY", "G03"],
            "unit_code": ["U_WY", "U_WY", "U_NONE", "U_WY", "U_SW", "U_WY", "U_WY"],
            "head_code": [None, None, None, "P_WW", None, None, None],
            "version": [None, None, None, None, None, None, 1],
        }
    )
    audit_before = city.count("audit")
    with pytest.raises(BadInput) as caught:
        assign_many(CityContext(city, CONFIG, "t"), rows, source="bulk.csv")
    text = caught.value.message()
    assert "6 rows of bulk.csv cannot be applied" in text
    assert "row 2: Layer grids has no feature with code G77" in text
    assert "row 3: There is no unit U_NONE" in text
    assert "row 4: P_WW belongs to unit U_SW, not U_WY" in text
    assert "row 5: Feature D01 appears more than once" in text
    assert "row 6: 'units' is not a layer a unit answers for" in text
    assert "row 7: grids G03 was changed by 王科长" in text
    assert city.count("audit") == audit_before
    assert _field(city, "grids", "G02", "unit_code") is None


def test_bulk_refuses_unknown_names_and_missing_columns(city: Store, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="row 1: streets has no feature named 不存在路"):
        assign_many(
            CityContext(city, CONFIG, "t"),
            pd.DataFrame({"名称": ["不存在路"], "责任单位": ["U_CG"]}),
            layer_name="streets",
        )
    with pytest.raises(BadInput, match="needs the columns layer"):
        assign_many(
            CityContext(city, CONFIG, "t"), pd.DataFrame({"code": ["S01"], "unit_code": ["U_CG"]})
        )
    with pytest.raises(BadInput, match="does not exist"):
        assign_file(CityContext(city, CONFIG, "t"), tmp_path / "missing.csv")


def test_bulk_from_a_geopackage(city: Store, tmp_path: Path) -> None:
    table = gpd.GeoDataFrame(
        {"layer": ["grids"], "code": ["G03"], "unit_code": ["U_PZ"]},
        geometry=[shapely.Point(112.995, 28.195)],
        crs="EPSG:4326",
    )
    path = tmp_path / "assign.gpkg"
    table.to_file(path)
    assign_file(CityContext(city, CONFIG, "t"), path)
    assert _field(city, "grids", "G03", "unit_code") == "U_PZ"


def test_auto_assign_dry_run_lists_every_rule_and_changes_nothing(city: Store) -> None:
    proposed = auto_assign(CityContext(city, CONFIG), dry_run=True)
    assert list(proposed.columns) == ["layer", "code", "field", "before", "after", "rule"]
    got = {(r.layer, r.code): (r.after, r.rule) for r in proposed.itertuples()}
    assert got == {
        ("grids", "G02"): ("U_WY", "subdistrict"),
        ("grids", "G03"): ("U_PZ", "subdistrict"),
        ("points", "D01"): ("U_CG", "containing_cell"),
        ("points", "D02"): ("U_SW", "containing_cell"),
        ("streets", "S01"): ("U_WY", "largest_length_share"),
        ("alleys", "A01"): ("U_PZ", "largest_length_share"),
    }
    assert _field(city, "grids", "G02", "unit_code") is None


def test_auto_assign_applies_keeps_manual_and_is_idempotent(city: Store) -> None:
    assign(CityContext(city, CONFIG, "t"), "points", "D01", unit="U_SW", head="P_WW")
    changes = auto_assign(CityContext(city, CONFIG, "自动"), dry_run=False)
    assert ("points", "D01") not in set(zip(changes["layer"], changes["code"], strict=True))
    assert _field(city, "points", "D01", "unit_code") == "U_SW"
    assert _field(city, "streets", "S02", "unit_code") == "U_CG"  # manual in the data
    assert _field(city, "streets", "S01", "unit_code") == "U_WY"
    assert _field(city, "streets", "S01", "assigned_by") == "auto"
    last = feature_history(CityContext(city, CONFIG), "streets", "S01").iloc[-1]
    assert (last["actor"], last["action"], last["reason"]) == (
        "自动",
        "auto_assign",
        "largest_length_share",
    )
    assert auto_assign(CityContext(city, CONFIG), dry_run=True).empty


def test_auto_assign_follows_a_cell_changed_by_hand_and_clears_foreign_heads(city: Store) -> None:
    auto_assign(CityContext(city, CONFIG), dry_run=False)
    city.update(
        "streets", pd.DataFrame({"code": ["S01"], "head_code": ["P_LS"]}), actor="t"
    )  # 李四 of 五一街道
    assign(CityContext(city, CONFIG, "t"), "grids", "G02", unit="U_CG")
    changes = auto_assign(CityContext(city, CONFIG), dry_run=False)
    s01 = changes[changes["code"] == "S01"].set_index("field")
    assert s01.loc["unit_code", "after"] == "U_CG"
    assert (s01.loc["head_code", "before"], s01.loc["head_code", "rule"]) == (
        "P_LS",
        "head_of_other_unit",
    )
    assert _field(city, "streets", "S01", "head_code") is None


def test_largest_share_ties_go_to_the_lowest_code() -> None:
    zones = gpd.GeoSeries([shapely.box(1, 0, 2, 1), shapely.box(0, 0, 1, 1)])
    lines = gpd.GeoSeries(
        [
            shapely.LineString([(1, 0.2), (1, 0.8)]),  # on the shared edge
            shapely.LineString([(0.5, 0.5), (1.9, 0.5)]),  # mostly in B
            shapely.LineString([(5, 5), (6, 6)]),  # in none
        ]
    )
    codes = largest_share(lines, zones, pd.Series(["B", "A"]).to_numpy(), "length")
    assert codes.tolist() == ["A", "B", None]


def test_feature_history_of_an_unknown_feature(city: Store) -> None:
    with pytest.raises(NotFound):
        feature_history(CityContext(city, CONFIG), "grids", "G404")


def test_deleting_a_unit_that_holds_features_is_refused_with_a_list(city: Store) -> None:
    with pytest.raises(Conflict) as caught:
        delete_unit(CityContext(city, CONFIG, "t"), "U_CG")
    assert caught.value.params["held"] == {
        "grids": ["G01"],
        "streets": ["S02"],
        "people": ["P_ZS"],
    }
    assert "streets: S02; grids: G01; people: P_ZS" in caught.value.message()
    assert city.get("units", "U_CG")["name"] == "城管局"
    city.write("units", pd.DataFrame({"code": ["U_NEW"], "name": ["新单位"]}).pipe(_no_geometry))
    delete_unit(CityContext(city, CONFIG, "t"), "U_NEW", reason="撤并")
    with pytest.raises(NotFound):
        city.get("units", "U_NEW")
    with pytest.raises(NotFound):
        delete_unit(CityContext(city, CONFIG, "t"), "U_NEW")


def _no_geometry(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry=[None] * len(frame), crs="EPSG:4326")


def test_assignment_reroutes_open_problems_but_not_closed_ones(city: Store) -> None:
    from citygrid.services.routing.reroute import route_problems

    add_problems(city)
    route_problems(CityContext(city, CONFIG, "t"), dry_run=False)
    assert _field(city, "problems", "W001", "unit_code") == "U_WY"
    assign(CityContext(city, CONFIG, "t"), "grids", "G02", unit="U_CG", reason="移交城管")
    assert _field(city, "problems", "W001", "unit_code") == "U_CG"
    assert _field(city, "problems", "W001", "routed_by") == "grid"
    assert _field(city, "problems", "W003", "unit_code") == "U_WY"  # closed: kept
    last = city.history("problems", "W001").iloc[-1]
    assert (last["action"], last["reason"]) == ("reroute", "移交城管")


def test_head_fields_come_from_the_registry() -> None:
    heads = {name: responsibility.head_field(name) for name in responsibility.assignable_layers()}
    assert heads == {
        "grids": "manager_code",
        "streets": "head_code",
        "alleys": "head_code",
        "points": "head_code",
    }
    assert responsibility.head_field("网格") == "manager_code"


# -- issue 11: blank heads, layer titles, departmental assignments -----------------------


def test_bulk_blank_head_keeps_the_head_and_a_marker_clears_it(city: Store, tmp_path: Path) -> None:
    ctx = CityContext(city, CONFIG, "t")
    path = tmp_path / "heads.csv"
    path.write_text("layer,code,unit_code,head_code\nstreets,S02,U_CG,\n", encoding="utf-8")
    assert assign_file(ctx, path).empty
    assert _field(city, "streets", "S02", "head_code") == "P_ZS"
    path.write_text("layer,code,unit_code,head_code\nstreets,S02,U_CG,-\n", encoding="utf-8")
    cleared = assign_file(ctx, path)
    heads = cleared[cleared["field"] == "head_code"]
    assert heads[["code", "before", "after"]].values.tolist() == [["S02", "P_ZS", None]]
    assert _field(city, "streets", "S02", "head_code") is None


def test_bulk_blank_head_of_another_unit_is_cleared_and_listed(city: Store) -> None:
    rows = pd.DataFrame({"layer": ["streets"], "code": ["S02"], "unit_code": ["U_WY"]})
    preview = assign_many(CityContext(city, CONFIG, "t"), rows, dry_run=True)
    heads = preview[preview["field"] == "head_code"]
    assert heads[["code", "before", "after"]].values.tolist() == [["S02", "P_ZS", None]]


def test_bulk_accepts_layer_titles_in_chinese_and_english(city: Store, tmp_path: Path) -> None:
    path = tmp_path / "标题.csv"
    path.write_text(
        "图层,编码,责任单位,责任人\n"
        "背街小巷,A01,U_PZ,P_ZL\n"
        "点位,D02,U_SW,P_WW\n"
        "Grid cells,G02,U_WY,\n",
        encoding="utf-8",
    )
    assign_file(CityContext(city, CONFIG, "t"), path)
    assert _field(city, "alleys", "A01", "head_code") == "P_ZL"
    assert _field(city, "points", "D02", "unit_code") == "U_SW"
    assert _field(city, "grids", "G02", "unit_code") == "U_WY"


def test_bulk_unknown_layer_says_which_layers_are_meant(city: Store) -> None:
    rows = pd.DataFrame({"layer": ["单位"], "code": ["U_WY"], "unit_code": ["U_WY"]})
    audit_before = city.count("audit")
    with pytest.raises(BadInput) as caught:
        assign_many(CityContext(city, CONFIG, "t"), rows)
    text = caught.value.message()
    assert "'单位' is not a layer a unit answers for" in text
    assert "points (点位)" in text
    assert "alleys (背街小巷)" in text
    assert city.count("audit") == audit_before


@pytest.mark.parametrize("origin", ["department", "manual"])
def test_auto_assign_keeps_departmental_and_hand_assignments(city: Store, origin: str) -> None:
    # D02, a market in G04 (商务局 by rule), held by 城管局 as its line department.
    change = pd.DataFrame({"code": ["D02"], "unit_code": ["U_CG"], "assigned_by": [origin]})
    city.update("points", change, actor="t")
    kept = auto_assign(CityContext(city, CONFIG), dry_run=False)
    assert "D02" not in set(kept.loc[kept["layer"] == "points", "code"])
    assert _field(city, "points", "D02", "unit_code") == "U_CG"
    asked = auto_assign(CityContext(city, CONFIG), dry_run=True, include_manual=True)
    moved = asked[(asked["layer"] == "points") & (asked["code"] == "D02")]
    assert moved[["field", "after"]].values.tolist() == [["unit_code", "U_SW"]]


def test_auto_assign_moves_what_a_rule_assigned(city: Store) -> None:
    change = pd.DataFrame({"code": ["D02"], "unit_code": ["U_CG"], "assigned_by": ["auto"]})
    city.update("points", change, actor="t")
    auto_assign(CityContext(city, CONFIG), dry_run=False)
    assert _field(city, "points", "D02", "unit_code") == "U_SW"
