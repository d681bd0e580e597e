"""The monthly pack: ``citygrid report --month YYYY-MM --out DIR [--subdistrict CODE]``.

Written into ``DIR`` (refused when it holds files, unless ``overwrite``):

- ``热点图-YYYY-MM.png|.pdf``: Gi* hot spots on the grid cells, problems
  reported in the month;
- ``趋势图-YYYY-MM.png|.pdf``: emerging hot spots over the twelve months to
  the month's end;
- ``缺口图-YYYY-MM.png|.pdf``: the coverage gaps as of the month's end;
- ``月报-YYYY-MM.xlsx``: the rankings of points (those with a problem; the
  rest, all at full marks, are counted in the title), cells and units with
  the change from the month before, the points that failed the standard,
  the performance rates per unit, and the open tasks per unit, a sheet each;
- ``台账-YYYY-MM.csv``: the ledger of every open task (UTF-8 with a BOM, the
  problems' points as lon/lat): at city scale a hundred thousand rows, which
  a CSV holds in a second and a workbook sheet in minutes;
- ``摘要-YYYY-MM.txt``: what changed: problems against the month before, new
  hot spots, the points that fell furthest, the units most overdue.

With a sub-district, the maps show its cells, the tables its features,
units and tasks. A part that cannot be made (too few problems for Gi*, no
ranking) is left out and said so in the summary; a month without any
problem is refused.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from citygrid.errors import BadInput, CitygridError, Conflict, NotFound
from citygrid.i18n import gettext
from citygrid.services.analysis import AnalysisResult
from citygrid.services.context import CityContext
from citygrid.services.coverage.analysis import analyse_coverage
from citygrid.services.coverage.params import CoverageParams
from citygrid.services.cycle.ledger import LEDGER_HEADERS, ledger, open_tasks
from citygrid.services.cycle.performance import performance
from citygrid.services.cycle.periods import Month, parse_month
from citygrid.services.cycle.ranking import Ranking, monthly_rankings
from citygrid.services.cycle.reading import read_columns
from citygrid.services.cycle.report_files import write_report, write_workbook
from citygrid.services.cycle.reports import level_label, performance_table, ranking_table
from citygrid.services.hotspots.emerging import run_emerging
from citygrid.services.hotspots.hot_spots import run_hot_spots
from citygrid.services.hotspots.params import EmergingParams, HotSpotParams
from citygrid.services.printing.analysis_maps import print_analysis
from citygrid.services.printing.paper import Page
from citygrid.services.printing.ranking_maps import print_ranking

RANKED_LEVELS = ("point", "cell", "unit")
HOT = 2
"""The Gi* bin from which a cell counts as a hot spot in the summary (95% confidence)."""
SHOWN = 5
FULL_MARKS = 100.0
"""The score of a point without any problem."""


@dataclass
class MonthlyPack:
    """What a pack wrote: the files, the summary text, and the parts left out and why."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    summary: str = ""
    skipped: list[str] = field(default_factory=list)


