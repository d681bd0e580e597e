"""``citygrid serve``: a real server process, and every way it refuses to start."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from web_accounts import bearer

from citygrid.cli import main
from citygrid.layers.store import Store

SERVE = "from citygrid.cli import main; main()"


def _serve(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@contextmanager
def running_server(database_url: str, *serve_args: str) -> Iterator[str]:
    """Run ``citygrid --lang en serve --port 0 SERVE_ARGS`` in a process; yield its base
    URL, then stop it with Ctrl+C and check that it stopped cleanly."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "-c",
            SERVE,
            "--db",
            database_url,
            "--lang",
            "en",
            "serve",
            "--port",
            "0",
            *serve_args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert match, line + process.stderr.read() if process.poll() is not None else line
        yield match.group(1)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Stopped." in out


@pytest.mark.usefixtures("admin")
def test_serve_runs_a_real_server(city: Store, database_url: str) -> None:
    with running_server(database_url) as base:
        with urllib.request.urlopen(f"{base}api/health", timeout=30) as response:
            assert json.load(response)["status"] == "ok"
        headers = bearer(city)
        grids = urllib.request.Request(f"{base}api/layers/grids/features", headers=headers)
        with urllib.request.urlopen(grids, timeout=30) as response:
            assert len(json.load(response)["features"]) == 6
        page = urllib.request.Request(base, headers=headers)
        with urllib.request.urlopen(page, timeout=30) as response:
            assert "L.citygrid.bboxLayer" in response.read().decode("utf-8")


def test_port_in_use_is_refused(city: Store, database_url: str, busy_port: int) -> None:
    code, output = _serve("--db", database_url, "--lang", "en", "serve", "--port", str(busy_port))
    assert code == 2
    assert f"Port {busy_port} on 127.0.0.1 is already in use" in output
    assert "--port" in output
    assert "Traceback" not in output


def test_port_in_use_in_chinese(city: Store, database_url: str, busy_port: int) -> None:
    code, output = _serve("--db", database_url, "serve", "--port", str(busy_port))
    assert code == 2
    assert f"127.0.0.1 的端口 {busy_port} 已被其他程序占用" in output


def test_address_not_on_this_machine_is_refused(city: Store, database_url: str) -> None:
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    code, output = _serve("--db", database_url, "--lang", "en", "serve", "--host", "192.0.2.1")
    assert code == 2
    assert "Cannot listen on 192.0.2.1 port 5000" in output


def test_database_without_schema_is_refused(tmp_path: Path) -> None:
    (tmp_path / "nothing.db").touch()  # an empty SQLite file; a missing one is not created
    url = f"sqlite:///{tmp_path / 'nothing.db'}"
    code, output = _serve("--db", url, "--lang", "en", "serve", "--port", "0")
    assert code == 2
    assert "has no citygrid schema" in output
    assert "citygrid demo" in output
    assert "Traceback" not in output


def test_empty_database_warns_to_run_demo(database_url: str, busy_port: int) -> None:
    code, output = _serve("--db", database_url, "--lang", "en", "serve", "--port", str(busy_port))
    assert "holds no features yet" in output
    assert "citygrid demo" in output
    assert code == 2  # and then stops at the busy port, so the test does not block


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1"])
def test_debug_only_on_loopback(city: Store, database_url: str, host: str) -> None:
    code, output = _serve("--db", database_url, "--lang", "en", "serve", "--debug", "--host", host)
    assert code == 2
    assert "--debug opens an interactive debugger" in output


def test_bad_port_is_a_usage_error(database_url: str) -> None:
    code, output = _serve("--db", database_url, "serve", "--port", "70000")
    assert code == 2
    assert "70000" in output
