"""Writing tables for people to ``.xlsx`` (formatted for printing) or ``.csv`` (UTF-8, BOM).

Both go through :mod:`citygrid.services.cycle.report_files`, so through
the staged writer: an existing file is replaced only with ``overwrite``,
a failure leaves it as it was, and CSV text that Excel would run as a
formula is quoted.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path

from citygrid.errors import BadInput
from citygrid.gis.formats.staging import check_target
from citygrid.services.cycle.report_files import write_report, write_workbook
from citygrid.services.tables.model import Table

TABLE_FORMATS = (".xlsx", ".csv")
"""Endings a table file may have."""


def check_table_file(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    protected: Collection[str | os.PathLike[str]] = (),
) -> Path:
    """Refuse at once a table file that could not be written; return it made absolute.

    Raises
    ------
    BadInput
        An ending other than ``.xlsx`` or ``.csv``, a folder, a missing folder,
        the store's own database.
    Conflict
        The file exists and ``overwrite`` is not given.
    """
    if Path(path).suffix.lower() not in TABLE_FORMATS:
        raise BadInput(
            "{path} does not end in {known}: a table is written as XLSX or CSV.",
            path=str(path),
            known=", ".join(TABLE_FORMATS),
        )
    return check_target(path, overwrite=overwrite, protected=protected)


def write_tables(
    tables: Sequence[Table],
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    protected: Collection[str | os.PathLike[str]] = (),
) -> Path:
    """Write ``tables`` to ``path``; return the file.

    An ``.xlsx`` gets a sheet per table (title row, bold frozen header,
    fitted widths, landscape A4 fitted to the width); a ``.csv`` holds the
    first table only, every row and column of it.

    Raises
    ------
    BadInput, Conflict
        As for :func:`check_table_file`; also when there is no table.
    """
    check_table_file(path, overwrite=overwrite, protected=protected)
    if not tables:
        raise BadInput("There is no table to write to {path}; nothing was written.", path=str(path))
    if Path(path).suffix.lower() == ".xlsx":
        sheets = [(t.title, t.title, t.labelled()) for t in tables]
        return write_workbook(sheets, path, overwrite=overwrite, protected=protected)
    first = tables[0]
    headers = {c.key: c.label for c in first.columns}
    return write_report(
        first.frame,
        path,
        title=first.title,
        headers=headers,
        overwrite=overwrite,
        protected=protected,
    )