def monthly_pack(
    ctx: CityContext,
    month: str,
    folder: str | os.PathLike[str],
    *,
    subdistrict: str | None = None,
    page: Page | None = None,
    overwrite: bool = False,
) -> MonthlyPack:
    """Write the month's briefing into ``folder`` (see the module's docstring).

    Raises
    ------
    BadInput
        A month not written YYYY-MM, a month without any problem, a folder
        whose parent is missing, a path that is a file.
    NotFound
        No sub-district with that code.
    Conflict
        The folder holds files and ``overwrite`` is not given.
    """
    chosen = parse_month(month)
    target = _folder(Path(folder), overwrite)
    area = _subdistrict_area(ctx, subdistrict)
    reported = _reported(ctx, chosen, subdistrict)
    if reported == 0:
        raise BadInput(
            "No problem was reported in {month}{where}; choose a month with problems.",
            month=str(chosen),
            where="" if subdistrict is None else f" ({subdistrict})",
        )
    target.mkdir(exist_ok=True)
    pack = MonthlyPack(target)
    first, last = chosen.start.date(), chosen.stop.date() - timedelta(days=1)
    hot_now = _map(
        ctx,
        pack,
        "热点图",
        chosen,
        area,
        page,
        overwrite,
        lambda: run_hot_spots(ctx, HotSpotParams(cells="grids", since=first, until=last)),
    )
    earlier = chosen.previous()
    hot_before = _quiet(
        lambda: run_hot_spots(
            ctx,
            HotSpotParams(
                cells="grids", since=earlier.start.date(), until=first - timedelta(days=1)
            ),
        )
    )
    year_start = date(chosen.year - 1, chosen.month, 1) + timedelta(days=32)
    _map(
        ctx,
        pack,
        "趋势图",
        chosen,
        area,
        page,
        overwrite,
        lambda: run_emerging(
            ctx, EmergingParams(cells="grids", since=year_start.replace(day=1), until=last)
        ),
    )
    _map(ctx, pack, "缺口图", chosen, area, page, overwrite, lambda: _gaps(ctx, last))
    sheets, fell, overdue, cells = _tables(ctx, pack, chosen, subdistrict)
    if cells is not None:
        _ranking_map(ctx, pack, cells, area, page, overwrite)
    book = target / f"月报-{chosen}.xlsx"
    pack.files.append(write_workbook(sheets, book, overwrite=True))
    pack.summary = _summary(
        ctx, chosen, subdistrict, reported, hot_now, hot_before, fell, overdue, pack.skipped
    )
    summary = target / f"摘要-{chosen}.txt"
    summary.write_text(pack.summary, encoding="utf-8")
    pack.files.append(summary)
    return pack


def _folder(folder: Path, overwrite: bool) -> Path:
    """The pack's folder: new, empty, or (with ``overwrite``) one whose files may be replaced."""
    target = folder.expanduser().absolute()
    if target.exists() and not target.is_dir():
        raise BadInput("{path} is a file; give a folder for the monthly pack.", path=str(folder))
    if not target.parent.is_dir():
        raise BadInput(
            "The folder {folder} does not exist; create it or choose another --out.",
            folder=str(target.parent),
        )
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise Conflict(
            "{path} holds files already; give --overwrite to replace the pack's files there, "
            "or choose an empty folder.",
            path=str(folder),
        )
    return target


def _subdistrict_area(ctx: CityContext, code: str | None) -> shapely.Geometry | None:
    if code is None:
        return None
    found = ctx.store.read(
        "jurisdictions", where={"code": code, "level": "subdistrict"}, columns=["code"]
    )
    if found.empty:
        raise NotFound(
            "There is no sub-district {code}; list them with `citygrid export jurisdictions`.",
            code=code,
        )
    return found.geometry.iloc[0]


def _month_problems(ctx: CityContext, month: Month, subdistrict: str | None) -> pd.DataFrame:
    """The codes, places and units of the problems reported in ``month`` (no geometry)."""
    table = ctx.store.table("problems")
    return read_columns(
        ctx.store,
        "problems",
        ["code", "reported_at", "point_code", "grid_code", "unit_code"],
        where=None if subdistrict is None else {"subdistrict_code": subdistrict},
        filters=[table.c.reported_at >= month.start, table.c.reported_at < month.stop],
    )


def _reported(ctx: CityContext, month: Month, subdistrict: str | None) -> int:
    return len(_month_problems(ctx, month, subdistrict))


def _quiet(run: Callable[[], AnalysisResult]) -> AnalysisResult | None:
    """An analysis's result, or ``None`` when there is too little to analyse."""
    try:
        return run()
    except CitygridError:
        return None


def _map(
    ctx: CityContext,
    pack: MonthlyPack,
    stem: str,
    month: Month,
    area: shapely.Geometry | None,
    page: Page | None,
    overwrite: bool,
    run: Callable[[], AnalysisResult],
) -> AnalysisResult | None:
    """Run an analysis and print it as PNG and PDF; a part that fails is noted, not fatal."""
    try:
        result = _clipped(run(), area)
        paths = [pack.folder / f"{stem}-{month}{suffix}" for suffix in (".png", ".pdf")]
        print_analysis(ctx, result, paths, page=page, overwrite=overwrite)
        pack.files.extend(paths)
    except CitygridError as exc:
        pack.skipped.append(f"{stem}: {exc.message()}")
        return None
    return result


