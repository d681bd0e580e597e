"""SQLAlchemy tables generated from the layer registry.

Every stored layer becomes a table of the same name with ``fid`` (integer
primary key), ``version`` (optimistic locking), its declared fields and,
for spatial layers, ``geom``. How ``geom`` is stored is the backend's
business (:mod:`citygrid.layers.backends`): WKB plus an R*Tree table on
SQLite, a PostGIS geometry column with a GiST index on PostgreSQL.

Beside the layers, ``citygrid_meta`` holds counters of the store itself
(``data_version``, and ``data_version:<layer>`` of each layer written).
This metadata is what Alembic's autogenerate compares the database with
(:mod:`citygrid.layers.migrations`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from citygrid.layers.registry import Field, Layer, stored_layers

_SQL_TYPES: dict[str, Any] = {
    "str": sa.Text,
    "int": sa.BigInteger,
    "float": sa.Float,
    "bool": sa.Boolean,
    "date": sa.Date,
    "datetime": sa.DateTime,
    "bytes": sa.LargeBinary,
}


def column_for(field: Field) -> sa.Column:
    """Return the SQLAlchemy column of a declared field."""
    return sa.Column(field.name, _SQL_TYPES[field.type](), nullable=not field.required)


META_TABLE = "citygrid_meta"
DATA_VERSION = "data_version"


def layer_version_name(layer_name: str) -> str:
    """The name of the counter of writes to one layer in ``citygrid_meta``."""
    return f"{DATA_VERSION}:{layer_name}"


def build_metadata(geometry_column: Any) -> sa.MetaData:
    """Build the tables of every stored layer and the store's meta table.

    Parameters
    ----------
    geometry_column
        Callable ``(layer) -> sa.Column`` supplied by the backend for the
        ``geom`` column of spatial layers.
    """
    metadata = sa.MetaData()
    for layer in stored_layers():
        table_for(layer, metadata, geometry_column)
    sa.Table(
        META_TABLE,
        metadata,
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    return metadata


def missing_columns(conn: sa.Connection, metadata: sa.MetaData) -> list[tuple[str, str]]:
    """``(table, column)`` for every column of ``metadata`` the database lacks.

    A missing table is reported as ``(table, "*")``. One reflection query per
    backend (``get_multi_columns``), so it is cheap enough to run on every
    opening of the store.
    """
    found = sa.inspect(conn).get_multi_columns(filter_names=list(metadata.tables))
    present = {table: {c["name"] for c in columns} for (_, table), columns in found.items()}
    missing = []
    for name, table in metadata.tables.items():
        if name not in present:
            missing.append((name, "*"))
            continue
        missing += [(name, c.name) for c in table.columns if c.name not in present[name]]
    return missing


def table_for(layer: Layer, metadata: sa.MetaData, geometry_column: Any) -> sa.Table:
    """Declare the table of one stored layer in ``metadata``."""
    columns: list[Any] = [
        sa.Column(
            "fid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    ]
    columns += [column_for(f) for f in layer.fields]
    if layer.has_geometry:
        columns.append(geometry_column(layer))
    table = sa.Table(layer.name, metadata, *columns)
    for f in layer.fields:
        if layer.key == f.name:
            sa.Index(f"uq_{layer.name}_{f.name}", table.c[f.name], unique=True)
        elif f.indexed:
            sa.Index(f"ix_{layer.name}_{f.name}", table.c[f.name])
    for names in layer.indexes:
        sa.Index(f"ix_{layer.name}_{'_'.join(names)}", *(table.c[n] for n in names))
    return table
