"""Auto-assign: give units to features by the rules of 属地管理 and 谁主管谁负责.

Rules, applied in this order on frames read from the store, the geometry
in the city's metric CRS (so SQLite and PostGIS give the same answer).
"Cells" are the features of the last responsible layer of the chain (the
grid cells); the other responsible layers take their units from them:

1. ``subdistrict``: a cell with no lead unit takes the unit of the
   sub-district it lies in: the jurisdiction of level ``subdistrict``
   holding the largest share of the cell's area, and of it the unit of kind
   ``subdistrict`` whose ``jurisdiction_code`` is that sub-district (the
   lowest unit code if several are).
2. ``containing_cell``: a feature that is not a line (a point, a polygon
   point) takes the unit of the cell containing its representative point;
   on a shared cell edge, the cell with the lowest code.
3. ``largest_length_share``: a line (street, alley) takes the unit of the
   cell holding the largest share of its length (ties, to the centimetre,
   go to the lowest cell code).

Cells keep the units the rules give them in step 1 when steps 2 and 3 run.
Only features whose ``assigned_by`` is ``auto``
(:data:`~citygrid.layers.base_layers.RULE_ASSIGNED`), or that have neither
a unit nor an ``assigned_by``, are considered: features assigned by hand
(``manual``) or held by their line department (``department``: a park by
the parks bureau, a market by market supervision) are never overwritten
unless ``include_manual`` asks for it. When a feature's unit changes, a
head (or grid manager) who belongs to another unit is cleared.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.layers.base_layers import RULE_ASSIGNED
from citygrid.layers.registry import Layer, responsible_layers
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.responsibility.assign import CHANGE_COLUMNS, change_table
from citygrid.services.responsibility.layers import duty
from citygrid.services.routing.chain import cell_at
from citygrid.services.routing.index import subdistrict_units
from citygrid.services.routing.reroute import follow_assignments

#: Shares (metres or square metres) closer than this count as equal.
SHARE_TOLERANCE = 0.01

Measure = Literal["length", "area"]
_LINES = ("LineString", "MultiLineString")


def auto_assign(
    ctx: CityContext, *, dry_run: bool = True, include_manual: bool = False
) -> pd.DataFrame:
    """Give units to the responsible layers' features by the rules of this module.

    Parameters
    ----------
    ctx
        The city: lengths and areas are measured in ``ctx.metric_crs``;
        ``ctx.actor`` is written to the audit log.
    dry_run
        Only return what would change (the default).
    include_manual
        Also reconsider features assigned by hand or by their department.

    Returns
    -------
    pandas.DataFrame
        One row per changed field: ``layer``, ``code``, ``field``
        (``unit_code``, ``head_code`` or ``manager_code``), ``before``,
        ``after``, and ``rule`` (``subdistrict``, ``containing_cell``,
        ``largest_length_share``, or ``head_of_other_unit`` for a head
        cleared because the unit changed). Applied unless ``dry_run``.
    """
    store, crs = ctx.store, ctx.metric_crs
    *members, widest = responsible_layers()
    cells = _read(store, widest).to_crs(crs)
    cell_units = _cell_units(store, widest, cells, crs, include_manual)
    proposals = [cell_units]
    units_now = cells.set_index("code")["unit"].copy()
    units_now.update(cell_units.set_index("code")["after"])
    for layer in members:
        features = _read(store, layer).to_crs(crs)
        if features.empty or cells.empty:
            continue
        if layer.geometry_type in _LINES:
            rule = "largest_length_share"
            codes = largest_share(
                features.geometry, cells.geometry, cells["code"].to_numpy(), "length"
            )
        else:
            rule = "containing_cell"
            codes = cell_at(cells, shapely.point_on_surface(features.geometry.to_numpy()))
        proposals.append(_proposed(features, layer.name, codes, units_now, rule, include_manual))
    units = pd.concat([p for p in proposals if not p.empty] or [cell_units], ignore_index=True)
    changes = _with_cleared_heads(store, units)
    if not dry_run and not changes.empty:
        _apply_auto(ctx, changes)
    return changes


def _read(store: Store, layer: Layer) -> gpd.GeoDataFrame:
    """``code``, ``unit``, ``head`` and ``assigned_by`` of a responsible layer's features."""
    rules = duty(layer)
    columns = [rules.unit_field, rules.head_field, "assigned_by"]
    wanted = ["code", *(c for c in columns if c and c in layer.field_names)]
    frame = store.read(layer.name, columns=wanted)
    frame = frame.rename(columns={rules.unit_field: "unit"})
    if "assigned_by" not in frame.columns:
        frame["assigned_by"] = None
    return frame


def _open_to_auto(frame: pd.DataFrame, include_manual: bool) -> np.ndarray:
    """Features a rule may change: assigned by a rule, or with neither unit nor origin."""
    if include_manual:
        return np.ones(len(frame), dtype=bool)
    by = frame["assigned_by"]
    unset = frame["unit"].isna() & by.isna()
    return (by.isin(RULE_ASSIGNED) | unset).to_numpy(dtype=bool)


