"""Catalogue files read into rows of text: CSV, XLSX or JSON.

The three formats give the same rows (:class:`Row`), which
:mod:`citygrid.services.cycle.catalogue` checks as a whole.

CSV and XLSX
    One table, one row per catalogue entry or per registration condition.
    Columns are named by field name, zh or en label (:func:`file_columns`):
    the entry's ``code``, ``name``, ``level``, ``parent_code``, ``kind``,
    ``major_class``, ``minor_class``, ``weight``, ``negative_list`` (and
    ``rectify_days``, ``urgent_hours``), then a condition's
    ``condition_code``, ``condition``, ``limit_value``, ``limit_unit``,
    ``closure`` and ``deduction``. A leaf with two conditions takes two
    rows with its code; the second may leave the entry's columns empty.
    CSV in UTF-8 (with or without a BOM) or GBK/GB18030, detected from the
    bytes; XLSX's first sheet, merged cells read as their value in every
    cell they cover.
JSON
    Nested entries, section > item > content > standard: a list of
    objects (or ``{"catalogue": [...]}``), each with the entry's fields,
    ``children`` (entries one level down) and, on leaves, ``standards``
    (conditions; their own ``code`` is the condition's code). The parent
    comes from the nesting.

Where a file gives no level, the checker takes it from the entry's depth
below its section.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citygrid.errors import BadInput
from citygrid.gis.formats.encodings import detect_encoding
from citygrid.layers.registry import Field, get_layer

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}
"""File extensions and the format each is read as."""

CONDITION_CODE = "condition_code"
"""The file column holding a condition's own code (the ``code`` of the standards layer)."""


@dataclass(frozen=True)
class Row:
    """One row of a catalogue file: where it is (for messages) and its non-empty values."""

    where: str
    values: dict[str, str]


def file_columns() -> dict[str, Field]:
    """The columns a catalogue file may have, by canonical name, with the field each parses as.

    The catalogue's fields, then the standards' fields but ``catalogue_code``
    (a condition belongs to its row's entry) with ``code`` as ``condition_code``.
    """
    columns = {f.name: f for f in get_layer("catalogue").fields}
    for f in get_layer("standards").fields:
        if f.name != "catalogue_code":
            columns[CONDITION_CODE if f.name == "code" else f.name] = f
    return columns


def condition_columns() -> tuple[str, ...]:
    """The columns of a registration condition (the rest describe the entry)."""
    names = tuple(file_columns())
    return names[names.index(CONDITION_CODE) :]


def expected_columns() -> str:
    """The columns a file may have, each as ``name (zh, en)``, for messages."""
    return "; ".join(f"{name} ({f.zh}, {f.en})" for name, f in file_columns().items())


def _column_names() -> dict[str, str]:
    """Every accepted spelling of a column (lower case) -> its canonical name."""
    names: dict[str, str] = {}
    for name, f in file_columns().items():
        for spelling in (name, f.zh, f.en):
            names[spelling.lower()] = name
    return names


def canonical_columns(header: list[str], where: str) -> list[str]:
    """``header`` as canonical column names.

    Raises
    ------
    BadInput
        A column is not a catalogue or standards column (the message lists
        the expected ones in zh and en), or two columns mean the same field.
    """
    names = _column_names()
    unknown = [h for h in header if h.strip().lower() not in names]
    if unknown:
        raise BadInput(
            "{where} has columns citygrid does not know: {unknown}. A catalogue file has "
            "these columns (name, zh or en label): {expected}.",
            where=where,
            unknown=", ".join(unknown[:10]),
            expected=expected_columns(),
        )
    canonical = [names[h.strip().lower()] for h in header]
    repeated = sorted({c for c in canonical if canonical.count(c) > 1})
    if repeated:
        raise BadInput(
            "{where} has the column {column} twice (by name or label); keep one.",
            where=where,
            column=repeated[0],
        )
    return canonical


def read_rows(path: Path) -> list[Row]:
    """The rows of a catalogue file (CSV, XLSX or JSON, by extension).

    Raises
    ------
    BadInput
        The file is missing, of another format, unreadable, or has columns
        (keys) that are not catalogue or standards fields.
    """
    if not path.is_file():
        raise BadInput("The file {path} does not exist; check the path.", path=str(path))
    format_ = FORMATS.get(path.suffix.lower())
    if format_ is None:
        raise BadInput(
            "{path} is not a catalogue file citygrid reads; give a .csv, .xlsx or .json file.",
            path=str(path),
        )
    if format_ == "xlsx":
        return _table_rows(path, xlsx_cells(path))
    text = file_text(path)
    if format_ == "csv":
        return _table_rows(path, list(csv.reader(io.StringIO(text))))
    return _json_rows(path, text)


def _unreadable(path: Path, kind: str, reason: object) -> BadInput:
    return BadInput(
        "{path} cannot be read as {kind} ({reason}); save it again as {kind}.",
        path=str(path),
        kind=kind,
        reason=str(reason).strip().splitlines()[0] if str(reason).strip() else "empty",
    )


