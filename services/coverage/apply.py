"""Applying a reviewed proposal (the ``gap_proposals`` layer) in one audited transaction.

Planners review the file :func:`citygrid.services.coverage.proposals.propose_fixes`
wrote (delete rows they reject); :func:`apply_proposal` applies the rest
in one transaction, audited, refusing the whole file if any feature
changed since the proposal was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import sqlalchemy as sa

from citygrid.config import Config
from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.gis import coverage as geo
from citygrid.layers.gap_layers import FEATURE_LAYERS, GAP_PROPOSALS, PROPOSAL_ACTIONS
from citygrid.layers.registry import get_layer
from citygrid.layers.store import STORAGE_CRS, Store
from citygrid.services.context import CityContext
from citygrid.services.routing.reroute import follow_assignments

AREA_ACTIONS = ("add_area", "remove_area")
_REQUIRED = ("action", "layer", "feature_code", "version")


def read_proposal(source: str | Path | pd.DataFrame) -> gpd.GeoDataFrame:
    """Load and check a proposal: a frame, or a file holding a ``gap_proposals`` layer.

    Raises
    ------
    NotFound
        The file does not exist.
    BadInput
        It is not a proposal: unreadable, no ``gap_proposals`` layer (in a
        file of several layers), missing columns, unknown actions, layers
        or fields, or versions that are not whole numbers.
    """
    if isinstance(source, pd.DataFrame):
        frame, name = source.copy(), "<frame>"
    else:
        frame, name = _read_file(Path(source)), str(source)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise BadInput(
            "{source} is not a proposal: it has no column {columns}. Use the gap_proposals "
            "layer that `citygrid analyse gaps --propose` writes.",
            source=name,
            columns=", ".join(missing),
        )
    if not isinstance(frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(frame, geometry=[None] * len(frame), crs=STORAGE_CRS)
    elif frame.crs is not None and frame.crs != STORAGE_CRS:
        frame = frame.to_crs(STORAGE_CRS)
    for column in ("field", "after"):
        if column not in frame.columns:
            frame[column] = None
    _check_rows(frame, name)
    frame["version"] = frame["version"].astype("int64")
    return frame.reset_index(drop=True)


def _read_file(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise NotFound(
            "The proposal file {path} does not exist; write one with `citygrid analyse gaps "
            "--propose --out FILE.gpkg`.",
            path=str(path),
        )
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
        wanted = GAP_PROPOSALS.name if GAP_PROPOSALS.name in layers else None
        if wanted is None and len(layers) != 1:
            raise BadInput(
                "{path} is not a proposal: it has no gap_proposals layer (it has: {layers}).",
                path=str(path),
                layers=", ".join(layers) or "-",
            )
        return pyogrio.read_dataframe(path, layer=wanted or layers[0])
    except pyogrio.errors.DataSourceError as exc:
        raise BadInput(
            "{path} is not a proposal: GDAL cannot read it ({reason}). Use the GeoPackage "
            "that `citygrid analyse gaps --propose` writes.",
            path=str(path),
            reason=str(exc).splitlines()[0],
        ) from None


def _check_rows(frame: gpd.GeoDataFrame, name: str) -> None:
    """Refuse rows a proposal cannot hold, naming the first bad row (from 1)."""
    actions = {c.value for c in PROPOSAL_ACTIONS}
    layers = {c.value for c in FEATURE_LAYERS}
    versions = pd.to_numeric(frame["version"], errors="coerce")
    area = frame["action"].isin(AREA_ACTIONS).to_numpy()
    no_piece = area & (shapely.is_missing(frame.geometry.to_numpy()) | frame.geometry.is_empty)
    settable = pd.MultiIndex.from_tuples(
        [(layer, f) for layer in layers for f in get_layer(layer).field_names if f != "code"]
    )
    field_ok = pd.MultiIndex.from_arrays([frame["layer"], frame["field"]]).isin(settable)
    problems = {
        "action": ~frame["action"].isin(actions).to_numpy(),
        "layer": ~frame["layer"].isin(layers).to_numpy() | (area & (frame["layer"] != "grids")),
        "version": (versions.isna() | (versions % 1 != 0)).to_numpy(),
        "geometry": no_piece,
        "field": (frame["action"] == "set_field").to_numpy() & ~field_ok,
        "feature_code": frame["feature_code"].isna().to_numpy(),
    }
    for column, bad in problems.items():
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise BadInput(
                "{source} is not a valid proposal: row {row} has {column} {value!r}. Fix or "
                "delete that row, or make the proposal again.",
                source=name,
                row=row + 1,
                column=column,
                value=str(frame[column].iloc[row]) if column != "geometry" else "",
            )


def apply_proposal(
    store: Store,
    source: str | Path | pd.DataFrame,
    *,
    actor: str,
    dry_run: bool = False,
    config: Config | None = None,
) -> pd.DataFrame:
    """Apply a reviewed proposal in one transaction, audited; all of it or nothing.

    Parameters
    ----------
    store
        The city the proposal was made for.
    source
        The proposal: a GeoPackage (its ``gap_proposals`` layer) or a frame
        shaped like that layer.
    actor
        Who applies it, for the audit log.
    dry_run
        Check everything and return the changes, then roll back.
    config
        Passed on to reroute the open problems of features whose unit or
        cell changed (default settings when ``None``).

    Returns
    -------
    pandas.DataFrame
        ``layer``, ``code``, ``version`` (new), ``before`` and ``after``
        (dicts of the changed fields) per changed feature.

    Raises
    ------
    NotFound
        The proposal names features that do not exist.
    Conflict
        Features changed since the proposal was made (their versions
        differ), or it would leave a cell with no area. Nothing is applied.
    BadInput
        The source is not a proposal, or it contradicts itself.
    """
    proposal = read_proposal(source)
    columns = ["layer", "code", "version", "before", "after"]
    if proposal.empty:
        return pd.DataFrame(columns=columns)
    _check_consistent(proposal)
    with store.engine.connect() as conn, conn.begin() as transaction:
        logs = _apply(store, proposal, actor, config, conn)
        if dry_run:
            transaction.rollback()
    if not logs:
        return pd.DataFrame(columns=columns)
    return pd.concat(logs, ignore_index=True)[columns]


def _check_consistent(proposal: gpd.GeoDataFrame) -> None:
    """Refuse a proposal giving one feature two versions or one field two values."""
    versions = proposal.groupby(["layer", "feature_code"])["version"].nunique()
    if (versions > 1).any():
        layer, code = versions[versions > 1].index[0]
        raise BadInput(
            "The proposal gives {layer} {code} two different versions; make the proposal again.",
            layer=layer,
            code=code,
        )
    fields = proposal[proposal["action"] == "set_field"]
    values = fields.groupby(["layer", "feature_code", "field"])["after"].nunique(dropna=False)
    if (values > 1).any():
        layer, code, field_name = values[values > 1].index[0]
        raise BadInput(
            "The proposal sets {field} of {layer} {code} to two different values; keep one "
            "of those rows.",
            layer=layer,
            code=code,
            field=field_name,
        )


def _apply(
    store: Store,
    proposal: gpd.GeoDataFrame,
    actor: str,
    config: Config | None,
    conn: sa.Connection,
) -> list[pd.DataFrame]:
    current = {
        str(layer): store.read(
            str(layer), where={"code": list(rows["feature_code"].unique())}, conn=conn
        )
        for layer, rows in proposal.groupby("layer")
    }
    _check_current(proposal, current)
    _check_references(store, proposal, conn)
    logs, changed = [], {}
    for layer_name, rows in proposal.groupby("layer"):
        name = str(layer_name)
        changes = _changes(name, rows, current[name])
        log = store.update(
            name,
            changes,
            actor=actor,
            action="apply_proposal",
            reason="coverage proposal",
            conn=conn,
        )
        logs.append(log.assign(layer=name))
        changed[name] = list(log["code"])
    ctx = CityContext(store, config or Config(), actor)
    follow_assignments(ctx, changed, reason="apply_proposal", conn=conn)
    return logs


def _check_current(proposal: gpd.GeoDataFrame, current: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Refuse unknown features and features changed since the proposal was made."""
    unknown, stale = [], []
    for layer_name, rows in proposal.groupby("layer"):
        stored = current[str(layer_name)].set_index("code")["version"]
        wanted = rows.drop_duplicates("feature_code").set_index("feature_code")["version"]
        known = wanted.index.isin(stored.index)
        unknown += [f"{layer_name} {code}" for code in wanted.index[~known]]
        now = stored.reindex(wanted.index[known])
        differs = now.to_numpy() != wanted[known].to_numpy()
        stale += [
            f"{layer_name} {code} (v{int(was)} -> v{int(is_)})"
            for code, was, is_ in zip(
                now.index[differs], wanted[known][differs], now[differs], strict=True
            )
        ]
    if unknown:
        raise NotFound(
            "The proposal names features that do not exist: {features}. It was made for "
            "another database, or they were deleted since; nothing was applied. Make the "
            "proposal again.",
            features=", ".join(unknown[:20]),
        )
    if stale:
        raise Conflict(
            "The proposal is stale: {features} changed since it was made; nothing was "
            "applied. Run `citygrid analyse gaps --propose` again and review the new proposal.",
            features=", ".join(stale[:20]),
        )


