"""Writing a report (a ledger, a ranking) to XLSX, CSV or GeoPackage, safely.

Every format goes through the staged writing of
:mod:`citygrid.gis.formats.staging`: the file is written beside its
target and renamed into place only when complete, so a failure leaves an
existing file as it was; an existing file is replaced only with
``overwrite``, and the store's own database never is.

- **XLSX** (openpyxl, write-only so large tables stream), formatted for
  printing: a title row, the bold header row frozen and repeated on every
  printed page, column widths fitted to the text (CJK characters count
  double), dates as real dates, gridlines printed, landscape A4 fitted to
  the page width;
- **CSV**: UTF-8 with a BOM, so Excel reads the Chinese, dates as
  ``YYYY-MM-DDTHH:MM:SS``, points as ``lon``/``lat``
  (:func:`citygrid.gis.formats.csvfiles.write_csv`);
- **GeoPackage** through pyogrio, with the points when the report has them.

Columns are headed by the labels given (in the user's language).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from citygrid.errors import BadInput
from citygrid.gis.formats.catalog import detect_format
from citygrid.gis.formats.staging import staged_file
from citygrid.gis.formats.writing import write_frame

REPORT_FORMATS = {".xlsx": "xlsx", ".csv": "csv", ".gpkg": "gpkg"}
"""File name endings of the report formats, and their names."""

_DATE_FORMAT = "yyyy-mm-dd hh:mm"
_MAX_WIDTH = 60


def report_format(path: str | os.PathLike[str]) -> str:
    """The report format of ``path`` from its ending (``xlsx``, ``csv`` or ``gpkg``).

    Raises
    ------
    BadInput
        Any other ending.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in REPORT_FORMATS:
        raise BadInput(
            "{path} does not end in {known}: a report is written as XLSX, CSV or GeoPackage.",
            path=str(path),
            known=", ".join(REPORT_FORMATS),
        )
    return REPORT_FORMATS[suffix]


def write_report(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    title: str,
    headers: Mapping[str, str],
    overwrite: bool = False,
    protected: Collection[str | os.PathLike[str]] = (),
) -> Path:
    """Write ``frame`` (its ``headers`` columns, so labelled) to ``path``; return the file.

    Parameters
    ----------
    frame
        The rows; a GeoDataFrame's points go to the GeoPackage and the CSV.
    path
        The file; its ending gives the format (:func:`report_format`).
    title
        The XLSX's title row, and the GeoPackage layer's description.
    headers
        Column -> its label, in the order to write.
    overwrite
        Replace an existing file.
    protected
        Files never to write (the store's own database).

    Raises
    ------
    BadInput
        An unknown ending, a folder, a missing folder, a protected file.
    Conflict
        The file exists and ``overwrite`` is not given.
    """
    fmt = report_format(path)
    table = pd.DataFrame(frame[list(headers)]).rename(columns=dict(headers))
    if fmt == "xlsx":
        with staged_file(path, overwrite=overwrite, protected=protected) as staged:
            _write_xlsx(table, staged.path, title)
        return staged.target
    if isinstance(frame, gpd.GeoDataFrame):
        table = gpd.GeoDataFrame(table, geometry=frame.geometry.to_numpy(), crs=frame.crs)
    layer = Path(path).stem
    written = write_frame(
        table,
        path,
        fmt=detect_format(path).name,
        layer=layer,
        overwrite=overwrite,
        protected=protected,
    )
    return written[0]


def write_workbook(
    sheets: Sequence[tuple[str, str, pd.DataFrame]],
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    protected: Collection[str | os.PathLike[str]] = (),
) -> Path:
    """Write several tables to one XLSX, a sheet each, formatted as :func:`write_report` does.

    ``sheets`` holds ``(sheet name, title, table)``; a table's columns are
    its headers already. Returns the file.
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, title, table in sheets:
        _fill_sheet(book.create_sheet(_sheet_name(name)), table, title)
    with staged_file(path, overwrite=overwrite, protected=protected) as staged:
        book.save(staged.path)
    return staged.target


def _sheet_name(name: str) -> str:
    """A name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    return "".join("_" if c in "[]:*?/\\" else c for c in name)[:31] or "Sheet"


def _write_xlsx(table: pd.DataFrame, path: Path, title: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    _fill_sheet(book.create_sheet("Sheet1"), table, title)
    book.save(path)


def _fill_sheet(sheet: Any, table: pd.DataFrame, title: str) -> None:
    """A title row, a frozen bold header repeated on every page, fitted widths, landscape A4.

    The sheet is write-only (rows streamed, a style object per column, not
    per cell), so a ranking of 50,000 points takes seconds; the body's grid
    is printed as gridlines rather than a border on every cell.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    columns = list(table.columns)
    dates = [pd.api.types.is_datetime64_any_dtype(table[c]) for c in columns]
    for j, name in enumerate(columns, start=1):
        texts = [str(name)] + [_text(v) for v in table[name].head(2000)]
        fitted = max(_display_width(t) for t in texts) + 2
        sheet.column_dimensions[get_column_letter(j)].width = min(
            _MAX_WIDTH, max(8, 17 if dates[j - 1] else fitted)
        )
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.print_options.gridLines = True
    heading = WriteOnlyCell(sheet, value=title)
    heading.font = Font(bold=True, size=14)
    sheet.append([heading])
    thin = Side(style="thin", color="999999")
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        header.append(cell)
    sheet.append(header)
    for row in table.itertuples(index=False):
        sheet.append([_date(sheet, v) if d else _cell(v) for v, d in zip(row, dates, strict=True)])


def _date(sheet: Any, value: Any) -> Any:
    """A date cell shown as ``yyyy-mm-dd hh:mm`` (nothing for a missing one)."""
    from openpyxl.cell import WriteOnlyCell

    value = _cell(value)
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = _DATE_FORMAT
    return cell


def _cell(value: Any) -> Any:
    """A value openpyxl writes: real datetimes, plain numbers, nothing for missing."""
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, datetime)):
        return value.item()
    return value


def _text(value: Any) -> str:
    value = _cell(value)
    return "" if value is None else str(value)


def _display_width(text: str) -> int:
    """Columns the text takes in a spreadsheet: wide (CJK) characters count 2."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
