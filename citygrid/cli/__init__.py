"""The ``citygrid`` command line: a thin adapter over the services.

Commands are listed here by name, with where they live and their one-line
help, and their modules are imported only when they run (see
:mod:`citygrid.cli.lazy`), so ``citygrid --help`` and ``--version`` start
without geopandas. Help pages, tables and messages are in the user's
language (``--lang``, ``$CITYGRID_LANG``, zh_CN by default). Errors a user
can cause are printed without a traceback, with exit status 2. Long work
shows its progress on stderr when that is a terminal (:mod:`citygrid.progress`).
"""

from __future__ import annotations

import gc
from contextlib import suppress
from typing import Any

import click

from citygrid import __version__, progress
from citygrid.cli.context import CliContext
from citygrid.cli.help import translate_click_messages
from citygrid.cli.lazy import LazyCommand, LazyGroup
from citygrid.config import Config
from citygrid.errors import CitygridError
from citygrid.i18n import set_language

#: ``citygrid analyse ...``: the analyses that write layers.
ANALYSE_COMMANDS = (
    LazyCommand(
        "density",
        "citygrid.cli.hotspots:density_command",
        "Kernel density (quartic kernel) of problems as a GeoTIFF and contour polygons.",
    ),
    LazyCommand(
        "emerging",
        "citygrid.cli.hotspots:emerging_command",
        "Emerging hot spots: Gi* per month and the Mann-Kendall trend of each cell.",
    ),
    LazyCommand(
        "gaps",
        "citygrid.cli.gaps:gaps",
        "Find every place where nobody is responsible, and write it to a GeoPackage.",
    ),
    LazyCommand(
        "hotspots",
        "citygrid.cli.hotspots:hotspots_command",
        "Getis-Ord Gi* hot and cold spots of problems per cell, with FDR correction.",
    ),
)

#: The top-level commands (``analyse`` is added below).
COMMANDS = (
    LazyCommand(
        "apply-proposal",
        "citygrid.cli.gaps:apply_proposal_command",
        "Apply a reviewed proposal (gap_proposals layer) in one transaction, audited.",
    ),
    LazyCommand(
        "assign",
        "citygrid.cli.responsibility:assign_command",
        "Make UNIT (and HEAD) responsible for the feature CODE of LAYER.",
    ),
    LazyCommand(
        "assign-bulk",
        "citygrid.cli.responsibility:assign_bulk_command",
        "Apply the assignments in FILE (CSV, GeoPackage, Shapefile...), all or none.",
    ),
    LazyCommand(
        "auto-assign",
        "citygrid.cli.responsibility:auto_assign_command",
        "Give units to cells (sub-district), points (their cell) and streets/alleys (the cell "
        "with most of their length); features assigned by hand are kept.",
    ),
    LazyCommand(
        "catalogue",
        "citygrid.cli.catalogue:catalogue_group",
        "The evaluation catalogue and its registration and closure standards.",
    ),
    LazyCommand(
        "evaluate",
        "citygrid.cli.evaluate:evaluate_command",
        "Predict the score of a third-party evaluation, and what to fix first.",
    ),
    LazyCommand(
        "plan-inspections",
        "citygrid.cli.rounds:plan_inspections_command",
        "Plan an inspector's round: the places most at risk, ordered along the streets.",
    ),
    LazyCommand(
        "report",
        "citygrid.cli.briefing:report_command",
        "Write the month's briefing: maps, rankings, rates, ledger and a summary.",
    ),
    LazyCommand(
        "demo",
        "citygrid.cli.demo:demo_command",
        "Load the demo city (Changsha) into the database, creating its schema if needed.",
    ),
    LazyCommand(
        "export",
        "citygrid.cli.io:export_command",
        "Export LAYER to a file for QGIS, ArcGIS or a report.",
    ),
    LazyCommand(
        "history",
        "citygrid.cli.responsibility:history_command",
        "The changes to the feature CODE of LAYER, oldest first.",
    ),
    LazyCommand("import", "citygrid.cli.io:import_command", "Import FILE into LAYER."),
    LazyCommand(
        "ledger",
        "citygrid.cli.reports:ledger_command",
        "The ledger (台账) of every open task of a unit, a cell or a sub-district.",
    ),
    LazyCommand(
        "init",
        "citygrid.cli.store:init_command",
        "Create the schema, or upgrade it to this version.",
    ),
    LazyCommand(
        "inspections",
        "citygrid.cli.inspections:inspections_group",
        "Record inspection rounds (日常巡查, 暗访, 第三方测评) and see when places were last "
        "inspected.",
    ),
    LazyCommand(
        "layers", "citygrid.cli.store:layers_command", "List every layer with its feature count."
    ),
    LazyCommand(
        "problems",
        "citygrid.cli.problems:problems_group",
        "Report problems and move them through the workflow (立案, 派遣, 反馈, 核查, 返工).",
    ),
    LazyCommand(
        "rank",
        "citygrid.cli.reports:rank_command",
        "The monthly ranking (月评排名) of points, streets, alleys, cells or units.",
    ),
    LazyCommand(
        "route",
        "citygrid.cli.responsibility:route_command",
        "Route the problems layer to the units responsible for each location.",
    ),
    LazyCommand(
        "serve", "citygrid.cli.serve:serve_command", "Serve the map and the JSON API until Ctrl+C."
    ),
    LazyCommand(
        "stats",
        "citygrid.cli.reports:stats_command",
        "Performance figures: on-time closure, rework and on-time registration rates.",
    ),
    LazyCommand("units", "citygrid.cli.responsibility:units_group", "Responsible units."),
    LazyCommand("users", "citygrid.cli.users:users_group", "User accounts and their API tokens."),
    LazyCommand(
        "who",
        "citygrid.cli.who:who_command",
        "Who answers for the place at LON LAT, as JSON.",
    ),
    LazyCommand(
        "workload",
        "citygrid.cli.responsibility:workload_command",
        "Each unit's (or head's) cells, street and alley km, points and problems.",
    ),
)


