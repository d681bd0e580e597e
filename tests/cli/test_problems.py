"""``citygrid problems``: report, the transitions and show, on both backends, in Chinese by
default; refusals in one line with exit status 2 and nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from workflow_city import IN_G01, OUTSIDE, build_workflow_city, image

from citygrid.cli import main
from citygrid.layers.store import Store

WIDE = {"COLUMNS": "200"}
"""Tables are fitted to the width: these tests read them whole."""

LON, LAT = (str(v) for v in IN_G01)
FOUND = "2025-09-30 10:00"


@pytest.fixture
def city_url(database_url: str) -> str:
    store = Store.open(database_url)
    build_workflow_city(store)
    store.close()
    return database_url


def run(url: str, *args: str, lang: str = "en") -> Result:
    return CliRunner(env=WIDE).invoke(
        main, ["--db", url, "--lang", lang, "--actor", "李巡查", *args], catch_exceptions=False
    )


def ok(url: str, *args: str, lang: str = "en") -> str:
    result = run(url, *args, lang=lang)
    assert result.exit_code == 0, result.output
    return result.output


def reported(url: str, item: str = "C02") -> str:
    out = ok(url, "problems", "report", "--lon", LON, "--lat", LAT, "--item", item,
             "--description", "人行道上摆摊", "--source", "citizen", "--reporter", "王某",
             "--reported-at", FOUND)  # fmt: skip
    return out.split()[2].rstrip(":")


def problem(url: str, code: str) -> dict:
    store = Store.open(url)
    try:
        return store.get("problems", code).drop(["geometry"]).to_dict()
    finally:
        store.close()


def test_a_whole_cycle_on_the_command_line_in_chinese(city_url: str, tmp_path: Path) -> None:
    out = ok(city_url, "problems", "report", "--lon", LON, "--lat", LAT, "--item", "C02",
             "--description", "人行道上摆摊", "--reporter", "王某", "--reported-at", FOUND,
             lang="zh_CN")  # fmt: skip
    assert out.strip() == "已上报问题 WT00000001：已上报待立案，按网格派给 城管局。"
    out = ok(city_url, "problems", "register", "WT00000001", lang="zh_CN")
    assert "问题 WT00000001：已上报待立案 -> 待处置" in out
    assert "整改期限：2025-10-11 10:00。" in out
    ok(city_url, "problems", "dispatch", "WT00000001", "--note", "请尽快处理")
    photo = tmp_path / "after.png"
    photo.write_bytes(image("PNG"))
    ok(city_url, "problems", "rectify", "WT00000001", "--note", "已清走", "--photo", str(photo))
    ok(city_url, "problems", "rework", "WT00000001", "--note", "仍有杂物")
    ok(city_url, "problems", "rectify", "WT00000001", "--note", "杂物已清")
    out = ok(city_url, "problems", "close", "WT00000001", lang="zh_CN")
    assert "已整改待核查 -> 已结案" in out
    shown = ok(city_url, "problems", "show", "WT00000001", lang="zh_CN")
    wanted = ["已结案", "C02 占道经营", "U_CG 城管局", "G01 五一一网格", "超期工作日", "办理经过"]
    wanted += ["整改期限: 2025-10-11 10:00", "立案", "派遣", "整改反馈", "返工", "核查结案"]
    wanted += ["李巡查", "仍有杂物", "photos: WT00000001-01", "日常巡查", "王某"]
    for text in wanted:
        assert text in shown, text
    done = problem(city_url, "WT00000001")
    assert done["status"] == "closed"
    assert done["version"] == 8


def test_show_in_english(city_url: str) -> None:
    code = reported(city_url)
    shown = ok(city_url, "problems", "show", code)
    assert "reported, to register" in shown
    assert "Timeline" in shown
    assert "Status after" in shown


def test_a_place_outside_the_city_is_reported_with_a_warning(city_url: str) -> None:
    out = ok(city_url, "problems", "report", "--lon", str(OUTSIDE[0]), "--lat",
             str(OUTSIDE[1]), "--item", "C03", lang="zh_CN")  # fmt: skip
    assert "按辖区外派给 -" in out
    assert "注意：该位置在辖区外" in out


def test_a_transition_the_workflow_does_not_allow_is_one_line_and_changes_nothing(
    city_url: str,
) -> None:
    code = reported(city_url)
    before = problem(city_url, code)
    result = run(city_url, "problems", "verify", code, lang="zh_CN")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"citygrid: 问题 {code} 当前状态为“已上报待立案”；"
        "“核查结案”只适用于状态为“已整改待核查”的问题。"
    ]
    assert problem(city_url, code) == before


def test_a_stale_version_is_refused(city_url: str) -> None:
    code = reported(city_url)
    ok(city_url, "problems", "register", code, "--version", "2")
    result = run(city_url, "problems", "dispatch", code, "--version", "2")
    assert result.exit_code == 2
    assert "was changed by 李巡查" in result.output
    assert problem(city_url, code)["status"] == "open"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--item", "C99", "--description", "x"], "There is no catalogue item C99"),
        (["--item", "H", "--description", "x"], "is a heading"),
        (["--item", "C02"], "needs a description"),
        (["--item", "C02", "--description", "x", "--source", "phone"], "not a source"),
    ],
)
def test_a_bad_report_is_refused_and_nothing_written(
    city_url: str, args: list[str], message: str
) -> None:
    result = run(city_url, "problems", "report", "--lon", LON, "--lat", LAT, *args)
    assert result.exit_code == 2
    assert message in result.output
    store = Store.open(city_url)
    assert store.read("problems").empty
    store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rework", "WT00000001"], "Say what is still wrong"),
        (["register", "WT00000001", "--condition", "夜间"], "has no condition '夜间'"),
        (["dispatch", "WT00000001", "--unit", "U_XX"], "There is no unit U_XX"),
        (["rectify", "WT00000001", "--note", "好", "--photo", "x.txt"], "not a file that exists"),
        (["register", "WT00000001", "--unit", "U_SW"], "No such option '--unit'"),
        (["register", "WT99"], "There is no problem WT99"),
    ],
)
def test_bad_transition_input_is_refused(city_url: str, args: list[str], message: str) -> None:
    code = reported(city_url)
    before = problem(city_url, code)
    result = run(city_url, "problems", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert problem(city_url, code) == before


def test_help_is_chinese_by_default() -> None:
    result = CliRunner().invoke(main, ["problems", "rectify", "--help"], env={"CITYGRID_LANG": ""})
    assert result.exit_code == 0, result.output
    assert "反馈：报告问题 CODE 已整改。" in result.output
    assert "整改照片，JPEG、PNG 或 WebP（可重复）；与问题一起保存。" in result.output