def _clipped(result: AnalysisResult, area: shapely.Geometry | None) -> AnalysisResult:
    if area is None:
        return result
    layers = {
        name: frame[frame.intersects(area)]
        for name, frame in result.layers.items()
        if isinstance(frame, gpd.GeoDataFrame)
    }
    return AnalysisResult(layers, result.params, result.chosen)


def _gaps(ctx: CityContext, last: date) -> AnalysisResult:
    report = analyse_coverage(ctx, CoverageParams(as_of=last))
    return AnalysisResult(report.findings, report.params, {"as_of": last.isoformat()})


def _tables(
    ctx: CityContext, pack: MonthlyPack, month: Month, subdistrict: str | None
) -> tuple[list[tuple[str, str, pd.DataFrame]], pd.DataFrame, pd.Series, Ranking | None]:
    """The workbook's sheets, the points that fell furthest, overdue tasks per unit, and
    the ranking of the cells (``None`` when it could not be made)."""
    problems = _month_problems(ctx, month, subdistrict)
    keep = {"point": "point_code", "cell": "grid_code", "unit": "unit_code"}
    sheets: list[tuple[str, str, pd.DataFrame]] = []
    fell = pd.DataFrame(columns=["name", "score_change"])
    cells: Ranking | None = None
    try:
        rankings = monthly_rankings(ctx, month, RANKED_LEVELS)
    except CitygridError as exc:
        pack.skipped.append(f"{gettext('Ranking')}: {exc.message()}")
        rankings = {}
    for level, ranking in rankings.items():
        frame = ranking.frame
        if level == "cell":
            cells = ranking
        if subdistrict is not None:
            frame = frame[frame["code"].isin(problems[keep[level]].dropna())]
        label = level_label(level)
        title = gettext("Ranking of {month}: {level}").format(month=month, level=label)
        if level == "point":  # tens of thousands of points: those without a problem are tied
            clean = (frame["problems"].fillna(0) == 0) & (frame["score"] >= FULL_MARKS)
            title += gettext(
                " ({count} points without any problem, all {score:g}, left out)"
            ).format(count=int(clean.sum()), score=FULL_MARKS)
            frame = frame[~clean]
        shown = type(ranking)(ranking.month, level, frame.reset_index(drop=True))
        sheets.append(
            (gettext("Ranking ({level})").format(level=label), title, ranking_table(shown))
        )
        if level == "point":
            failed = type(ranking)(ranking.month, level, shown.failed.reset_index(drop=True))
            sheets.append(
                (
                    gettext("Failed points"),
                    gettext("Points that failed the standard"),
                    ranking_table(failed),
                )
            )
            fell = frame.dropna(subset=["score_change"]).nsmallest(SHOWN, "score_change")
    try:
        figures = performance(ctx, month.start.date(), month.stop.date() - timedelta(days=1))
        table = performance_table(figures)
        if subdistrict is not None:
            units = set(problems["unit_code"].dropna())
            in_area = [*figures.frame["code"].isin(units), True]  # and the whole city's row
            table = table[in_area]
        sheets.append((gettext("Performance"), gettext("Performance rates"), table))
    except CitygridError as exc:
        pack.skipped.append(f"{gettext('Performance')}: {exc.message()}")
    tasks = _ledger(ctx, subdistrict)
    overdue = tasks[tasks["overdue_days"] > 0].groupby("unit").size().nlargest(SHOWN)
    sheets.append(
        (gettext("Ledger by unit"), gettext("Open tasks by unit"), _ledger_by_unit(tasks))
    )
    headers = {column: gettext(msgid) for column, msgid in LEDGER_HEADERS.items()}
    ledger_file = pack.folder / f"台账-{month}.csv"
    pack.files.append(
        write_report(
            tasks,
            ledger_file,
            title=gettext("Ledger of open tasks"),
            headers=headers,
            overwrite=True,
        )
    )
    return sheets, fell, overdue, cells


