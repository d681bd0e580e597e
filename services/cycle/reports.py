"""The cycle's reports as people read them: labelled tables, and files to hand on.

:func:`ranking_table`, :func:`performance_table` and the ledger's own
frame carry names, labels in the user's language and rates in percent;
:func:`write_ranking` and :func:`write_ledger` write them through
:func:`~citygrid.services.cycle.report_files.write_report` (XLSX, CSV or
GeoPackage), never over the store's own database.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from citygrid.errors import BadInput
from citygrid.gis.formats.staging import check_target
from citygrid.i18n import gettext
from citygrid.layers.exporting import database_files
from citygrid.layers.ranking_layers import RANKING_LEVELS
from citygrid.services.context import CityContext
from citygrid.services.cycle.ledger import Ledger
from citygrid.services.cycle.performance import Performance
from citygrid.services.cycle.ranking import Ranking
from citygrid.services.cycle.report_files import report_format, write_report

RANKING_HEADERS = {
    "rank": "Rank",
    "code": "Code",
    "name": "Name",
    "score": "Score",
    "problems": "Problems found",
    "deductions": "Deductions",
    "recurrences": "Recurrences",
    "overdue": "Overdue problems",
    "rework": "Problems sent back",
    "previous_rank": "Rank last month",
    "rank_change": "Rank change",
    "score_change": "Score change",
    "failed": "Failed the standard",
}
"""A ranking's columns and their message ids."""

PERFORMANCE_HEADERS = {
    "code": "Code",
    "name": "Name",
    "due": "Due in the period",
    "closed_on_time": "Closed on time",
    "on_time_closure_rate": "On-time closure rate",
    "closed": "Closed in the period",
    "reworked": "Reworked",
    "rework_rate": "Rework rate",
    "registered": "Registered in the period",
    "registered_on_time": "Registered on time",
    "on_time_registration_rate": "On-time registration rate",
}
"""The performance figures' columns and their message ids."""


_COUNTS = ("due", "closed_on_time", "closed", "reworked", "registered", "registered_on_time")


def level_label(level: str) -> str:
    """A ranking level in the user's language (点位, 街道...)."""
    return next(c.label() for c in RANKING_LEVELS if c.value == level)


def ranking_title(ranking: Ranking) -> str:
    """The ranking's title, saying when it was published if it was."""
    title = gettext("Monthly ranking of {level}, {month}").format(
        level=level_label(ranking.level), month=str(ranking.month)
    )
    if ranking.published_at is None:
        return title + gettext(" (not published; computed now)")
    return title + gettext(" (published {at})").format(
        at=ranking.published_at.strftime("%Y-%m-%d %H:%M")
    )


def ranking_table(
    ranking: Ranking, columns: Sequence[str] = tuple(RANKING_HEADERS)
) -> pd.DataFrame:
    """The ranking's ``columns`` headed in the user's language, "yes" where it failed."""
    frame = ranking.frame.copy()
    frame["failed"] = np.where(frame["failed"].fillna(False).astype(bool), gettext("yes"), "")
    return frame[list(columns)].rename(columns={c: gettext(RANKING_HEADERS[c]) for c in columns})


def performance_table(figures: Performance) -> pd.DataFrame:
    """The figures with headers in the user's language, rates in percent, and a total row."""
    total = figures.total.to_frame().T.assign(code="", name=gettext("Whole city"))
    frame = pd.concat([figures.frame, total[figures.frame.columns]], ignore_index=True)
    for column in ("on_time_closure_rate", "rework_rate", "on_time_registration_rate"):
        rate = pd.to_numeric(frame[column], errors="coerce")
        frame[column] = [("" if pd.isna(v) else f"{100 * v:.1f}%") for v in rate]
    for column in _COUNTS:
        frame[column] = frame[column].astype(np.int64)
    return frame[list(PERFORMANCE_HEADERS)].rename(
        columns={c: gettext(m) for c, m in PERFORMANCE_HEADERS.items()}
    )


def check_report_file(
    ctx: CityContext, path: str | os.PathLike[str], *, overwrite: bool = False
) -> None:
    """Refuse at once a report file that could not be written, before any work is done.

    Raises
    ------
    BadInput
        An unknown ending, a folder, a missing folder, the store's own database.
    Conflict
        The file exists and ``overwrite`` is not given.
    """
    report_format(path)
    check_target(path, overwrite=overwrite, protected=database_files(ctx.store))


def write_ranking(
    ctx: CityContext, ranking: Ranking, path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write the ranking to an XLSX, CSV or GeoPackage file (a table); return the file.

    Raises
    ------
    BadInput, Conflict
        An unknown ending, the store's database, an existing file without
        ``overwrite`` (see :func:`~citygrid.services.cycle.report_files.write_report`).
    """
    table = ranking_table(ranking)
    return write_report(
        table,
        path,
        title=ranking_title(ranking),
        headers={c: c for c in table.columns},
        overwrite=overwrite,
        protected=database_files(ctx.store),
    )


def write_ledger(
    ctx: CityContext, ledger: Ledger, path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write the ledger to an XLSX, CSV or GeoPackage file; return the file.

    Raises
    ------
    BadInput
        The ledger has no open task (no file is written), or as for
        :func:`write_ranking`.
    Conflict
        An existing file without ``overwrite``.
    """
    report_format(path)
    if ledger.frame.empty:
        raise BadInput(
            "{name} ({code}) has no open task, so there is no ledger to write; nothing was "
            "written.",
            name=ledger.name,
            code=ledger.code,
        )
    return write_report(
        ledger.frame,
        path,
        title=ledger.title,
        headers=ledger.headers(),
        overwrite=overwrite,
        protected=database_files(ctx.store),
    )
