"""Editing features: optimistic versions checked in the update, diffs and the audit log.

An edit locks the rows it changes (``SELECT ... FOR UPDATE`` on PostGIS;
SQLite's write transaction holds the database's write lock already), refuses
an expected version that is stale, naming who changed the feature last, and
updates ``WHERE fid = :fid AND version = :version_read``: a concurrent change
can never be overwritten unseen. Each changed feature gets one audit row with
the values before and after.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.layers.engine import mark_written
from citygrid.layers.frames import (
    DATETIME_TEXT,
    STORAGE_CRS,
    ColumnValues,
    column_lists,
    plain,
    storage_wkb,
    typed,
)
from citygrid.layers.reads import FrameReads
from citygrid.layers.registry import Layer, get_layer
from citygrid.layers.setwise import update_versioned
from citygrid.layers.sql import one_of

_AUDIT_ENTRY = ("action", "layer", "feature_code", "before", "after", "reason")
_JSON = json.JSONEncoder(
    ensure_ascii=False, default=str
)  # one encoder: json.dumps builds one per call

SECRET_CHANGED = "(changed)"
"""What the audit log holds, before and after, for a secret field that changed."""


class FeatureEdits(FrameReads):
    """Edits of the store (part of :class:`~citygrid.layers.store.Store`)."""

    def update(
        self,
        layer_name: str,
        changes: pd.DataFrame,
        *,
        actor: str,
        action: str = "update",
        reason: str | None = None,
        conn: sa.Connection | None = None,
        audit_after: Mapping[str, Any] | None = None,
        current: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Change features by code, bump their versions and audit every change.

        Parameters
        ----------
        changes
            One row per feature: its key (``code``), the fields to set, an
            optional ``geometry`` (EPSG:4326) and an optional ``version``:
            the version the user edited, refused when stale.
        actor, action, reason
            For the audit log.
        audit_after
            Values recorded in each audit row's ``after`` beside the changed
            fields (who reported a duplicate merged into a problem); personal
            data like the rest of ``after``.
        current
            The features as the caller has just read them (``fid``, ``version``,
            the key and every field changed), to spare reading them again: a
            large set-wise change that read them itself. Each row is still set
            only at the version read, so one changed by someone else in
            between is refused (:class:`Conflict`) with nothing changed.

        Returns
        -------
        pandas.DataFrame
            ``code``, ``version`` (the new one), ``before`` and ``after``
            (dicts of the changed fields) for the features that changed;
            rows whose values equal the stored ones are left alone.

        Raises
        ------
        NotFound
            Some codes do not exist (all are named; nothing is changed).
        Conflict
            Some expected versions are stale (naming who changed them last).
        """
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        key = layer.key
        if key is None or key not in changes.columns:
            raise BadInput(
                "Changes to layer {layer} need a {key} column.", layer=layer.name, key=key
            )
        fields = [c for c in changes.columns if c in layer.field_names and c != key]
        has_geometry = layer.has_geometry and "geometry" in changes.columns
        codes = list(changes[key])
        if current is not None:
            current = current[["fid", "version", key, *fields, *(["geometry"] * has_geometry)]]
        with self._conn(conn, write=True) as c:
            if current is None:
                _lock_rows(c, table, key, codes)
                current = self.read(layer_name, where={key: codes}, columns=[key, *fields], conn=c)
            current = current.set_index(key)
            _check_codes(changes[key], current.index, layer)
            if "version" in changes.columns:
                self._check_versions(c, layer, changes, current)
            by_code = changes.set_index(key)
            compared = _compare(by_code, current, fields, has_geometry, layer)
            if not len(compared.rows):
                return compared.log()[0]
            changed_codes = compared.codes()
            new_values = by_code.loc[changed_codes]
            stored = current.loc[changed_codes]
            fids = stored["fid"].to_numpy()
            # Only the columns some row changes: an unchanged column's indexes stay untouched.
            changing = [f for f in fields if compared.changed[f].any()]
            # The audit's dicts and JSON are made in a thread while the database writes
            # (SQLite and psycopg let go of the GIL): a reroute's 100,000 of them.
            with ThreadPoolExecutor(max_workers=1) as pool:
                audited = pool.submit(compared.log, audit_after)
                _set_fields(
                    c, layer, table, stored, changing, column_lists(new_values, layer, changing)
                )
                if has_geometry:
                    wkb = storage_wkb(
                        gpd.GeoDataFrame(new_values, geometry="geometry", crs=STORAGE_CRS), layer
                    )
                    self.backend.update_geometries(c, table, fids, wkb)
                log, befores, afters = audited.result()
            log["version"] = stored["version"].to_numpy() + 1
            self._audit(
                c,
                [
                    {
                        "action": action,
                        "layer": layer.name,
                        "feature_code": code,
                        "before": before,
                        "after": after,
                        "reason": reason,
                    }
                    for code, before, after in zip(
                        log["code"].tolist(), befores, afters, strict=True
                    )
                ],
                actor,
            )
        return log

    def _check_versions(
        self, conn: sa.Connection, layer: Layer, changes: pd.DataFrame, current: pd.DataFrame
    ) -> None:
        key = layer.key or "code"
        expected = changes.set_index(key)["version"]
        known = expected.notna()
        stored = current.loc[expected.index[known], "version"]
        stale = stored.index[stored.to_numpy() != expected[known].astype("int64").to_numpy()]
        if len(stale):
            code = str(stale[0])
            last = self.history(layer.name, code, conn=conn)
            who = last.iloc[-1] if not last.empty else None
            raise Conflict(
                "{layer} {code} was changed by {actor} at {at} (now version {version}, you "
                "edited version {expected}). Reload it and make your change again.",
                layer=layer.name,
                code=code,
                actor=who["actor"] if who is not None else "?",
                at=str(who["at"]) if who is not None else "?",
                version=int(stored[code]),
                expected=int(expected[code]),
                stale=[str(s) for s in stale],
            )

    def delete(
        self,
        layer_name: str,
        codes: Sequence[str],
        *,
        actor: str,
        reason: str | None = None,
        conn: sa.Connection | None = None,
    ) -> int:
        """Delete features by code, auditing each; unknown codes raise :class:`NotFound`."""
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        key = layer.key or "fid"
        with self._conn(conn, write=True) as c:
            _lock_rows(c, table, key, list(codes))
            current = self.read(layer_name, where={key: list(codes)}, conn=c)
            _check_codes(pd.Series(list(codes)), pd.Index(current[key]), layer)
            fids = current["fid"].to_numpy()
            c.execute(table.delete().where(one_of(table.c.fid, [int(f) for f in fids])))
            if layer.has_geometry:
                self.backend.delete_index_rows(c, table, fids)
            self._audit(
                c,
                [
                    {
                        "action": "delete",
                        "layer": layer.name,
                        "feature_code": str(code),
                        "before": json.dumps({"version": int(v)}),
                        "after": None,
                        "reason": reason,
                    }
                    for code, v in zip(current[key], current["version"], strict=True)
                ],
                actor,
            )
        return len(fids)

    # -- audit ----------------------------------------------------------------

    def _audit(self, conn: sa.Connection, entries: list[dict[str, Any]], actor: str) -> None:
        """Insert the audit rows in bulk (one ``executemany`` or ``COPY``)."""
        if not entries:
            return
        # Accounts do not change what computed layers show.
        layers = {e["layer"] for e in entries}
        mark_written(conn, {name for name in layers if not get_layer(name).internal})
        at = datetime.now().replace(microsecond=0).strftime(DATETIME_TEXT)
        n = len(entries)
        lists = [[at] * n, [actor] * n, [1] * n, *([e[k] for e in entries] for k in _AUDIT_ENTRY)]
        table = self.table("audit")
        self.backend.insert_rows(
            conn, table, ["at", "actor", "version", *_AUDIT_ENTRY], ColumnValues(lists, n), None
        )


