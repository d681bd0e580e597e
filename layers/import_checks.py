"""Checks of imported features: fields, geometries, unique codes and references.

- :func:`convert_batch` types a batch's columns, checks required fields and
  geometries (:mod:`citygrid.gis.validate`) and moves them to EPSG:4326;
- :func:`check_unique` refuses codes repeated in the file;
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
import sqlalchemy as sa

from citygrid.errors import BadInput
from citygrid.gis.crs import STORAGE_CRS, CrsSpec, to_storage
from citygrid.gis.validate import PLACE, rows_text, validate_geometries
from citygrid.layers.columnar import fetch_columns
from citygrid.layers.import_values import typed_column
from citygrid.layers.registry import Field, Layer, get_layer
from citygrid.layers.store import Store

MAX_CODES_NAMED = 10


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


def check_unique(
    frame: pd.DataFrame, layer: Layer, seen: set[str], rows: np.ndarray, path: Path
) -> None:
    """Codes must be unique in the whole file, not only within a batch."""
    if layer.key is None or layer.key not in frame.columns:
        return
    codes = frame[layer.key].astype(str).to_numpy()
    repeated = pd.Series(codes).duplicated().to_numpy() | np.fromiter(
        (c in seen for c in codes), dtype=bool, count=len(codes)
    )
    if repeated.any():
        raise BadInput(
            "{path}: rows {rows} repeat codes found earlier in the file ({codes}); each "
            "feature needs its own {key}.",
            path=str(path),
            rows=rows_text(rows[repeated]),
            codes=", ".join(sorted(set(codes[repeated]))[:10]),
            key=layer.key,
        )
    seen.update(codes)


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
                        "code": values.astype("string[pyarrow]").to_numpy(),
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
            keys = fetch_columns(conn, sa.select(column), {key: "str"}, required=[key])[key]
            held = set(keys.astype(str).tolist())
            rows = pd.concat(parts, ignore_index=True)
            found, codes = pd.factorize(rows["code"])
            known = np.fromiter((c in held for c in codes), dtype=bool, count=len(codes))
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
