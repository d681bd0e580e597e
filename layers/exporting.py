"""Export layers to the files GIS users use, without ever losing a file.

- :func:`export_layer` writes a stored layer, optionally cut to a bbox and
  filtered with a ``--where`` expression (:mod:`citygrid.layers.where`). A
  whole layer of a SQLite store written unchanged to a GeoPackage or
  FlatGeobuf goes from GDAL's read to GDAL's write as Arrow
  (:mod:`citygrid.layers.arrow_reads`), never through a frame: the same
  file, three times sooner for a city's million problems.
- :func:`write_layer_file` writes any frame of a layer (stored or derived:
  hot spots, gaps, workload) to a file in any supported format and CRS,
  with the layer's style inside GeoPackages; :func:`write_layers_file`
  writes several layers into one GeoPackage.

Every write is staged beside the target and renamed into place
(:mod:`citygrid.gis.formats.staging`): a folder or the store's own database
is refused, an existing file too unless ``overwrite`` is given, and then
only that file, or only the layers written into a GeoPackage, change.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd
import pyogrio

from citygrid.errors import BadInput, NotFound
from citygrid.gis import formats, qgis_style
from citygrid.gis.crs import STORAGE_CRS, CrsSpec, from_storage, parse_crs
from citygrid.layers.arrow_reads import (
    GEOMETRY_COLUMN,
    GdalLayerRead,
    LayerBatches,
    arrow_typed,
    gdal_reads,
    sqlite_file,
)
from citygrid.layers.registry import Layer, get_layer
from citygrid.layers.store import Store
from citygrid.layers.where import parse_where

Labels = Literal["name", "zh", "en"]
PathLike = str | os.PathLike[str]
_SQLITE_COMPANIONS = ("", "-journal", "-wal", "-shm")


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: the file, the layer, how many features, in which CRS.

    ``shortened`` maps each field name a shapefile had to shorten to its
    short name (kept in the ``.fields.csv`` beside the file).
    """

    layer: str
    path: str
    format: str
    crs: str
    features: int
    seconds: float
    shortened: Mapping[str, str] = field(default_factory=dict)


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
    encoding: str | None = None,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
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
    encoding
        A shapefile's .dbf encoding: ``GBK`` (default) or ``UTF-8``.
    overwrite
        Replace an existing file (in a GeoPackage, only this layer). The
        store's own database is never written.
    progress
        Called with ``(features written, features in all)`` as a whole
        layer goes to the file, a batch at a time (a filtered or relabelled
        export is read at once: called when it is written).

    Returns
    -------
    ExportReport

    Raises
    ------
    BadInput, Conflict
        An internal layer (accounts, photos), a folder, the store's database, a missing or
        unwritable folder, or (without ``overwrite``) an existing file: nothing on disk
        changed.
    """
    started = time.perf_counter()
    layer = get_layer(layer_name)
    if layer.internal:
        raise BadInput(
            "Layer {layer} is kept by citygrid for itself (accounts, photos) and is never "
            "exported; list accounts with `citygrid users list`, a problem's photos with "
            "`citygrid problems photos CODE`.",
            layer=layer.name,
        )
    format_ = formats.detect_format(path, fmt)
    spec = parse_crs(crs) if crs is not None else None
    table = store.table(layer.name)
    filters = [parse_where(w, layer, table) for w in _as_list(where)]
    unchanged = bbox is None and not filters and labels == "name" and spec is None
    if unchanged and _written_as_arrow(layer, format_):
        written, count = _write_whole(store, layer, path, format_, overwrite, progress)
    else:
        frame = store.read(layer.name, bbox=bbox, filters=filters)
        frame = frame.drop(columns=["fid", "version"])
        if labels != "name":
            frame = _with_labels(frame, layer, labels)
        written = write_layer_file(
            frame,
            path,
            layer=layer,
            fmt=format_.name,
            crs=spec,
            encoding=encoding,
            overwrite=overwrite,
            protected=database_files(store),
        )
        count = len(frame)
        if progress is not None:
            progress(count, count)
    shortened = formats.read_mapping(written) if format_.name == "shp" else ()
    return ExportReport(
        layer=layer.name,
        path=str(written),
        format=format_.name,
        crs=spec.name if spec is not None else ("EPSG:4326" if layer.has_geometry else "-"),
        features=count,
        seconds=time.perf_counter() - started,
        shortened={full: short for short, full in shortened},
    )


def _written_as_arrow(layer: Layer, format_: formats.Format) -> bool:
    """Whether the whole layer goes to the file as Arrow: a GeoPackage or FlatGeobuf, a
    layer of one geometry type whose fields all have Arrow types."""
    one_type = layer.geometry_type in formats.ONE_GEOMETRY_TYPE
    return format_.name in formats.ARROW_FORMATS and one_type and arrow_typed(layer)


def _write_whole(
    store: Store,
    layer: Layer,
    path: PathLike,
    format_: formats.Format,
    overwrite: bool,
    progress: Callable[[int, int], None] | None,
) -> tuple[Path, int]:
    """Write the whole layer as :func:`write_layer_file` writes its frame (the target
    checked before anything is read): read by GDAL from a SQLite file, in a child process,
    else a slice at a time. Returns the file and the number of features."""
    with formats.stage(
        path, format_, overwrite=overwrite, protected=database_files(store)
    ) as staged:
        given = None if progress is None else _out_of(progress, store.count(layer.name))
        source = (
            GdalLayerRead(store, layer, progress=given)
            if gdal_reads(store, layer)
            else LayerBatches(store, layer, progress=given)
        )
        with source.own_errors():
            formats.write_table_into(
                staged,
                source,
                format_,
                layer.name,
                geometry_column=GEOMETRY_COLUMN,
                geometry_type=str(layer.geometry_type),
            )
        if format_.name == "gpkg":
            _add_style(staged.path, layer.name, layer)
    return staged.target, source.features


def _out_of(progress: Callable[[int, int], None], total: int) -> Callable[[int], None]:
    """``progress`` called with the features so far and ``total``."""
    return lambda done: progress(done, total)


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


def database_files(store: Store) -> list[Path]:
    """The files of the store's own database (SQLite and its journals), never to be written."""
    database = sqlite_file(store)
    if database is None:
        return []
    return [database.with_name(database.name + suffix) for suffix in _SQLITE_COMPANIONS]


