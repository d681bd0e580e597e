"""What to fix first: the open problems and places by the points they would win back.

Fixing an open problem before the visit removes its expected loss,
``π_p * q * w / n`` (:mod:`.simulate`); a place's total is its expected loss
from open and unreported problems alike (an inspection finds the latter).
The tables carry names beside codes, for the ledger and the map.
"""

from __future__ import annotations

import pandas as pd

from citygrid.services.context import CityContext
from citygrid.services.evaluation.simulate import Evaluation


def fix_first(ctx: CityContext, evaluation: Evaluation) -> pd.DataFrame:
    """The open problems, most points recovered first.

    Columns: ``code, point_code, item, place, point_type, unit, deadline, points``.
    """
    opened = evaluation.found[evaluation.found["kind"] == "open"]
    places = evaluation.places.set_index("code")
    table = pd.DataFrame(
        {
            "code": opened["code"],
            "point_code": opened["point_code"],
            "item": opened["catalogue_code"].map(_names(ctx, "catalogue")),
            "place": opened["point_code"].map(places["name"]),
            "point_type": opened["point_code"].map(places["point_type"]),
            "unit": opened["unit_code"].map(_names(ctx, "units")).fillna(opened["unit_code"]),
            "deadline": opened["deadline"],
            "points": opened["loss"],
        }
    )
    return table.sort_values("points", ascending=False, kind="stable").reset_index(drop=True)


def costly_places(ctx: CityContext, evaluation: Evaluation) -> pd.DataFrame:
    """The places by expected loss, with unit names: what to inspect first."""
    places = evaluation.places
    return pd.DataFrame(
        {
            "code": places["code"],
            "place": places["name"],
            "point_type": places["point_type"],
            "unit": places["unit_code"].map(_names(ctx, "units")).fillna(places["unit_code"]),
            "open_count": places["open_count"].astype(int),
            "days_since_inspection": places["days_since_inspection"].round(1),
            "visited": places["visited"],
            "expected": places["expected"],
            "points": places["loss"],
        }
    )


def item_losses(ctx: CityContext, evaluation: Evaluation) -> pd.DataFrame:
    """Expected loss per catalogue item with its name."""
    table = evaluation.by_item()
    return table.assign(item=table["catalogue_code"].map(_names(ctx, "catalogue")))


def unit_losses(ctx: CityContext, evaluation: Evaluation) -> pd.DataFrame:
    """Expected loss per responsible unit with its name."""
    table = evaluation.by("unit_code")
    return table.assign(unit=table["unit_code"].map(_names(ctx, "units")))


def item_names(ctx: CityContext) -> pd.Series:
    """Catalogue names by code."""
    return _names(ctx, "catalogue")


def _names(ctx: CityContext, layer: str) -> pd.Series:
    frame = ctx.store.read(layer, columns=["code", "name"])
    return frame.set_index("code")["name"]
