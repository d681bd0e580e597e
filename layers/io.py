"""Import files into stored layers and export any layer to the files GIS users use.

- :func:`import_file` reads a file (any format of :mod:`citygrid.gis.formats`)
  into a stored, editable layer: it maps the file's columns to the layer's
  fields (by name, zh or en label, or an explicit mapping), converts types,
  checks and repairs geometries (:mod:`citygrid.gis.validate`), reprojects
  to EPSG:4326 (removing a GCJ-02 / BD-09 offset when the user says the
  file carries one) and writes in batches inside one transaction, so the
  import lands whole or not at all. It returns an :class:`ImportReport`.
- :func:`export_layer` writes a stored layer, optionally cut to a bbox and
  filtered with a ``--where`` expression (:mod:`citygrid.layers.where`).
- :func:`write_layer_file` writes any frame of a layer (stored or derived:
  hot spots, gaps) to a file in any supported format and CRS, with the
  layer's style inside GeoPackages; :func:`write_layers_file` writes
  several layers into one GeoPackage.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import sqlalchemy as sa

from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.gis import formats, qgis_style
from citygrid.gis.crs import STORAGE_CRS, CrsSpec, from_storage, parse_crs, to_storage
from citygrid.gis.validate import rows_text, validate_geometries
from citygrid.i18n import _
from citygrid.layers.registry import Field, Layer, get_layer, stored_layers
from citygrid.layers.store import Store
from citygrid.layers.where import parse_where

DEFAULT_BATCH_SIZE = 100_000
BULK_IMPORT_FEATURES = 50_000  # imports this large build the layer's indexes once, at the end
Progress = Callable[[int, int], None]
Labels = Literal["name", "zh", "en"]
_BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "y": True,
    "t": True,
    "是": True,
    "false": False,
    "0": False,
    "no": False,
    "n": False,
    "f": False,
    "否": False,
}
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
    seconds: float = 0.0

    @property
    def repaired(self) -> int:
        """How many geometries were repaired."""
        return len(self.repaired_rows)


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


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
    seen_codes: set[str] = set()
    frame = pd.DataFrame()
    try:
        with store.transaction() as conn, _bulk(store, layer, source, conn):
            for batch in formats.read_batches(source, batch_size):
                frame = _convert(batch, layer, fields, spec, source, strict, report)
                _check_unique(frame, layer, seen_codes, batch.index.to_numpy() + 1, source.path)
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
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except Conflict:
        # The transaction is rolled back; name the rows whose codes are stored already.
        raise _already_stored(store, layer, frame, source.path) from None
    report.seconds = time.perf_counter() - started
    return report


def _bulk(
    store: Store, layer: Layer, source: formats.Source, conn: sa.Connection
) -> AbstractContextManager[None]:
    """Build the layer's indexes once at the end of a large import."""
    if source.feature_count >= BULK_IMPORT_FEATURES:
        return store.bulk_load(layer.name, conn)
    return nullcontext()


def _already_stored(store: Store, layer: Layer, frame: pd.DataFrame, path: Path) -> Conflict:
    """The conflict of an append whose codes the layer holds already, naming the rows."""
    key = layer.key or "code"
    stored = set(store.read(layer.name, columns=[key], order_by=None)[key].astype(str))
    codes = frame[key].astype(str).to_numpy()
    clash = np.fromiter((c in stored for c in codes), dtype=bool, count=len(codes))
    return Conflict(
        "{path}: rows {rows} have codes that layer {layer} holds already ({codes}); nothing "
        "was imported. Use --replace, or leave those rows out.",
        path=str(path),
        rows=rows_text(frame.index.to_numpy()[clash] + 1),
        layer=layer.name,
        codes=", ".join(codes[clash][:10]),
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


def _convert(
    batch: gpd.GeoDataFrame,
    layer: Layer,
    fields: Mapping[Field, str],
    spec: CrsSpec | None,
    source: formats.Source,
    strict: bool,
    report: ImportReport,
) -> pd.DataFrame:
    """One batch as a frame of the layer's fields, typed, checked and in EPSG:4326."""
    rows = batch.index.to_numpy() + 1
    path = str(source.path)
    data = {f.name: _typed_column(batch[column], f, rows, path) for f, column in fields.items()}
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
        return frame
    checked = validate_geometries(
        batch.geometry.to_numpy(),
        rows,
        geometry_type=layer.geometry_type or "Geometry",
        geographic=spec.is_geographic,
        path=path,
        strict=strict,
    )
    report.repaired_rows.extend(int(r) for r in checked.repaired_rows)
    geoms = to_storage(gpd.GeoSeries(checked.geometries, index=batch.index), spec)
    _check_projected(geoms, rows, path, spec)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=STORAGE_CRS)


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


