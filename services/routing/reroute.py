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
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from citygrid.errors import BadInput
from citygrid.layers.base_layers import OPEN_STATUSES
from citygrid.layers.registry import get_layer
from citygrid.layers.sql import one_of
from citygrid.layers.store import STORAGE_CRS, Store
from citygrid.services.context import CityContext
from citygrid.services.routing.chain import route_locations, routed_fields
from citygrid.services.routing.index import RoutingIndex
from citygrid.services.routing.who import check_lon_lat


def route_problems(
    ctx: CityContext,
    *,
    statuses: Sequence[str] = OPEN_STATUSES,
    codes: Sequence[str] | None = None,
    dry_run: bool = True,
    reason: str | None = None,
    conn: sa.Connection | None = None,
    index: RoutingIndex | None = None,
) -> pd.DataFrame:
    """Route problems to their responsible units and record what changed.

    Parameters
    ----------
    ctx
        The city; ``ctx.actor`` is written to the audit log.
    statuses
        Route problems in these statuses (default: every status but
        ``closed``, which is refused: closed problems keep their unit).
    codes
        Only these problems (default: all in ``statuses``).
    dry_run
        Only return what would change (the default).
    reason
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
        :func:`~citygrid.services.routing.routed_fields` as it will be, and
        ``outside_distance_m``.
    """
    store, fields = ctx.store, routed_fields()
    if not set(statuses) <= set(OPEN_STATUSES):
        raise BadInput(
            "Closed problems keep the unit that was responsible when they were closed; route "
            "problems in the statuses {statuses} instead.",
            statuses=", ".join(OPEN_STATUSES),
        )
    where: dict[str, Any] = {"status": list(statuses)}
    if codes is not None:
        where["code"] = list(codes)
    every_problem = index is None and codes is None and conn is None
    # Every open problem of the city: its whole index is built while they are read.
    beside = every_problem and store.shared_across_threads and _any_in(store, statuses)
    with ThreadPoolExecutor(max_workers=1) as pool:
        building = pool.submit(RoutingIndex.from_store, ctx) if beside else None
        problems = store.read("problems", where=where, columns=["code", *fields], conn=conn)
        if building is not None:
            index = building.result()
    routable = (problems["routed_by"] != "manual") & ~problems.geometry.is_empty
    problems = problems[routable & problems.geometry.notna()].reset_index(drop=True)
    if problems.empty:
        return _no_changes()
    if index is None:
        minx, miny, maxx, maxy = (float(v) for v in problems.total_bounds)
        around = (minx, miny, maxx, maxy)
        index = RoutingIndex.from_store(ctx, around=around, conn=conn)
    routed = route_locations(index, problems.geometry)
    now = problems[fields].astype(object).where(problems[fields].notna(), None)
    new = routed[fields].astype(object).where(routed[fields].notna(), None)
    changed = (now.to_numpy() != new.to_numpy()).any(axis=1)
    out = pd.concat(
        [
            problems.loc[changed, ["code"]],
            problems.loc[changed, ["unit_code"]].rename(columns={"unit_code": "unit_before"}),
            routed.loc[changed, [*fields, "outside_distance_m"]],
        ],
        axis=1,
    ).reset_index(drop=True)
    if not dry_run and not out.empty:
        store.update(
            "problems",
            out[["code", *fields]],
            actor=ctx.actor,
            action="reroute",
            reason=reason,
            conn=conn,
            current=problems,
        )
    return out


def _any_in(store: Store, statuses: Sequence[str]) -> bool:
    """Whether any problem is in one of ``statuses`` (a count on the status index)."""
    status = store.table("problems").c.status
    return store.count("problems", filters=[status.in_(list(statuses))]) > 0


def _no_changes() -> pd.DataFrame:
    return pd.DataFrame(columns=["code", "unit_before", *routed_fields(), "outside_distance_m"])


def follow_assignments(
    ctx: CityContext,
    changed: Mapping[str, Sequence[str]],
    *,
    reason: str | None = None,
    conn: sa.Connection | None = None,
) -> pd.DataFrame:
    """Reroute the open problems linked to features whose responsibility changed.

    Parameters
    ----------
    ctx
        The city; ``ctx.actor`` is written to the audit log.
    changed
        Responsible layer name -> codes of the features that got a new unit
        or head.

    Returns
    -------
    pandas.DataFrame
        The rerouted problems, as :func:`route_problems` returns them.
    """
    store = ctx.store
    filters = [
        one_of(store.table("problems").c[link_field(layer)], codes)
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
    return route_problems(ctx, codes=list(linked["code"]), dry_run=False, reason=reason, conn=conn)


def link_field(layer_name: str) -> str:
    """The problems' field that links a problem to a feature of a responsible layer."""
    duty = get_layer(layer_name).responsibility
    if duty is None:
        raise BadInput("Layer {layer} has no responsible unit.", layer=layer_name)
    return duty.problem_field


def correct_location(
    ctx: CityContext,
    code: str,
    lon: Any,
    lat: Any,
    *,
    crs: str | None = None,
    version: int | None = None,
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
    with ctx.store.transaction() as conn:
        ctx.store.update(
            "problems", change, actor=ctx.actor, action="correct_location", reason=reason, conn=conn
        )
        return route_problems(ctx, codes=[code], dry_run=False, reason=reason, conn=conn)
