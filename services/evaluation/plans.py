"""Sampling plans: how an evaluation visits places.

A plan lists, per point type, how many places are visited and how they are
drawn:

- ``random``: uniformly among the places of that type;
- ``stratified``: the count shared among sub-districts in proportion to
  their places of that type (largest remainders), then random within each;
- ``weighted``: with probability proportional to a numeric field of the
  points (``weight_field``, e.g. a footfall count).

and which catalogue items are checked there (codes; an item covers the items
below it; none listed: every item). A plan also says the score a visited
place starts from (``base``, default 100) and the chance that an evaluator
sees a problem that is there (``detection``, default 0.9).

Files: CSV or XLSX with columns ``point_type, count, draw, weight_field,
items`` (items separated by ``|`` or ``、``), or JSON
``{"name": ..., "base": 100, "detection": 0.9, "types": [{"point_type":
"market", "count": 5, "draw": "random", "items": ["S1.1"]}]}``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citygrid.errors import BadInput
from citygrid.layers.base_layers import POINT_TYPES
from citygrid.services.cycle.catalogue_files import file_text, split_table, xlsx_cells

DRAWS = ("random", "stratified", "weighted")
BUILTIN_PLANS = {"national": Path(__file__).with_name("national_plan.csv")}
"""Plans shipped with citygrid, by name: ``national`` visits every point type the
national civilised-city evaluation (全国文明城市测评) visits, in counts like its own."""
COLUMNS = ("point_type", "count", "draw", "weight_field", "items")


@dataclass(frozen=True)
class PlanType:
    """One point type of a plan: how many places, drawn how, checked for which items."""

    point_type: str
    count: int
    draw: str = "random"
    weight_field: str | None = None
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """A sampling plan (see the module's docstring)."""

    name: str
    types: tuple[PlanType, ...]
    base: float = 100.0
    detection: float = 0.9

    @property
    def places(self) -> int:
        """How many places one evaluation visits."""
        return sum(t.count for t in self.types)


def read_plan(path: str | Path) -> Plan:
    """Read a plan from a CSV, XLSX or JSON file (or a :data:`BUILTIN_PLANS` name), checked.

    Raises
    ------
    BadInput
        A missing file, another format, a point type citygrid does not know,
        a count that is not a whole number above 0, a draw that does not
        exist, a weighted draw without its field, a type listed twice.
    """
    source = BUILTIN_PLANS.get(str(path), Path(path))
    if not source.is_file():
        raise BadInput("The file {path} does not exist; check the path.", path=str(path))
    suffix = source.suffix.lower()
    if suffix == ".json":
        return _json_plan(source)
    if suffix == ".xlsx":
        rows = xlsx_cells(source)
    elif suffix == ".csv":
        rows = list(csv.reader(io.StringIO(file_text(source))))
    else:
        raise BadInput(
            "{path} is not a plan file citygrid reads; give a .csv, .xlsx or .json file.",
            path=str(path),
        )
    return Plan(source.stem, _types(source, _records(source, rows)))


def _records(path: Path, rows: list[list[str]]) -> list[tuple[str, dict[str, str]]]:
    table = split_table(rows)
    if table is None:
        raise BadInput(
            "{path} is empty; a plan needs a header ({columns}) and a row per point type.",
            path=str(path),
            columns=", ".join(COLUMNS),
        )
    header, body = table
    header = [h.lower() for h in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown or "point_type" not in header or "count" not in header:
        raise BadInput(
            "{path} has the columns {found}; a plan's columns are {columns} (point_type and "
            "count required).",
            path=str(path),
            found=", ".join(header),
            columns=", ".join(COLUMNS),
        )
    return [
        (f"{path} row {n}", {h: v for h, v in zip(header, line, strict=False) if h and v})
        for n, line in body
    ]


def _json_plan(path: Path) -> Plan:
    try:
        data = json.loads(file_text(path))
    except json.JSONDecodeError as exc:
        raise BadInput(
            "{path} is not valid JSON ({reason}); fix it or save the plan as CSV.",
            path=str(path),
            reason=str(exc),
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("types"), list):
        raise BadInput(
            '{path} must hold an object with a "types" list, one entry per point type.',
            path=str(path),
        )
    records = []
    for n, entry in enumerate(data["types"], 1):
        if not isinstance(entry, dict):
            raise BadInput("{where} must be an object.", where=f"{path} types[{n}]")
        values = {k: _json_text(v) for k, v in entry.items() if v not in (None, "", [])}
        records.append((f"{path} types[{n}]", values))
    return Plan(
        str(data.get("name") or path.stem),
        _types(path, records),
        base=_number(data.get("base", 100.0), "base", str(path), 1.0, 1000.0),
        detection=_number(data.get("detection", 0.9), "detection", str(path), 0.0, 1.0),
    )


def _json_text(value: Any) -> str:
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def _types(path: Path, records: list[tuple[str, dict[str, str]]]) -> tuple[PlanType, ...]:
    known = {c.value: c for c in POINT_TYPES}
    by_label = {c.label("zh_CN"): c.value for c in POINT_TYPES}
    types: dict[str, PlanType] = {}
    for where, values in records:
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise BadInput(
                "{where} has {keys}; a plan's keys are {columns}.",
                where=where,
                keys=", ".join(sorted(unknown)),
                columns=", ".join(COLUMNS),
            )
        text = values.get("point_type", "")
        point_type = by_label.get(text, text)
        if point_type not in known:
            raise BadInput(
                "{where}: there is no point type {value!r}; use one of {types}.",
                where=where,
                value=text,
                types=", ".join(f"{c.value} ({c.label('zh_CN')})" for c in POINT_TYPES),
            )
        if point_type in types:
            raise BadInput(
                "{where}: point type {value} is listed twice; give each type one row.",
                where=where,
                value=point_type,
            )
        draw = values.get("draw", "random").lower()
        if draw not in DRAWS:
            raise BadInput(
                "{where}: there is no draw {value!r}; use random, stratified or weighted.",
                where=where,
                value=draw,
            )
        weight_field = values.get("weight_field")
        if draw == "weighted" and not weight_field:
            raise BadInput(
                "{where}: a weighted draw needs weight_field, the points' field to weigh by.",
                where=where,
            )
        items = tuple(i for i in re.split(r"[|、,，\s]+", values.get("items", "")) if i)
        types[point_type] = PlanType(
            point_type, _count(values.get("count", ""), where), draw, weight_field, items
        )
    if not types:
        raise BadInput("{path} lists no point type; add a row per type visited.", path=str(path))
    return tuple(types.values())


def _count(text: str, where: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1 or str(count) != text.strip():
        raise BadInput(
            "{where}: count must be a whole number of places above 0, not {value!r}.",
            where=where,
            value=text,
        )
    return count


def _number(value: Any, name: str, where: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not low <= number <= high:
        raise BadInput(
            "{where}: {name} must be a number from {low} to {high}, not {value!r}.",
            where=where,
            name=name,
            low=low,
            high=high,
            value=value,
        )
    return number
