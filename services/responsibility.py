"""Who answers for each cell, street, alley and point: assign, auto-assign, history.

Every change goes through :meth:`Store.update` with ``action="assign"``
(by hand) or ``action="auto_assign"``, so the audit log holds who changed
what, when, the values before and after, and why; a stale version is
refused naming who changed the feature first.

Auto-assign rules (属地管理, 谁主管谁负责)
-----------------------------------------
Applied in this order, on frames read from the store, the geometry in the
city's metric CRS (so SQLite and PostGIS give the same answer):

1. ``subdistrict``: a cell with no lead unit takes the unit of the
   sub-district it lies in: the jurisdiction of level ``subdistrict``
   holding the largest share of the cell's area, and of it the unit of kind
   ``subdistrict`` whose ``jurisdiction_code`` is that sub-district (the
   lowest unit code if several are).
2. ``containing_cell``: a point takes the unit of the cell containing it
   (a polygon point: the cell containing its representative point); a
   point on a shared cell edge takes the cell with the lowest code.
3. ``largest_length_share``: a street or alley takes the unit of the cell
   holding the largest share of its length (ties, to the centimetre, go to
   the lowest cell code).

Cells keep the units the rules give them in step 1 when steps 2 and 3 run.
Only features whose ``assigned_by`` is ``auto``, or that have no unit yet,
are considered: features assigned by hand (``manual``) and features
imported with a unit are never overwritten. When a feature's unit changes,
a head (or grid manager) who belongs to another unit is cleared.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from citygrid.config import Config
from citygrid.errors import BadInput, CitygridError, Conflict, NotFound
from citygrid.gis import formats
from citygrid.i18n import _
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.services.routing import cell_at, city_metric_crs, subdistrict_units

#: Layers that carry a responsible unit, and the field naming their head.
HEAD_FIELDS: Mapping[str, str] = {
    "grids": "manager_code",
    "streets": "head_code",
    "alleys": "head_code",
    "points": "head_code",
}

#: Columns of the frame :func:`auto_assign` returns.
CHANGE_COLUMNS = ["layer", "code", "field", "before", "after", "rule"]

#: Shares (metres or square metres) closer than this count as equal.
SHARE_TOLERANCE = 0.01

Measure = Literal["length", "area"]

# Column names a bulk file may use (English field, zh label, short forms).
_FILE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "layer": ("layer", "图层"),
    "code": ("code", "编码", "要素编码", "feature_code"),
    "name": ("name", "名称", "要素名称"),
    "unit_code": ("unit_code", "unit", "责任单位", "单位编码"),
    "head_code": ("head_code", "head", "manager_code", "责任人", "负责人", "网格员"),
    "version": ("version", "版本"),
}


def check_assignable(layer_name: str) -> str:
    """Return the head field of ``layer_name``, or raise :class:`BadInput`."""
    if layer_name not in HEAD_FIELDS:
        raise BadInput(
            "Layer {layer} has no responsible unit; assign grids, streets, alleys or points.",
            layer=layer_name,
        )
    return HEAD_FIELDS[layer_name]


# -- assigning by hand ---------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    """Why one row of an assignment cannot be applied (rows count from 1)."""

    row: int
    error: CitygridError

    def describe(self) -> str:
        """One line for a report: the row number and the message."""
        return _("row {row}: {message}").format(row=self.row, message=self.error.message())


def assign(
    store: Store,
    layer_name: str,
    code: str,
    *,
    unit: str,
    head: str | None = None,
    version: int | None = None,
    actor: str,
    reason: str | None = None,
    config: Config | None = None,
) -> pd.DataFrame:
    """Make ``unit`` (and ``head``) responsible for one feature, by hand.

    Parameters
    ----------
    layer_name
        ``grids``, ``streets``, ``alleys`` or ``points``.
    code
        The feature's code.
    unit, head
        Codes of the responsible unit and of its person who heads the
        feature (grid manager for a cell); the head must belong to the unit.
    version
        The version the user edited; a stale one is refused.
    actor, reason
        For the audit log.
    config
        Its ``metric_crs`` and ``street_snap_m`` route the open problems
        that follow the change (default: :class:`Config` defaults).

    Returns
    -------
    pandas.DataFrame
        The store's change log (``code``, ``version``, ``before``, ``after``);
        empty when nothing changed.

    Raises
    ------
    NotFound
        The feature, the unit or the head does not exist.
    BadInput
        The head belongs to another unit.
    Conflict
        ``version`` is stale (the message names who changed it first).
    """
    head_field = check_assignable(layer_name)
    frame = pd.DataFrame(
        {"code": [code], "unit_code": [unit], head_field: [head], "version": [version]}
    )
    problems = _problems(store, layer_name, frame)
    if problems:
        raise problems[0].error
    return _apply(store, {layer_name: frame}, actor=actor, reason=reason, config=config)[layer_name]


def assign_many(
    store: Store,
    assignments: pd.DataFrame,
    *,
    layer_name: str | None = None,
    actor: str,
    reason: str | None = None,
    dry_run: bool = False,
    source: str = "-",
    config: Config | None = None,
) -> pd.DataFrame:
    """Apply many assignments at once, all or none.

    Parameters
    ----------
    assignments
        One row per feature: ``layer`` (unless ``layer_name`` is given),
        ``code`` or ``name`` of the feature, ``unit_code``, optionally
        ``head_code`` (``manager_code`` for cells) and ``version``. Column
        names may also be the zh labels (图层, 编码, 名称, 责任单位, 责任人, 版本).
    layer_name
        The layer of every row, when the frame has no ``layer`` column.
    dry_run
        Check and report without changing anything.
    source
        Name of the file the rows came from, for messages.
    config
        Routes the open problems that follow the changes (see :func:`assign`).

    Returns
    -------
    pandas.DataFrame
        ``layer``, ``code``, ``field``, ``before``, ``after``: one row per
        changed field (what would change, with ``dry_run``).

    Raises
    ------
    BadInput
        Some rows name unknown features, units or heads, or a head of
        another unit: every such row is listed and nothing is changed.
    Conflict
        A row's version is stale; nothing is changed.
    """
    frame = _normalise_columns(assignments, layer_name, source)
    by_layer: dict[str, pd.DataFrame] = {}
    problems: list[RowProblem] = []
    for name, rows in frame.groupby("layer", sort=True):
        if name not in HEAD_FIELDS:
            problems += _row_problems(
                rows,
                (
                    rows["layer"].notna(),
                    lambda r: BadInput(
                        "Layer {layer} has no responsible unit; assign grids, streets, alleys "
                        "or points.",
                        layer=r.layer,
                    ),
                ),
            )
            continue
        head_field = HEAD_FIELDS[str(name)]
        rows = rows.rename(columns={"head_code": head_field})
        rows, unknown_names = _codes_from_names(store, str(name), rows)
        problems += unknown_names
        problems += _problems(store, str(name), rows.dropna(subset=["code"]))
        by_layer[str(name)] = rows.drop(columns=["layer", "name"], errors="ignore")
    if problems:
        problems.sort(key=lambda p: p.row)
        raise BadInput(
            "{count} rows of {source} cannot be applied, so nothing was changed:\n{rows}\n"
            "Fix these rows and run again.",
            count=len({p.row for p in problems}),
            source=source,
            rows="\n".join(p.describe() for p in problems),
        )
    if dry_run:
        return _preview(store, by_layer)
    logs = _apply(store, by_layer, actor=actor, reason=reason, config=config)
    return _flatten(logs)


def assign_file(
    store: Store,
    path: str | Path,
    *,
    layer_name: str | None = None,
    actor: str,
    reason: str | None = None,
    dry_run: bool = False,
    config: Config | None = None,
) -> pd.DataFrame:
    """Apply the assignments in a file: CSV, GeoPackage, Shapefile, GeoJSON...

    Read with :func:`read_table` (encodings detected, geometry ignored).
    See :func:`assign_many` for the columns and what is returned and raised.
    """
    table = read_table(Path(path))
    return assign_many(
        store,
        table,
        layer_name=layer_name,
        actor=actor,
        reason=reason,
        dry_run=dry_run,
        source=Path(path).name,
        config=config,
    )


def read_table(path: Path) -> pd.DataFrame:
    """Read the attribute table of a file (any format :mod:`citygrid.gis.formats` reads).

    CSV and shapefile encodings (UTF-8, GBK, GB18030) are detected; the
    geometry, if any, is dropped.
    """
    source = formats.open_source(path, geometry=False)
    batches = list(formats.read_batches(source))
    if not batches:
        return pd.DataFrame(columns=list(source.columns))
    table = pd.concat(batches, ignore_index=True)
    table = pd.DataFrame(table.drop(columns=["geometry"], errors="ignore"))
    return table.astype(object).where(table.notna(), None)


def _normalise_columns(frame: pd.DataFrame, layer_name: str | None, source: str) -> pd.DataFrame:
    renames: dict[str, str] = {}
    for column in frame.columns:
        for field, aliases in _FILE_COLUMNS.items():
            if str(column).strip().lower() in aliases:
                renames[column] = field
    out = frame.rename(columns=renames)
    out = out[[c for c in _FILE_COLUMNS if c in out.columns]].copy()
    out = out.replace({"": None}).astype(object).where(out.notna(), None)
    if layer_name is not None:
        out["layer"] = layer_name
    missing = [c for c in ("layer", "unit_code") if c not in out.columns]
    if "code" not in out.columns and "name" not in out.columns:
        missing.append("code")
    if missing:
        raise BadInput(
            "{source} needs the columns {columns} (or their zh names 图层, 编码/名称, 责任单位); "
            "it has: {found}. Rename the columns, or pass --layer.",
            source=source,
            columns=", ".join(missing),
            found=", ".join(map(str, frame.columns)),
        )
    if out.empty:
        raise BadInput("{source} has no rows; nothing to assign.", source=source)
    out["row"] = np.arange(1, len(out) + 1)
    if "code" not in out.columns:
        out["code"] = None
    for column in ("head_code", "version"):
        if column not in out.columns:
            out[column] = None
    out["version"] = _versions(out["version"], out["row"], source)
    return out


def _versions(values: pd.Series, rows: pd.Series, source: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        raise BadInput(
            "The version in rows {rows} of {source} is not a whole number; fix or empty it.",
            rows=", ".join(map(str, rows[bad])),
            source=source,
        )
    return numbers.astype("Int64").astype(object).where(numbers.notna(), None)


def _codes_from_names(
    store: Store, layer_name: str, rows: pd.DataFrame
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Fill missing codes from unique feature names; report unknown and ambiguous names."""
    if "name" not in rows.columns:
        return rows, []
    wanted = rows["code"].isna() & rows["name"].notna()
    features = store.read(
        layer_name, where={"name": list(rows.loc[wanted, "name"])}, columns=["code", "name"]
    )
    by_name = features.groupby("name")["code"].agg(["min", "size"])
    rows = rows.assign(
        named=rows["name"].map(by_name["size"]).fillna(0).astype(int).where(wanted, -1)
    )
    unique = (rows["named"] == 1).to_numpy()
    rows.loc[unique, "code"] = rows.loc[unique, "name"].map(by_name["min"])
    problems = _row_problems(
        rows,
        (
            rows["named"] == 0,
            lambda r: NotFound(
                "{layer} has no feature named {name}.", layer=layer_name, name=r.name
            ),
        ),
        (
            rows["named"] > 1,
            lambda r: BadInput(
                "{layer} has {count} features named {name}; give the code instead.",
                layer=layer_name,
                count=r.named,
                name=r.name,
            ),
        ),
        (
            rows["code"].isna() & rows["name"].isna(),
            lambda r: BadInput("The row names no feature; give its code or name."),
        ),
    )
    rows = rows.drop(columns=["named"])
    return rows.dropna(subset=["code"]) if problems else rows, problems


