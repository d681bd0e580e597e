"""Apply many assignments at once from a frame or a file, all or none.

A file's columns may be named in English or by their zh labels; a row's
layer by its name or its zh or en title (``背街小巷``, ``Alleys``). A blank
head leaves the feature's head as it is (unless the head belongs to another
unit than the row's: then it is cleared, and the change listed); one of
:data:`CLEAR_MARKERS` (``-``, ``(clear)``, ``（清空）``) clears it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from citygrid.errors import BadInput, NotFound
from citygrid.gis import formats
from citygrid.layers.registry import responsible_layers
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.responsibility.assign import apply, flatten, preview
from citygrid.services.responsibility.checks import RowProblem, check_rows, row_problems
from citygrid.services.responsibility.layers import assignable_layers, head_field

CLEAR_MARKERS = ("-", "(clear)", "（清空）", "清空")
"""A head cell holding one of these clears the feature's head; a blank one keeps it."""

# Column names a bulk file may use (English field, zh label, short forms).
_FILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "layer": ("layer", "图层"),
    "code": ("code", "编码", "要素编码", "feature_code"),
    "name": ("name", "名称", "要素名称"),
    "unit_code": ("unit_code", "unit", "责任单位", "单位编码"),
    "head_code": ("head_code", "head", "责任人", "负责人"),
    "version": ("version", "版本"),
}


def _file_columns() -> dict[str, tuple[str, ...]]:
    """:data:`_FILE_COLUMNS` with every responsible layer's head field and its labels."""
    heads = [head_field(name) for name in assignable_layers()]
    labels = [
        label
        for layer in responsible_layers()
        if layer.responsibility and layer.responsibility.head_field
        for label in (
            layer.responsibility.head_field,
            layer.field(layer.responsibility.head_field).zh,
        )
    ]
    aliases = dict(_FILE_COLUMNS)
    aliases["head_code"] = tuple(dict.fromkeys([*aliases["head_code"], *heads, *labels]))  # type: ignore[list-item]
    return aliases


def assign_many(
    ctx: CityContext,
    assignments: pd.DataFrame,
    *,
    layer_name: str | None = None,
    reason: str | None = None,
    dry_run: bool = False,
    source: str = "-",
) -> pd.DataFrame:
    """Apply many assignments at once, all or none.

    Parameters
    ----------
    ctx
        The city; ``ctx.actor`` is written to the audit log.
    assignments
        One row per feature: ``layer`` (unless ``layer_name`` is given; a
        layer's name or its zh or en title), ``code`` or ``name`` of the
        feature, ``unit_code``, optionally ``head_code`` (``manager_code``
        for cells; blank keeps the head, ``-`` clears it) and ``version``.
        Column names may also be the zh labels (图层, 编码, 名称, 责任单位,
        责任人, 版本).
    layer_name
        The layer of every row, when the frame has no ``layer`` column.
    dry_run
        Check and report without changing anything.
    source
        Name of the file the rows came from, for messages.

    Returns
    -------
    pandas.DataFrame
        ``layer``, ``code``, ``field``, ``before``, ``after``: one row per
        changed field (what would change, with ``dry_run``).

    Raises
    ------
    BadInput
        Some rows name unknown layers, features, units or heads, or a head
        of another unit: every such row is listed and nothing is changed.
    Conflict
        A row's version is stale; nothing is changed.
    """
    store = ctx.store
    frame = _normalise_columns(assignments, layer_name, source)
    frame, problems = _layers(frame)
    by_layer: dict[str, pd.DataFrame] = {}
    for name, rows in frame.groupby("layer", sort=True):
        rows, unknown_names = _codes_from_names(store, str(name), rows)
        problems += unknown_names
        rows = _kept_heads(store, str(name), rows)
        problems += check_rows(store, str(name), rows.dropna(subset=["code"]))
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
        return preview(store, by_layer)
    return flatten(apply(ctx, by_layer, reason=reason))


def assign_file(
    ctx: CityContext,
    path: str | Path,
    *,
    layer_name: str | None = None,
    reason: str | None = None,
    dry_run: bool = False,
) -> pd.DataFrame:
    """Apply the assignments in a file: CSV, GeoPackage, Shapefile, GeoJSON...

    Read with :func:`read_table` (encodings detected, geometry ignored).
    See :func:`assign_many` for the columns and what is returned and raised.
    """
    table = read_table(Path(path))
    return assign_many(
        ctx, table, layer_name=layer_name, reason=reason, dry_run=dry_run, source=Path(path).name
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
    aliases = _file_columns()
    renames: dict[str, str] = {}
    for column in frame.columns:
        for field, names in aliases.items():
            if str(column).strip().lower() in names:
                renames[column] = field
    out = frame.rename(columns=renames)
    out = out[[c for c in aliases if c in out.columns]].copy()
    out = out.map(lambda v: v.strip() if isinstance(v, str) else v)
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
    out["keep_head"] = out["head_code"].isna()
    out["head_code"] = out["head_code"].where(~out["head_code"].isin(CLEAR_MARKERS), None)
    out["version"] = _versions(out["version"], out["row"], source)
    return out


def _layers(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Each row's layer by its registry name (given by name or zh/en title); bad rows listed."""
    names = {
        alias: layer.name
        for layer in responsible_layers()
        for alias in (layer.name, layer.zh, layer.en, layer.en.lower())
    }
    canonical = frame["layer"].map(lambda v: names.get(str(v).strip()) if v is not None else None)
    known = ", ".join(f"{layer.name} ({layer.zh})" for layer in responsible_layers())
    problems = row_problems(
        frame,
        (
            canonical.isna(),
            lambda r: BadInput(
                "{layer!r} is not a layer a unit answers for; name one of: {known}.",
                layer=r.layer,
                known=known,
            ),
        ),
    )
    return frame.assign(layer=canonical)[canonical.notna()], problems


def _kept_heads(store: Store, layer_name: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with the layer's head field: a blank head keeps the current one.

    A kept head who belongs to another unit than the row's is cleared, so
    the feature never keeps a head of a unit not responsible for it.
    """
    head_name = head_field(layer_name)
    keep = rows.pop("keep_head").to_numpy(dtype=bool)
    if head_name is None:
        return rows.drop(columns=["head_code"])
    rows = rows.rename(columns={"head_code": head_name})
    if not keep.any():
        return rows
    current = store.read(
        layer_name,
        where={"code": list(rows.loc[keep, "code"].dropna())},
        columns=["code", head_name],
    )
    heads = rows["code"].map(current.set_index("code")[head_name])
    people = store.read(
        "people", where={"code": list(heads.dropna())}, columns=["code", "unit_code"]
    )
    same_unit = heads.map(people.set_index("code")["unit_code"]) == rows["unit_code"]
    kept = heads.where(same_unit, None)
    rows[head_name] = rows[head_name].where(~keep, kept).astype(object)
    rows[head_name] = rows[head_name].where(rows[head_name].notna(), None)
    return rows


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
    problems = row_problems(
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
