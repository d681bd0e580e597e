"""The rows of the benchmark table: what is measured, against what, and the aim (issue 12).

Each :class:`Bench` names a whole citygrid command (ours) and a plain
script doing the same work with geopandas, pyogrio or esda (the baseline,
:mod:`plain`), both run as processes of their own on the same demo.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
PLAIN = str(HERE / "plain.py")


@dataclass(frozen=True)
class Where:
    """What a command needs to know: the store, the baselines' files, a scratch folder."""

    citygrid: list[str]
    url: str
    files: Path
    scratch: Path

    @property
    def gpkg(self) -> str:
        """The GeoPackage of the demo's layers the baselines read."""
        return str(self.files / "demo.gpkg")

    def out(self, name: str) -> str:
        """A path in the scratch folder."""
        return str(self.scratch / name)

    def cli(self, *args: str) -> list[str]:
        """``citygrid --db URL ARGS...``."""
        return [*self.citygrid, "--db", self.url, *args]


Command = Callable[[Where], list[str]]


@dataclass(frozen=True)
class Bench:
    """One row.

    Attributes
    ----------
    name
        Short name, for ``--only``.
    work
        What is measured, for the table.
    ours, baseline
        The commands, given where things are.
    baseline_label
        What the baseline does, for the table's notes.
    aim_ratio
        Ours over the baseline must stay under this, if given.
    aim_seconds
        Ours must take less than this many seconds, if given.
    before
        Run (untimed) before each run of ours, given the store's URL.
    changes_data
        Ours writes to the store (run after the others, on the working copy).
    on_store
        Ours reads a store (else it is measured once, not per backend).
    """

    name: str
    work: str
    ours: Command
    baseline: Command
    baseline_label: str
    aim_ratio: float | None = None
    aim_seconds: float | None = None
    before: Callable[[str], None] | None = None
    changes_data: bool = False
    on_store: bool = True

    def aim(self) -> str:
        """The aim as text: ``< 1.5x``, ``< 2 s`` or both."""
        parts = []
        if self.aim_ratio is not None:
            parts.append(f"< {self.aim_ratio:g}x")
        if self.aim_seconds is not None:
            parts.append(f"< {self.aim_seconds:g} s")
        return ", ".join(parts)

    def met(self, ours: float, baseline: float) -> bool:
        """Whether ``ours`` seconds meet the aim against ``baseline`` seconds."""
        ratio_ok = self.aim_ratio is None or ours / baseline < self.aim_ratio
        return ratio_ok and (self.aim_seconds is None or ours < self.aim_seconds)


def _unroute_open_problems(url: str) -> None:
    """Forget the unit of every problem not closed, so that routing writes each one back."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE problems SET unit_code = NULL WHERE status <> 'closed'")
    engine.dispose()


def _python(*args: str) -> list[str]:
    return [sys.executable, *args]


BENCHES = (
    Bench(
        "help",
        "`citygrid --help`",
        lambda w: [*w.citygrid, "--help"],
        lambda w: _python("-c", "import geopandas"),
        '`python -c "import geopandas"`',
        aim_seconds=0.3,
        on_store=False,
    ),
    Bench(
        "read",
        "read 1M problems into a GeoDataFrame (`Store.read`)",
        lambda w: _python(str(HERE / "store_read.py"), w.url),
        lambda w: _python(PLAIN, "read", w.gpkg),
        "`pyogrio.read_dataframe` of the same problems from a GeoPackage",
        aim_ratio=1.5,
    ),
    Bench(
        "export",
        "`citygrid export problems` (1M, GeoPackage)",
        lambda w: w.cli("export", "problems", "--out", w.out("export.gpkg"), "--overwrite"),
        lambda w: _python(PLAIN, "export", str(w.files / "problems.parquet"), w.out("plain.gpkg")),
        "GeoParquet read + `pyogrio.write_dataframe` to a GeoPackage",
        aim_ratio=1.5,
    ),
    Bench(
        "hotspots",
        "`citygrid analyse hotspots --cells grids`",
        lambda w: w.cli(
            "analyse",
            "hotspots",
            "--cells",
            "grids",
            "--out",
            w.out("hotspots.gpkg"),
            "--overwrite",
        ),
        lambda w: _python(PLAIN, "hotspots", w.gpkg, w.out("plain_hotspots.gpkg")),
        "pyogrio read + sjoin count + libpysal queen + esda `G_Local`, written to a GeoPackage",
        aim_ratio=0.2,
        aim_seconds=2.0,
    ),
    Bench(
        "gaps",
        "`citygrid analyse gaps`",
        lambda w: w.cli("analyse", "gaps", "--out", w.out("gaps.gpkg"), "--overwrite"),
        lambda w: _python(PLAIN, "gaps", w.gpkg, w.out("plain_gaps.gpkg")),
        "pyogrio read + sub-districts minus the union of the cells, written to a GeoPackage",
        aim_ratio=2.0,
        aim_seconds=3.0,
    ),
    Bench(
        "route",
        "`citygrid route` (problems not closed, written back)",
        lambda w: w.cli("route"),
        lambda w: _python(PLAIN, "route", w.gpkg),
        "pyogrio read of the problems not closed + sjoin to the cells",
        aim_ratio=3.0,
        before=_unroute_open_problems,
        changes_data=True,
    ),
    Bench(
        "import",
        "`citygrid import problems --replace` (1M, GeoPackage)",
        lambda w: w.cli("import", "problems", w.gpkg, "--source-layer", "problems", "--replace"),
        lambda w: _python(PLAIN, "import", w.gpkg, w.out("plain_import.gpkg")),
        "`pyogrio.read_dataframe` of the file + `pyogrio.write_dataframe` to a GeoPackage",
        aim_ratio=1.5,
        changes_data=True,
    ),
)
