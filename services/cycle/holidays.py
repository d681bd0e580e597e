"""The holidays file: days that extend or override the calendar package's.

China publishes each year's statutory holidays and adjusted working days
(调休上班) late in the year before, and ``chinesecalendar`` carries them
only from its next release. The file named by ``CITYGRID_HOLIDAYS``
(:attr:`~citygrid.config.Config.holidays_file`) fills the gap: each row a
day, whether it is a ``holiday`` (no work, even on a weekday) or a
``workday`` (work, even on a weekend), and its name. A day it lists wins
over the package; a year it lists that the package does not know becomes
known (its other days are working days from Monday to Friday), so list
all of that year's holidays and adjusted working days.

Two formats, told apart by the file name's ending:

- ``.csv``: UTF-8 (a BOM is fine) with a header row ``date,kind,name``;
- ``.json``: a list of objects ``{"date": "2027-02-06", "kind": "holiday",
  "name": "春节"}``.

Dates are ``YYYY-MM-DD``. A bad date, a kind other than the two, a date
given twice or a missing column is refused naming the file and the row,
and nothing is used.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from citygrid.errors import BadInput

KINDS = ("holiday", "workday")
"""A listed day is a ``holiday`` (day off) or a ``workday`` (adjusted working day)."""

COLUMNS = ("date", "kind", "name")


@dataclass(frozen=True)
class HolidayDay:
    """One day of the holidays file."""

    day: date
    kind: str
    name: str

    @property
    def working(self) -> bool:
        """Whether work is done that day."""
        return self.kind == "workday"


def load_holidays(path: str | Path) -> tuple[HolidayDay, ...]:
    """The days of the holidays file at ``path``, in date order.

    Read again only when the file changes (its size or modification time).

    Raises
    ------
    BadInput
        The file is missing, neither ``.csv`` nor ``.json``, unreadable, or
        has a bad row (bad date, unknown kind, a date given twice, a missing
        column); the message names the file and the row.
    """
    file = Path(path)
    if not file.is_file():
        raise BadInput(
            "The holidays file {path} (CITYGRID_HOLIDAYS) does not exist; give the path of a "
            "CSV or JSON file of date, kind and name.",
            path=str(path),
        )
    stat = file.stat()
    return _load(str(file.resolve()), stat.st_mtime_ns, stat.st_size)


@cache
def _load(path: str, _mtime_ns: int, _size: int) -> tuple[HolidayDay, ...]:
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise BadInput(
            "The holidays file {path} must end in .csv or .json, not {suffix!r}.",
            path=path,
            suffix=suffix,
        )
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("The holidays file {path} is not UTF-8 text.", path=path) from None
    rows = _csv_rows(path, text) if suffix == ".csv" else _json_rows(path, text)
    return parse_days(path, rows)


def _csv_rows(path: str, text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or ()]
    missing = [c for c in COLUMNS[:2] if c not in header]
    if missing:
        raise BadInput(
            "The holidays file {path} needs a header row with the columns date, kind and name; "
            "it lacks {missing}.",
            path=path,
            missing=", ".join(missing),
        )
    reader.fieldnames = header
    return [(reader.line_num, row) for row in reader]


def _json_rows(path: str, text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadInput(
            "The holidays file {path} is not valid JSON: {error}.", path=path, error=str(exc)
        ) from None
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise BadInput(
            "The holidays file {path} must hold a list of objects, each with a date, a kind "
            "(holiday or workday) and a name.",
            path=path,
        )
    return [(i + 1, row) for i, row in enumerate(data)]


def parse_days(path: str, rows: list[tuple[int, dict[str, Any]]]) -> tuple[HolidayDay, ...]:
    """The days of numbered rows (``(row number, {date, kind, name})``), checked whole.

    Raises
    ------
    BadInput
        The first bad row: a date that is not ``YYYY-MM-DD``, a kind other
        than ``holiday`` and ``workday``, a date already given.
    """
    days: dict[date, HolidayDay] = {}
    first_row: dict[date, int] = {}
    for number, row in rows:
        text = str(row.get("date") or "").strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise BadInput(
                "Row {row} of the holidays file {path}: {value!r} is not a date like 2027-02-06.",
                row=number,
                path=path,
                value=text,
            ) from None
        kind = str(row.get("kind") or "").strip().lower()
        if kind not in KINDS:
            raise BadInput(
                "Row {row} of the holidays file {path}: {value!r} is not a kind of day; use "
                "holiday or workday.",
                row=number,
                path=path,
                value=row.get("kind"),
            )
        if day in days:
            raise BadInput(
                "Row {row} of the holidays file {path} gives {day} again (first at row "
                "{first}); give each date once.",
                row=number,
                path=path,
                day=day.isoformat(),
                first=first_row[day],
            )
        days[day] = HolidayDay(day, kind, str(row.get("name") or "").strip())
        first_row[day] = number
    return tuple(days[d] for d in sorted(days))
