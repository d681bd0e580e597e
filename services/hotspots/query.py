"""Reading the problems an analysis works on, and placing them in metres.

:func:`read_problems` applies the :class:`~citygrid.services.problems.filters.ProblemFilters`
(dates, category and the items below it, statuses, overdue, unit,
sub-district, my cells) in SQL, through
:func:`~citygrid.services.problems.selection.problem_conditions`, the same
conditions the map's problem layer uses; :func:`metric_xy` projects the
problems into the city's metric CRS.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
import sqlalchemy as sa
from pyproj import CRS

from citygrid.errors import BadInput
from citygrid.gis.metric import project_xy
from citygrid.services.context import CityContext
from citygrid.services.problems.filters import ProblemFilters
from citygrid.services.problems.selection import problem_conditions


def read_problems(
    ctx: CityContext,
    filters: ProblemFilters,
    columns: Sequence[str] = ("reported_at", "catalogue_code"),
    extra: Sequence[sa.ColumnElement[bool]] = (),
) -> gpd.GeoDataFrame:
    """Problems matching the filters (and the ``extra`` conditions on the problems table),
    EPSG:4326, with the fields ``columns``.

    Raises
    ------
    NotFound
        The category, unit or sub-district does not exist.
    BadInput
        No problem matches (the message repeats the filters), or ``mine`` for
        a caller without cells.
    """
    store = ctx.store
    conditions = problem_conditions(ctx, filters, store.table("problems"))
    problems = store.read(
        "problems", filters=[*conditions, *extra], columns=list(columns), order_by=None
    )
    keep = problems.geometry.notna() & ~problems.geometry.is_empty
    problems = problems[keep].reset_index(drop=True)
    if problems.empty and not extra:
        refuse_none(filters)
    return problems


def refuse_none(filters: ProblemFilters) -> None:
    """Raise the :class:`BadInput` that no problem matches the filters (repeating them)."""
    given = filters.given()
    raise BadInput(
        "No problems match the filters ({filters}); widen the dates or drop a filter.",
        filters=", ".join(f"{k}={v}" for k, v in given.items()) or "-",
    )


def metric_xy(points: gpd.GeoDataFrame, crs: CRS) -> np.ndarray:
    """``(n, 2)`` coordinates in metres (``crs``) of EPSG:4326 points, projected as arrays
    (no new geometries made)."""
    return project_xy(shapely.get_coordinates(points.geometry.to_numpy()), points.crs or 4326, crs)