def _ranking_map(
    ctx: CityContext,
    pack: MonthlyPack,
    cells: Ranking,
    area: shapely.Geometry | None,
    page: Page | None,
    overwrite: bool,
) -> None:
    """The cells' scores as ``排名图`` (PNG and PDF): by sub-district for the city, by cell
    within a sub-district."""
    paths = [pack.folder / f"排名图-{cells.month}{suffix}" for suffix in (".png", ".pdf")]
    by = "subdistrict" if area is None else "cell"
    try:
        print_ranking(ctx, cells, paths, by=by, page=page, overwrite=overwrite, within=area)
    except CitygridError as exc:
        pack.skipped.append(f"排名图: {exc.message()}")
        return
    pack.files.extend(paths)


def _ledger_by_unit(tasks: pd.DataFrame) -> pd.DataFrame:
    """Per unit: open tasks, overdue ones and the most working days overdue, most overdue first."""
    by_unit = tasks.groupby("unit", dropna=False)["overdue_days"]
    table = pd.DataFrame(
        {
            gettext("Open tasks"): by_unit.size(),
            gettext("Overdue tasks"): by_unit.apply(lambda days: int((days > 0).sum())),
            gettext("Most working days overdue"): by_unit.max(),
        }
    )
    table = table.sort_values(gettext("Overdue tasks"), ascending=False)
    return table.rename_axis(gettext("Responsible unit")).reset_index()


def _ledger(ctx: CityContext, subdistrict: str | None) -> gpd.GeoDataFrame:
    """The open tasks of the sub-district, or of the whole city, by unit, most overdue first."""
    tasks = open_tasks(ctx) if subdistrict is None else ledger(ctx, subdistrict=subdistrict).frame
    return tasks.sort_values(["unit", "overdue_days"], ascending=[True, False]).reset_index(
        drop=True
    )


def _summary(
    ctx: CityContext,
    month: Month,
    subdistrict: str | None,
    reported: int,
    hot_now: AnalysisResult | None,
    hot_before: AnalysisResult | None,
    fell: pd.DataFrame,
    overdue: pd.Series,
    skipped: list[str],
) -> str:
    """What changed this month, in a few lines of the user's language."""
    before = _reported(ctx, month.previous(), subdistrict)
    change = f"{(reported - before) / before:+.0%}" if before else "-"
    lines = [
        gettext("{month}: {count} problems reported ({change} against {previous}).").format(
            month=month, count=reported, change=change, previous=month.previous()
        )
    ]
    new = _new_hot_spots(ctx, hot_now, hot_before)
    lines.append(gettext("New hot spots: {cells}.").format(cells="、".join(new) or gettext("none")))
    if not fell.empty:
        dropped = "、".join(
            f"{n}（{c:+.1f}）" for n, c in zip(fell["name"], fell["score_change"], strict=True)
        )
        lines.append(gettext("Points that fell furthest: {points}.").format(points=dropped))
    if not overdue.empty:
        units = "、".join(f"{u}（{n}）" for u, n in overdue.items())
        lines.append(gettext("Units with most overdue tasks: {units}.").format(units=units))
    lines += [gettext("Left out: {part}").format(part=part) for part in skipped]
    return "\n".join(lines) + "\n"


def _new_hot_spots(
    ctx: CityContext, now: AnalysisResult | None, before: AnalysisResult | None
) -> list[str]:
    """Names of the cells hot (95% or more) this month that were not the month before."""
    if now is None:
        return []
    hot = set(now.frame.loc[now.frame["gi_bin"] >= HOT, "cell_id"])
    if before is not None:
        hot -= set(before.frame.loc[before.frame["gi_bin"] >= HOT, "cell_id"])
    names = ctx.store.read("grids", columns=["code", "name"]).set_index("code")["name"]
    return [str(names.get(cell, cell)) for cell in sorted(hot)][:SHOWN]
