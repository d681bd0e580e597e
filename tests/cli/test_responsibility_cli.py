"""The responsibility commands: assign, assign-bulk, auto-assign, who, route, history,
workload and units delete, on a small city, with their bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner, Result

from citygrid.cli import main
from citygrid.layers.store import Store

WIDE = {"COLUMNS": "200"}
"""Tables are fitted to the width: these tests read them whole."""


def _gdf(rows: list[dict], geometry: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geometry, crs="EPSG:4326")


@pytest.fixture
def city_url(database_url: str) -> str:
    """Two cells in one sub-district (芙蓉街道), a street, a point and a problem."""
    store = Store.open(database_url)
    store.write(
        "jurisdictions",
        _gdf(
            [{"code": "430102005", "name": "芙蓉街道", "level": "subdistrict"}],
            [shapely.box(112.97, 28.19, 112.99, 28.20)],
        ),
    )
    store.write(
        "units",
        _gdf(
            [
                {
                    "code": "U_FR",
                    "name": "芙蓉街道办",
                    "kind": "subdistrict",
                    "jurisdiction_code": "430102005",
                    "contact": "陈主任",
                    "phone": "0731-5555",
                },
                {"code": "U_YL", "name": "园林局", "kind": "department"},
                {"code": "U_EMPTY", "name": "空单位", "kind": "department"},
            ],
            [None, None, None],
        ),
    )
    store.write(
        "people",
        pd.DataFrame(
            [
                {"code": "P_CM", "name": "陈明", "role": "grid_manager", "unit_code": "U_FR"},
                {"code": "P_LH", "name": "刘华", "role": "street_head", "unit_code": "U_YL"},
            ]
        ),
    )
    store.write(
        "grids",
        _gdf(
            [{"code": "G1", "name": "芙蓉一网格"}, {"code": "G2", "name": "芙蓉二网格"}],
            [shapely.box(112.97, 28.19, 112.98, 28.20), shapely.box(112.98, 28.19, 112.99, 28.20)],
        ),
    )
    store.write(
        "streets",
        _gdf(
            [{"code": "S1", "name": "蔡锷路"}],
            [shapely.LineString([(112.971, 28.195), (112.979, 28.195)])],
        ),
    )
    store.write(
        "catalogue", pd.DataFrame([{"code": "C1", "name": "暴露垃圾", "level": "standard"}])
    )
    store.write(
        "problems",
        _gdf(
            [
                {
                    "code": "W1",
                    "catalogue_code": "C1",
                    "status": "open",
                    "reported_at": pd.Timestamp("2026-11-20"),
                }
            ],
            [shapely.Point(112.985, 28.192)],
        ),
    )
    store.close()
    return database_url


def run(url: str, *args: str, lang: str = "en") -> Result:
    return CliRunner(env=WIDE).invoke(
        main, ["--db", url, "--lang", lang, "--actor", "规划员", *args]
    )


def _get(url: str, layer: str, code: str) -> pd.Series:
    store = Store.open(url)
    try:
        return store.get(layer, code)
    finally:
        store.close()


def test_assign_then_history(city_url: str) -> None:
    result = run(
        city_url, "assign", "streets", "S1", "--unit", "U_YL", "--head", "P_LH", "--reason", "创卫"
    )
    assert result.exit_code == 0, result.output
    assert "streets S1 assigned to U_YL (version 2)" in result.output
    history = run(city_url, "history", "streets", "S1")
    assert history.exit_code == 0, history.output
    for expected in ("规划员", "创卫", "U_YL"):
        assert expected in history.output


def test_assign_bad_inputs_exit_2_and_change_nothing(city_url: str) -> None:
    cases = [
        (["assign", "streets", "S9", "--unit", "U_YL"], "no feature with code S9"),
        (["assign", "streets", "S1", "--unit", "U_NO"], "There is no unit U_NO"),
        (
            ["assign", "streets", "S1", "--unit", "U_YL", "--head", "P_CM"],
            "P_CM belongs to unit U_FR",
        ),
        (["assign", "streets", "S1", "--unit", "U_YL", "--version", "7"], "you edited version 7"),
    ]
    for args, message in cases:
        result = run(city_url, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
        assert "Traceback" not in result.output
    assert _get(city_url, "streets", "S1")["version"] == 1


def test_assign_refusal_in_chinese(city_url: str) -> None:
    result = run(city_url, "assign", "streets", "S1", "--unit", "U_NO", lang="zh_CN")
    assert result.exit_code == 2
    assert "没有责任单位 U_NO" in result.output


def test_assign_bulk_dry_run_then_apply(city_url: str, tmp_path: Path) -> None:
    path = tmp_path / "bulk.csv"
    path.write_bytes("编码,责任单位,网格员\nG1,U_FR,P_CM\nG2,U_FR,\n".encode("gb18030"))
    dry = run(city_url, "assign-bulk", str(path), "--layer", "grids", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "changes would be made" in dry.output
    assert _get(city_url, "grids", "G1")["unit_code"] is None
    done = run(city_url, "assign-bulk", str(path), "--layer", "grids")
    assert done.exit_code == 0, done.output
    assert _get(city_url, "grids", "G1")["manager_code"] == "P_CM"


def test_assign_bulk_reports_every_bad_row(city_url: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "layer,code,unit_code\ngrids,G1,U_FR\ngrids,G7,U_FR\nstreets,S1,U_NO\n", "utf-8"
    )
    result = run(city_url, "assign-bulk", str(path))
    assert result.exit_code == 2
    assert "row 2:" in result.output
    assert "row 3:" in result.output
    assert "row 1:" not in result.output
    assert _get(city_url, "grids", "G1")["unit_code"] is None


def test_auto_assign_dry_run_and_apply(city_url: str) -> None:
    dry = run(city_url, "auto-assign", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "unit of the sub-district" in dry.output
    assert _get(city_url, "grids", "G1")["unit_code"] is None
    assert run(city_url, "auto-assign").exit_code == 0
    assert _get(city_url, "grids", "G2")["unit_code"] == "U_FR"
    assert _get(city_url, "streets", "S1")["assigned_by"] == "auto"
    again = run(city_url, "auto-assign", "--dry-run")
    assert "Nothing to change." in again.output


def test_who_prints_the_chain_as_json(city_url: str) -> None:
    result = run(city_url, "who", "112.975", "28.1951", "--category", "C1")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert [link["rule"] for link in answer["chain"]] == ["street", "grid", "subdistrict"]
    assert answer["routed_by"] == "subdistrict"
    assert answer["unit"]["contact"] == "陈主任"
    assert answer["category"]["name"] == "暴露垃圾"


def test_who_outside_names_the_nearest_subdistrict(city_url: str) -> None:
    result = run(city_url, "who", "113.0", "28.195")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["routed_by"] == "outside"
    assert answer["outside"]["name"] == "芙蓉街道"
    assert 900 < answer["outside"]["distance_m"] < 1000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["who", "x", "28.19"], "must be numbers"),
        (["who", "112.98", "95"], "not a longitude and latitude"),
        (["who", "112.98", "-91"], "not a longitude and latitude"),
        (["who", "112.98", "28.19", "--category", "C404"], "no catalogue item C404"),
        (["who", "112.98", "28.19", "--crs", "EPSG:0"], "Unknown CRS"),
        (["who", "112.98", "28.19", "--crs", "gcj03"], "Unknown CRS"),
    ],
)
def test_who_bad_inputs(city_url: str, args: list[str], message: str) -> None:
    result = run(city_url, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_route_dry_run_then_apply(city_url: str) -> None:
    dry = run(city_url, "route", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "1 changes would be made" in dry.output
    assert _get(city_url, "problems", "W1")["unit_code"] is None
    done = run(city_url, "route", "--status", "open")
    assert done.exit_code == 0, done.output
    problem = _get(city_url, "problems", "W1")
    assert (problem["unit_code"], problem["grid_code"], problem["routed_by"]) == (
        "U_FR",
        "G2",
        "subdistrict",
    )


def test_workload_table_and_csv(city_url: str, tmp_path: Path) -> None:
    run(city_url, "auto-assign")
    shown = run(city_url, "workload")
    assert shown.exit_code == 0, shown.output
    assert "芙蓉街道办" in shown.output
    out = tmp_path / "load.csv"
    written = run(city_url, "workload", "--by", "head", "--out", str(out))
    assert written.exit_code == 0, written.output
    assert "陈明" in out.read_text("utf-8-sig")


def test_units_delete_refuses_while_holding_then_deletes(city_url: str) -> None:
    refused = run(city_url, "units", "delete", "U_YL")
    assert refused.exit_code == 2
    assert "people: P_LH" in refused.output
    assert _get(city_url, "units", "U_YL")["name"] == "园林局"
    done = run(city_url, "units", "delete", "U_EMPTY")
    assert done.exit_code == 0, done.output
    assert "Unit U_EMPTY deleted." in done.output
    assert run(city_url, "units", "delete", "U_EMPTY").exit_code == 2
