"""``citygrid demo``: loads on a fresh path, refuses data without --replace, bad options."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from citygrid.cli import main
from citygrid.layers.store import Store
from citygrid.services.demo import DEMO_LAYERS


def _run(*args: str, lang: str = "en"):
    return CliRunner().invoke(main, ["--lang", lang, *args])


def _counts(url: str) -> dict[str, int]:
    store = Store.open(url)
    try:
        return store.counts()
    finally:
        store.close()


def test_demo_creates_the_schema_on_a_fresh_path(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = _run("--db", url, "demo")
    assert result.exit_code == 0, result.output
    assert "Demo city (small, seed 0) loaded into" in result.output
    assert "problems" in result.output
    counts = _counts(url)
    assert counts["grids"] > 40
    assert counts["problems"] == 3000


def test_demo_refuses_a_database_with_data_and_changes_nothing(database_url: str) -> None:
    assert _run("--db", database_url, "demo").exit_code == 0
    before = _counts(database_url)
    result = _run("--db", database_url, "demo", "--seed", "3")
    assert result.exit_code == 2
    assert "already holds data" in result.output
    assert "--replace" in result.output
    assert "Traceback" not in result.output
    assert _counts(database_url) == before


def test_demo_refusal_in_chinese(database_url: str) -> None:
    assert _run("--db", database_url, "demo").exit_code == 0
    result = _run("--db", database_url, "demo", lang="zh_CN")
    assert result.exit_code == 2
    assert "已有数据" in result.output
    assert "citygrid demo --replace" in result.output


def test_demo_replace_replaces_everything(database_url: str) -> None:
    assert _run("--db", database_url, "demo").exit_code == 0
    store = Store.open(database_url)
    try:
        renamed = pd.DataFrame({"code": ["BMCG"], "name": ["改过的名字"]})
        store.update("units", renamed, actor="tester", reason="test")
        assert store.get("units", "BMCG")["name"] == "改过的名字"
    finally:
        store.close()
    result = _run("--db", database_url, "demo", "--replace", "--seed", "1")
    assert result.exit_code == 0, result.output
    store = Store.open(database_url)
    try:
        assert store.get("units", "BMCG")["name"] == "长沙市城市管理和综合执法局"
        assert int(store.get("units", "BMCG")["version"]) == 1
        counts = store.counts()
    finally:
        store.close()
    assert all(counts[name] > 0 for name in DEMO_LAYERS)
    assert "seed 1" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "huge"], "Unknown demo size 'huge'; use one of: small, city."),
        (["--seed", "-1"], "The demo seed must be a whole number, 0 or more, not -1"),
    ],
)
def test_bad_options_are_refused_before_touching_the_database(
    tmp_path: Path, args: list[str], message: str
) -> None:
    path = tmp_path / "never.db"
    result = _run("--db", f"sqlite:///{path}", "demo", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not path.exists()


def test_seed_that_is_not_a_number_is_a_usage_error(tmp_path: Path) -> None:
    result = _run("--db", f"sqlite:///{tmp_path / 'x.db'}", "demo", "--seed", "abc")
    assert result.exit_code == 2
    assert "'abc' is not a valid integer" in result.output


def test_demo_as_of_a_day_ends_its_data_there(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'asof.db'}"
    result = _run("--db", url, "demo", "--as-of", "2026-11-18")
    assert result.exit_code == 0, result.output
    assert "Its data ends at the start of 2026-11-18." in result.output
    store = Store.open(url)
    try:
        problems = store.read("problems", columns=["reported_at", "deadline", "status"])
        inspections = store.read("inspections", columns=["inspected_at", "result"])
    finally:
        store.close()
    end = pd.Timestamp("2026-11-18")
    assert problems["reported_at"].max() < end
    still_open = problems[problems["status"] != "closed"]
    assert (still_open["deadline"] >= end).any()
    assert (still_open["deadline"] < end).any()
    recent = inspections[inspections["inspected_at"] >= end - pd.Timedelta(days=14)]
    assert (recent["result"] == "clean").any()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30", "is not a date; write it as YYYY-MM-DD"),
        ("2999-01-01", "is after today"),
        ("2001-05-01", "need the working calendar"),
    ],
)
def test_demo_refuses_a_bad_as_of_and_creates_nothing(
    tmp_path: Path, value: str, message: str
) -> None:
    path = tmp_path / "bad.db"
    result = _run("--db", f"sqlite:///{path}", "demo", "--as-of", value)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not path.exists()
