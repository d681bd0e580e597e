"""The ledger (台账) of a unit, a grid cell or a sub-district: every open task.

An open task is a problem whose status is not closed (reported, open,
dispatched, rectified or sent back), of the unit (``unit_code``), in the
cell (``grid_code``) or in the sub-district (``subdistrict_code``). Each
row names things as people say them: the place (the point's name, else
the street's, the alley's, the cell's, the sub-district's), the catalogue
item's name, the responsible unit and person (the problem's head) by
name, the deadline, the status in the user's language, and the working
days past the deadline counted at ``ctx.now`` through the working
calendar (0 when not yet due, empty without a deadline). Rows come most
overdue first. :mod:`.report_files` writes it to XLSX, CSV or GeoPackage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd

from citygrid.errors import BadInput, NotFound
from citygrid.i18n import gettext
from citygrid.layers.base_layers import OPEN_STATUSES, PROBLEM_STATUSES
from citygrid.services.context import CityContext
from citygrid.services.cycle.performance import GROUPS
from citygrid.services.cycle.reading import names_of, read_columns

SCOPES = GROUPS
"""What a ledger covers (the groups of the figures): the problems' field and the layer of
the codes."""

LEDGER_HEADERS = {
    "code": "Problem code",
    "place": "Place",
    "item": "Item",
    "description": "Description",
    "unit": "Responsible unit",
    "person": "Responsible person",
    "reported_at": "Reported at",
    "deadline": "Deadline",
    "status": "Status",
    "overdue_days": "Working days overdue",
}
"""The ledger's columns and their message ids (headers in the user's language)."""

_PLACES = (
    ("point_code", "points"),
    ("street_code", "streets"),
    ("alley_code", "alleys"),
    ("grid_code", "grids"),
    ("subdistrict_code", "jurisdictions"),
)
"""Where a task's place name comes from, most precise first."""


@dataclass(frozen=True)
class Ledger:
    """The open tasks of one unit, cell or sub-district.

    Attributes
    ----------
    kind
        ``unit``, ``cell`` or ``subdistrict``.
    code, name
        The unit, cell or sub-district.
    as_of
        When the days overdue were counted.
    frame
        The tasks: the columns of :data:`LEDGER_HEADERS` and the problem's
        point (EPSG:4326), most overdue first.
    """

    kind: str
    code: str
    name: str
    as_of: datetime
    frame: gpd.GeoDataFrame

    @property
    def title(self) -> str:
        """The ledger's title in the user's language."""
        return gettext("Ledger of open tasks: {name} ({code}), as of {at}").format(
            name=self.name, code=self.code, at=self.as_of.strftime("%Y-%m-%d %H:%M")
        )

    def headers(self) -> dict[str, str]:
        """Each column and its header in the user's language."""
        return {column: gettext(msgid) for column, msgid in LEDGER_HEADERS.items()}


def ledger(
    ctx: CityContext,
    *,
    unit: str | None = None,
    cell: str | None = None,
    subdistrict: str | None = None,
) -> Ledger:
    """The ledger of the one unit, cell or sub-district given.

    Raises
    ------
    BadInput
        None or several of them are given, or the sub-district code names
        a jurisdiction that is not a sub-district.
    NotFound
        No unit, cell or sub-district has the code.
    """
    given = {k: v for k, v in (("unit", unit), ("cell", cell), ("subdistrict", subdistrict)) if v}
    if len(given) != 1:
        raise BadInput("Give exactly one of --unit, --cell or --subdistrict for the ledger.")
    kind, code = next(iter(given.items()))
    field, layer = SCOPES[kind]
    name = _scope_name(ctx, kind, layer, code)
    return Ledger(kind, code, name, ctx.now, open_tasks(ctx, {field: code}))


def open_tasks(ctx: CityContext, where: dict[str, object] | None = None) -> gpd.GeoDataFrame:
    """The open tasks matching ``where`` (every one without it), most overdue first.

    The columns of :data:`LEDGER_HEADERS`, with the problems' points; names
    are read once per referenced layer, so the whole city's tasks take one pass.
    """
    store = ctx.store
    problems = store.read(
        "problems",
        where={**(where or {}), "status": list(OPEN_STATUSES)},
        columns=[
            "code",
            "catalogue_code",
            "description",
            "status",
            "reported_at",
            "deadline",
            "unit_code",
            "head_code",
            *(f for f, _ in _PLACES),
        ],
        order_by=None,
    )
    frame = problems[["code"]].copy()
    frame["place"] = _place_names(ctx, problems)
    frame["item"] = _named(problems["catalogue_code"], names_of(store, "catalogue"))
    frame["description"] = problems["description"].to_numpy()
    frame["unit"] = _named(problems["unit_code"], names_of(store, "units"))
    frame["person"] = _named(problems["head_code"], names_of(store, "people"))
    frame["reported_at"] = problems["reported_at"].to_numpy()
    frame["deadline"] = problems["deadline"].to_numpy()
    labels = {c.value: c.label() for c in PROBLEM_STATUSES}
    frame["status"] = problems["status"].map(labels).to_numpy()
    frame["overdue_days"] = overdue_days(ctx, problems["deadline"])
    frame = gpd.GeoDataFrame(frame, geometry=problems.geometry.to_numpy(), crs=problems.crs)
    frame = frame.sort_values(
        ["overdue_days", "deadline", "code"], ascending=[False, True, True], na_position="last"
    )
    return frame.reset_index(drop=True)


def overdue_days(ctx: CityContext, deadlines: pd.Series) -> np.ndarray:
    """Working days from each deadline to ``ctx.now``, to 0.1 day; 0 when not yet due,
    NaN without a deadline."""
    calendar = ctx.calendar
    hours = calendar.working_hours_between_array(deadlines.to_numpy(), np.datetime64(ctx.now))
    return np.round(np.clip(hours / calendar.day_hours, 0, None), 1)


def _scope_name(ctx: CityContext, kind: str, layer: str, code: str) -> str:
    found = read_columns(
        ctx.store,
        layer,
        ["code", "name", *(["level"] if kind == "subdistrict" else [])],
        where={"code": code},
    )
    if found.empty and kind == "unit":
        raise NotFound("There is no unit {code}; `citygrid workload` lists the units.", code=code)
    if found.empty and kind == "cell":
        raise NotFound(
            "There is no grid cell {code}; `citygrid export grids --out FILE` lists the cells.",
            code=code,
        )
    if found.empty:
        raise NotFound(
            "There is no sub-district {code}; `citygrid export jurisdictions --out FILE` lists "
            "them.",
            code=code,
        )
    if kind == "subdistrict" and found["level"].iloc[0] != "subdistrict":
        raise BadInput(
            "{code} is not a sub-district but a jurisdiction of level {level}; give a "
            "sub-district's code.",
            code=code,
            level=found["level"].iloc[0],
        )
    return str(found["name"].iloc[0])


def _named(codes: pd.Series, names: pd.Series) -> np.ndarray:
    """The name of each code, ``None`` for a code that names nothing."""
    named = codes.map(names)
    return named.astype(object).where(named.notna(), None).to_numpy(dtype=object)


def _place_names(ctx: CityContext, problems: pd.DataFrame) -> np.ndarray:
    """The most precise place name of each problem (point, street, alley, cell, sub-district)."""
    place = pd.Series(None, index=problems.index, dtype=object)
    for field, layer in _PLACES:
        named = problems[field].map(names_of(ctx.store, layer))
        place = place.where(place.notna(), named)
    return place.to_numpy(dtype=object)
