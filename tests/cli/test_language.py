"""The command line speaks zh-CN by default: help pages, table headers, rule names, summaries."""

from __future__ import annotations

import inspect
from pathlib import Path

import click
import pandas as pd
import pytest
from babel.messages.extract import extract_from_dir
from click.testing import CliRunner

from citygrid.cli import ANALYSE_COMMANDS, COMMANDS, main
from citygrid.cli.help import translate_option_help
from citygrid.cli.hotspots import CHOSEN_LABELS
from citygrid.cli.params import ParamOption
from citygrid.cli.tables import HEADERS, RULES, column_label
from citygrid.i18n import _catalogue, language, read_po
from citygrid.layers.store import Store

#: No CITYGRID_LANG: the default language, zh_CN.
DEFAULT_ENV = {"CITYGRID_LANG": "", "COLUMNS": "200"}


def _invoke(*args: str, env: dict[str, str] | None = None, exit_code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), env=DEFAULT_ENV if env is None else env)
    assert result.exit_code == exit_code, result.output
    return result.output


def _every_command() -> list[click.Command]:
    commands: list[click.Command] = [main]
    pending: list[click.Command] = [main]
    while pending:
        group = pending.pop()
        if isinstance(group, click.Group):
            ctx = click.Context(group)
            for name in group.list_commands(ctx):
                command = group.get_command(ctx, name)
                assert command is not None
                commands.append(command)
                pending.append(command)
    return commands


def _help_messages(command: click.Command) -> list[str]:
    """The message ids of a command's help page: its paragraphs and its options' help."""
    texts = []
    if command.help:
        text = inspect.cleandoc(command.help).partition("\f")[0]
        texts += [" ".join(p.split()) for p in text.split("\n\n")]
    for param in command.get_params(click.Context(command)):
        # Options rendered from a Params declaration are translated from the
        # parameter's own help message id (their shown help is composed).
        help_id = param.spec.help if isinstance(param, ParamOption) else getattr(param, "help", "")
        if help_id:
            texts.append(" ".join(help_id.split()))
    return texts


def test_every_help_text_header_and_rule_has_a_chinese_translation() -> None:
    catalogue = _catalogue("zh_CN")
    wanted = [e.help for e in (*COMMANDS, *ANALYSE_COMMANDS)]
    wanted += [m for command in _every_command() for m in _help_messages(command)]
    wanted += [*HEADERS.values(), *RULES.values(), "Usage:", "Options", "Commands"]
    wanted += list(CHOSEN_LABELS.values())
    missing = sorted({m for m in wanted if m not in catalogue})
    assert not missing, "add to citygrid/locale/zh_CN/LC_MESSAGES/cli.po:\n" + "\n".join(missing)


def test_help_is_chinese_by_default() -> None:
    output = _invoke("--help")
    assert "用法：" in output
    assert "命令" in output
    assert "显示本帮助并退出。" in output
    assert "查询 LON LAT 处由谁负责" in output
    assert "Show this message" not in output


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--lang", "en", "--help"], DEFAULT_ENV),
        (["--help"], {"CITYGRID_LANG": "en"}),
        (["--lang", "en", "demo", "--help"], DEFAULT_ENV),
    ],
)
def test_help_in_english_with_lang_en(args: list[str], env: dict[str, str]) -> None:
    output = _invoke(*args, env=env)
    assert "Usage:" in output
    assert "Show this message and exit." in output
    assert "用法" not in output


def test_lang_on_the_command_line_wins_over_the_environment() -> None:
    output = _invoke("--lang", "zh_CN", "--help", env={"CITYGRID_LANG": "en"})
    assert "用法：" in output


def test_command_help_is_chinese_by_default() -> None:
    output = _invoke("demo", "--help")
    assert "将示例城市（长沙）载入数据库" in output
    assert "相同的种子生成相同的城市" in output
    assert "默认：small" in output
    assert "默认：0" in output


def test_help_of_commands_others_own_is_translated_too() -> None:
    """hotspots, gaps and io keep plain click options: their help is translated at render."""
    gaps = _invoke("analyse", "gaps", "--help")
    assert "找出所有无人负责的地方" in gaps
    export = _invoke("export", "--help")
    assert "要写入的文件；扩展名决定格式。" in export
    assert "File to write" not in export


def test_option_help_extras_are_translated() -> None:
    with language("zh_CN"):
        assert translate_option_help("Address to listen on.  [default: 127.0.0.1]") == (
            "监听地址。  [默认：127.0.0.1]"
        )
        assert translate_option_help("[required]") == "[必填]"
        assert translate_option_help("Not a message id.") == "Not a message id."
    with language("en"):
        assert translate_option_help("Address to listen on.  [default: x]") == (
            "Address to listen on.  [default: x]"
        )


