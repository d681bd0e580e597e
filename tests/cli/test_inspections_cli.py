"""``citygrid inspections record|last`` on both backends: one place by options, a round from a
GBK CSV or an XLSX file, an inspector's scope, and bad input refused in one line with exit
status 2 and nothing stored."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from workflow_city import as_, build_workflow_city

from citygrid.cli import main
from citygrid.layers.store import Store
from citygrid.services.accounts.users import add_user

WIDE = {"COLUMNS": "200"}
"""Tables are fitted to the width: these tests read them whole."""

AT = "2025-09-30 09:00"


@pytest.fixture
def city_url(database_url: str) -> str:
    store = Store.open(database_url)
    build_workflow_city(store)
    add_user(as_(store), "刘巡查", "inspector", scope="grid:G01")
    store.close()
    return database_url


def run(url: str, *args: str, lang: str = "en") -> Result:
    return CliRunner(env=WIDE).invoke(
        main, ["--db", url, "--lang", lang, *args], catch_exceptions=False
    )


def ok(url: str, *args: str, lang: str = "en") -> str:
    result = run(url, *args, lang=lang)
    assert result.exit_code == 0, result.output
    return result.output


def refused(url: str, *args: str) -> str:
    before = counts(url)
    result = run(url, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert counts(url) == before
    return result.output


def counts(url: str) -> tuple[int, int]:
    store = Store.open(url)
    try:
        return store.count("inspections"), store.count("problems")
    finally:
        store.close()


def stored(url: str) -> list[dict]:
    store = Store.open(url)
    try:
        rows = store.read("inspections").drop(columns="geometry")
        return rows.to_dict("records")
    finally:
        store.close()


def test_one_place_clean_then_one_with_a_problem_in_chinese(city_url: str) -> None:
    out = ok(city_url, "inspections", "record", "--kind", "日常巡查", "--at", AT,
             "--inspector", "刘洋", "--place", "D01", "--clean", lang="zh_CN")  # fmt: skip
    assert "已记录巡查 XC00000001（日常巡查，2025-09-30 09:00）：检查 1 处，1 处未发现问题" in out
    out = ok(city_url, "inspections", "record", "--kind", "unannounced", "--at", AT,
             "--place", "S02", "--item", "C02", "--description", "占道摆摊")  # fmt: skip
    assert "XC00000002" in out
    assert "WT00000001" in out
    rows = stored(city_url)
    assert [r["result"] for r in rows] == ["clean", "problems"]
    assert [r["inspector"] for r in rows] == ["刘洋", None]


def test_a_round_from_a_gbk_csv(city_url: str, tmp_path: Path) -> None:
    path = tmp_path / "巡查.csv"
    path.write_bytes(
        "地点编码,测评条目,问题描述,经度,纬度,备注\n"
        "D01,C02,广场边摆摊,,,\n"
        "D01,C03,,112.9731,28.1921,\n"
        "S01,,,,,路面干净\n"
        "A01,,,,,\n".encode("gbk")
    )
    out = ok(city_url, "inspections", "record", "--kind", "third-party", "--at", AT,
             "--file", str(path))  # fmt: skip
    assert "3 places, 2 clean; 2 problems reported" in out
    rows = stored(city_url)
    assert [r["point_code"] or r["street_code"] or r["alley_code"] for r in rows] == [
        "D01",
        "S01",
        "A01",
    ]
    assert [r["problems_found"] for r in rows] == [2, 0, 0]
    assert rows[1]["notes"] == "路面干净"
    assert {r["kind"] for r in rows} == {"third_party"}


def test_a_round_from_an_xlsx_file(city_url: str, tmp_path: Path) -> None:
    path = tmp_path / "round.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["place", "item", "description"])
    sheet.append(["D02", "C02", "市场外摆摊"])
    sheet.append(["A01", None, None])
    book.save(path)
    out = ok(city_url, "inspections", "record", "--kind", "routine", "--at", AT,
             "--file", str(path))  # fmt: skip
    assert "2 places, 1 clean; 1 problems reported" in out


def test_an_inspector_records_only_in_their_scope(city_url: str) -> None:
    out = ok(city_url, "inspections", "record", "--kind", "routine", "--at", AT,
             "--as-user", "刘巡查", "--place", "D01", "--clean")  # fmt: skip
    assert "XC00000001" in out
    assert stored(city_url)[0]["inspector"] == "刘巡查"
    out = refused(city_url, "inspections", "record", "--kind", "routine", "--at", AT,
                  "--as-user", "刘巡查", "--place", "D02", "--clean")  # fmt: skip
    assert "D02 lie outside your scope (grid:G01)" in out


def test_last_lists_the_longest_unvisited_first(city_url: str) -> None:
    ok(city_url, "inspections", "record", "--kind", "routine", "--at", AT, "--place", "D01",
       "--clean")  # fmt: skip
    out = ok(city_url, "inspections", "last", "--as-of", "2025-10-02")
    lines = [line for line in out.splitlines() if "D0" in line]
    assert "D02" in lines[0]
    assert "2025-09-30 09:00" in lines[1]
    assert " 2 " in lines[1]
    out = ok(city_url, "inspections", "last", "--layer", "streets", "--stale-days", "1",
             "--as-of", "2025-10-02")  # fmt: skip
    assert "S01" in out
    assert "S02" in out
    out = ok(city_url, "inspections", "last", "--stale-days", "5", "--as-of", "2025-10-02")
    assert "D01" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--place", "D01"), "--clean, or --item CODE"),
        (("--place", "D01", "--clean", "--item", "C02"), "--clean, or --item CODE"),
        (("--clean",), "Name the place checked"),
        (("--place", "D01", "--clean", "--lon", "112.9"), "a place found --clean has none"),
        (("--place", "D01", "--item", "C03", "--lon", "112.9"), "both --lon and --lat"),
        (("--place", "Z99", "--clean"), "no point, street or alley Z99"),
        (("--place", "D01", "--clean", "--as-user", "无名"), "No user is called"),
    ],
)
def test_bad_options_are_refused(city_url: str, args: tuple[str, ...], message: str) -> None:
    out = refused(city_url, "inspections", "record", "--kind", "routine", "--at", AT, *args)
    assert message in out


def test_bad_kind_and_future_time_are_refused(city_url: str) -> None:
    out = refused(city_url, "inspections", "record", "--kind", "夜查", "--place", "D01", "--clean")
    assert "is not a kind of inspection" in out
    out = refused(city_url, "inspections", "record", "--kind", "routine", "--at",
                  "2999-01-01 08:00", "--place", "D01", "--clean")  # fmt: skip
    assert "in the future" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("item,description\nC02,摆摊\n", "has no place column"),
        ("place,colour\nD01,red\n", "not round columns: colour"),
        ("place,item\n", "at least one place"),
        ("", "is empty"),
        ("place,item,description\nD01,,摆摊\n", "names no catalogue item"),
        ("place,item,lon\nD01,C03,112.97\n", "only one of lon and lat"),
        ("place,item\nD01,C03\n,C03\n", "row 3 has no place"),
        ("place,item\nD01,C03\nZ77,\n", "no point, street or alley Z77"),
        ("place,item\nD01,C99\n", "no catalogue item C99"),
    ],
)
def test_bad_round_files_are_refused(
    city_url: str, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "round.csv"
    path.write_text(content, encoding="utf-8")
    out = refused(city_url, "inspections", "record", "--kind", "routine", "--at", AT,
                  "--file", str(path))  # fmt: skip
    assert message in out


def test_a_file_and_a_place_together_are_refused(city_url: str, tmp_path: Path) -> None:
    path = tmp_path / "round.csv"
    path.write_text("place\nD01\n", encoding="utf-8")
    out = refused(city_url, "inspections", "record", "--kind", "routine", "--file", str(path),
                  "--place", "D01", "--clean")  # fmt: skip
    assert "either --file or one place" in out
    out = refused(city_url, "inspections", "record", "--kind", "routine", "--file",
                  str(tmp_path / "none.xlsx"))  # fmt: skip
    assert "does not exist" in out
    other = tmp_path / "round.gpkg"
    other.write_text("x", encoding="utf-8")
    out = refused(city_url, "inspections", "record", "--kind", "routine", "--file", str(other))
    assert "give a .csv or .xlsx file" in out
