"""Running the reporting staff's commands in tests: as 李主任, on a wide (or given) terminal."""

from __future__ import annotations

from click.testing import CliRunner, Result

from citygrid.cli import main


def run(url: str, *args: str, lang: str = "en", width: int = 200) -> Result:
    """``citygrid --db URL --lang LANG --actor 李主任 ARGS`` with ``COLUMNS=width``."""
    runner = CliRunner(env={"COLUMNS": str(width)})
    return runner.invoke(main, ["--db", url, "--lang", lang, "--actor", "李主任", *args])


def ok(url: str, *args: str, lang: str = "en", width: int = 200) -> str:
    """The output of :func:`run`, which must exit 0."""
    result = run(url, *args, lang=lang, width=width)
    assert result.exit_code == 0, result.output
    return result.output


def refused(url: str, *args: str) -> str:
    """The output of :func:`run`, which must exit 2 with a message and no traceback."""
    result = run(url, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output
