"""Import files into stored layers, all or nothing.

:func:`import_file` reads a file (any format of :mod:`citygrid.gis.formats`)
into a stored, editable layer: it maps the file's columns to the layer's
fields (by name, zh or en label, or an explicit mapping), converts types
(:mod:`citygrid.layers.import_values`), checks geometries, codes and
references (:mod:`citygrid.layers.import_checks`), reprojects to EPSG:4326
(removing a GCJ-02 / BD-09 offset when the user says the file carries one)
and writes in batches inside one transaction, so the import lands whole or
not at all. It returns an :class:`ImportReport`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from citygrid.ahead import made_ahead
from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.gis import formats
from citygrid.gis.crs import CrsSpec, parse_crs
from citygrid.gis.validate import rows_text
from citygrid.layers.exporting import database_files
from citygrid.layers.import_checks import (
    References,
    SeenCodes,
    convert_batch,
    refuse_dangling,
)
from citygrid.layers.registry import Field, Layer, get_layer, stored_layers
from citygrid.layers.store import Store

DEFAULT_BATCH_SIZE = 50_000
BULK_IMPORT_FEATURES = 50_000  # imports this large build the layer's indexes once, at the end
Progress = Callable[[int, int], None]
# Formats whose files say nothing about their CRS when they say nothing: refuse;
# GeoJSON and KML are WGS 84 by definition, CSV is read as WGS 84 unless told.
_CRS_REQUIRED = ("shp", "gpkg", "fgb", "parquet")


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do).

    Attributes
    ----------
    layer, path, format
        Where the features went and where they came from.
    crs
        The CRS the file was read in (as the user or the file named it).
    encoding
        The text encoding used, or ``None`` when the format fixes it.
    mapping
        ``{field: source column}`` for every field filled from the file.
    ignored
        Source columns no field took.
    features
        Features read (and written unless ``dry_run``).
    repaired_rows
        File rows (from 1) whose invalid geometry was repaired.
    missing_refs
        With ``allow_missing_refs``: ``{field: {code: first rows}}`` for
        the codes imported although no feature holds them.
    mode
        ``append`` or ``replace``.
    dry_run
        Nothing was kept: the writes ran and were rolled back.
    seconds
        Wall time.
    """

    layer: str
    path: str
    format: str
    crs: str
    encoding: str | None
    mapping: dict[str, str]
    ignored: list[str]
    mode: str
    dry_run: bool
    features: int = 0
    repaired_rows: list[int] = field(default_factory=list)
    missing_refs: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def repaired(self) -> int:
        """How many geometries were repaired."""
        return len(self.repaired_rows)


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def _refuse_own_database(store: Store, path: str | os.PathLike[str]) -> None:
    """Refuse the store's own database as a file to import (GDAL would open it in this
    process, beside the store's SQLite; see :mod:`~citygrid.gis.formats.child_reads`)."""
    own = {p.resolve() for p in database_files(store)}
    if Path(path).expanduser().resolve() in own:
        raise BadInput(
            "{path} is this store's own database, not a file to import. Export the layer "
            "to a file first (citygrid export), then import that file.",
            path=os.fspath(path),
        )