def _cell_units(
    store: Store, cells_layer: Layer, cells: gpd.GeoDataFrame, crs: object, include_manual: bool
) -> pd.DataFrame:
    """Rule ``subdistrict``: cells without a lead unit take their sub-district's unit."""
    empty = pd.DataFrame(columns=["layer", "code", "before", "after", "rule"])
    todo = cells[_open_to_auto(cells, include_manual) & cells["unit"].isna().to_numpy()]
    if todo.empty:
        return empty
    subdistricts = store.read(
        "jurisdictions", where={"level": "subdistrict"}, columns=["code"]
    ).to_crs(crs)
    if subdistricts.empty:
        return empty
    sub_codes = largest_share(
        todo.geometry, subdistricts.geometry, subdistricts["code"].to_numpy(), "area"
    )
    unit_of = subdistrict_units(store.read("units", columns=["code", "kind", "jurisdiction_code"]))
    after = pd.Series(sub_codes).map(unit_of).to_numpy(dtype=object)
    out = pd.DataFrame(
        {
            "layer": cells_layer.name,
            "code": todo["code"].to_numpy(),
            "before": None,
            "after": after,
            "rule": "subdistrict",
        }
    )
    return out[out["after"].notna()].reset_index(drop=True)


def _proposed(
    features: gpd.GeoDataFrame,
    layer_name: str,
    cell_codes: np.ndarray,
    cell_units: pd.Series,
    rule: str,
    include_manual: bool,
) -> pd.DataFrame:
    after = pd.Series(cell_codes, dtype=object).map(cell_units).to_numpy(dtype=object)
    out = pd.DataFrame(
        {
            "layer": layer_name,
            "code": features["code"].to_numpy(),
            "before": features["unit"].to_numpy(dtype=object),
            "after": after,
            "rule": rule,
        }
    )
    changes = (out["before"] != out["after"]).to_numpy()
    keep = _open_to_auto(features, include_manual) & pd.notna(after) & changes
    return out[keep].reset_index(drop=True)


def largest_share(
    features: gpd.GeoSeries, zones: gpd.GeoSeries, zone_codes: np.ndarray, measure: Measure
) -> np.ndarray:
    """For each feature, the code of the zone holding the largest share of it.

    Parameters
    ----------
    features, zones
        Geometries in the same metric CRS.
    zone_codes
        Code of each zone.
    measure
        ``length`` (lines) or ``area`` (polygons) of the intersections, in
        metres or square metres; shares within :data:`SHARE_TOLERANCE` are
        equal and the lowest code wins.

    Returns
    -------
    numpy.ndarray
        Object array of zone codes, ``None`` where a feature meets no zone.
    """
    geoms, zone_geoms = features.to_numpy(), zones.to_numpy()
    f_idx, z_idx = shapely.STRtree(zone_geoms).query(geoms, predicate="intersects")
    pieces = shapely.intersection(geoms[f_idx], zone_geoms[z_idx])
    share = shapely.length(pieces) if measure == "length" else shapely.area(pieces)
    pairs = pd.DataFrame({"f": f_idx, "code": zone_codes[z_idx], "share": share})
    pairs = pairs[pairs["share"] > 0]
    pairs["rank"] = -np.round(pairs["share"] / SHARE_TOLERANCE)
    best = pairs.sort_values(["f", "rank", "code"], kind="stable").drop_duplicates("f")
    out = np.full(len(geoms), None, dtype=object)
    out[best["f"].to_numpy()] = best["code"].to_numpy()
    return out


def _with_cleared_heads(store: Store, units: pd.DataFrame) -> pd.DataFrame:
    """Name each unit change's field, and add rows clearing heads of another unit."""
    if units.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    parts = []
    people = store.read("people", columns=["code", "unit_code"]).set_index("code")["unit_code"]
    for layer in responsible_layers():
        rows = units[units["layer"] == layer.name]
        if rows.empty:
            continue
        rules = duty(layer)
        parts.append(rows.assign(field=rules.unit_field))
        head_field = rules.head_field
        if head_field is None:
            continue
        heads = store.read(
            layer.name, where={"code": list(rows["code"])}, columns=["code", head_field]
        )
        merged = rows.merge(heads, on="code")
        head_unit = merged[head_field].map(people)
        stale = merged[head_field].notna() & (head_unit != merged["after"])
        parts.append(
            pd.DataFrame(
                {
                    "layer": layer.name,
                    "code": merged.loc[stale, "code"],
                    "field": head_field,
                    "before": merged.loc[stale, head_field],
                    "after": None,
                    "rule": "head_of_other_unit",
                }
            )
        )
    return change_table(parts, CHANGE_COLUMNS)


def _apply_auto(ctx: CityContext, changes: pd.DataFrame) -> None:
    store = ctx.store
    changed: dict[str, list[str]] = {}
    with store.transaction() as conn:
        for layer in responsible_layers():
            rules = duty(layer)
            mine = changes[changes["layer"] == layer.name]
            cleared = mine.loc[mine["field"] == rules.head_field, "code"]
            for rule, rows in mine[mine["field"] == rules.unit_field].groupby("rule"):
                frame = pd.DataFrame({"code": rows["code"], rules.unit_field: rows["after"]})
                if "assigned_by" in layer.field_names:
                    frame["assigned_by"] = "auto"
                clears = frame["code"].isin(cleared)
                parts = [frame[~clears]]
                if rules.head_field is not None:
                    parts.append(frame[clears].assign(**{rules.head_field: None}))
                for part in parts:
                    if part.empty:
                        continue
                    log = store.update(
                        layer.name,
                        part,
                        actor=ctx.actor,
                        action="auto_assign",
                        reason=str(rule),
                        conn=conn,
                    )
                    changed.setdefault(layer.name, []).extend(log["code"])
        follow_assignments(ctx, changed, reason="auto_assign", conn=conn)
