"""The monthly pack: ``citygrid report --month YYYY-MM --out DIR [--subdistrict CODE]``.

Written into ``DIR`` (refused when it holds files, unless ``overwrite``):

- ``热点图-YYYY-MM.png|.pdf``: Gi* hot spots on the grid cells, problems
  reported in the month;
- ``趋势图-YYYY-MM.png|.pdf``: emerging hot spots over the twelve months to
  the month's end;
- ``缺口图-YYYY-MM.png|.pdf``: the coverage gaps as of the month's end;
- ``月报-YYYY-MM.xlsx``: the rankings of points, cells and units with the
  change from the month before, the points that failed the standard, the
  performance rates per unit, and the ledger of open tasks, a sheet each;
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
from citygrid.services.cycle.ledger import LEDGER_HEADERS, ledger
from citygrid.services.cycle.performance import performance
from citygrid.services.cycle.periods import Month, parse_month
from citygrid.services.cycle.ranking import monthly_ranking
from citygrid.services.cycle.report_files import write_workbook
from citygrid.services.cycle.reports import level_label, performance_table, ranking_table
from citygrid.services.hotspots.emerging import run_emerging
from citygrid.services.hotspots.hot_spots import run_hot_spots
from citygrid.services.hotspots.params import EmergingParams, HotSpotParams
from citygrid.services.printing.analysis_maps import print_analysis
from citygrid.services.printing.paper import Page

RANKED_LEVELS = ("point", "cell", "unit")
HOT = 2
"""The Gi* bin from which a cell counts as a hot spot in the summary (95% confidence)."""
SHOWN = 5


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
    sheets, fell, overdue = _tables(ctx, pack, chosen, subdistrict)
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
    problems = ctx.store.read(
        "problems",
        where={} if subdistrict is None else {"subdistrict_code": subdistrict},
        columns=["code", "reported_at", "point_code", "grid_code", "unit_code"],
        order_by=None,
    )
    return problems


def _reported(ctx: CityContext, month: Month, subdistrict: str | None) -> int:
    reported = _month_problems(ctx, month, subdistrict)["reported_at"]
    return int(((reported >= month.start) & (reported < month.stop)).sum())


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
        for suffix in (".png", ".pdf"):
            path = pack.folder / f"{stem}-{month}{suffix}"
            image = print_analysis(ctx, result, path, page=page, overwrite=overwrite)
            pack.files.append(image.path)
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
) -> tuple[list[tuple[str, str, pd.DataFrame]], pd.DataFrame, pd.Series]:
    """The workbook's sheets, the points that fell furthest, and overdue tasks per unit."""
    problems = _month_problems(ctx, month, subdistrict)
    keep = {"point": "point_code", "cell": "grid_code", "unit": "unit_code"}
    sheets: list[tuple[str, str, pd.DataFrame]] = []
    fell = pd.DataFrame(columns=["name", "score_change"])
    for level in RANKED_LEVELS:
        try:
            ranking = monthly_ranking(ctx, month, level)
        except CitygridError as exc:
            pack.skipped.append(f"{level}: {exc.message()}")
            continue
        frame = ranking.frame
        if subdistrict is not None:
            frame = frame[frame["code"].isin(problems[keep[level]].dropna())]
        shown = type(ranking)(ranking.month, level, frame.reset_index(drop=True))
        label = level_label(level)
        title = gettext("Ranking of {month}: {level}").format(month=month, level=label)
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
    headers = {column: gettext(msgid) for column, msgid in LEDGER_HEADERS.items()}
    sheets.append(
        (
            gettext("Ledger"),
            gettext("Ledger of open tasks"),
            tasks.drop(columns="geometry").rename(columns=headers),
        )
    )
    return sheets, fell, overdue


def _ledger(ctx: CityContext, subdistrict: str | None) -> gpd.GeoDataFrame:
    """The open tasks of the sub-district, or of every sub-district, by unit, most overdue first."""
    codes = (
        [subdistrict]
        if subdistrict is not None
        else ctx.store.read("jurisdictions", where={"level": "subdistrict"}, columns=["code"])[
            "code"
        ].tolist()
    )
    frames = [ledger(ctx, subdistrict=code).frame for code in codes]
    tasks = pd.concat(frames, ignore_index=True)
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