def _json_texts(values: Iterable[dict[str, Any]]) -> list[str]:
    """Each dict as JSON text; equal dicts of plain values are encoded once (a reroute's
    hundred thousand ``{"unit_code": ...}`` hold a few hundred distinct ones)."""
    made: dict[tuple[Any, ...], str] = {}
    texts = []
    for value in values:
        try:  # the type too: 1, 1.0 and True are equal keys but not equal JSON
            key = tuple((name, v.__class__, v) for name, v in value.items())
            text = made.get(key)
        except TypeError:  # a list or dict among the values: encoded as it is
            key, text = (), None
        if text is None:
            text = _JSON.encode(value)
            if key:
                made[key] = text
        texts.append(text)
    return texts


def _lock_rows(conn: sa.Connection, table: sa.Table, key: str, codes: list[Any]) -> None:
    """Lock the rows of ``codes`` until the transaction ends, in fid order (no deadlocks).

    PostGIS waits here for a concurrent edit of the same rows to commit, then
    the read that follows sees its result. SQLite needs no lock (and has no
    ``FOR UPDATE``): its write transaction began ``IMMEDIATE`` and holds the
    write lock.
    """
    if conn.dialect.name == "sqlite":
        return
    stmt = sa.select(table.c.fid).where(one_of(table.c[key], codes)).order_by(table.c.fid)
    conn.execute(stmt.with_for_update())


def _set_fields(
    conn: sa.Connection,
    layer: Layer,
    table: sa.Table,
    stored: pd.DataFrame,
    fields: list[str],
    values: ColumnValues,
) -> None:
    """Set ``fields`` and bump the version of each row still at the version read, set-wise.

    Raises
    ------
    Conflict
        Some row's version moved since it was read (the row lock makes this a
        guard against writers that bypass the store, not an expected path).
    """
    fids = stored["fid"].to_numpy(dtype=np.int64).tolist()
    versions = stored["version"].to_numpy(dtype=np.int64).tolist()
    params = values.rows(fids, versions)
    if update_versioned(conn, table, fields, params) != len(params):
        raise Conflict(
            "Some features of layer {layer} were changed by someone else during this "
            "change; nothing was changed. Reload them and make your change again.",
            layer=layer.name,
        )


