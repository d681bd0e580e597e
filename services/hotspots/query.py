"""Reading the problems an analysis works on, and placing them in metres.

:func:`read_problems` applies the :class:`~citygrid.services.hotspots.params.ProblemFilters`
(dates, category and the items below it, statuses, unit) in SQL;
:func:`metric_xy` projects the problems into the city's metric CRS.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from citygrid.errors import BadInput, NotFound
from citygrid.layers.store import Store
from citygrid.services.hotspots.params import ProblemFilters


def _category_codes(store: Store, category: str) -> list[str]:
    """The catalogue code and every code below it; NotFound for an unknown one."""
    catalogue = store.read("catalogue", columns=["code", "parent_code"])
    if category not in set(catalogue["code"]):
        raise NotFound(
            "Unknown category {code!r}: no catalogue item has this code; list the catalogue "
            "with `citygrid layers` and give an item code.",
            code=category,
        )
    codes = {category}
    frontier = {category}
    while frontier:
        frontier = set(catalogue.loc[catalogue["parent_code"].isin(frontier), "code"]) - codes
        codes |= frontier
    return sorted(codes)


def read_problems(store: Store, filters: ProblemFilters) -> gpd.GeoDataFrame:
    """Problems matching a query, EPSG:4326, with ``reported_at`` and ``catalogue_code``.

    Raises
    ------
    NotFound
        The category or unit does not exist.
    BadInput
        No problem matches (the message repeats the filters).
    """
    where: dict[str, Any] = {}
    if filters.category:
        where["catalogue_code"] = _category_codes(store, filters.category)
    if filters.unit:
        if store.read("units", where={"code": filters.unit}, columns=["code"]).empty:
            raise NotFound(
                "Unknown unit {code!r}; give the code of a responsible unit.", code=filters.unit
            )
        where["unit_code"] = filters.unit
    if filters.statuses:
        where["status"] = filters.status_list()
    table = store.table("problems")
    start, stop = filters.start(), filters.stop()
    bounds = [
        *([table.c.reported_at >= start] if start is not None else []),
        *([table.c.reported_at < stop] if stop is not None else []),
    ]
    problems = store.read(
        "problems",
        where=where,
        filters=bounds,
        columns=["reported_at", "catalogue_code"],
        order_by=None,
    )
    keep = problems.geometry.notna() & ~problems.geometry.is_empty
    problems = problems[keep].reset_index(drop=True)
    if problems.empty:
        raise BadInput(
            "No problems match: reported from {since} to {until}, category {category}, "
            "statuses {statuses}, unit {unit}; widen the dates or drop a filter.",
            since=filters.since.isoformat() if filters.since else "-",
            until=filters.until.isoformat() if filters.until else "-",
            category=filters.category or "-",
            statuses=filters.statuses or "-",
            unit=filters.unit or "-",
        )
    return problems


def metric_xy(points: gpd.GeoDataFrame, crs: CRS) -> np.ndarray:
    """``(n, 2)`` coordinates in metres (``crs``) of EPSG:4326 points, projected as arrays
    (no new geometries made)."""
    lonlat = shapely.get_coordinates(points.geometry.to_numpy())
    transformer = Transformer.from_crs(points.crs or 4326, crs, always_xy=True)
    x, y = transformer.transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])
