"""Problems for people: the codes a problem holds joined to names, and how overdue it is.

One read per referenced layer for a whole page of problems (never one per
problem). A head's phone is added only for principals who may see
personal fields, as the providers decide.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
import shapely

from citygrid.layers.registry import get_layer
from citygrid.params import Bbox
from citygrid.services.context import CityContext
from citygrid.services.problems.filters import ProblemFilters
from citygrid.services.problems.selection import visible_problems
from citygrid.services.providers.scoping import withhold_personal

NAMES = {
    "catalogue_code": ("catalogue", "catalogue_name"),
    "unit_code": ("units", "unit_name"),
    "head_code": ("people", "head_name"),
    "point_code": ("points", "point_name"),
}
"""A problem's code field -> (the layer it references, the name field added)."""


SHOWN = (
    "code",
    "status",
    "description",
    "catalogue_code",
    "unit_code",
    "head_code",
    "point_code",
    "grid_code",
    "reported_at",
    "deadline",
    "closed_at",
)
"""The fields of a problem read for the map (the popup's, and the codes named)."""


def problems_in_bbox(
    ctx: CityContext, bbox: Bbox, limit: int, filters: ProblemFilters
) -> tuple[pd.DataFrame, bool]:
    """The caller's problems in ``bbox`` that ``filters`` select (at most ``limit``, by fid)
    with names; and whether more match.

    The caller's scope and the filters run in SQL
    (:func:`~citygrid.services.problems.selection.visible_problems`), the
    exact bbox test on the rows read; see :func:`with_names`.
    """
    _table, conditions = visible_problems(ctx, filters, bbox)
    frame = ctx.store.read("problems", filters=conditions, columns=SHOWN, limit=limit + 1)
    truncated = len(frame) > limit
    frame = frame.iloc[:limit]
    frame = frame[frame.intersects(shapely.box(*bbox))]
    return with_names(ctx, frame), truncated


def with_names(ctx: CityContext, problems: pd.DataFrame) -> pd.DataFrame:
    """``problems`` with ``catalogue_name``, ``unit_name``, ``head_name``, ``point_name``,
    ``head_phone`` (personal roles only), ``overdue`` and ``days_overdue``.

    ``days_overdue`` counts whole days, started ones included, since the
    deadline passed (at ``ctx.now``), for problems not closed; ``None`` otherwise.
    """
    frame = problems.copy()
    for code_field, (layer, name_field) in NAMES.items():
        names = _names(ctx, layer, frame[code_field].dropna().unique())
        frame[name_field] = frame[code_field].map(names["name"]).astype(object)
        if layer == "people" and "phone" in names.columns:
            frame["head_phone"] = frame[code_field].map(names["phone"]).astype(object)
    late = [
        days_overdue(d, s, ctx) for d, s in zip(frame["deadline"], frame["status"], strict=True)
    ]
    frame["days_overdue"] = pd.Series(late, index=frame.index, dtype=object)
    frame["overdue"] = [days is not None for days in late]
    return frame


def days_overdue(deadline: object, status: object, ctx: CityContext) -> int | None:
    """Whole days (started ones included) since ``deadline`` passed, if the problem is open."""
    if status == "closed" or deadline is None or pd.isna(deadline):  # type: ignore[arg-type]
        return None
    late = pd.Timestamp(ctx.now) - pd.Timestamp(deadline)  # type: ignore[arg-type]
    if late <= pd.Timedelta(0):
        return None
    return math.ceil(late / pd.Timedelta(days=1))


def _names(ctx: CityContext, layer: str, codes: Iterable[str]) -> pd.DataFrame:
    """Names (and, for people, phones if the caller may see them) by code, in one read."""
    wanted = list(codes)
    columns = ["code", "name", "phone"] if layer == "people" else ["code", "name"]
    found = ctx.store.read(layer, where={"code": wanted}, columns=columns) if wanted else None
    if found is None or found.empty:
        return pd.DataFrame(columns=columns).set_index("code")
    found = withhold_personal(ctx, get_layer(layer), pd.DataFrame(found[columns]))
    return found.set_index("code")