def _row_problems(
    rows: pd.DataFrame, *checks: tuple[pd.Series, Callable[[Any], CitygridError]]
) -> list[RowProblem]:
    """One :class:`RowProblem` per row where a check's mask is true, made by its function."""
    return [
        RowProblem(int(r.row), make(r))
        for mask, make in checks
        for r in rows[mask.to_numpy(dtype=bool)].itertuples(index=False)
    ]


def _problems(store: Store, layer_name: str, rows: pd.DataFrame) -> list[RowProblem]:
    """Every reason the rows cannot be applied, row by row."""
    rows = rows.rename(columns={HEAD_FIELDS[layer_name]: "head"})
    if "row" not in rows.columns:
        rows = rows.assign(row=np.arange(1, len(rows) + 1))
    features = store.read(layer_name, where={"code": list(rows["code"])}, columns=["code"])
    rows = rows.assign(now=rows["code"].map(features.set_index("code")["version"]))
    rows = rows.join(_last_changes(store, layer_name, rows), on="code")
    units = store.read("units", where={"code": list(rows["unit_code"].dropna())}, columns=["code"])
    people = store.read(
        "people", where={"code": list(rows["head"].dropna())}, columns=["code", "unit_code"]
    )
    rows = rows.assign(head_unit=rows["head"].map(people.set_index("code")["unit_code"]))
    unit, head, head_unit = rows["unit_code"], rows["head"], rows["head_unit"]
    return _row_problems(
        rows,
        (
            ~rows["code"].isin(features["code"]),
            lambda r: NotFound(
                "Layer {layer} has no feature with code {code}; check the code.",
                layer=layer_name,
                code=r.code,
            ),
        ),
        (
            unit.isna(),
            lambda r: BadInput("No unit given for {code}; give a unit code.", code=r.code),
        ),
        (
            unit.notna() & ~unit.isin(units["code"]),
            lambda r: NotFound(
                "There is no unit {unit}; check the code against the units layer or add the "
                "unit first.",
                unit=r.unit_code,
            ),
        ),
        (
            head.notna() & head_unit.isna(),
            lambda r: NotFound(
                "There is no person {head}; add them to the people layer first.", head=r.head
            ),
        ),
        (
            head_unit.notna() & (head_unit != unit),
            lambda r: BadInput(
                "{head} belongs to unit {head_unit}, not {unit}; choose a head from {unit} or "
                "assign {code} to {head_unit}.",
                head=r.head,
                head_unit=r.head_unit,
                unit=r.unit_code,
                code=r.code,
            ),
        ),
        (
            _stale(rows),
            lambda r: Conflict(
                "{layer} {code} was changed by {actor} at {at} (now version {version}, you "
                "edited version {expected}). Reload it and make your change again.",
                layer=layer_name,
                code=r.code,
                actor=r.last_actor,
                at=r.last_at,
                version=int(r.now),
                expected=int(r.version),
            ),
        ),
        (
            rows["code"].duplicated(keep="first"),
            lambda r: BadInput(
                "Feature {code} appears more than once; keep one row per feature.", code=r.code
            ),
        ),
    )