def import_file(
    store: Store,
    layer_name: str,
    path: str | os.PathLike[str],
    *,
    crs: str | None = None,
    encoding: str | None = None,
    mapping: Mapping[str, str] | None = None,
    source_layer: str | None = None,
    fmt: str | None = None,
    mode: str = "append",
    dry_run: bool = False,
    strict: bool = False,
    allow_missing_refs: bool = False,
    actor: str = "system",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a file into a stored layer, all or nothing.

    Parameters
    ----------
    store
        The store to write to.
    layer_name
        A stored, editable layer.
    path
        The file (see :mod:`citygrid.gis.formats` for formats).
    crs
        The file's CRS when it has none or states it wrongly (EPSG code,
        WKT, PROJ, ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``); GCJ-02
        and BD-09 coordinates are shifted back to WGS 84.
    encoding
        Text encoding of the attributes (checked against the bytes).
    mapping
        ``{field: source column}``; a field may be named by its name or its
        zh/en label. Other fields are found by name or label.
    source_layer
        The layer to read in a multi-layer file (GeoPackage).
    fmt
        Format name when the extension does not tell it.
    mode
        ``append`` or ``replace`` (delete the layer's features first).
    dry_run
        Read, check and write everything, then roll back.
    strict
        Refuse invalid geometries instead of repairing them.
    allow_missing_refs
        Import codes of units, heads, parents... that no feature holds
        (listed in the report) instead of refusing the file.
    actor
        Who imports, for the audit log.
    batch_size
        Features read and written per batch.
    progress
        Called after each batch with ``(features done, total or -1)``.

    Returns
    -------
    ImportReport

    Raises
    ------
    BadInput, NotFound, Conflict
        Anything wrong with the file, the options or the data; the store
        is left exactly as it was.
    """
    started = time.perf_counter()
    layer = _importable(layer_name)
    if mode not in ("append", "replace"):
        raise BadInput("Import mode must be append or replace, not {mode!r}.", mode=mode)
    _refuse_own_database(store, path)
    source = formats.open_source(
        path,
        fmt=fmt,
        encoding=encoding,
        source_layer=source_layer,
        geometry=layer.has_geometry,
    )
    spec = _source_crs(source, crs, layer)
    fields = _field_mapping(layer, source, mapping or {})
    report = ImportReport(
        layer=layer.name,
        path=str(source.path),
        format=source.format.name,
        crs=spec.name if spec is not None else "-",
        encoding=source.encoding,
        mapping={f.name: column for f, column in fields.items()},
        ignored=[c for c in source.columns if c not in fields.values()],
        mode=mode,
        dry_run=dry_run,
    )
    if source.feature_count == 0:
        raise _no_features(source.path)
    seen_codes = SeenCodes()
    references = References(layer)
    try:
        checked = _checked_batches(
            source, batch_size, layer, fields, spec, strict, report, seen_codes, references
        )
        with (
            store.transaction() as conn,
            _bulk(store, layer, source, conn),
            made_ahead(checked) as frames,
        ):
            for frame in frames:
                if len(frame):
                    store.write(
                        layer.name,
                        frame,
                        mode=mode if report.features == 0 else "append",
                        actor=actor,
                        reason=f"import {source.path.name}",
                        conn=conn,
                    )
                report.features += len(frame)
                if progress is not None:
                    progress(report.features, source.feature_count)
            if report.features == 0:
                raise _no_features(source.path)
            report.missing_refs = references.dangling(store, conn)
            if report.missing_refs and not allow_missing_refs:
                raise refuse_dangling(source.path, report.missing_refs)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except Conflict:
        # The transaction is rolled back; name the rows whose codes are stored already.
        raise _already_stored(store, layer, seen_codes, source.path) from None
    report.seconds = time.perf_counter() - started
    return report


def _checked_batches(
    source: formats.Source,
    batch_size: int,
    layer: Layer,
    fields: Mapping[Field, str],
    spec: CrsSpec | None,
    strict: bool,
    report: ImportReport,
    seen_codes: SeenCodes,
    references: References,
) -> Iterator[pd.DataFrame]:
    """The file's batches as the layer's frames, each checked (types, geometries, codes
    seen before, references noted); repaired rows are added to ``report``."""
    for batch in formats.read_batches(source, batch_size):
        frame, repaired = convert_batch(batch, layer, fields, spec, str(source.path), strict)
        report.repaired_rows.extend(int(r) for r in repaired)
        seen_codes.check(frame, layer, batch.index.to_numpy() + 1, source.path)
        references.add(frame)
        yield frame


def _bulk(
    store: Store, layer: Layer, source: formats.Source, conn: sa.Connection
) -> AbstractContextManager[None]:
    """Build the layer's indexes once at the end of a large import."""
    if source.feature_count >= BULK_IMPORT_FEATURES:
        return store.bulk_load(layer.name, conn)
    return nullcontext()


def _already_stored(store: Store, layer: Layer, seen: SeenCodes, path: Path) -> Conflict:
    """The conflict of an append whose codes the layer holds already, naming the rows of
    every batch read (a bulk load finds the clash only when it builds its indexes)."""
    key = layer.key or "code"
    stored = store.read(layer.name, columns=[key], order_by=None)[key]
    rows, codes = seen.among(pa.array(stored.astype(str).to_numpy(dtype=object), pa.string()))
    return Conflict(
        "{path}: rows {rows} have codes that layer {layer} holds already ({codes}); nothing "
        "was imported. Use --replace, or leave those rows out.",
        path=str(path),
        rows=rows_text(rows),
        layer=layer.name,
        codes=", ".join(codes[:10]),
    )


def _importable(layer_name: str) -> Layer:
    layer = get_layer(layer_name)
    known = ", ".join(lyr.name for lyr in stored_layers() if lyr.editable)
    if not layer.stored:
        raise BadInput(
            "Layer {layer} is computed by an analysis, so nothing can be imported into it. "
            "Import into one of: {known}.",
            layer=layer.name,
            known=known,
        )
    if not layer.editable:
        raise BadInput(
            "Layer {layer} is kept by citygrid itself and cannot be imported into. Import "
            "into one of: {known}.",
            layer=layer.name,
            known=known,
        )
    return layer


def _no_features(path: Path) -> BadInput:
    return BadInput(
        "{path} holds no features; check that you chose the right file (or --source-layer).",
        path=str(path),
    )


def _source_crs(source: formats.Source, crs: str | None, layer: Layer) -> CrsSpec | None:
    """The CRS to read the file in: the user's, else the file's, else WGS 84 where allowed."""
    if not layer.has_geometry:
        return None
    if not source.has_geometry:
        raise BadInput(
            "{path} has no geometries, but layer {layer} needs them; choose a spatial layer "
            "of the file with --source-layer, or a file with geometries.",
            path=str(source.path),
            layer=layer.name,
        )
    if crs is not None:
        return parse_crs(crs)
    if source.crs is not None:
        return parse_crs(source.crs)
    if source.format.name == "shp":
        raise BadInput(
            "{path} has no .prj file, so its CRS is unknown and its coordinates cannot be "
            "placed. Give the CRS with --crs, e.g. --crs EPSG:4490 (CGCS2000), --crs EPSG:4326 "
            "(WGS 84) or --crs EPSG:4547 (a Gauss-Krüger zone).",
            path=str(source.path),
        )
    if source.format.name in _CRS_REQUIRED:
        raise BadInput(
            "{path} does not say its CRS, so its coordinates cannot be placed. Give the CRS "
            "with --crs, e.g. --crs EPSG:4490 (CGCS2000) or --crs EPSG:4326 (WGS 84).",
            path=str(source.path),
        )
    return parse_crs("EPSG:4326")


def _field_mapping(
    layer: Layer, source: formats.Source, explicit: Mapping[str, str]
) -> dict[Field, str]:
    """Which source column fills each field: ``explicit`` first, then names and labels."""
    columns = list(source.columns)
    fields: dict[Field, str] = {}
    for name, column in explicit.items():
        target = layer.field(name)
        if column not in columns:
            raise NotFound(
                "--map {name}={column}: {path} has no column {column!r}; its columns are: {known}.",
                name=name,
                column=column,
                path=str(source.path),
                known=", ".join(columns),
            )
        fields[target] = column
    by_key = {c.strip().lower(): c for c in reversed(columns)}
    for f in layer.fields:
        if f in fields:
            continue
        for key in (f.name, f.zh, f.en):
            found = by_key.get(key.lower())
            if found is not None and found not in fields.values():
                fields[f] = found
                break
    for f in layer.required_fields():
        if f not in fields:
            raise BadInput(
                "{path} has no column for the required field {field} ({label}); its columns "
                "are: {known}. Name a column {field} or {label}, or give --map {field}=COLUMN.",
                path=str(source.path),
                field=f.name,
                label=f.label(),
                known=", ".join(columns) or "none",
            )
    return fields
