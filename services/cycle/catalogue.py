"""A city's evaluation catalogue with its registration and closure standards (立结案标准).

:func:`load_catalogue` reads a file (:mod:`.catalogue_files`: CSV, XLSX or
JSON), checks it whole and writes the ``catalogue`` and ``standards``
layers in one transaction; any fault refuses the file with a message
naming the row and nothing is written. The rules:

- every entry has a code, a name and a level (from the nesting or the
  depth below its section when the file gives none); a code names one
  entry: rows repeating it may only add conditions or repeat its values;
- a parent is an entry of the file, and following parents never comes
  back to an entry (no cycle);
- a condition has its text and a time limit: a number above 0 and its
  unit (urgent hours, working hours or working days), never one without
  the other; it belongs to an entry of the file that is a leaf;
- every leaf has at least one condition. A leaf without one is refused,
  not warned about: every leaf can be reported as a problem, and a problem
  needs a deadline (:mod:`.deadlines`), so a catalogue missing one would
  fail later, at intake, far from the file that could fix it;
- condition codes are unique; a condition without one is numbered after
  its entry (``A010101-1``, ``A010101-2``...).

:func:`catalogue_entries` and :func:`catalogue_entry` read it back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.layers.base_layers import CATALOGUE_LEVELS
from citygrid.layers.registry import get_layer
from citygrid.services.context import CityContext
from citygrid.services.cycle.catalogue_files import (
    CONDITION_CODE,
    Row,
    condition_columns,
    file_columns,
    read_rows,
)

_LEVELS = tuple(c.value for c in CATALOGUE_LEVELS)
_SHOWN = 10


@dataclass(frozen=True)
class Catalogue:
    """A checked catalogue, as the rows of its two layers.

    Attributes
    ----------
    entries
        Rows of the ``catalogue`` layer, in file order.
    standards
        Rows of the ``standards`` layer, in file order.
    """

    entries: pd.DataFrame
    standards: pd.DataFrame


def read_catalogue_file(path: Path) -> Catalogue:
    """Read and check a catalogue file (see the module's rules); nothing is written.

    Raises
    ------
    BadInput
        The file is unreadable, has unknown columns, or breaks a rule; the
        message names the row and what to do.
    """
    rows = read_rows(path)
    entries: dict[str, dict[str, object]] = {}
    first_row: dict[str, str] = {}
    conditions: list[tuple[Row, dict[str, object]]] = []
    condition_names = set(condition_columns())
    for row in rows:
        code = row.values.get("code")
        if not code:
            raise BadInput(
                "{where} has no code; every row names its catalogue entry by code.",
                where=row.where,
            )
        entry = {k: _parse(k, v, row) for k, v in row.values.items() if k not in condition_names}
        if len(entry) > 1:
            _merge(entries.setdefault(code, {}), entry, row, first_row.setdefault(code, row.where))
        if condition_names & set(row.values):
            conditions.append((row, _condition(row)))
        elif len(entry) == 1:
            raise BadInput(
                "{where} gives only the code {code}; add the entry's name and level, or a "
                "condition.",
                where=row.where,
                code=code,
            )
    if not entries:
        raise BadInput(
            "{path} holds no catalogue entries; give one row per entry and condition.",
            path=str(path),
        )
    _check_entries(entries, first_row)
    standards = _standards(entries, conditions)
    return Catalogue(_frame("catalogue", list(entries.values())), _frame("standards", standards))


def _parse(column: str, text: str, row: Row) -> object:
    try:
        return file_columns()[column].parse(text)
    except BadInput as exc:
        raise BadInput("{where}: {problem}", where=row.where, problem=exc.message()) from None


def _merge(entry: dict[str, object], values: dict[str, object], row: Row, first: str) -> None:
    """Add a row's entry values, refusing a value that differs from an earlier row's."""
    for key, value in values.items():
        if entry.setdefault(key, value) != value:
            raise BadInput(
                "The code {code} is used twice: {first} gives it {field} {before!r}, {where} "
                "gives {after!r}. A code names one entry; repeat it only to add conditions.",
                code=values["code"],
                first=first,
                where=row.where,
                field=key,
                before=entry[key],
                after=value,
            )


def _condition(row: Row) -> dict[str, object]:
    """A row's condition, checked: its text and a whole time limit (value and unit)."""
    values = row.values
    code = values["code"]
    if "condition" not in values:
        raise BadInput(
            "{where}: a condition of {code} needs its text (condition, 立案条件).",
            where=row.where,
            code=code,
        )
    value, unit = values.get("limit_value"), values.get("limit_unit")
    if value and not unit:
        raise BadInput(
            "{where}: the time limit {value} of {code} has no unit; give limit_unit "
            "(时限单位): urgent_hours (紧急小时), working_hours (工作时) or working_days (工作日).",
            where=row.where,
            value=value,
            code=code,
        )
    if not value:
        raise BadInput(
            "{where}: the condition of {code} has no time limit; give limit_value (处置时限), "
            "a number above 0, with its limit_unit (时限单位).",
            where=row.where,
            code=code,
        )
    condition = {k: _parse(k, v, row) for k, v in values.items() if k in condition_columns()}
    if not condition["limit_value"] > 0:  # type: ignore[operator]
        raise BadInput(
            "{where}: the time limit of {code} must be above 0, not {value}.",
            where=row.where,
            code=code,
            value=value,
        )
    return {"catalogue_code": code, **condition}


def _check_entries(entries: dict[str, dict[str, object]], first_row: dict[str, str]) -> None:
    """Names, parents in the file, no cycle, and levels (given, or by depth)."""
    for code, entry in entries.items():
        if "name" not in entry:
            raise BadInput(
                "{where}: the entry {code} has no name (name, 条目名称).",
                where=first_row[code],
                code=code,
            )
        parent = entry.get("parent_code")
        if parent is not None and parent not in entries:
            raise BadInput(
                "{where}: the parent {parent} of {code} is not in the catalogue; add it or "
                "correct parent_code.",
                where=first_row[code],
                parent=parent,
                code=code,
            )
    for code, entry in entries.items():
        chain = _ancestors(code, entries)
        if "level" not in entry:
            if len(chain) >= len(_LEVELS):
                raise BadInput(
                    "{where}: {code} lies {depth} levels deep, deeper than section > item > "
                    "content > standard; give each entry its level.",
                    where=first_row[code],
                    code=code,
                    depth=len(chain) + 1,
                )
            entry["level"] = _LEVELS[len(chain)]


def _ancestors(code: str, entries: dict[str, dict[str, object]]) -> list[str]:
    """The parents of ``code``, nearest first; a cycle is refused, naming it."""
    chain: list[str] = []
    parent = entries[code].get("parent_code")
    while parent is not None:
        if parent == code or parent in chain:
            loop = [code, *chain] if parent == code else chain[chain.index(str(parent)) :]
            raise BadInput(
                "The catalogue's parents go round in a circle: {cycle}. Correct parent_code "
                "so that every entry leads up to a section.",
                cycle=" -> ".join([*loop, str(parent)]),
            )
        chain.append(str(parent))
        parent = entries[str(parent)].get("parent_code")
    return chain


def _standards(
    entries: dict[str, dict[str, object]], conditions: list[tuple[Row, dict[str, object]]]
) -> list[dict[str, object]]:
    """The conditions as standards rows: each on a leaf entry, every leaf with one, codes unique."""
    parents = {e.get("parent_code") for e in entries.values()}
    numbered: dict[str, int] = defaultdict(int)
    seen: dict[object, str] = {}
    standards = []
    for row, condition in conditions:
        item = str(condition["catalogue_code"])
        if item not in entries:
            raise BadInput(
                "{where}: a condition for {code}, but the catalogue has no entry {code}; give "
                "its name and level on a row, or correct the code.",
                where=row.where,
                code=item,
            )
        if item in parents:
            raise BadInput(
                "{where}: {code} has entries below it; conditions belong to the leaves of "
                "the catalogue (its standards).",
                where=row.where,
                code=item,
            )
        numbered[item] += 1
        code = condition.pop(CONDITION_CODE, None) or f"{item}-{numbered[item]}"
        if code in seen:
            raise BadInput(
                "The condition code {code} is used twice ({first} and {where}); give each "
                "condition its own code.",
                code=code,
                first=seen[code],
                where=row.where,
            )
        seen[code] = row.where
        standards.append({"code": code, **condition})
    bare = [code for code in entries if code not in parents and code not in numbered]
    if bare:
        raise BadInput(
            "{count} leaves of the catalogue have no registration condition: {codes}. Give "
            "each at least one (condition, limit_value, limit_unit), so that its problems get "
            "a deadline.",
            count=len(bare),
            codes=", ".join(bare[:_SHOWN]) + (" ..." if len(bare) > _SHOWN else ""),
        )
    return standards


def _frame(layer: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    """Rows as a frame with exactly the layer's fields."""
    return pd.DataFrame(rows, columns=list(get_layer(layer).field_names)).astype(object)


def load_catalogue(ctx: CityContext, path: Path, replace: bool = False) -> dict[str, int]:
    """Load a city's catalogue and its standards from a file, in one transaction.

    Parameters
    ----------
    ctx
        The city context (its actor is written to the audit log).
    path
        A CSV, XLSX or JSON file (:mod:`.catalogue_files`).
    replace
        Replace the catalogue and standards the store holds.

    Returns
    -------
    dict
        Rows written: ``{"catalogue": entries, "standards": conditions}``.

    Raises
    ------
    BadInput
        The file is unreadable or breaks a rule (see the module); nothing is written.
    Conflict
        The store holds a catalogue and ``replace`` is False, or problems
        refer to items the new catalogue lacks; nothing is written.
    """
    catalogue = read_catalogue_file(path)
    store = ctx.store
    reason = f"citygrid catalogue load {path.name}"
    with store.transaction() as conn:
        held = store.count("catalogue", conn)
        if held and not replace:
            raise Conflict(
                "The database already holds a catalogue ({count} entries). Nothing was "
                "changed; run `citygrid catalogue load FILE --replace` to replace it.",
                count=held,
            )
        problems = store.table("problems")
        used = conn.execute(sa.select(problems.c.catalogue_code).distinct()).scalars().all()
        lost = sorted(set(used) - set(catalogue.entries["code"]))
        if lost:
            raise Conflict(
                "Problems refer to {count} catalogue items the new catalogue lacks: {codes}. "
                "Nothing was changed; keep those codes in the file.",
                count=len(lost),
                codes=", ".join(lost[:_SHOWN]) + (" ..." if len(lost) > _SHOWN else ""),
            )
        for layer, frame in (("catalogue", catalogue.entries), ("standards", catalogue.standards)):
            store.write(layer, frame, mode="replace", actor=ctx.actor, reason=reason, conn=conn)
    return {"catalogue": len(catalogue.entries), "standards": len(catalogue.standards)}


def catalogue_entries(ctx: CityContext) -> pd.DataFrame:
    """Every catalogue entry with ``conditions``, its number of registration conditions."""
    entries = ctx.store.read("catalogue").drop(columns=["fid", "version"])
    counts = ctx.store.read("standards", columns=["catalogue_code"])["catalogue_code"]
    entries["conditions"] = entries["code"].map(counts.value_counts()).fillna(0).astype(int)
    return entries


@dataclass(frozen=True)
class CatalogueEntry:
    """One catalogue entry with its place in the hierarchy and its standards.

    Attributes
    ----------
    entry
        The entry's fields.
    ancestors
        Its section, item... down to its parent (catalogue rows, top first).
    children
        The entries one level below it.
    standards
        Its registration conditions (``standards`` rows), in file order.
    """

    entry: pd.Series
    ancestors: pd.DataFrame
    children: pd.DataFrame
    standards: pd.DataFrame


def catalogue_entry(ctx: CityContext, code: str) -> CatalogueEntry:
    """The entry ``code`` of the catalogue, with its ancestors, children and standards.

    Raises
    ------
    NotFound
        No entry has that code.
    """
    entries = ctx.store.read("catalogue").drop(columns=["fid", "version"])
    by_code = entries.set_index("code", drop=False)
    if code not in by_code.index:
        raise NotFound(
            "The catalogue has no entry {code}; `citygrid catalogue show` lists them.", code=code
        )
    chain = []
    parent = by_code.at[code, "parent_code"]
    while isinstance(parent, str) and parent in by_code.index and parent not in chain:
        chain.append(parent)
        parent = by_code.at[parent, "parent_code"]
    standards = ctx.store.read("standards", where={"catalogue_code": code})
    return CatalogueEntry(
        entry=by_code.loc[code],
        ancestors=by_code.loc[chain[::-1]].reset_index(drop=True),
        children=entries[entries["parent_code"] == code].reset_index(drop=True),
        standards=standards.drop(columns=["fid", "version"]).reset_index(drop=True),
    )
