"""Checks of imported features: fields, geometries, unique codes and references.

- :func:`convert_batch` types a batch's columns, checks required fields and
  geometries (:mod:`citygrid.gis.validate`) and moves them to EPSG:4326;
- :class:`SeenCodes` refuses codes repeated in the file;
- :class:`References` gathers the codes a file refers to (a unit, a head, a
  parent...) and finds those no stored feature has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from citygrid.errors import BadInput
from citygrid.gis.crs import STORAGE_CRS, CrsSpec, to_storage
from citygrid.gis.validate import PLACE, rows_text, validate_geometries
from citygrid.layers.import_values import typed_column
from citygrid.layers.registry import Field, Layer, get_layer
from citygrid.layers.store import Store

MAX_CODES_NAMED = 10
_KEYS_AT_A_TIME = 100_000


def convert_batch(
    batch: gpd.GeoDataFrame,
    layer: Layer,
    fields: Mapping[Field, str],
    spec: CrsSpec | None,
    path: str,
    strict: bool,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One batch as a frame of the layer's fields, typed, checked and in EPSG:4326.

    Parameters
    ----------
    batch
        Features as read from the file, in its CRS; the index holds their
        positions in the file (from 0).
    layer
        The layer imported into.
    fields
        ``{field: source column}``.
    spec
        The file's CRS, or ``None`` for a layer without geometry.
    path
        The file, for messages.
    strict
        Refuse invalid geometries instead of repairing them.

    Returns
    -------
    frame, repaired_rows
        The features to store (a GeoDataFrame in EPSG:4326 for a spatial
        layer) and the file rows (from 1) whose geometry was repaired.
    """
    rows = batch.index.to_numpy() + 1
    data = {f.name: typed_column(batch[column], f, rows, path) for f, column in fields.items()}
    frame = pd.DataFrame(data, index=batch.index)
    for f in layer.required_fields():
        missing = frame[f.name].isna().to_numpy()
        if missing.all():
            raise BadInput(
                "{path}: the required field {field} ({label}), from column {column}, is "
                "empty in every row; fill it or map another column with --map.",
                path=path,
                field=f.name,
                label=f.label(),
                column=fields[f],
            )
        if missing.any():
            raise BadInput(
                "{path}: rows {rows} have no value in the required field {field} ({label}); "
                "fill them or remove those rows.",
                path=path,
                rows=rows_text(rows[missing]),
                field=f.name,
                label=f.label(),
            )
    if not layer.has_geometry or spec is None:
        return frame, rows[:0]
    checked = validate_geometries(
        batch.geometry.to_numpy(),
        rows,
        geometry_type=accepted_geometry(layer),
        geographic=spec.is_geographic,
        path=path,
        strict=strict,
    )
    geoms = to_storage(gpd.GeoSeries(checked.geometries, index=batch.index), spec)
    _check_projected(geoms, rows, path, spec)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=STORAGE_CRS), checked.repaired_rows


def accepted_geometry(layer: Layer) -> str:
    """The geometry type an import into ``layer`` accepts (see :mod:`citygrid.gis.validate`).

    A stored layer declared ``Geometry`` holds places: points or areas (an
    inspection point is a point or a polygon); lines belong to streets and
    alleys, so they are refused there.
    """
    declared = layer.geometry_type or "Geometry"
    return PLACE if declared == "Geometry" else declared


def _check_projected(geoms: gpd.GeoSeries, rows: np.ndarray, path: str, spec: CrsSpec) -> None:
    """Coordinates that the CRS could not place (infinite after reprojection)."""
    bounds = geoms.bounds.to_numpy()
    bad = ~np.isfinite(bounds).all(axis=1) | (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1)
    bad |= (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
    if bad.any():
        raise BadInput(
            "{path}: rows {rows} fall outside the world once read in {crs}; the file is "
            "probably in another CRS. Give the right one with --crs.",
            path=path,
            rows=rows_text(rows[bad]),
            crs=spec.name,
        )


@dataclass
class SeenCodes:
    """The codes of the batches checked so far, to refuse a code the file repeats.

    Kept as sorted 64-bit hashes, with the codes themselves as Arrow strings
    to confirm a hash that matches: a million codes take about 30 MB, where a
    set of Python strings took about 100 MB and scattered them through the
    heap between each batch's temporaries.
    """

    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    codes: list[pa.Array] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)

    def check(self, frame: pd.DataFrame, layer: Layer, rows: np.ndarray, path: Path) -> None:
        """Refuse the batch if a code repeats in it or in an earlier batch, naming the rows."""
        if layer.key is None or layer.key not in frame.columns:
            return
        values = frame[layer.key].astype(str).to_numpy()
        codes = pa.array(values, type=pa.string())
        repeated = pd.Series(values).duplicated().to_numpy()
        hashes = pd.util.hash_array(values)
        if len(self.hashes):
            at = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
            if (self.hashes[at] == hashes).any():  # confirmed by the codes: hashes may collide
                earlier = pa.chunked_array(self.codes, type=pa.string()).combine_chunks()
                repeated = repeated | pc.is_in(codes, value_set=earlier).to_numpy(
                    zero_copy_only=False
                )
        if repeated.any():
            raise BadInput(
                "{path}: rows {rows} repeat codes found earlier in the file ({codes}); each "
                "feature needs its own {key}.",
                path=str(path),
                rows=rows_text(rows[repeated]),
                codes=", ".join(sorted(set(values[repeated]))[:10]),
                key=layer.key,
            )
        self.hashes = np.sort(np.concatenate([self.hashes, hashes]), kind="stable")
        self.codes.append(codes)
        self.rows.append(np.asarray(rows))

    def among(self, keys: pa.Array) -> tuple[np.ndarray, list[str]]:
        """The rows (from 1) of the codes checked so far that are among ``keys``, and those
        codes."""
        if not self.codes:
            return np.empty(0, dtype=np.int64), []
        codes = pa.chunked_array(self.codes, type=pa.string()).combine_chunks()
        found = pc.is_in(codes, value_set=keys).to_numpy(zero_copy_only=False)
        return np.concatenate(self.rows)[found], codes.filter(pa.array(found)).to_pylist()


