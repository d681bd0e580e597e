"""``citygrid report``: the monthly pack on the small demo city."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from citygrid.cli import main
from citygrid.layers.store import Store


@pytest.fixture
def busiest_month(demo_url: str) -> str:
    """The demo's month with the most problems reported."""
    store = Store.open(demo_url)
    reported = store.read("problems", columns=["reported_at"], order_by=None)["reported_at"]
    store.close()
    return str(reported.dt.strftime("%Y-%m").value_counts().idxmax())


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", url, "--lang", "zh_CN", "report", *args])


def test_the_monthly_pack(demo_url: str, busiest_month: str, tmp_path: Path) -> None:
    folder = tmp_path / "月报"
    result = run(demo_url, "--month", busiest_month, "--out", str(folder))
    assert result.exit_code == 0, result.output
    names = {p.name for p in folder.iterdir()}
    for stem in ("热点图", "趋势图", "缺口图", "排名图"):
        assert {f"{stem}-{busiest_month}.png", f"{stem}-{busiest_month}.pdf"} <= names
    book = openpyxl.load_workbook(folder / f"月报-{busiest_month}.xlsx")
    assert {"排名（点位）", "台账汇总", "考核指标"} <= set(book.sheetnames)
    assert book["台账汇总"].freeze_panes == "A3"
    assert book["台账汇总"]["A2"].font.bold
    ledger = (folder / f"台账-{busiest_month}.csv").read_bytes()
    assert ledger.startswith(b"\xef\xbb\xbf")
    assert "问题编号" in ledger.decode("utf-8-sig").splitlines()[0]
    summary = (folder / f"摘要-{busiest_month}.txt").read_text(encoding="utf-8")
    assert f"{busiest_month}：上报问题" in summary
    assert summary in result.output.replace("\r", "") or "上报问题" in result.output


def test_a_folder_with_files_is_kept_unless_overwrite(
    demo_url: str, busiest_month: str, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("keep", encoding="utf-8")
    result = run(demo_url, "--month", busiest_month, "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "--overwrite" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "2026-13"),
        (["--month", "1990-01"], "1990-01"),
        (["--month", "2026-01", "--subdistrict", "NOPE"], "NOPE"),
        (["--month", "2026-01", "--paper", "B5"], "B5"),
    ],
)
def test_bad_input_writes_nothing(
    demo_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    folder = tmp_path / "pack"
    result = run(demo_url, *args, "--out", str(folder))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not folder.exists()
