"""An inspection round from a CSV or XLSX file: one row per place checked or problem found.

Columns, named in English or Chinese (:data:`COLUMNS`): ``place`` (地点编码,
required: the code of a point, street or alley), ``item`` (测评条目: the
catalogue item of a problem found there), ``description`` (问题描述),
``lon`` and ``lat`` (经度, 纬度: where the problem is, EPSG:4326; both or
neither) and ``notes`` (备注). A row without an item says the place was
found clean; a place with several problems takes one row per problem.
CSV in UTF-8 (with or without a BOM) or GBK/GB18030, detected from the
bytes; XLSX's first sheet. The readers are the catalogue files'
(:mod:`citygrid.services.cycle.catalogue_files`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from citygrid.errors import BadInput
from citygrid.services.cycle.catalogue_files import file_text, split_table, xlsx_cells
from citygrid.services.cycle.inspections import Check, Finding

COLUMNS = {
    "place": ("地点编码", "地点", "编码", "code"),
    "item": ("测评条目", "问题条目", "catalogue_code"),
    "description": ("问题描述", "描述"),
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    "notes": ("备注", "note"),
}
"""Each column's name and the other spellings accepted (case aside)."""

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
"""File extensions and the format each is read as."""


def read_round(path: str | Path) -> list[Check]:
    """The places checked in the round file ``path``, in the order they first appear.

    Raises
    ------
    BadInput
        The file is missing, not CSV or XLSX, unreadable, has no ``place``
        column or columns that are not round columns, no rows, a row
        without a place, or a longitude without a latitude (or the reverse).
    """
    path = Path(path)
    if not path.is_file():
        raise BadInput("The file {path} does not exist; check the path.", path=str(path))
    format_ = FORMATS.get(path.suffix.lower())
    if format_ is None:
        raise BadInput(
            "{path} is not an inspection round file; give a .csv or .xlsx file with the "
            "columns {columns}.",
            path=str(path),
            columns=expected_columns(),
        )
    if format_ == "xlsx":
        cells = xlsx_cells(path)
    else:
        cells = list(csv.reader(io.StringIO(file_text(path))))
    table = split_table(cells)
    if table is None:
        raise BadInput(
            "{path} is empty; a round file needs a header row and one row per place checked "
            "(columns {columns}).",
            path=str(path),
            columns=expected_columns(),
        )
    header, body = table
    columns = _columns(header, str(path))
    checks: dict[str, list[Finding]] = {}
    notes: dict[str, str] = {}
    for n, line in body:
        row = dict(zip(columns, line, strict=False))
        where = f"{path} row {n}"
        place = row.get("place", "")
        if not place:
            raise BadInput(
                "{where} has no place; give the code of the point, street or alley checked.",
                where=where,
            )
        found = checks.setdefault(place, [])
        if row.get("notes"):
            notes[place] = row["notes"]
        if row.get("item"):
            found.append(_finding(row, where))
        elif row.get("description") or row.get("lon") or row.get("lat"):
            raise BadInput(
                "{where} describes a problem but names no catalogue item; give the item "
                "(column item, 测评条目) or leave the row's problem columns empty for a "
                "place found clean.",
                where=where,
            )
    return [Check(place, tuple(found), notes.get(place)) for place, found in checks.items()]


def expected_columns() -> str:
    """The round file's columns with their Chinese names, for messages."""
    return ", ".join(f"{name} ({spellings[0]})" for name, spellings in COLUMNS.items())


def _columns(header: list[str], where: str) -> list[str]:
    """``header`` as column names; refused when ``place`` is missing or a column is unknown."""
    names = {s.lower(): name for name, spellings in COLUMNS.items() for s in (name, *spellings)}
    unknown = [h for h in header if h.lower() not in names]
    if unknown:
        raise BadInput(
            "{where} has columns that are not round columns: {unknown}. A round file has the "
            "columns {columns}.",
            where=where,
            unknown=", ".join(unknown[:10]),
            columns=expected_columns(),
        )
    columns = [names[h.lower()] for h in header]
    if "place" not in columns:
        raise BadInput(
            "{where} has no place column (place, 地点编码); a round file has the columns "
            "{columns}.",
            where=where,
            columns=expected_columns(),
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise BadInput(
            "{where} has the column {column} twice (by name or label); keep one.",
            where=where,
            column=repeated[0],
        )
    return columns


def _finding(row: dict[str, str], where: str) -> Finding:
    """The problem of one row; the location both or neither of ``lon`` and ``lat``."""
    lon, lat = row.get("lon") or None, row.get("lat") or None
    if (lon is None) != (lat is None):
        raise BadInput(
            "{where} gives only one of lon and lat; give both for the problem's place, or "
            "neither to report it at the place checked.",
            where=where,
        )
    return Finding(row["item"], row.get("description") or None, lon, lat)