def _check_codes(wanted: pd.Series, found: pd.Index, layer: Layer) -> None:
    # Plain object arrays: hashed at once (Arrow-backed strings would go value by value).
    wanted_text = pd.Index(wanted.astype(str).to_numpy(dtype=object), dtype=object)
    absent = ~wanted_text.isin(found.astype(str).to_numpy(dtype=object))
    missing = sorted(set(wanted_text[absent]))
    if missing:
        raise NotFound(
            "Layer {layer} has no feature with code {codes}; nothing was changed.",
            layer=layer.name,
            codes=", ".join(missing[:20]) + (" ..." if len(missing) > 20 else ""),
            missing=missing,
        )


@dataclass(frozen=True)
class _Comparison:
    """Stored and new values of the features an update names, and which of them differ."""

    codes_in_order: pd.Index
    old: pd.DataFrame
    new: pd.DataFrame
    changed: dict[str, np.ndarray]
    rows: np.ndarray
    fields: list[str]
    layer: Layer

    def codes(self) -> np.ndarray:
        """The codes of the features that change, in the order of the update."""
        return self.codes_in_order.to_numpy(dtype=object)[self.rows]

    def log(
        self, audit_after: Mapping[str, Any] | None = None
    ) -> tuple[pd.DataFrame, list[str], list[str]]:
        """Per changed feature the before and after values of the fields that differ
        (``code``, ``before``, ``after``), and the audit's JSON of both, ``after`` with
        ``audit_after`` beside the changed fields.

        A secret field (a password hash) that changed is logged as
        :data:`SECRET_CHANGED`, never with its values.
        """
        slot = np.zeros(len(self.codes_in_order), dtype=np.int64)
        slot[self.rows] = np.arange(len(self.rows))
        befores: list[dict[str, Any]] = [{} for _ in range(len(self.rows))]
        afters: list[dict[str, Any]] = [{} for _ in range(len(self.rows))]
        # Field by field over the rows where it changed: one dict entry per changed value.
        for f in self.fields:
            hit = np.flatnonzero(self.changed[f])
            if self.layer.field(f).secret:
                for j in slot[hit].tolist():
                    befores[j][f] = afters[j][f] = SECRET_CHANGED
                continue
            olds = self.old[f].to_numpy(dtype=object)[hit]
            news = self.new[f].to_numpy(dtype=object)[hit]
            for j, before, after in zip(slot[hit].tolist(), olds, news, strict=True):
                befores[j][f], afters[j][f] = plain(before), plain(after)
        if "geometry" in self.changed:
            old_g = self.old["geometry"].to_numpy(dtype=object)
            new_g = self.new["geometry"].to_numpy(dtype=object)
            for i in np.flatnonzero(self.changed["geometry"]).tolist():
                j = int(slot[i])
                befores[j]["geometry"] = None if old_g[i] is None else old_g[i].wkt
                afters[j]["geometry"] = None if new_g[i] is None else new_g[i].wkt
        log = pd.DataFrame(
            {
                "code": self.codes(),
                "before": pd.Series(befores, dtype=object),
                "after": pd.Series(afters, dtype=object),
            },
            columns=["code", "before", "after"],
        )
        audited = afters if not audit_after else [{**a, **audit_after} for a in afters]
        return log, _json_texts(befores), _json_texts(audited)


def _compare(
    new: pd.DataFrame, current: pd.DataFrame, fields: list[str], has_geometry: bool, layer: Layer
) -> _Comparison:
    """Which fields of which features differ from the stored values.

    The comparison runs column by column on values converted to each field's
    type, so ``"2024-01-01"`` equals a stored midnight timestamp and ``3``
    equals ``3.0``.
    """
    codes = new.index
    old = current.loc[codes].reset_index(drop=True)
    upd = typed(new[fields].copy(), layer, fields).reset_index(drop=True)
    changed = {}
    for f in fields:
        both_missing = old[f].isna().to_numpy() & upd[f].isna().to_numpy()
        same = old[f].eq(upd[f]).fillna(False).to_numpy(dtype=bool)
        changed[f] = ~(same | both_missing)
    if has_geometry:
        upd["geometry"] = new["geometry"].to_numpy(dtype=object)
        old_g = old["geometry"].to_numpy(dtype=object)
        new_g = upd["geometry"].to_numpy(dtype=object)
        old_none, new_none = pd.isna(old_g), pd.isna(new_g)
        same_g = np.where(
            old_none | new_none,
            old_none & new_none,
            shapely.equals_exact(old_g, new_g, tolerance=1e-9),
        )
        changed["geometry"] = ~same_g.astype(bool)
    any_change = (
        np.logical_or.reduce(list(changed.values())) if changed else np.zeros(len(codes), bool)
    )
    return _Comparison(codes, old, upd, changed, np.flatnonzero(any_change), fields, layer)
