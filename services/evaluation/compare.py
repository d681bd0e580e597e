"""After the visit: the real evaluation's findings against the model's prediction.

A findings file lists, per row, the place visited (point code or name), the
catalogue item deducted (code or name; empty for a place found clean) and
the deduction. For the places the evaluators actually visited, the model
predicts ``E[D_p]`` (:mod:`.places`), and per item its open problems' and
unreported problems' shares; the comparison shows both beside what was
deducted, and the model's error: the mean absolute error per place, and the
score predicted for those places against the score they got.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from citygrid.errors import BadInput
from citygrid.services.context import CityContext
from citygrid.services.cycle.catalogue_files import file_text, split_table, xlsx_cells
from citygrid.services.evaluation.places import place_risks
from citygrid.services.evaluation.plans import Plan

FINDING_COLUMNS = ("place", "item", "deduction")


@dataclass(frozen=True)
class Comparison:
    """The prediction beside the findings, per place and per item, with the model's error."""

    places: pd.DataFrame
    items: pd.DataFrame
    predicted_score: float
    actual_score: float

    @property
    def mean_absolute_error(self) -> float:
        """Mean over the visited places of |predicted − deducted| points."""
        return float((self.places["predicted"] - self.places["actual"]).abs().mean())


def read_findings(ctx: CityContext, path: str | Path) -> pd.DataFrame:
    """The findings of a CSV (UTF-8 or GBK) or XLSX file: ``point_code, catalogue_code, deduction``.

    Places and items may be given by code or by name.

    Raises
    ------
    BadInput
        A missing file or another format; missing columns; a place or item
        that is not in the store; a deduction that is not a number of 0 or more.
    """
    source = Path(path)
    if not source.is_file():
        raise BadInput("The file {path} does not exist; check the path.", path=str(path))
    suffix = source.suffix.lower()
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(file_text(source))))
    elif suffix == ".xlsx":
        rows = xlsx_cells(source)
    else:
        raise BadInput(
            "{path} is not a findings file citygrid reads; give a .csv or .xlsx file.",
            path=str(path),
        )
    header, body = split_table(rows) or ([], [])
    header = [h.lower() for h in header]
    if not {"place", "deduction"} <= set(header):
        raise BadInput(
            "{path} needs the columns {columns} (item empty for a place found clean); it has "
            "{found}.",
            path=str(path),
            columns=", ".join(FINDING_COLUMNS),
            found=", ".join(header) or "nothing",
        )
    table = pd.DataFrame(
        [dict(zip(header, line, strict=False)) for _n, line in body],
        index=[n - 2 for n, _line in body],  # messages say the file's line (index + 2)
    )
    table = table.reindex(columns=list(FINDING_COLUMNS)).fillna("")
    return pd.DataFrame(
        {
            "point_code": _codes(ctx, "points", table["place"], str(path), required=True),
            "catalogue_code": _codes(ctx, "catalogue", table["item"], str(path), required=False),
            "deduction": _deductions(table["deduction"], str(path)),
        }
    )


def compare(ctx: CityContext, plan: Plan, as_of: datetime, findings: pd.DataFrame) -> Comparison:
    """The model's prediction for the places in ``findings`` beside what was deducted there."""
    places, found = place_risks(ctx, plan, as_of)
    visited = findings["point_code"].unique()
    predicted = places.set_index("code")["expected"].reindex(visited).fillna(0.0)
    actual = findings.groupby("point_code")["deduction"].sum().reindex(visited).fillna(0.0)
    names = places.set_index("code")["name"]
    by_place = pd.DataFrame(
        {
            "point_code": visited,
            "place": names.reindex(visited).to_numpy(),
            "predicted": predicted.to_numpy(),
            "actual": actual.to_numpy(),
        }
    )
    by_place["error"] = by_place["actual"] - by_place["predicted"]
    at_visited = found[found["point_code"].isin(visited)]
    item_predicted = (
        (at_visited["weight"] * plan.detection).groupby(at_visited["catalogue_code"]).sum()
    )
    item_actual = (
        findings[findings["catalogue_code"].notna()].groupby("catalogue_code")["deduction"].sum()
    )
    by_item = pd.concat(
        [item_predicted.rename("predicted"), item_actual.rename("actual")], axis=1
    ).fillna(0.0)
    by_item = by_item.rename_axis("catalogue_code").reset_index()
    by_item["error"] = by_item["actual"] - by_item["predicted"]
    capped = by_place[["predicted", "actual"]].clip(upper=plan.base)
    return Comparison(
        by_place.sort_values("error", key=abs, ascending=False).reset_index(drop=True),
        by_item.sort_values("error", key=abs, ascending=False).reset_index(drop=True),
        float(plan.base - capped["predicted"].mean()),
        float(plan.base - capped["actual"].mean()),
    )


def _codes(
    ctx: CityContext, layer: str, given: pd.Series, where: str, *, required: bool
) -> pd.Series:
    """Codes for values given as codes or names; unknown ones refused, all at once."""
    known = ctx.store.read(layer, columns=["code", "name"])
    by_name = known.drop_duplicates("name").set_index("name")["code"]
    text = given.astype(str).str.strip()
    codes = text.where(text.isin(known["code"]), text.map(by_name))
    missing = text[(text != "") & codes.isna()] if not required else text[codes.isna()]
    if not missing.empty:
        raise BadInput(
            "{path}: {values} are not {layer} codes or names in the store (rows {rows}); fix "
            "the file.",
            path=where,
            values=", ".join(repr(v) for v in missing.unique()[:5]),
            layer=layer,
            rows=", ".join(str(i + 2) for i in missing.index[:5]),
        )
    return codes.astype(object).where(text != "", None)


def _deductions(given: pd.Series, where: str) -> pd.Series:
    values = pd.to_numeric(given.astype(str).str.strip().replace("", "0"), errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        raise BadInput(
            "{path}: deductions must be numbers of 0 or more; rows {rows} are not.",
            path=where,
            rows=", ".join(str(i + 2) for i in values.index[bad][:5]),
        )
    return values.astype(float)