# -- writing any frame -----------------------------------------------------------


def write_layer_file(
    frame: pd.DataFrame,
    path: PathLike,
    *,
    layer: Layer | str | None = None,
    fmt: str | None = None,
    crs: str | int | CrsSpec | None = None,
    encoding: str | None = None,
    overwrite: bool = False,
    protected: Collection[PathLike] = (),
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
        (see :mod:`citygrid.gis.formats`).
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
    encoding
        A shapefile's .dbf encoding: ``GBK`` (default: five Chinese
        characters fit a field name) or ``UTF-8``.
    overwrite
        Replace an existing file; in an existing GeoPackage only this layer
        is replaced, the others stay.
    protected
        Files never to write (the store's database, see
        :func:`database_files`).

    Returns
    -------
    pathlib.Path
        The file written. A shapefile with field names over 10 bytes also
        gets ``<name>.fields.csv`` beside it (see :mod:`citygrid.gis.formats`).

    Raises
    ------
    BadInput
        Unknown format or CRS, a folder, a missing or unwritable folder,
        a protected file, or a frame the format cannot hold (mixed geometry
        types in a shapefile).
    Conflict
        The file exists and ``overwrite`` is not given.
    """
    return write_layers_file(
        {_layer_name(layer, Path(path)): frame},
        path,
        fmt=fmt,
        crs=crs,
        encoding=encoding,
        overwrite=overwrite,
        protected=protected,
        styles={} if layer is None else {_layer_name(layer, Path(path)): layer},
    )


def write_layers_file(
    frames: Mapping[str, pd.DataFrame],
    path: PathLike,
    *,
    fmt: str | None = None,
    crs: str | int | CrsSpec | None = None,
    encoding: str | None = None,
    overwrite: bool = False,
    protected: Collection[PathLike] = (),
    styles: Mapping[str, Layer | str] | None = None,
) -> Path:
    """Write several layers into one GeoPackage (or one layer into any format), styled.

    Parameters
    ----------
    frames
        ``{layer name: frame}``; several need a ``.gpkg`` path.
    path
        The file. It is staged beside the target and moved into place, so a
        failed write leaves an earlier file whole.
    fmt
        Format name when the extension does not say it.
    crs, encoding
        As for :func:`write_layer_file`.
    overwrite, protected
        As for :func:`write_layer_file`; other layers of an existing
        GeoPackage stay.
    styles
        The registered layer (or its name) whose style each frame gets in a
        GeoPackage; default: the registered layer of the frame's name, if
        any (other names are written unstyled).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    format_ = formats.detect_format(path, fmt)
    if len(frames) > 1 and format_.name != "gpkg":
        raise BadInput(
            "Only a GeoPackage holds several layers; give a path ending in .gpkg, not {path}.",
            path=str(path),
        )
    spec = parse_crs(crs if crs is not None else "EPSG:4326")
    with formats.stage(path, format_, overwrite=overwrite, protected=protected) as staged:
        for name, frame in frames.items():
            style = _registered(styles.get(name) if styles is not None else name)
            declared = style.geometry_type if style is not None else None
            formats.write_into(staged, _in_crs(frame, spec), format_, name, encoding, declared)
            if format_.name == "gpkg" and style is not None and style.has_geometry:
                _add_style(staged.path, name, style)
    return staged.target


def _layer_name(layer: Layer | str | None, path: Path) -> str:
    if layer is None:
        return path.stem
    return layer if isinstance(layer, str) else layer.name


def _registered(layer: Layer | str | None) -> Layer | None:
    if layer is None or isinstance(layer, Layer):
        return layer
    try:
        return get_layer(layer)
    except NotFound:
        return None


def _in_crs(frame: pd.DataFrame, spec: CrsSpec) -> pd.DataFrame:
    """Geometries in the CRS to write (a frame without a CRS is in EPSG:4326)."""
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geoseries = frame.geometry if frame.crs is not None else frame.geometry.set_crs(STORAGE_CRS)
        return frame.set_geometry(from_storage(geoseries, spec))
    return frame


def _add_style(path: Path, table: str, layer: Layer) -> None:
    """The layer's style as the default of ``table`` in the GeoPackage at ``path``."""
    qgis_style.add_gpkg_style(
        path,
        table,
        layer.style,
        layer.geometry_type,
        title=layer.title(),
        geometry_column=pyogrio.read_info(path, layer=table)["geometry_name"],
    )
