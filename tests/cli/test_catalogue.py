"""``citygrid catalogue load|show`` on both backends: loaded, refused in one line, shown."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from citygrid.cli import main
from citygrid.layers.store import Store

WIDE = {"COLUMNS": "200"}
"""Tables are fitted to the width: these tests read them whole."""

CSV = (
    "条目编码,条目名称,上级条目,部件/事件,立案条件,处置时限,时限单位,结案条件\n"
    "A,市容环境,,事件,,,,\n"
    "A01,环境卫生,A,事件,,,,\n"
    "A0101,暴露垃圾,A01,事件,主次干道暴露垃圾,1,工作日,清扫干净\n"
    "A0101,,,,重点区域暴露垃圾,2,工作时,即时清扫\n"
)


def run(url: str, *args: str, lang: str = "en", env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=WIDE).invoke(
        main, ["--db", url, "--lang", lang, *args], env=env, catch_exceptions=False
    )


def test_load_then_show_the_catalogue_and_an_entry(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_bytes(CSV.encode("gb18030"))
    loaded = run(database_url, "catalogue", "load", str(path))
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded 3 catalogue entries and 2 standards" in loaded.output
    whole = run(database_url, "catalogue", "show")
    assert whole.exit_code == 0, whole.output
    assert "暴露垃圾" in whole.output
    assert "Conditions" in whole.output
    entry = run(database_url, "catalogue", "show", "A0101", lang="zh_CN")
    assert entry.exit_code == 0, entry.output
    assert "市容环境 > 环境卫生 > 暴露垃圾" in entry.output
    assert "重点区域暴露垃圾" in entry.output
    assert "工作时" in entry.output
    assert "立结案标准" in entry.output


def test_a_second_load_needs_replace(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text(CSV, encoding="utf-8")
    assert run(database_url, "catalogue", "load", str(path)).exit_code == 0
    again = run(database_url, "catalogue", "load", str(path))
    assert again.exit_code == 2
    assert "--replace" in again.output
    replaced = run(database_url, "catalogue", "load", str(path), "--replace")
    assert replaced.exit_code == 0, replaced.output


def test_bad_input_is_one_line_in_chinese_and_nothing_is_written(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(CSV.replace("2,工作时", "2,"), encoding="utf-8")
    result = run(database_url, "catalogue", "load", str(path), lang="zh_CN")
    assert result.exit_code == 2
    assert "没有单位" in result.output
    assert "Traceback" not in result.output
    missing = run(database_url, "catalogue", "show", "Z9")
    assert missing.exit_code == 2
    assert "no entry Z9" in missing.output
    store = Store.open(database_url)
    assert store.count("catalogue") == 0
    store.close()


def test_bad_working_hours_are_reported_without_a_traceback(database_url: str) -> None:
    result = run(database_url, "catalogue", "show", env={"CITYGRID_WORKING_HOURS": "9-5"})
    assert result.exit_code == 2
    assert "Working hours '9-5'" in result.output
    assert "Traceback" not in result.output
