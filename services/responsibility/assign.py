"""Assign a unit (and head) to features by hand, and the shared apply and preview steps.

Every change goes through :meth:`Store.update` with ``action="assign"``
(by hand) or ``action="auto_assign"``, so the audit log holds who changed
what, when, the values before and after, and why; a stale version is
refused naming who changed the feature first. The open problems linked to
a changed feature follow it (:func:`citygrid.services.routing.reroute.follow_assignments`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from citygrid.errors import BadInput
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.providers.scoping import check_write
from citygrid.services.responsibility.checks import check_rows
from citygrid.services.responsibility.layers import head_field, responsible_layer, unit_field
from citygrid.services.routing.reroute import follow_assignments

#: Columns of the frame :func:`citygrid.services.responsibility.auto_assign` returns.
CHANGE_COLUMNS = ["layer", "code", "field", "before", "after", "rule"]


def check_assignable(layer_name: str) -> str:
    """Return the registry name of a responsible layer given by name or zh/en title.

    Raises
    ------
    BadInput
        The layer has no responsible unit; the message lists those that have.
    """
    return responsible_layer(layer_name).name


def assign(
    ctx: CityContext,
    layer_name: str,
    code: str,
    *,
    unit: str,
    head: str | None = None,
    version: int | None = None,
    reason: str | None = None,
) -> pd.DataFrame:
    """Make ``unit`` (and ``head``) responsible for one feature, by hand.

    Parameters
    ----------
    ctx
        The city; ``ctx.actor`` is written to the audit log, and the open
        problems that follow the change are routed in ``ctx.metric_crs``.
    layer_name
        A responsible layer (``grids``, ``streets``, ``alleys``, ``points``...).
    code
        The feature's code.
    unit, head
        Codes of the responsible unit and of its person who heads the
        feature (grid manager for a cell); the head must belong to the unit.
    version
        The version the user edited; a stale one is refused.
    reason
        For the audit log.

    Returns
    -------
    pandas.DataFrame
        The store's change log (``code``, ``version``, ``before``, ``after``);
        empty when nothing changed.

    Raises
    ------
    Unauthorized, PermissionDenied
        ``ctx.principal`` may not change this layer, or this feature (outside its scope).
    NotFound
        The feature, the unit or the head does not exist.
    BadInput
        The head belongs to another unit, or the layer has no head.
    Conflict
        ``version`` is stale (the message names who changed it first).
    """
    layer_name = check_assignable(layer_name)
    check_write(ctx, get_layer(layer_name), [code])
    head_name = head_field(layer_name)
    if head_name is None and head is not None:
        raise BadInput("Layer {layer} has no head; leave out --head.", layer=layer_name)
    frame = pd.DataFrame({"code": [code], "unit_code": [unit], "version": [version]})
    if head_name is not None:
        frame[head_name] = [head]
    problems = check_rows(ctx.store, layer_name, frame)
    if problems:
        raise problems[0].error
    return apply(ctx, {layer_name: frame}, reason=reason)[layer_name]


def _change_frame(layer_name: str, rows: pd.DataFrame) -> pd.DataFrame:
    head_name = head_field(layer_name)
    columns = ["code", "unit_code"] + ([head_name] if head_name in rows.columns else [])
    changes = rows[columns].rename(columns={"unit_code": unit_field(layer_name)})
    changes["assigned_by"] = "manual"
    if rows["version"].notna().any():
        changes["version"] = rows["version"]
    return changes


def apply(
    ctx: CityContext, by_layer: Mapping[str, pd.DataFrame], *, reason: str | None
) -> dict[str, pd.DataFrame]:
    """Write checked assignments (layer -> rows) in one transaction; problems follow.

    Returns the store's change log per layer.
    """
    store = ctx.store
    logs: dict[str, pd.DataFrame] = {}
    with store.transaction() as conn:
        for layer_name, rows in by_layer.items():
            logs[layer_name] = store.update(
                layer_name,
                _change_frame(layer_name, rows),
                actor=ctx.actor,
                action="assign",
                reason=reason,
                conn=conn,
            )
        changed = {name: list(log["code"]) for name, log in logs.items() if not log.empty}
        if changed:
            follow_assignments(ctx, changed, reason=reason, conn=conn)
    return logs


def preview(store: Store, by_layer: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """What :func:`apply` would change, field by field (``layer``, ``code``, ``field``,
    ``before``, ``after``)."""
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
    return change_table(records)


def flatten(logs: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
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


def change_table(
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