def test_change_tables_and_rules_are_chinese_by_default(demo_url: str) -> None:
    output = _invoke("--db", demo_url, "auto-assign", "--dry-run")
    for header in ("图层", "字段", "修改前", "修改后", "规则"):
        assert header in output
    assert "占长度最多的网格" in output
    assert "largest_length_share" not in output


def test_change_tables_in_english_with_lang_en(demo_url: str) -> None:
    output = _invoke("--db", demo_url, "--lang", "en", "auto-assign", "--dry-run")
    assert "Rule" in output
    assert "cell with most of the length" in output


def test_route_summary_names_the_rules_in_chinese(
    demo_store_copy: Store, demo_copy_url: str
) -> None:
    """The demo is routed already, so some open problems are unrouted first."""
    problems = demo_store_copy.read("problems", where={"status": "open"}, limit=20)
    unrouted = pd.DataFrame({"code": problems["code"], "point_code": None, "unit_code": None})
    demo_store_copy.update("problems", unrouted, actor="pytest")
    output = _invoke("--db", demo_copy_url, "route", "--dry-run")
    assert "派遣依据：" in output
    assert "点位" in output
    english = _invoke("--db", demo_copy_url, "--lang", "en", "route", "--dry-run")
    assert "Routed by: " in english
    assert "point " in english


def test_workload_headers_are_chinese_by_default() -> None:
    """Workload columns: known headers, and ``points_<type>`` by the point type's label."""
    with language("zh_CN"):
        assert column_label("head_code") == "责任人编码"
        assert column_label("open_problems") == "未结问题"
        assert column_label("points_toilet") == "公厕"
        assert column_label("no_such_column") == "no_such_column"
    with language("en"):
        assert column_label("points_toilet") == "public toilet"


def test_the_light_po_reader_agrees_with_babel() -> None:
    """citygrid.i18n reads PO files without Babel (start-up time): same messages as Babel's."""
    from babel.messages.pofile import read_po as babel_read_po

    folder = Path(__file__).resolve().parents[2] / "citygrid" / "locale" / "zh_CN" / "LC_MESSAGES"
    paths = sorted(folder.glob("*.po"))
    assert paths
    for path in paths:
        with path.open("rb") as handle:
            wanted = {
                str(m.id): str(m.string)
                for m in babel_read_po(handle, locale="zh_CN")
                if m.id and m.string and not m.fuzzy
            }
        assert read_po(path.read_text(encoding="utf-8")) == wanted, path.name


def test_the_po_reader_handles_flags_continuations_and_escapes() -> None:
    text = (
        'msgid ""\nmsgstr ""\n"Language: zh_CN\\n"\n\n'
        '#, fuzzy\nmsgid "unsure"\nmsgstr "不确定"\n\n'
        '# a comment\nmsgid "two "\n"lines \\"quoted\\""\nmsgstr ""\n"两行"\n\n'
        'msgid "untranslated"\nmsgstr ""\n'
        'msgid "last"\nmsgstr "最后"'
    )
    assert read_po(text) == {'two lines "quoted"': "两行", "last": "最后"}


@pytest.mark.parametrize(
    ("args", "chinese", "english"),
    [
        (["route", "--nope"], "错误：没有选项 '--nope'。", "Error: No such option '--nope'."),
        (["users", "add", "张三"], "错误：缺少选项 '--role'", "Error: Missing option '--role'"),
        (
            ["who", "112.9", "28.1", "3"],
            "错误：多出了参数（3）",
            "Got unexpected extra argument (3)",
        ),
        (
            ["users", "token", "张三", "--days", "soon"],
            "'--days' 的值无效：'soon' 不是有效的数值（integer）。",
            "Invalid value for '--days': 'soon' is not a valid integer.",
        ),
        (
            ["--lang", "xx", "layers"],
            "'--lang' 的值无效：'xx' 不在可选值",
            "Invalid value for '--lang': 'xx' is not one of",
        ),
    ],
)
def test_clicks_own_usage_errors_follow_the_language(
    args: list[str], chinese: str, english: str
) -> None:
    shown = _invoke(*args, exit_code=2)
    assert chinese in shown
    assert "查看帮助" in shown
    english_env = {"CITYGRID_LANG": "en", "COLUMNS": "200"}
    assert english in _invoke(*args, env=english_env, exit_code=2)


def test_every_click_message_translated_is_one_click_still_marks() -> None:
    click_root = Path(click.__file__).parent
    marked = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        click_root, keywords={"_": None, "ngettext": (1, 2)}
    ):
        marked.update(message if isinstance(message, tuple) else (message,))
    po = Path(__file__).parents[2] / "citygrid/locale/zh_CN/LC_MESSAGES/click.po"
    translated = set(read_po(po.read_text(encoding="utf-8")))
    assert translated <= marked, sorted(translated - marked)
    # Every usage error click can raise is among them.
    errors = {"Error: {message}", "No such option {name!r}.", "Missing option", "Aborted!"}
    assert errors <= translated
