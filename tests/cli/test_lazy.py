"""The lazy command line: ``--help`` lists every command without importing them."""

from __future__ import annotations

import gc
import importlib
import pkgutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import click
import geopandas as gpd
import pyogrio
import pytest
import shapely

import citygrid.cli
from citygrid import __version__
from citygrid.cli import ANALYSE_COMMANDS, COMMANDS, main
from citygrid.cli.lazy import LazyCommand

HEAVY = ("geopandas", "pandas", "shapely", "sqlalchemy", "numpy", "pyproj", "babel")


def _cli_commands() -> set[str]:
    """``module:attribute`` of every command the cli modules define, subcommands left out."""
    found: dict[str, click.Command] = {}
    for info in pkgutil.iter_modules(citygrid.cli.__path__):
        module = importlib.import_module(f"citygrid.cli.{info.name}")
        for attribute, value in vars(module).items():
            defined_here = getattr(value, "callback", None) is not None and (
                getattr(value.callback, "__module__", "") == module.__name__
            )
            if isinstance(value, click.Command) and defined_here:
                found[f"{module.__name__}:{attribute}"] = value
    nested = {
        id(sub)
        for command in found.values()
        if isinstance(command, click.Group)
        for sub in command.commands.values()
    }
    return {target for target, command in found.items() if id(command) not in nested}


@pytest.mark.parametrize("entry", [*COMMANDS, *ANALYSE_COMMANDS], ids=lambda e: e.name)
def test_the_listing_matches_each_real_command(entry: LazyCommand) -> None:
    command = entry.load()
    assert command.name == entry.name
    assert entry.help == command.get_short_help_str(limit=sys.maxsize)


def test_every_command_of_the_cli_modules_is_listed() -> None:
    listed = {entry.target for entry in (*COMMANDS, *ANALYSE_COMMANDS)}
    defined = _cli_commands() - {"citygrid.cli:main", "citygrid.cli:analyse"}
    assert defined, "the cli modules define commands"
    assert listed == defined


def _run_fresh(*args: str) -> tuple[str, list[str]]:
    """Run the CLI in a fresh interpreter; return its output and the heavy modules it loaded."""
    code = (
        "import sys\n"
        "from citygrid.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout, eval(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["--lang", "en", "--help"], ["--version"]])
def test_help_and_version_import_no_heavy_library(args: list[str]) -> None:
    output, heavy = _run_fresh(*args)
    assert heavy == []
    if "--version" in args:
        assert __version__ in output
    else:
        for entry in COMMANDS:
            assert entry.name in output


def test_analyse_help_lists_its_commands_without_importing_them() -> None:
    output, heavy = _run_fresh("--lang", "en", "analyse", "--help")
    assert heavy == []
    for entry in ANALYSE_COMMANDS:
        assert f"{entry.name}  " in output
        assert entry.help[:30] in output.replace("\n", " ").replace("  ", " ")


def test_an_unknown_command_is_refused() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["--lang", "en", "nosuch"])
    assert result.exit_code == 2
    assert "No such command" in result.output


@pytest.mark.parametrize("enabled", [True, False])
def test_a_command_is_imported_with_the_collector_paused_and_left_as_found(
    enabled: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lazy_probe_command.py").write_text(
        "import gc\n"
        "import click\n"
        "COLLECTING_DURING_IMPORT = gc.isenabled()\n"
        "@click.command()\n"
        "def probe():\n"
        "    '''A probe.'''\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lazy_probe_command", raising=False)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        command = LazyCommand("probe", "lazy_probe_command:probe", "A probe.").load()
        after = gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
    assert command.name == "probe"
    assert sys.modules["lazy_probe_command"].COLLECTING_DURING_IMPORT is False
    assert after is enabled


def test_the_program_is_run_which_freezes_the_collector_on_exit() -> None:
    (entry,) = entry_points(group="console_scripts", name="citygrid")
    assert entry.value == "citygrid.cli:run"


def test_the_program_keeps_what_its_commands_write_and_their_exit_status(tmp_path: Path) -> None:
    program = Path(sys.executable).with_name("citygrid")
    url = f"sqlite:///{tmp_path / 'city.db'}"
    gpd.GeoDataFrame(
        {"code": ["G1"], "name": ["五一网格"]},
        geometry=[shapely.box(112.97, 28.19, 112.98, 28.20)],
        crs="EPSG:4326",
    ).to_file(tmp_path / "grids.gpkg", layer="grids")

    def citygrid(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(program), "--db", url, "--lang", "en", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=300)

    assert citygrid("init").returncode == 0
    assert citygrid("import", "grids", str(tmp_path / "grids.gpkg")).returncode == 0
    exported = citygrid("export", "grids", "--out", str(tmp_path / "out.gpkg"))
    assert exported.returncode == 0, exported.stderr
    assert pyogrio.read_dataframe(tmp_path / "out.gpkg")["name"].tolist() == ["五一网格"]
    refused = citygrid("export", "grids", "--out", str(tmp_path / "out.gpkg"))
    assert refused.returncode == 2
    assert "out.gpkg" in refused.stderr
