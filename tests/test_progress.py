"""Progress of long work: drawn on a terminal, nothing at all elsewhere."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from citygrid import progress
from citygrid.cli import main

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _text(buffer: io.StringIO) -> str:
    """What a terminal would keep: escapes dropped, carriage returns as new lines."""
    return _ANSI.sub("", buffer.getvalue()).replace("\r", "\n")


@pytest.fixture
def terminal() -> Iterator[io.StringIO]:
    """Progress switched on, drawn on a forced terminal that writes into a buffer."""
    buffer = io.StringIO()
    progress.enable(Console(file=buffer, force_terminal=True, width=100))
    yield buffer
    progress.disable()


def test_nothing_is_shown_unless_switched_on(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.phase("reading"), progress.steps("writing", 3) as update:
        update(1)
        update(3, label="written")
    assert list(progress.track(range(4), "loop")) == [0, 1, 2, 3]
    assert capsys.readouterr() == ("", "")


def test_not_a_terminal_shows_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    progress.enable(Console(file=io.StringIO()))  # a file, not a terminal
    with progress.phase("reading"):
        pass
    progress.enable()  # stderr under pytest is not a terminal either
    with progress.phase("reading"):
        pass
    progress.disable()
    assert capsys.readouterr() == ("", "")


def test_phases_and_bars_leave_a_line_each_with_their_time(terminal: io.StringIO) -> None:
    with progress.phase("读取问题…"):
        assert list(progress.track([1, 2, 3], "写入…")) == [1, 2, 3]
        with progress.steps("Generating", None) as update:
            update(5, 10, "Writing grids")
    lines = [line.strip() for line in _text(terminal).splitlines() if "✓" in line]
    assert [re.sub(r"[\d.]+ s$", "S", line) for line in lines] == [
        "✓ 写入… S",
        "✓ Writing grids S",
        "✓ 读取问题… S",
    ]


def test_a_command_shows_its_phases_only_on_a_terminal(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--db", demo_url, "--lang", "en", "export", "grids", "--out"]
    plain = CliRunner().invoke(main, [*args, str(tmp_path / "plain.gpkg")])
    assert plain.exit_code == 0, plain.output
    assert "Exporting" not in plain.output
    assert "✓" not in plain.output

    buffer = io.StringIO()
    enable = progress.enable
    monkeypatch.setattr(
        progress, "enable", lambda: enable(Console(file=buffer, force_terminal=True))
    )
    shown = CliRunner().invoke(main, [*args, str(tmp_path / "shown.gpkg")])
    assert shown.exit_code == 0, shown.output
    assert "✓ Exporting grids…" in _text(buffer)
    assert "Exporting" not in shown.output