def _typed_column(series: pd.Series, f: Field, rows: np.ndarray, path: str) -> pd.Series:
    """A source column as the field's type; values that do not convert are named by row."""
    present = series.notna().to_numpy().copy()
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        text = series.astype("string").str.strip()
        present &= (text != "").fillna(False).to_numpy()
        series = text.where(present, None)
    if f.choices:
        return _choice_column(series, f, rows, path, present)
    if f.type == "str":
        return _text_column(series, present)
    converted: pd.Series
    if f.type in ("int", "float"):
        values = pd.to_numeric(series, errors="coerce")
        bad = present & values.isna().to_numpy()
        if f.type == "int":
            bad |= present & ~np.isclose(values.fillna(0) % 1, 0)
            converted = values.round().astype("Int64")
        else:
            converted = values.astype("float64")
    elif f.type == "bool":
        if pd.api.types.is_bool_dtype(series.dtype):
            converted = series.astype("boolean")
        else:
            converted = series.astype("string").str.lower().map(_BOOLEANS).astype("boolean")
        bad = present & converted.isna().to_numpy()
    else:
        converted = _datetimes(series)
        bad = present & converted.isna().to_numpy()
    if bad.any():
        first = np.flatnonzero(bad)[0]
        raise BadInput(
            "{path}: rows {rows} have values that are not {type} in field {field} (e.g. "
            "{value!r}); fix them, or map another column with --map.",
            path=path,
            rows=rows_text(rows[bad]),
            type=_type_words(f.type),
            field=f.name,
            value=str(series.iloc[first]),
        )
    return converted.where(present, None) if f.type in ("datetime", "date") else converted


def _type_words(field_type: str) -> str:
    """How a type is named in messages, in the current language."""
    words = {
        "int": _("whole numbers"),
        "float": _("numbers"),
        "bool": _("true/false"),
        "datetime": _("dates or times"),
        "date": _("dates"),
    }
    return words[field_type]


def _text_column(series: pd.Series, present: np.ndarray) -> pd.Series:
    """Text; whole numbers read as floats (shapefile codes) lose their ``.0``."""
    if pd.api.types.is_float_dtype(series.dtype):
        whole = series.notna() & (series % 1 == 0)
        text = series.astype("string")
        text[whole] = series[whole].astype("int64").astype("string")
        series = text
    elif pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = series.dt.strftime("%Y-%m-%d %H:%M:%S")
    out = series.astype("string").astype(object)
    return out.where(present, None)


def _choice_column(
    series: pd.Series, f: Field, rows: np.ndarray, path: str, present: np.ndarray
) -> pd.Series:
    """Choice values, accepting their zh and en labels too (English in any case)."""
    lookup = {}
    for choice in f.choices or ():
        for key in (choice.value, choice.zh, choice.en):
            lookup[key.lower()] = choice.value
    text = _text_column(series, present)
    values = text.str.lower().map(lookup) if len(text) else text
    bad = present & values.isna().to_numpy()
    if bad.any():
        unknown = sorted(set(text[bad].astype(str)))
        raise BadInput(
            "{path}: rows {rows} have values not allowed in {field}: {values}. Use one of: "
            "{known} (or their labels).",
            path=path,
            rows=rows_text(rows[bad]),
            field=f.name,
            values=", ".join(unknown[:10]),
            known=", ".join(f.choice_values()),
        )
    return values.astype(object).where(present, None)


def _datetimes(series: pd.Series) -> pd.Series:
    """Dates and times; time-zone-aware ones keep their wall-clock time."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series
    else:
        text = series.astype("string")
        values = pd.to_datetime(text, errors="coerce", format="ISO8601")
        retry = values.isna() & text.notna()
        if retry.any():
            values = values.astype("datetime64[us]") if values.dt.tz is None else values
            values[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values


def _check_unique(
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


# -- export ---------------------------------------------------------------------


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: the file, the layer, how many features, in which CRS."""

    layer: str
    path: str
    format: str
    crs: str
    features: int
    seconds: float


def export_layer(
    store: Store,
    layer_name: str,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    where: str | Sequence[str] | None = None,
    labels: Labels = "name",
) -> ExportReport:
    """Write a stored layer to a file.

    Parameters
    ----------
    store
        The store to read from.
    layer_name
        A stored layer (derived layers are written by their analyses, which
        call :func:`write_layer_file`).
    path
        Output file; the extension gives the format unless ``fmt`` does.
    crs
        CRS to write in (default EPSG:4326; ``gcj02``/``bd09`` shift onto
        the Chinese web offsets).
    bbox
        ``(minx, miny, maxx, maxy)`` in EPSG:4326: only features meeting it.
    where
        Filter expressions (:mod:`citygrid.layers.where`), all of which
        must hold, e.g. ``status in (open,reopened)``.
    labels
        Column names: field names (``name``), or the ``zh`` / ``en``
        labels, which also turn choice values into their labels. Import
        reads all three back.

    Returns
    -------
    ExportReport
    """
    started = time.perf_counter()
    layer = get_layer(layer_name)
    format_ = formats.detect_format(path, fmt)
    spec = parse_crs(crs) if crs is not None else None
    table = store.table(layer.name)
    filters = [parse_where(w, layer, table) for w in _as_list(where)]
    frame = store.read(layer.name, bbox=bbox, filters=filters)
    frame = frame.drop(columns=["fid", "version"])
    if labels != "name":
        frame = _with_labels(frame, layer, labels)
    written = write_layer_file(frame, path, layer=layer, fmt=format_.name, crs=spec)
    return ExportReport(
        layer=layer.name,
        path=str(written),
        format=format_.name,
        crs=spec.name if spec is not None else ("EPSG:4326" if layer.has_geometry else "-"),
        features=len(frame),
        seconds=time.perf_counter() - started,
    )