class _Main(LazyGroup):
    """The root group: sets the language from the environment before parsing.

    So ``citygrid --help`` is in ``$CITYGRID_LANG`` (zh_CN by default), and
    ``--lang`` (eager) switches it before a later ``--help`` is shown; click's
    own usage errors follow it too.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        translate_click_messages()
        with suppress(CitygridError):  # a bad setting: main() reports it
            set_language(Config.from_env().language)
        return super().make_context(info_name, args, parent, **extra)


def _set_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        set_language(value)
    return value


@click.group(cls=_Main, lazy=COMMANDS)
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    help="Database URL (default: $CITYGRID_DATABASE_URL or sqlite:///citygrid.db).",
)
@click.option(
    "--lang",
    type=click.Choice(["zh_CN", "zh", "en"]),
    is_eager=True,
    expose_value=True,
    callback=_set_language,
    help="Language of messages (default: $CITYGRID_LANG or zh_CN).",
)
@click.option(
    "--actor",
    metavar="NAME",
    help="Name for the audit log (default: $CITYGRID_ACTOR or your login name).",
)
@click.version_option(__version__, prog_name="citygrid")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, lang: str | None, actor: str | None) -> None:
    """citygrid: 网格化管理 — grids, streets, alleys and points, who answers for them,
    and where problems cluster."""
    config = Config.from_env(database_url=database_url, language=lang, actor=actor)
    set_language(config.language)
    ctx.obj = CliContext(config)
    ctx.call_on_close(ctx.obj.close)
    progress.enable()
    ctx.call_on_close(progress.disable)


def run() -> None:
    """The ``citygrid`` program: :func:`main`, then an exit that skips a last collection.

    When the command is done, every object left is frozen out of the cyclic
    garbage collector's reach (:func:`gc.freeze`), so the interpreter's
    shutdown does not walk the million objects geopandas, SQLAlchemy and the
    command made: about 0.2 s of every command. What the command opened is
    closed by then (the store, files, progress bars); shutdown still runs
    the ``atexit`` handlers and frees what is not in a cycle.
    """
    try:
        main()
    finally:
        gc.freeze()


@main.group(cls=LazyGroup, lazy=ANALYSE_COMMANDS)
def analyse() -> None:
    """Analyses that write layers: hot spots, gaps."""
