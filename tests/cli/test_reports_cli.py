"""``citygrid rank``, ``ledger`` and ``stats`` on both backends: tables with names in
Chinese, files written, publishing kept, and every bad input refused in one line with
exit status 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from report_city import MONTH, add_problem, build_report_city
from report_cli import ok, refused

from citygrid.layers.store import Store


@pytest.fixture
def city_url(database_url: str) -> str:
    store = Store.open(database_url)
    build_report_city(store)
    store.close()
    return database_url


def test_rank_prints_names_in_chinese_and_the_failed_points(city_url: str) -> None:
    out = ok(city_url, "rank", "--month", MONTH, "--level", "cell", lang="zh_CN")
    assert "2025-09 网格月评排名" in out
    for text in ("五一一网格", "名次", "得分"):
        assert text in out
    assert "未达标点位（得分低于 90）：0 个。" in out
    out = ok(city_url, "rank", "--month", MONTH)
    assert "五一广场" in out
    assert "92.5" in out


def test_publish_then_later_data_leaves_the_published_ranking(
    city_url: str, tmp_path: Path
) -> None:
    out = ok(city_url, "rank", "--month", MONTH, "--publish", lang="zh_CN")
    assert "已发布 2025-09 的排名：点位 2, 街道 2, 背街小巷 1, 网格 4, 责任单位 4。" in out
    store = Store.open(city_url)
    add_problem(store, "R9", "D02", "C02", "09-28 09:00")
    store.close()
    ok(city_url, "rank", "--month", MONTH, "--out", str(tmp_path / "r.xlsx"))
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert sheet is not None
    assert "published" in str(sheet["A1"].value)
    assert [c.value for c in sheet[3]][:4] == [1, "D02", "南门口农贸市场", 98.5]
    assert "published at" in refused(city_url, "rank", "--month", MONTH, "--publish")


def test_ledger_and_stats(city_url: str, tmp_path: Path) -> None:
    out = ok(city_url, "ledger", "--unit", "U_CG", "--out", str(tmp_path / "台账.xlsx"))
    assert "Wrote the ledger of 城管局 (1 open tasks)" in out
    sheet = load_workbook(tmp_path / "台账.xlsx").active
    assert sheet is not None
    assert sheet["B3"].value == "五一广场"
    out = ok(city_url, "stats", "--since", "2025-09-01", "--until", "2025-09-30", lang="zh_CN")
    for text in ("按期结案率", "城管局", "全市", "33.3%"):
        assert text in out
    out = ok(city_url, "stats", "--since", "2025-09-01", "--until", "2025-09-30", "--by", "cell",
             lang="zh_CN")  # fmt: skip
    assert "五一一网格" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rank", "--month", "2025-03"], "No problem was reported in 2025-03"),
        (["rank", "--month", "2025/09"], "is not a month"),
        (["rank", "--month", MONTH, "--level", "district"], "is not a level"),
        (["rank", "--month", MONTH, "--out", "r.pdf"], "does not end in"),
        (["rank", "--month", "2025-03", "--out", "r.xlsx"], "No problem was reported"),
        (["ledger", "--unit", "U_XX", "--out", "l.xlsx"], "There is no unit U_XX"),
        (["ledger", "--cell", "G99", "--out", "l.csv"], "There is no grid cell G99"),
        (["ledger", "--subdistrict", "9", "--out", "l.gpkg"], "There is no sub-district 9"),
        (["ledger", "--unit", "U_CG", "--out", "l.docx"], "does not end in"),
        (["ledger", "--cell", "G03", "--out", "l.xlsx"], "has no open task"),
        (["stats", "--since", "2025-09-30", "--until", "2025-09-01"], "starts (2025-09-30)"),
        (["stats", "--since", "2025-09-01", "--until", "2025-09-30", "--by", "x"], "grouping"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    city_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list, message: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert message in refused(city_url, *args)
    assert not list(folder.iterdir())
    store = Store.open(city_url)
    assert store.count("rankings") == 0
    store.close()


def test_an_existing_file_is_kept_without_overwrite(city_url: str, tmp_path: Path) -> None:
    target = tmp_path / "ledger.csv"
    target.write_text("earlier")
    assert "exists already" in refused(city_url, "ledger", "--unit", "U_CG", "--out", str(target))
    assert target.read_text() == "earlier"
    ok(city_url, "ledger", "--unit", "U_CG", "--out", str(target), "--overwrite")
    assert "五一广场" in target.read_text(encoding="utf-8-sig")
