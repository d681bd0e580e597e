"""SQLAlchemy tables generated from the layer registry.

Every stored layer becomes a table of the same name with ``fid`` (integer
primary key), ``version`` (optimistic locking), its declared fields and,
for spatial layers, ``geom``. How ``geom`` is stored is the backend's
business (:mod:`citygrid.layers.backends`): WKB plus an R*Tree table on
SQLite, a PostGIS geometry column with a GiST index on PostgreSQL.
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
}


def column_for(field: Field) -> sa.Column:
    """Return the SQLAlchemy column of a declared field."""
    return sa.Column(field.name, _SQL_TYPES[field.type](), nullable=not field.required)


def build_metadata(geometry_column: Any) -> sa.MetaData:
    """Build the tables of every stored layer.

    Parameters
    ----------
    geometry_column
        Callable ``(layer) -> sa.Column`` supplied by the backend for the
        ``geom`` column of spatial layers.
    """
    metadata = sa.MetaData()
    for layer in stored_layers():
        table_for(layer, metadata, geometry_column)
    return metadata


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