def _stale(rows: pd.DataFrame) -> pd.Series:
    """Rows whose expected version is not the stored one."""
    expected = pd.to_numeric(rows["version"], errors="coerce")
    return expected.notna() & rows["now"].notna() & (expected != rows["now"])


def _last_changes(store: Store, layer_name: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Who changed each stale row's feature last, and when (``last_actor``, ``last_at``)."""
    stale = rows.loc[_stale(rows), "code"]
    entries = store.read(
        "audit",
        where={"layer": layer_name, "feature_code": list(stale)},
        columns=["feature_code", "actor", "at"],
    )
    last = entries.sort_values("fid").drop_duplicates("feature_code", keep="last")
    last = last.set_index("feature_code")[["actor", "at"]].astype(str)
    return last.rename(columns={"actor": "last_actor", "at": "last_at"}).reindex(
        pd.Index(rows["code"].unique(), name="code")
    )


def _change_frame(layer_name: str, rows: pd.DataFrame) -> pd.DataFrame:
    head_field = HEAD_FIELDS[layer_name]
    changes = rows[["code", "unit_code", head_field]].copy()
    changes["assigned_by"] = "manual"
    if rows["version"].notna().any():
        changes["version"] = rows["version"]
    return changes


def _apply(
    store: Store,
    by_layer: Mapping[str, pd.DataFrame],
    *,
    actor: str,
    reason: str | None,
    config: Config | None,
) -> dict[str, pd.DataFrame]:
    from citygrid.services.reroute import follow_assignments

    logs: dict[str, pd.DataFrame] = {}
    with store.transaction() as conn:
        for layer_name, rows in by_layer.items():
            logs[layer_name] = store.update(
                layer_name,
                _change_frame(layer_name, rows),
                actor=actor,
                action="assign",
                reason=reason,
                conn=conn,
            )
        changed = {name: list(log["code"]) for name, log in logs.items() if not log.empty}
        if changed:
            follow_assignments(store, changed, config=config, actor=actor, reason=reason, conn=conn)
    return logs


def _preview(store: Store, by_layer: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """What :func:`_apply` would change, field by field."""
    records = []
    for layer_name, rows in by_layer.items():
        changes = _change_frame(layer_name, rows).drop(columns=["version"], errors="ignore")
        fields = [c for c in changes.columns if c != "code"]
        current = store.read(
            layer_name, where={"code": list(changes["code"])}, columns=["code", *fields]
        )
        merged = changes.merge(current, on="code", suffixes=("", "_now"))
        for field in fields:
            differs = merged[field].astype(object).ne(merged[f"{field}_now"].astype(object))
            differs &= ~(merged[field].isna() & merged[f"{field}_now"].isna())
            part = merged.loc[differs, ["code", f"{field}_now", field]]
            part.columns = ["code", "before", "after"]
            records.append(part.assign(layer=layer_name, field=field))
    return _change_table(records)


def _flatten(logs: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Store change logs (dicts of before/after) as one row per changed field."""
    records = []
    for layer_name, log in logs.items():
        for code, before, after in log[["code", "before", "after"]].itertuples(index=False):
            for field, value in after.items():
                records.append(
                    {
                        "layer": layer_name,
                        "code": code,
                        "field": field,
                        "before": before.get(field),
                        "after": value,
                    }
                )
    return pd.DataFrame(records, columns=["layer", "code", "field", "before", "after"])


def _change_table(
    parts: Sequence[pd.DataFrame], columns: Sequence[str] = CHANGE_COLUMNS[:5]
) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=list(columns))
    out = pd.concat(parts, ignore_index=True)[list(columns)]
    return (
        out.astype(object)
        .where(out.notna(), None)
        .sort_values(["layer", "code", "field"], ignore_index=True)
    )


# -- history -------------------------------------------------------------------


def feature_history(store: Store, layer_name: str, code: str) -> pd.DataFrame:
    """The audit entries of one feature, oldest first.

    Returns
    -------
    pandas.DataFrame
        ``at``, ``actor``, ``action``, ``before`` and ``after`` (dicts of the
        changed fields), ``reason``.

    Raises
    ------
    NotFound
        The feature does not exist and never did.
    """
    get_layer(layer_name)
    entries = store.history(layer_name, code)
    if entries.empty:
        store.get(layer_name, code)  # raises NotFound for an unknown feature
    out = entries[["at", "actor", "action", "before", "after", "reason"]].copy()
    for column in ("before", "after"):
        out[column] = [json.loads(v) if v else {} for v in out[column]]
    return out.reset_index(drop=True)


# -- auto-assign -----------------------------------------------------------------


def auto_assign(
    store: Store, config: Config, *, dry_run: bool = True, actor: str = "auto-assign"
) -> pd.DataFrame:
    """Give units to cells, points, streets and alleys by the rules of this module.

    Parameters
    ----------
    store
        The city.
    config
        Its ``metric_crs`` chooses the CRS lengths and areas are measured in.
    dry_run
        Only return what would change (the default).
    actor
        Who the audit log names for the changes.

    Returns
    -------
    pandas.DataFrame
        One row per changed field: ``layer``, ``code``, ``field``
        (``unit_code``, ``head_code`` or ``manager_code``), ``before``,
        ``after``, and ``rule`` (``subdistrict``, ``containing_cell``,
        ``largest_length_share``, or ``head_of_other_unit`` for a head
        cleared because the unit changed). Applied unless ``dry_run``.
    """
    crs = city_metric_crs(store, config)
    cells = store.read(
        "grids", columns=["code", "unit_code", "manager_code", "assigned_by"]
    ).to_crs(crs)
    cell_units = _cell_units(store, cells, crs)
    proposals = [cell_units]
    units_now = cells.set_index("code")["unit_code"].copy()
    units_now.update(cell_units.set_index("code")["after"])
    points = store.read("points", columns=["code", "unit_code", "head_code", "assigned_by"]).to_crs(
        crs
    )
    if not points.empty and len(cells):
        locations = shapely.point_on_surface(points.geometry.to_numpy())
        proposals.append(
            _proposed(points, "points", cell_at(cells, locations), units_now, "containing_cell")
        )
    for layer_name in ("streets", "alleys"):
        lines = store.read(
            layer_name, columns=["code", "unit_code", "head_code", "assigned_by"]
        ).to_crs(crs)
        if lines.empty or cells.empty:
            continue
        cell_codes = largest_share(
            lines.geometry, cells.geometry, cells["code"].to_numpy(), "length"
        )
        proposals.append(
            _proposed(lines, layer_name, cell_codes, units_now, "largest_length_share")
        )
    units = pd.concat([p for p in proposals if not p.empty] or [cell_units], ignore_index=True)
    changes = _with_cleared_heads(store, units)
    if not dry_run and not changes.empty:
        _apply_auto(store, config, changes, actor)
    return changes


def _open_to_auto(frame: pd.DataFrame) -> np.ndarray:
    """Features auto-assign may change: assigned automatically, or without a unit."""
    by = frame["assigned_by"]
    return ((by == "auto") | frame["unit_code"].isna()).to_numpy() & (by != "manual").to_numpy()


def _cell_units(store: Store, cells: gpd.GeoDataFrame, crs: CRS) -> pd.DataFrame:
    """Rule ``subdistrict``: cells without a lead unit take their sub-district's unit."""
    empty = pd.DataFrame(columns=["layer", "code", "before", "after", "rule"])
    todo = cells[_open_to_auto(cells) & cells["unit_code"].isna().to_numpy()]
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
            "layer": "grids",
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
) -> pd.DataFrame:
    after = pd.Series(cell_codes, dtype=object).map(cell_units).to_numpy(dtype=object)
    out = pd.DataFrame(
        {
            "layer": layer_name,
            "code": features["code"].to_numpy(),
            "before": features["unit_code"].to_numpy(dtype=object),
            "after": after,
            "rule": rule,
        }
    )
    keep = _open_to_auto(features) & pd.notna(after) & (out["before"] != out["after"]).to_numpy()
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
    """Add rows clearing heads who belong to another unit than the new one."""
    if units.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    parts = [units.assign(field="unit_code")]
    people = store.read("people", columns=["code", "unit_code"]).set_index("code")["unit_code"]
    for layer_name, rows in units.groupby("layer"):
        head_field = HEAD_FIELDS[str(layer_name)]
        heads = store.read(
            layer_name, where={"code": list(rows["code"])}, columns=["code", head_field]
        )
        merged = rows.merge(heads, on="code")
        head_unit = merged[head_field].map(people)
        stale = merged[head_field].notna() & (head_unit != merged["after"])
        parts.append(
            pd.DataFrame(
                {
                    "layer": layer_name,
                    "code": merged.loc[stale, "code"],
                    "field": head_field,
                    "before": merged.loc[stale, head_field],
                    "after": None,
                    "rule": "head_of_other_unit",
                }
            )
        )
    return _change_table(parts, CHANGE_COLUMNS)


def _apply_auto(store: Store, config: Config, changes: pd.DataFrame, actor: str) -> None:
    from citygrid.services.reroute import follow_assignments

    changed: dict[str, list[str]] = {}
    with store.transaction() as conn:
        unit_rows = changes[changes["field"] == "unit_code"]
        for (layer_name, rule), rows in unit_rows.groupby(["layer", "rule"]):
            name = str(layer_name)
            head_field = HEAD_FIELDS[name]
            cleared = changes.loc[
                (changes["layer"] == name) & (changes["field"] == head_field), "code"
            ]
            frame = pd.DataFrame(
                {"code": rows["code"], "unit_code": rows["after"], "assigned_by": "auto"}
            )
            clears = frame["code"].isin(cleared)
            for part in (frame[clears].assign(**{head_field: None}), frame[~clears]):
                if part.empty:
                    continue
                log = store.update(
                    name, part, actor=actor, action="auto_assign", reason=str(rule), conn=conn
                )
                changed.setdefault(name, []).extend(log["code"])
        follow_assignments(
            store, changed, config=config, actor=actor, reason="auto_assign", conn=conn
        )


# -- units ---------------------------------------------------------------------------

#: What a unit can hold, and the field naming it there.
_HOLDINGS = (
    ("grids", "unit_code"),
    ("streets", "unit_code"),
    ("alleys", "unit_code"),
    ("points", "unit_code"),
    ("people", "unit_code"),
    ("units", "parent_code"),
)


def unit_holdings(store: Store, unit: str) -> dict[str, list[str]]:
    """Codes of what a unit holds: features, people, sub-units and open problems."""
    from citygrid.services.reroute import OPEN_STATUSES

    held = {
        layer: sorted(store.read(layer, where={field: unit}, columns=["code"])["code"])
        for layer, field in _HOLDINGS
    }
    problems = store.read(
        "problems", where={"unit_code": unit, "status": list(OPEN_STATUSES)}, columns=["code"]
    )
    held["problems"] = sorted(problems["code"])
    return {layer: codes for layer, codes in held.items() if codes}


def delete_unit(store: Store, unit: str, *, actor: str, reason: str | None = None) -> None:
    """Delete a unit that holds nothing.

    Raises
    ------
    NotFound
        There is no such unit.
    Conflict
        The unit still holds features, people, sub-units or open problems;
        the message lists them and nothing is deleted.
    """
    store.get("units", unit)
    held = unit_holdings(store, unit)
    if held:
        listing = "; ".join(
            f"{layer}: {', '.join(codes[:10])}"
            + (f" (+{len(codes) - 10})" if len(codes) > 10 else "")
            for layer, codes in held.items()
        )
        raise Conflict(
            "Unit {unit} still holds {holdings}. Assign them to another unit first, then delete "
            "it again; nothing was deleted.",
            unit=unit,
            holdings=listing,
            held=held,
        )
    store.delete("units", [unit], actor=actor, reason=reason)
