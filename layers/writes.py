"""Writing features: inserts and replace-loads, with their checks and the bulk path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import numpy as np
import pandas as pd
import sqlalchemy as sa

from citygrid.errors import BadInput, Conflict
from citygrid.layers.edits import FeatureEdits
from citygrid.layers.engine import mark_written
from citygrid.layers.frames import column_lists, storage_wkb
from citygrid.layers.registry import Layer, get_layer

_BULK_ROWS = 50_000  # replace-loads at least this large rebuild the indexes after loading


class FeatureWrites(FeatureEdits):
    """Writes of the store (part of :class:`~citygrid.layers.store.Store`)."""

    def write(
        self,
        layer_name: str,
        frame: pd.DataFrame,
        *,
        mode: str = "append",
        actor: str = "system",
        reason: str | None = None,
        conn: sa.Connection | None = None,
    ) -> np.ndarray:
        """Insert features, in one transaction with one audit entry.

        Parameters
        ----------
        layer_name
            A stored layer.
        frame
            Columns named as the layer's fields (others are ignored); a
            GeoDataFrame in any CRS for spatial layers (no CRS is read as
            EPSG:4326).
        mode
            ``append`` adds the features; ``replace`` deletes all the
            layer's features first.
        actor, reason
            Who writes, and why (for the audit log).

        Returns
        -------
        numpy.ndarray
            The fids of the new features, in frame order.
        """
        if mode not in ("append", "replace"):
            raise BadInput("Write mode must be append or replace, not {mode!r}.", mode=mode)
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        columns = [name for name in layer.field_names if name in frame.columns]
        values = column_lists(frame, layer, columns)
        wkb = storage_wkb(frame, layer) if layer.has_geometry else None
        _check_required(frame, layer)
        duplicated = _duplicated_keys(frame, layer)
        if duplicated:
            raise Conflict(
                "Layer {layer} needs unique codes; these repeat in the data: {codes}. Nothing "
                "was written.",
                layer=layer.name,
                codes=", ".join(duplicated[:20]),
            )
        with self._conn(conn, write=True) as c:
            if not layer.internal:
                mark_written(c, [layer.name])
            removed = 0
            if mode == "replace":
                removed = self._delete_all(c, layer, table)
            large_replace = mode == "replace" and values.count >= _BULK_ROWS
            with self.bulk_load(layer.name, c) if large_replace else nullcontext():
                try:
                    fids = self.backend.insert_rows(c, table, columns, values, wkb)
                except sa.exc.IntegrityError as exc:
                    raise _codes_held(layer, exc) from None
            if layer.name != "audit":
                self._audit(
                    c,
                    [
                        {
                            "action": f"write:{mode}",
                            "layer": layer.name,
                            "feature_code": None,
                            "before": json.dumps({"features": removed}),
                            "after": json.dumps({"features": values.count}),
                            "reason": reason,
                        }
                    ],
                    actor,
                )
        return fids

    @contextmanager
    def bulk_load(self, layer_name: str, conn: sa.Connection) -> Iterator[None]:
        """Load many features into a layer with its indexes built once, at the end.

        Inside the block the layer's secondary indexes (the unique code, the
        field indexes, PostGIS's GiST) are dropped and SQLite's R*Tree is left
        alone; they are built again when the block ends, which is several
        times faster than keeping them up to date row by row. Use it with
        ``conn`` from :meth:`transaction`, so a failure restores the indexes
        with everything else. Nested calls for the same layer on the same
        connection do nothing.

        Raises
        ------
        Conflict
            The loaded codes clash with each other or with stored ones.
        """
        layer = get_layer(layer_name)
        table = self.table(layer_name)
        loading = conn.info.setdefault("citygrid_bulk_load", set())
        if layer.name in loading:
            yield
            return
        indexes = list(table.indexes)
        for index in indexes:
            index.drop(conn)
        loading.add(layer.name)
        try:
            spatial = layer.has_geometry
            with self.backend.deferred_index(conn, table) if spatial else nullcontext():
                yield
        finally:
            loading.discard(layer.name)
        try:
            for index in indexes:
                index.create(conn)
        except sa.exc.IntegrityError as exc:
            raise _codes_held(layer, exc) from None
        self.backend.after_bulk_load(conn, table)

    def _delete_all(self, conn: sa.Connection, layer: Layer, table: sa.Table) -> int:
        removed = conn.execute(table.delete()).rowcount
        if layer.has_geometry:
            self.backend.clear_index(conn, layer)
        return int(removed)


def _check_required(frame: pd.DataFrame, layer: Layer) -> None:
    """Refuse rows without a value in a required field, naming the rows (from 1)."""
    for f in layer.required_fields():
        if f.name not in frame.columns:
            raise BadInput(
                "Layer {layer} needs the field {field} ({label}); the data has no such column.",
                layer=layer.name,
                field=f.name,
                label=f.label(),
            )
        missing = np.flatnonzero(pd.isna(frame[f.name]).to_numpy()) + 1
        if len(missing):
            raise BadInput(
                "Layer {layer} needs a value in {field} ({label}); it is empty in row {rows}.",
                layer=layer.name,
                field=f.name,
                label=f.label(),
                rows=", ".join(str(r) for r in missing[:10])
                + (" ..." if len(missing) > 10 else ""),
            )


def _codes_held(layer: Layer, exc: sa.exc.IntegrityError) -> Conflict:
    return Conflict(
        "Layer {layer} already holds some of these codes ({reason}). Nothing was "
        "written; use replace, or leave those features out.",
        layer=layer.name,
        reason=str(exc.orig).strip().splitlines()[0],
    )


def _duplicated_keys(frame: pd.DataFrame, layer: Layer) -> list[str]:
    if layer.key is None or layer.key not in frame.columns:
        return []
    keys = frame[layer.key]
    return sorted(keys[keys.duplicated() & keys.notna()].astype(str).unique())
