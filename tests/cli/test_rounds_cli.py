"""``citygrid plan-inspections`` on the demo-sized round city of the service tests."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner
from round_city import build_city

from citygrid.cli import main
from citygrid.layers.store import Store

WIDE = {"COLUMNS": "200"}
"""Tables are fitted to the width: these tests read them whole."""


@pytest.fixture
def url(store: Store) -> str:
    """The round city's database."""
    return build_city(store).store.url


def test_round_in_chinese_with_a_gpx(url: str, tmp_path: Path) -> None:
    out = tmp_path / "巡查.gpx"
    result = CliRunner(env=WIDE).invoke(
        main,
        [
            "--db",
            url,
            "--lang",
            "zh_CN",
            "plan-inspections",
            "--inspector",
            "P1",
            "--date",
            "2026-06-01",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "共 3 个点位" in result.output
    assert "08:30 出发" in result.output
    assert "超过 30 天未检查" in result.output
    assert len(pyogrio.read_dataframe(out, layer="waypoints")) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--inspector", "P9", "--date", "2026-06-01"], "P9"),
        (["--inspector", "P1", "--date", "2026-06-01", "--hours", "-1"], "小时数"),
        (["--inspector", "P1", "--date", "2026-06-01", "--out", "x.txt"], ".gpkg"),
        (["--inspector", "P1", "--date", "六月一日"], "六月一日"),
    ],
)
def test_bad_input(url: str, args: list[str], message: str) -> None:
    result = CliRunner(env=WIDE).invoke(
        main, ["--db", url, "--lang", "zh_CN", "plan-inspections", *args]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
