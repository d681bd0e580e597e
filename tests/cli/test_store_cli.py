"""``citygrid init`` and ``citygrid layers``, and how the CLI reports a bad store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from citygrid.cli import main
from citygrid.layers import migrations


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_init_creates_then_upgrades_idempotently(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'city.db'}"
    first = run("--db", url, "--lang", "en", "init")
    assert first.exit_code == 0, first.output
    assert f"Schema {migrations.head()} ready" in first.output
    assert run("--db", url, "--lang", "en", "init").exit_code == 0


def test_layers_lists_every_layer_with_counts(database_url: str) -> None:
    result = run("--db", database_url, "--lang", "en", "layers")
    assert result.exit_code == 0, result.output
    for name in ("jurisdictions", "grids", "streets", "alleys", "points", "problems"):
        assert name in result.output


def test_layers_in_chinese_by_default(database_url: str) -> None:
    result = run("--db", database_url, "layers", env={"CITYGRID_LANG": ""})
    assert "网格" in result.output
    assert "背街小巷" in result.output


def test_database_url_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    assert run("init", env={"CITYGRID_DATABASE_URL": url}).exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_bad_urls_give_one_line_and_exit_2(tmp_path: Path) -> None:
    cases = {
        "::::": "does not parse",
        "postgresql+psycopg://nobody@127.0.0.1:1/none": "Cannot reach the database",
        "oracle://x@y/z": "not supported",
        f"sqlite:///{tmp_path / 'missing' / 'x.db'}": "does not exist",
    }
    for url, expected in cases.items():
        result = run("--db", url, "--lang", "en", "layers")
        assert result.exit_code == 2, (url, result.output)
        assert expected in result.output, (url, result.output)
        assert "Traceback" not in result.output


def test_layers_on_a_database_without_schema_says_run_init(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run("--db", url, "--lang", "en", "layers")
    assert result.exit_code == 2
    assert "citygrid init" in result.output


def test_schema_from_a_newer_citygrid_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    run("--db", url, "init")
    with sqlite3.connect(tmp_path / "new.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff'")
    for command in ("layers", "init"):
        result = run("--db", url, "--lang", "en", command)
        assert result.exit_code == 2
        assert "newer version" in result.output


def test_chinese_error_messages_by_default(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run("--db", url, "layers", env={"CITYGRID_LANG": ""})
    assert "请先运行" in result.output


def test_read_only_commands_leave_no_database_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"CITYGRID_DATABASE_URL": ""}
    for args in (["layers"], ["who", "112.98", "28.2"], ["history", "grids", "G1"]):
        result = CliRunner().invoke(main, ["--lang", "en", *args], env=env)
        assert result.exit_code == 2, (args, result.output)
        assert "citygrid.db does not exist" in result.output
        assert "citygrid init" in result.output
        assert "Traceback" not in result.output
        assert list(tmp_path.iterdir()) == [], args
    assert CliRunner().invoke(main, ["init"], env=env).exit_code == 0
    assert (tmp_path / "citygrid.db").exists()