def _check_references(store: Store, proposal: gpd.GeoDataFrame, conn: sa.Connection) -> None:
    """Refuse values naming a unit or person (any referenced feature) that does not exist."""
    fields = proposal[(proposal["action"] == "set_field") & proposal["after"].notna()]
    for (layer_name, field_name), rows in fields.groupby(["layer", "field"]):
        target = get_layer(str(layer_name)).field(str(field_name)).references
        if target is None:
            continue
        wanted = set(rows["after"].astype(str))
        known = set(
            store.read(target, where={"code": sorted(wanted)}, columns=["code"], conn=conn)["code"]
        )
        unknown = rows[~rows["after"].astype(str).isin(known)]
        if not unknown.empty:
            first = unknown.iloc[0]
            raise NotFound(
                "The proposal sets {field} of {layer} {code} to {value}, which is not in layer "
                "{target}; correct that row or delete it. Nothing was applied.",
                field=field_name,
                layer=layer_name,
                code=first["feature_code"],
                value=first["after"],
                target=target,
            )


def _changes(layer_name: str, rows: gpd.GeoDataFrame, current: gpd.GeoDataFrame) -> Any:
    """The change frame for :meth:`Store.update`: code, version, set fields, new geometry."""
    codes = rows["feature_code"].unique()
    stored = current.set_index("code").loc[codes]
    changes = pd.DataFrame({"code": codes, "version": stored["version"].to_numpy()})
    fields = rows[rows["action"] == "set_field"]
    for field_name, values in fields.groupby("field"):
        after = values.drop_duplicates("feature_code").set_index("feature_code")["after"]
        column = stored[str(field_name)].astype(object)
        column.loc[after.index] = after.where(after.notna(), None).to_numpy(dtype=object)
        changes[str(field_name)] = column.to_numpy()
        if field_name == "unit_code":
            assigned_by = stored["assigned_by"].astype(object)
            assigned_by.loc[after.index] = "auto"
            changes["assigned_by"] = assigned_by.to_numpy()
    areas = rows[rows["action"].isin(AREA_ACTIONS)]
    if areas.empty:
        return changes
    geometry = _reshaped(stored, areas)
    return gpd.GeoDataFrame(changes, geometry=geometry, crs=STORAGE_CRS)


def _reshaped(stored: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> np.ndarray:
    """Each cell's geometry with its added pieces unioned and its cut pieces removed."""
    position = pd.Series(np.arange(len(stored)), index=stored.index)
    geoms = geo.make_valid_polygons(stored.geometry.to_numpy())  # as the analysis saw them
    for action, operation in (("add_area", shapely.union), ("remove_area", shapely.difference)):
        part = areas[areas["action"] == action]
        if part.empty:
            continue
        index = position[part["feature_code"]].to_numpy()
        order = np.argsort(index, kind="stable")
        pieces = np.full(len(geoms), None, dtype=object)
        shapely.geometrycollections(
            part.geometry.to_numpy()[order], indices=index[order], out=pieces
        )
        touched = ~shapely.is_missing(pieces)
        geoms[touched] = operation(geoms[touched], pieces[touched])
    reshaped = geo.polygonal(geoms)
    emptied = shapely.is_missing(reshaped)
    if emptied.any():
        raise Conflict(
            "The proposal would leave grid cell {code} with no area; delete the rows that cut "
            "it away, or delete the cell itself.",
            code=str(stored.index[np.flatnonzero(emptied)[0]]),
        )
    return reshaped
