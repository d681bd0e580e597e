"""Whole stored layers read by GDAL's SQLite driver into Arrow, for exports at pyogrio's pace.

Building a GeoDataFrame of a city's million problems from the store's rows
takes about 20 seconds; GDAL reads the same SQLite table into Arrow in a few
(its declared ``DATETIME``, ``BIGINT``, ``FLOAT`` and ``TEXT`` columns become
timestamps, 64-bit integers, doubles and strings, and the ``geom`` column
stays WKB). An export that writes a whole layer unchanged needs nothing more:
the table goes to the file's writer as it is.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyogrio

from citygrid.layers.registry import Layer
from citygrid.layers.store import Store

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
    return sqlite_file(store) is not None and all(f.type in _ARROW_TYPES for f in layer.fields)


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
    schema = pa.schema(
        [pa.field(f.name, _ARROW_TYPES[f.type]) for f in layer.fields]
        + [table.schema.field(GEOMETRY_COLUMN)]
    )
    return table.select([*names, GEOMETRY_COLUMN]).cast(schema)
