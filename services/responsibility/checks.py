"""Why rows of an assignment cannot be applied: unknown features, units, heads, stale versions.

Every check runs on whole frames (one read per layer), and every failing
row is reported, so a file of assignments is fixed in one go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from citygrid.errors import BadInput, CitygridError, Conflict, NotFound
from citygrid.i18n import _
from citygrid.layers.store import Store
from citygrid.services.responsibility.layers import head_field


@dataclass(frozen=True)
class RowProblem:
    """Why one row of an assignment cannot be applied (rows count from 1)."""

    row: int
    error: CitygridError

    def describe(self) -> str:
        """One line for a report: the row number and the message."""
        return _("row {row}: {message}").format(row=self.row, message=self.error.message())


def row_problems(
    rows: pd.DataFrame, *checks: tuple[pd.Series, Callable[[Any], CitygridError]]
) -> list[RowProblem]:
    """One :class:`RowProblem` per row where a check's mask is true, made by its function."""
    return [
        RowProblem(int(r.row), make(r))
        for mask, make in checks
        for r in rows[mask.to_numpy(dtype=bool)].itertuples(index=False)
    ]


def check_rows(store: Store, layer_name: str, rows: pd.DataFrame) -> list[RowProblem]:
    """Every reason the rows cannot be applied, row by row."""
    rows = rows.rename(columns={head_field(layer_name): "head"})
    if "row" not in rows.columns:
        rows = rows.assign(row=np.arange(1, len(rows) + 1))
    features = store.read(layer_name, where={"code": list(rows["code"])}, columns=["code"])
    rows = rows.assign(now=rows["code"].map(features.set_index("code")["version"]))
    rows = rows.join(_last_changes(store, layer_name, rows), on="code")
    units = store.read("units", where={"code": list(rows["unit_code"].dropna())}, columns=["code"])
    people = store.read(
        "people", where={"code": list(rows["head"].dropna())}, columns=["code", "unit_code"]
    )
    rows = rows.assign(head_unit=rows["head"].map(people.set_index("code")["unit_code"]))
    unit, head, head_unit = rows["unit_code"], rows["head"], rows["head_unit"]
    return row_problems(
        rows,
        (
            ~rows["code"].isin(features["code"]),
            lambda r: NotFound(
                "Layer {layer} has no feature with code {code}; check the code.",
                layer=layer_name,
                code=r.code,
            ),
        ),
        (
            unit.isna(),
            lambda r: BadInput("No unit given for {code}; give a unit code.", code=r.code),
        ),
        (
            unit.notna() & ~unit.isin(units["code"]),
            lambda r: NotFound(
                "There is no unit {unit}; check the code against the units layer or add the "
                "unit first.",
                unit=r.unit_code,
            ),
        ),
        (
            head.notna() & head_unit.isna(),
            lambda r: NotFound(
                "There is no person {head}; add them to the people layer first.", head=r.head
            ),
        ),
        (
            head_unit.notna() & (head_unit != unit),
            lambda r: BadInput(
                "{head} belongs to unit {head_unit}, not {unit}; choose a head from {unit} or "
                "assign {code} to {head_unit}.",
                head=r.head,
                head_unit=r.head_unit,
                unit=r.unit_code,
                code=r.code,
            ),
        ),
        (
            _stale(rows),
            lambda r: Conflict(
                "{layer} {code} was changed by {actor} at {at} (now version {version}, you "
                "edited version {expected}). Reload it and make your change again.",
                layer=layer_name,
                code=r.code,
                actor=r.last_actor,
                at=r.last_at,
                version=int(r.now),
                expected=int(r.version),
            ),
        ),
        (
            rows["code"].duplicated(keep="first"),
            lambda r: BadInput(
                "Feature {code} appears more than once; keep one row per feature.", code=r.code
            ),
        ),
    )


def _stale(rows: pd.DataFrame) -> pd.Series:
    """Rows whose expected version is not the stored one."""
    expected = pd.to_numeric(rows["version"], errors="coerce")
    return expected.notna() & rows["now"].notna() & (expected != rows["now"])


def _last_changes(store: Store, layer_name: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Who changed each stale row's feature last, and when (``last_actor``, ``last_at``)."""
    stale = rows.loc[_stale(rows), "code"]
    entries = store.read(
        "audit",
        where={"layer": layer_name, "feature_code": list(stale)},
        columns=["feature_code", "actor", "at"],
    )
    last = entries.sort_values("fid").drop_duplicates("feature_code", keep="last")
    last = last.set_index("feature_code")[["actor", "at"]].astype(str)
    return last.rename(columns={"actor": "last_actor", "at": "last_at"}).reindex(
        pd.Index(rows["code"].unique(), name="code")
    )
