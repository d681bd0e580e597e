"""Keep open problems with whoever answers for their place now.

When a problem's location is corrected, or the responsibility of a place
changes (an assignment by hand or by auto-assign), every open problem
there is routed again (:mod:`citygrid.services.routing`) and the change
written with ``action="reroute"`` in the audit log. Closed problems keep
the unit that was responsible when they were closed, and problems
dispatched by hand (``routed_by == "manual"``) keep their unit; problems
without a location are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.layers.store import STORAGE_CRS, Store
from citygrid.services.routing import (
    ROUTED_FIELDS,
    RoutingIndex,
    check_lon_lat,
    route_locations,
)

#: Statuses of problems that follow a change of responsibility.
OPEN_STATUSES = ("open", "dispatched", "rectified", "reopened")
# Which problem field links a problem to a feature of each layer.
_LINK_FIELDS = {
    "points": "point_code",
    "streets": "street_code",
    "alleys": "alley_code",
    "grids": "grid_code",
}


def route_problems(
    store: Store,
    config: Config,
    *,
    statuses: Sequence[str] = OPEN_STATUSES,
    codes: Sequence[str] | None = None,
    dry_run: bool = True,
    actor: str,
    reason: str | None = None,
    conn: sa.Connection | None = None,
    index: RoutingIndex | None = None,
) -> pd.DataFrame:
    """Route problems to their responsible units and record what changed.

    Parameters
    ----------
    statuses
        Route problems in these statuses (default: every status but
        ``closed``, which is refused: closed problems keep their unit).
    codes
        Only these problems (default: all in ``statuses``).
    dry_run
        Only return what would change (the default).
    actor, reason
        For the audit log.
    conn
        A connection of an open transaction to work in.
    index
        A prebuilt :class:`RoutingIndex` (default: built from ``store``).

    Returns
    -------
    pandas.DataFrame
        One row per problem whose routing changes: ``code``, the old and new
        ``unit_code`` (``unit_before``, ``unit_code``), every field of
        :data:`ROUTED_FIELDS` as it will be, and ``outside_distance_m``.
    """
    if "closed" in statuses:
        raise BadInput(
            "Closed problems keep the unit that was responsible when they were closed; route "
            "problems in the statuses {statuses} instead.",
            statuses=", ".join(OPEN_STATUSES),
        )
    where: dict[str, Any] = {"status": list(statuses)}
    if codes is not None:
        where["code"] = list(codes)
    problems = store.read("problems", where=where, columns=["code", *ROUTED_FIELDS], conn=conn)
    routable = (problems["routed_by"] != "manual") & ~problems.geometry.is_empty
    problems = problems[routable & problems.geometry.notna()].reset_index(drop=True)
    if problems.empty:
        return _no_changes()
    if index is None:
        minx, miny, maxx, maxy = (float(v) for v in problems.total_bounds)
        around = (minx, miny, maxx, maxy)
        index = RoutingIndex.from_store(store, config, around=around, conn=conn)
    routed = route_locations(index, problems.geometry)
    now = problems[ROUTED_FIELDS].astype(object).where(problems[ROUTED_FIELDS].notna(), None)
    new = routed[ROUTED_FIELDS].astype(object).where(routed[ROUTED_FIELDS].notna(), None)
    changed = (now.to_numpy() != new.to_numpy()).any(axis=1)
    out = pd.concat(
        [
            problems.loc[changed, ["code"]],
            problems.loc[changed, ["unit_code"]].rename(columns={"unit_code": "unit_before"}),
            routed.loc[changed, [*ROUTED_FIELDS, "outside_distance_m"]],
        ],
        axis=1,
    ).reset_index(drop=True)
    if not dry_run and not out.empty:
        store.update(
            "problems",
            out[["code", *ROUTED_FIELDS]],
            actor=actor,
            action="reroute",
            reason=reason,
            conn=conn,
        )
    return out


def _no_changes() -> pd.DataFrame:
    return pd.DataFrame(columns=["code", "unit_before", *ROUTED_FIELDS, "outside_distance_m"])


def follow_assignments(
    store: Store,
    changed: Mapping[str, Sequence[str]],
    *,
    config: Config | None = None,
    actor: str,
    reason: str | None = None,
    conn: sa.Connection | None = None,
) -> pd.DataFrame:
    """Reroute the open problems linked to features whose responsibility changed.

    Parameters
    ----------
    changed
        Layer name (``grids``, ``streets``, ``alleys``, ``points``) -> codes
        of the features that got a new unit or head.
    config
        Its ``metric_crs`` and ``street_snap_m`` are used (default: the
        defaults of :class:`Config`).

    Returns
    -------
    pandas.DataFrame
        The rerouted problems, as :func:`route_problems` returns them.
    """
    filters = [
        store.table("problems").c[_LINK_FIELDS[layer]].in_(list(codes))
        for layer, codes in changed.items()
        if codes
    ]
    if not filters:
        return _no_changes()
    linked = store.read(
        "problems",
        where={"status": list(OPEN_STATUSES)},
        filters=[sa.or_(*filters)],
        columns=["code"],
        conn=conn,
    )
    return route_problems(
        store,
        config or Config(),
        codes=list(linked["code"]),
        dry_run=False,
        actor=actor,
        reason=reason,
        conn=conn,
    )


def correct_location(
    store: Store,
    config: Config,
    code: str,
    lon: Any,
    lat: Any,
    *,
    crs: str | None = None,
    version: int | None = None,
    actor: str,
    reason: str | None = None,
) -> pd.DataFrame:
    """Move a problem to a corrected location; an open one follows the new responsibility.

    Parameters
    ----------
    code
        The problem's code.
    lon, lat
        The corrected location (EPSG:4326 unless ``crs`` is given).
    version
        The version the user edited; a stale one is refused.

    Returns
    -------
    pandas.DataFrame
        The rerouting, as :func:`route_problems` returns it (empty for a
        closed problem, which keeps its unit).
    """
    x, y = check_lon_lat(lon, lat, crs)
    change = gpd.GeoDataFrame(
        {"code": [code], "version": [version]},
        geometry=gpd.points_from_xy([x], [y]),
        crs=STORAGE_CRS,
    )
    if version is None:
        change = change.drop(columns=["version"])
    with store.transaction() as conn:
        store.update(
            "problems", change, actor=actor, action="correct_location", reason=reason, conn=conn
        )
        return route_problems(
            store, config, codes=[code], dry_run=False, actor=actor, reason=reason, conn=conn
        )