def _as_list(where: str | Sequence[str] | None) -> list[str]:
    if where is None:
        return []
    return [where] if isinstance(where, str) else list(where)


def _with_labels(frame: pd.DataFrame, layer: Layer, labels: Labels) -> pd.DataFrame:
    """Columns named by their labels, choice values replaced by their labels."""
    out = frame.copy()
    for f in layer.fields:
        if f.choices and f.name in out.columns:
            names = {c.value: c.label(labels if labels == "en" else "zh_CN") for c in f.choices}
            out[f.name] = out[f.name].map(names).where(out[f.name].notna(), None)
    lang = "en" if labels == "en" else "zh_CN"
    return out.rename(columns={f.name: f.label(lang) for f in layer.fields})


# -- writing any frame -----------------------------------------------------------


def write_layer_file(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    layer: Layer | str | None = None,
    fmt: str | None = None,
    crs: str | int | CrsSpec | None = None,
) -> Path:
    """Write features to a file for QGIS, ArcGIS or a report.

    Parameters
    ----------
    frame
        A GeoDataFrame (any CRS; none is read as EPSG:4326), or a plain
        DataFrame for layers without geometry (written as CSV or GeoPackage
        only).
    path
        Output file; the extension chooses the format unless ``fmt`` does
        (see :mod:`citygrid.gis.formats`). An existing file is replaced.
    layer
        The layer (or its name) the features belong to: names the layer
        inside the file and, for GeoPackages, adds the registered layer's
        style so QGIS opens it styled (an unregistered name is written
        unstyled).
    fmt
        Format name: ``gpkg``, ``geojson``, ``shp``, ``kml``, ``fgb``,
        ``parquet``, ``csv``.
    crs
        CRS to write in (default EPSG:4326): an EPSG code, WKT, PROJ string
        or ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09`` (the last two shift
        coordinates onto the Chinese web maps' offsets).

    Returns
    -------
    pathlib.Path
        The file written. A shapefile with field names over 10 bytes also
        gets ``<name>.fields.csv`` beside it (see :mod:`citygrid.gis.formats`).

    Raises
    ------
    BadInput
        Unknown format or CRS, a folder that does not exist, or a frame the
        format cannot hold (mixed geometry types in a shapefile).
    """
    return _write_one(frame, Path(path), layer=layer, fmt=fmt, crs=crs, append=False)


def write_layers_file(
    frames: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    crs: str | int | CrsSpec | None = None,
) -> Path:
    """Write several layers into one GeoPackage, each with its style.

    Parameters
    ----------
    frames
        ``{layer name: frame}``; names of registered layers (e.g. the gap
        layers) get the layer's style, other names are written unstyled.
    path
        A ``.gpkg`` path. The file is written beside it and moved into
        place, so a failed write leaves an earlier file whole.
    crs
        CRS to write in, as for :func:`write_layer_file`.

    Returns
    -------
    pathlib.Path
        The GeoPackage written.
    """
    target = Path(path)
    if formats.detect_format(target).name != "gpkg":
        raise BadInput(
            "Only a GeoPackage holds several layers; give a path ending in .gpkg, not {path}.",
            path=str(target),
        )
    partial = target.with_name(f".{target.stem}.partial.gpkg")
    partial.unlink(missing_ok=True)
    try:
        for name, frame in frames.items():
            _write_one(
                frame, partial, layer=_registered(name) or name, fmt="gpkg", crs=crs, append=True
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _registered(name: str) -> Layer | None:
    try:
        return get_layer(name)
    except NotFound:
        return None


def _write_one(
    frame: pd.DataFrame,
    out: Path,
    *,
    layer: Layer | str | None,
    fmt: str | None,
    crs: str | int | CrsSpec | None,
    append: bool,
) -> Path:
    """Write one layer's frame (see :func:`write_layer_file`)."""
    resolved = _registered(layer) if isinstance(layer, str) else layer
    spec = parse_crs(crs if crs is not None else "EPSG:4326")
    format_ = formats.detect_format(out, fmt)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geoseries = frame.geometry if frame.crs is not None else frame.geometry.set_crs(STORAGE_CRS)
        frame = frame.set_geometry(from_storage(geoseries, spec))
    table = layer if isinstance(layer, str) else (layer.name if layer else None)
    written = formats.write_frame(frame, out, fmt=format_.name, layer=table, append=append)[0]
    if format_.name == "gpkg" and resolved is not None and resolved.has_geometry:
        qgis_style.add_gpkg_style(
            written,
            resolved.name,
            resolved.style,
            resolved.geometry_type,
            title=resolved.title(),
            geometry_column=pyogrio.read_info(written, layer=resolved.name)["geometry_name"],
        )
    return written
