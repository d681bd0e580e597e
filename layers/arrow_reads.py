"""Whole stored layers as Arrow, for exports at pyogrio's pace and in bounded memory.

Building a GeoDataFrame of a city's million problems from the store's rows
takes about 20 seconds; GDAL reads the same SQLite table into Arrow in a few
(its declared ``DATETIME``, ``BIGINT``, ``FLOAT`` and ``TEXT`` columns become
timestamps, 64-bit integers, doubles and strings, and the ``geom`` column
stays WKB). An export that writes a whole layer unchanged needs nothing more:
the table goes to the file's writer as it is (:func:`whole_layer_table`).
GDAL's wheels have no PostgreSQL driver: a PostGIS layer comes as Arrow
batches of the same schema, read a slice of features at a time in one
snapshot (:class:`LayerBatches`), so a million problems never stand in
memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

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
    """Whether :func:`whole_layer_table` reads ``layer`` of ``store``: a SQLite file, and
    fields of the types it gives Arrow."""
    return sqlite_file(store) is not None and arrow_typed(layer)


def whole_layer_table(store: Store, layer: Layer) -> pa.Table:
    """Every feature of ``layer`` in fid order, read by GDAL (see :func:`gdal_reads`): its
    fields in the layer's order, then its geometry as WKB (``geom``)."""
    path = sqlite_file(store)
    if path is None:
        raise ValueError(f"{store.url} is not a SQLite file")
    names = [f.name for f in layer.fields]
    columns = ", ".join(f'"{name}"' for name in [*names, GEOMETRY_COLUMN])
    sql = f'SELECT {columns} FROM "{layer.name}" ORDER BY fid'
    _, table = pyogrio.read_arrow(path, sql=sql)
    schema = layer_schema(layer, table.schema.field(GEOMETRY_COLUMN).type)
    return table.select([*names, GEOMETRY_COLUMN]).cast(schema)


def layer_schema(layer: Layer, geometry_type: pa.DataType | None = None) -> pa.Schema:
    """The Arrow schema of a whole layer: its fields in order, then its WKB geometry."""
    return pa.schema(
        [pa.field(f.name, _ARROW_TYPES[f.type]) for f in layer.fields]
        + [pa.field(GEOMETRY_COLUMN, geometry_type or pa.binary())]
    )


def arrow_typed(layer: Layer) -> bool:
    """Whether every field of ``layer`` has an Arrow type here (what a whole-layer read needs)."""
    return all(f.type in _ARROW_TYPES for f in layer.fields)


class LayerBatches:
    """Every feature of a layer in fid order, ``size`` at a time, as Arrow batches of
    :func:`layer_schema`, from one snapshot of any store (needs :func:`arrow_typed`).

    An Arrow stream (``__arrow_c_stream__``) that ``pyogrio.write_arrow`` takes
    and reads once; :attr:`features` counts the features it has given.
    """

    def __init__(self, store: Store, layer: Layer, size: int = BATCH_FEATURES) -> None:
        self.store, self.layer, self.size = store, layer, size
        self.schema = layer_schema(layer)
        self.features = 0

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        """The batches as an Arrow C stream (the PyCapsule protocol)."""
        reader = pa.RecordBatchReader.from_batches(self.schema, self._batches())
        return reader.__arrow_c_stream__(requested_schema)

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
                self.features += len(frame)
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
