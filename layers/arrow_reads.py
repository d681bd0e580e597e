"""Whole stored layers as Arrow, for exports at pyogrio's pace and in bounded memory.

Building a GeoDataFrame of a city's million problems from the store's rows
takes about 8 seconds; GDAL reads the same SQLite table as Arrow in about 5
(its declared ``DATETIME``, ``BIGINT``, ``FLOAT`` and ``TEXT`` columns become
timestamps, 64-bit integers, doubles and strings, and the ``geom`` column
stays WKB). An export that writes a whole layer unchanged needs nothing more:
the batches go to the file's writer as they come (:class:`GdalLayerRead`).
GDAL reads in a child process, never beside the store's own SQLite library
in this one (:mod:`~citygrid.gis.formats.child_reads` says why).
GDAL's wheels have no PostgreSQL driver: a PostGIS layer comes as Arrow
batches of the same schema, read a slice of features at a time in one
snapshot (:class:`LayerBatches`). Either way a million problems never stand
in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import shapely

from citygrid.gis.formats.child_reads import query_batches
from citygrid.layers.registry import Layer
from citygrid.layers.store import Store

BATCH_FEATURES = 100_000
"""Features read at a time by :class:`LayerBatches`."""

GEOMETRY_COLUMN = "geom"
"""The column of the WKB geometries in the store's tables and in the tables read here."""

_ARROW_TYPES = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "datetime": pa.timestamp("ms"),
    "date": pa.date32(),
}


def sqlite_file(store: Store) -> Path | None:
    """The file of a SQLite store; ``None`` for a server or an in-memory database."""
    url = store.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser()


def gdal_reads(store: Store, layer: Layer) -> bool:
    """Whether :class:`GdalLayerRead` reads ``layer`` of ``store``: a SQLite file, and
    fields of the types it gives Arrow."""
    return sqlite_file(store) is not None and arrow_typed(layer)


def layer_schema(layer: Layer) -> pa.Schema:
    """The Arrow schema of a whole layer: its fields in order, then its WKB geometry."""
    return pa.schema(
        [pa.field(f.name, _ARROW_TYPES[f.type]) for f in layer.fields]
        + [pa.field(GEOMETRY_COLUMN, pa.binary())]
    )


def arrow_typed(layer: Layer) -> bool:
    """Whether every field of ``layer`` has an Arrow type here (what a whole-layer read needs)."""
    return all(f.type in _ARROW_TYPES for f in layer.fields)


class _LayerStream:
    """Every feature of a layer in fid order, as Arrow batches of :func:`layer_schema`.

    An Arrow stream (``__arrow_c_stream__``) that ``pyogrio.write_arrow`` takes
    and reads once; :attr:`features` counts the features it has given.
    Subclasses say where the batches come from (``_batches``). ``progress``,
    if given, is called with the features given so far after each batch.
    A reader of the stream learns only that a batch could not be had;
    :meth:`own_errors` raises what the stream itself raised.
    """

    def __init__(
        self, store: Store, layer: Layer, progress: Callable[[int], None] | None = None
    ) -> None:
        self.store, self.layer, self.progress = store, layer, progress
        self.schema = layer_schema(layer)
        self.features = 0
        self.failure: Exception | None = None

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        """The batches as an Arrow C stream (the PyCapsule protocol)."""
        reader = pa.RecordBatchReader.from_batches(self.schema, self._counted())
        return reader.__arrow_c_stream__(requested_schema)

    @contextmanager
    def own_errors(self) -> Iterator[None]:
        """Inside the block, a failure to read the stream raises the stream's own error
        (GDAL's writer says only "Error while accessing batch from stream")."""
        try:
            yield
        except Exception:
            if self.failure is not None:
                raise self.failure from None
            raise

    def _counted(self) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self._batches():
                self.features += batch.num_rows
                if self.progress is not None:
                    self.progress(self.features)
                yield batch
        except Exception as error:
            self.failure = error
            raise

    def _batches(self) -> Iterator[pa.RecordBatch]:
        raise NotImplementedError


class GdalLayerRead(_LayerStream):
    """Every feature of a layer of a SQLite store (see :func:`gdal_reads`), read by GDAL in
    a child process (:mod:`~citygrid.gis.formats.child_reads`)."""

    def _batches(self) -> Iterator[pa.RecordBatch]:
        path = sqlite_file(self.store)
        if path is None:
            raise ValueError(f"{self.store.url} is not a SQLite file")
        names = [*(f.name for f in self.layer.fields), GEOMETRY_COLUMN]
        columns = ", ".join(f'"{name}"' for name in names)
        sql = f'SELECT {columns} FROM "{self.layer.name}" ORDER BY fid'
        with query_batches(path, sql) as batches:
            for batch in batches:
                yield batch.select(names).cast(self.schema)


class LayerBatches(_LayerStream):
    """Every feature of a layer of any store, ``size`` at a time, from one snapshot (needs
    :func:`arrow_typed`)."""

    def __init__(
        self,
        store: Store,
        layer: Layer,
        size: int = BATCH_FEATURES,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(store, layer, progress)
        self.size = size

    def _batches(self) -> Iterator[pa.RecordBatch]:
        fid = self.store.table(self.layer.name).c.fid
        last = 0
        with self.store.reader() as conn:
            while True:
                frame = self.store.read(
                    self.layer.name, filters=[fid > last], limit=self.size, conn=conn
                )
                if frame.empty:
                    return
                last = int(frame["fid"].iloc[-1])
                yield _record_batch(frame, self.layer, self.schema)


def _record_batch(frame: pd.DataFrame, layer: Layer, schema: pa.Schema) -> pa.RecordBatch:
    """A frame of :meth:`Store.read` in :func:`layer_schema`: datetimes to the millisecond,
    as GDAL reads them, and missing numbers null."""
    arrays = [
        pa.array(frame[f.name], from_pandas=True).cast(schema.field(f.name).type, safe=False)
        for f in layer.fields
    ]
    arrays.append(pa.array(shapely.to_wkb(frame.geometry.to_numpy()), type=pa.binary()))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