def file_text(path: Path) -> str:
    """The file's text, UTF-8 (a BOM dropped) or GBK/GB18030 as the bytes say."""
    data = path.read_bytes()
    if b"\x00" in data:
        raise _unreadable(path, path.suffix.lstrip(".").upper(), "binary data")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    encoding = detect_encoding(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _unreadable(path, path.suffix.lstrip(".").upper(), exc) from None


def xlsx_cells(path: Path) -> list[list[str]]:
    """The first sheet's cells as text; a merged range's value fills every cell of it."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _unreadable(path, "XLSX", exc) from None
    sheet = workbook.worksheets[0]
    cells = [[_text_of(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        value = cells[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row - 1, merged.max_row):
            for c in range(merged.min_col - 1, merged.max_col):
                cells[r][c] = value
    workbook.close()
    return cells


def _text_of(value: Any) -> str:
    """A cell's or a JSON value's text: whole floats without ``.0``, booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def split_table(cells: list[list[str]]) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """The header and the numbered body lines of a CSV's or a sheet's cells, or ``None``
    when every line is empty.

    The first non-empty line is the header (a BOM and trailing empty names
    dropped); empty lines are skipped; values are stripped; lines are
    numbered from 1 as in the file.
    """
    lines = [(n, [c.strip() for c in line]) for n, line in enumerate(cells, start=1)]
    lines = [(n, line) for n, line in lines if any(line)]
    if not lines:
        return None
    (_, header), *body = lines
    header = [h.lstrip("\ufeff") for h in header]
    while header and not header[-1]:
        header.pop()
    return header, body


def _table_rows(path: Path, cells: list[list[str]]) -> list[Row]:
    """Rows of a CSV's or a sheet's cells: the first non-empty row is the header."""
    table = split_table(cells)
    if table is None:
        raise BadInput(
            "{path} is empty; a catalogue needs a header row and one row per entry or "
            "condition. Its columns: {expected}.",
            path=str(path),
            expected=expected_columns(),
        )
    header, body = table
    columns = canonical_columns(header, str(path))
    rows = []
    for n, line in body:
        extra = [v for v in line[len(columns) :] if v]
        if extra:
            raise BadInput(
                "{where} has more values than the header has columns; fix the row or the header.",
                where=f"{path} row {n}",
            )
        values = {c: v for c, v in zip(columns, line, strict=False) if v}
        rows.append(Row(f"{path} row {n}", values))
    return rows


def _json_rows(path: Path, text: str) -> list[Row]:
    """Rows of a nested JSON catalogue: one per entry, one per condition."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _unreadable(path, "JSON", exc) from None
    if isinstance(data, dict) and set(data) == {"catalogue"}:
        data = data["catalogue"]
    rows: list[Row] = []
    _json_entries(data, str(path), None, rows)
    return rows


def _json_entries(nodes: Any, where: str, parent: str | None, rows: list[Row]) -> None:
    if not isinstance(nodes, list):
        raise BadInput(
            "{where}: expected a list of entries, each an object with code, name, children "
            "and standards.",
            where=where,
        )
    for k, node in enumerate(nodes):
        here = f"{where}[{k}]"
        values = _json_values(node, here, ("children", "standards"))
        code = values.get("code", "")
        here = f"{where} > {code}" if code else here
        if parent is not None and values.setdefault("parent_code", parent) != parent:
            raise BadInput(
                "{where}: parent_code {given} differs from the entry it is nested in "
                "({parent}); leave parent_code out of nested entries.",
                where=here,
                given=values["parent_code"],
                parent=parent,
            )
        rows.append(Row(here, values))
        for j, standard in enumerate(node.get("standards") or []):
            at = f"{here} standards[{j}]"
            conditions = _json_values(standard, at, (), CONDITION_CODE)
            entry_keys = sorted(set(conditions) - set(condition_columns()))
            if entry_keys:
                raise BadInput(
                    "{where}: {keys} describe a catalogue entry, not a condition; a standard "
                    "has: code, {columns}.",
                    where=at,
                    keys=", ".join(entry_keys),
                    columns=", ".join(condition_columns()[1:]),
                )
            rows.append(Row(at, {"code": code, **conditions}))
        if node.get("children"):
            _json_entries(node["children"], here, code, rows)


def _json_values(
    node: Any, where: str, nested: tuple[str, ...], code_as: str = "code"
) -> dict[str, str]:
    """A JSON object's fields as canonical columns and text (``code`` read as ``code_as``)."""
    if not isinstance(node, dict):
        raise BadInput(
            "{where}: expected an object with the entry's fields, not {value!r}.",
            where=where,
            value=str(node)[:60],
        )
    keys = [k for k in node if k not in nested]
    columns = canonical_columns(keys, where)
    columns = [code_as if c == "code" else c for c in columns]
    return {c: _text_of(node[k]) for c, k in zip(columns, keys, strict=True) if _text_of(node[k])}
