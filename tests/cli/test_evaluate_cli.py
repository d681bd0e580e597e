"""``citygrid evaluate`` on a small city: the score, the tables in Chinese, bad plans."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from click.testing import CliRunner, Result
from evaluation_city import DAY, build_city, problem

from citygrid.cli import main
from citygrid.layers.store import Store

WIDE = {"COLUMNS": "200"}
"""Tables are fitted to the width: these tests read them whole."""


@pytest.fixture
def city_url(database_url: str) -> str:
    """The evaluation city with one open 暴露垃圾 (weight 2) at 菜市场一."""
    store = Store.open(database_url)
    build_city(store)
    problem(store, "WT1", "P1", "S1.1", "open", DAY - timedelta(hours=1))
    store.close()
    return database_url


def run(url: str, *args: str) -> Result:
    return CliRunner(env=WIDE).invoke(
        main, ["--db", url, "--lang", "zh_CN", "evaluate", "--as-of", "2026-06-01 10:00", *args]
    )


def test_every_market_visited_loses_half_a_point(city_url: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps({"detection": 1.0, "types": [{"point_type": "农贸市场", "count": 4}]}),
        encoding="utf-8",
    )
    result = run(city_url, "--plan", str(plan), "--runs", "50", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "预计得分 99.50" in result.output
    assert "优先整改" in result.output
    assert "暴露垃圾" in result.output
    assert "菜市场一" in result.output
    assert "市场监管所" in result.output


def test_the_national_plan_on_a_city_of_markets_only(city_url: str) -> None:
    result = run(city_url, "--plan", "national", "--runs", "20", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "market: 5 > 4" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plan", "nosuch.csv"], "不存在"),
        (["--plan", "national", "--runs", "0"], "模拟次数"),
    ],
)
def test_bad_input_is_refused(city_url: str, args: list[str], message: str) -> None:
    result = run(city_url, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_findings_after_the_visit(city_url: str, tmp_path: Path) -> None:
    findings = tmp_path / "测评结果.csv"
    findings.write_text("place,item,deduction\n菜市场一,暴露垃圾,2\nP2,,0\n", encoding="utf-8")
    result = run(city_url, "--plan", "national", "--findings", str(findings))
    assert result.exit_code == 0, result.output
    assert "预测得分 99.10，实际得分 99.00" in result.output
    assert "平均绝对误差 0.10" in result.output


@pytest.mark.parametrize("suffix", [".xlsx", ".gpkg"])
def test_the_fix_first_ledger(city_url: str, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"优先整改{suffix}"
    result = run(city_url, "--plan", "national", "--runs", "20", "--seed", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    if suffix == ".xlsx":
        sheet = openpyxl.load_workbook(out).active
        assert "预计得分" in str(sheet.cell(1, 1).value)
        assert sheet.cell(3, 1).value == "WT1"
    else:
        assert pyogrio.read_dataframe(out, layer="优先整改")["问题编号"].tolist() == ["WT1"]
        assert len(pyogrio.read_dataframe(out, layer="evaluation_places")) == 4
    again = run(city_url, "--plan", "national", "--runs", "20", "--out", str(out))
    assert again.exit_code == 2
    assert "--overwrite" in again.output