@dataclass
class References:
    """The codes a file refers to (a unit, a head, a parent...), with their first rows.

    Feed each converted batch to :meth:`add`; :meth:`dangling` then reads,
    inside the import's transaction, which codes no feature holds (the
    file's own features count, for a layer that refers to itself). Each
    batch keeps only the first :data:`MAX_CODES_NAMED` rows of each code, as
    Arrow strings: a million problems naming a few hundred units keep a few
    thousand rows, not a million Python strings.
    """

    layer: Layer
    found: dict[str, list[pd.DataFrame]] = field(default_factory=dict)

    def add(self, frame: pd.DataFrame) -> None:
        """Note the reference codes of one converted batch (index: file positions)."""
        for f in self.layer.fields:
            if f.references is not None and f.name in frame.columns:
                values = frame[f.name].dropna()
                rows = pd.DataFrame(
                    {
                        "code": values.astype("string[pyarrow]").array,
                        "row": values.index.to_numpy() + 1,
                    }
                )
                firsts = rows.groupby("code", sort=False).head(MAX_CODES_NAMED)
                self.found.setdefault(f.name, []).append(firsts)

    def dangling(self, store: Store, conn: sa.Connection) -> dict[str, dict[str, list[int]]]:
        """``{field: {code: first rows}}`` for codes the referenced layers do not hold."""
        missing: dict[str, dict[str, list[int]]] = {}
        for name, parts in self.found.items():
            target = get_layer(self.layer.field(name).references or "")
            key = target.key or "code"
            column = store.table(target.name).c[key]
            rows = pd.concat(parts, ignore_index=True)
            found, codes = pd.factorize(rows["code"])
            named = pa.array(codes.array, type=pa.string())
            known = np.zeros(len(codes), dtype=bool)
            # The stored keys a slice at a time: a million codes at once would take 100 MB.
            stored = conn.execute(sa.select(column).where(column.is_not(None)))
            try:
                while keys := stored.cursor.fetchmany(_KEYS_AT_A_TIME):
                    held = pa.array([key for (key,) in keys], type=pa.string())
                    known |= pc.is_in(named, value_set=held).to_numpy(zero_copy_only=False)
            finally:
                stored.close()
            absent = rows[~known[found]]
            if len(absent):
                firsts = absent.groupby("code", sort=False).head(MAX_CODES_NAMED)
                missing[name] = {
                    str(code): group["row"].tolist()
                    for code, group in firsts.groupby("code", sort=False)
                }
        return missing


def dangling_text(missing: Mapping[str, Mapping[str, list[int]]]) -> str:
    """Dangling codes for a message: ``unit_code: U9 (3, 7), U8 (5); head_code: P4 (2)``."""
    parts = []
    for name, codes in missing.items():
        shown = list(codes.items())[:MAX_CODES_NAMED]
        named = [f"{code} ({rows_text(rows)})" for code, rows in shown]
        more = len(codes) - MAX_CODES_NAMED
        parts.append(f"{name}: " + ", ".join(named) + (f" (+{more})" if more > 0 else ""))
    return "; ".join(parts)


def refuse_dangling(path: Path, missing: Mapping[str, Mapping[str, list[int]]]) -> BadInput:
    """The error for an import whose references point at nothing."""
    return BadInput(
        "{path} refers to codes that do not exist (each with its rows): {details}. Nothing "
        "was imported. Import "
        "the features they name first, correct the codes, or give --allow-missing-refs to "
        "import them anyway.",
        path=str(path),
        details=dangling_text(missing),
    )
