"""The first schema, frozen as it stood at citygrid 0.1: one table per stored layer.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Explicit DDL written out here, not built from the layer registry: the
registry moves on and later revisions change the tables from this state.
Every table has ``fid`` (integer primary key) and ``version`` (starting at
1), the columns listed below (name, type, required), a unique index
``uq_<table>_<key>``, plain indexes ``ix_<table>_<columns>`` and, for
spatial layers, ``geom``: WKB in a BLOB plus an R*Tree virtual table
``rtree_<table>`` on SQLite, a PostGIS ``geometry(<type>, 4326)`` column
with a GiST index ``idx_<table>_geom`` on PostgreSQL.
"""

from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TYPES = {
    "text": sa.Text,
    "bigint": sa.BigInteger,
    "float": sa.Float,
    "bool": sa.Boolean,
    "datetime": sa.DateTime,
}


class _Table(NamedTuple):
    name: str
    columns: tuple[tuple[str, str, bool], ...]
    geometry: str | None
    key: str | None
    indexes: tuple[tuple[str, ...], ...]


_ROAD_COLUMNS = (
    ("code", "text", True),
    ("name", "text", True),
    ("road_class", "text", False),
    ("unit_code", "text", False),
    ("head_code", "text", False),
    ("assigned_by", "text", False),
)

TABLES = (
    _Table(
        "jurisdictions",
        (
            ("code", "text", True),
            ("name", "text", True),
            ("level", "text", True),
            ("parent_code", "text", False),
        ),
        geometry="MULTIPOLYGON",
        key="code",
        indexes=(("level",),),
    ),
    _Table(
        "units",
        (
            ("code", "text", True),
            ("name", "text", True),
            ("kind", "text", False),
            ("parent_code", "text", False),
            ("jurisdiction_code", "text", False),
            ("contact", "text", False),
            ("phone", "text", False),
        ),
        geometry="POINT",
        key="code",
        indexes=(),
    ),
    _Table(
        "people",
        (
            ("code", "text", True),
            ("name", "text", True),
            ("role", "text", True),
            ("unit_code", "text", True),
            ("phone", "text", False),
        ),
        geometry=None,
        key="code",
        indexes=(("unit_code",),),
    ),
    _Table(
        "grids",
        (
            ("code", "text", True),
            ("name", "text", True),
            ("kind", "text", False),
            ("unit_code", "text", False),
            ("manager_code", "text", False),
            ("subdistrict_code", "text", False),
            ("community_code", "text", False),
            ("assigned_by", "text", False),
        ),
        geometry="MULTIPOLYGON",
        key="code",
        indexes=(("manager_code",), ("unit_code",)),
    ),
    _Table(
        "streets",
        _ROAD_COLUMNS,
        geometry="MULTILINESTRING",
        key="code",
        indexes=(("head_code",), ("unit_code",)),
    ),
    _Table(
        "alleys",
        _ROAD_COLUMNS,
        geometry="MULTILINESTRING",
        key="code",
        indexes=(("head_code",), ("unit_code",)),
    ),
    _Table(
        "points",
        (
            ("code", "text", True),
            ("name", "text", True),
            ("point_type", "text", True),
            ("unit_code", "text", False),
            ("head_code", "text", False),
            ("radius_m", "float", False),
            ("address", "text", False),
            ("assigned_by", "text", False),
        ),
        geometry="GEOMETRY",
        key="code",
        indexes=(("head_code",), ("point_type",), ("unit_code",)),
    ),
    _Table(
        "catalogue",
        (
            ("code", "text", True),
            ("name", "text", True),
            ("level", "text", True),
            ("parent_code", "text", False),
            ("kind", "text", False),
            ("weight", "float", False),
            ("rectify_days", "bigint", False),
            ("urgent_hours", "bigint", False),
            ("negative_list", "bool", False),
        ),
        geometry=None,
        key="code",
        indexes=(),
    ),
    _Table(
        "inspections",
        (
            ("code", "text", True),
            ("inspected_at", "datetime", True),
            ("inspector", "text", False),
            ("kind", "text", False),
            ("point_code", "text", False),
            ("street_code", "text", False),
            ("alley_code", "text", False),
            ("problems_found", "bigint", False),
            ("notes", "text", False),
        ),
        geometry="POINT",
        key="code",
        indexes=(("alley_code", "inspected_at"), ("inspected_at",), ("point_code", "inspected_at")),
    ),
    _Table(
        "problems",
        (
            ("code", "text", True),
            ("catalogue_code", "text", True),
            ("description", "text", False),
            ("status", "text", True),
            ("source", "text", False),
            ("reported_at", "datetime", True),
            ("deadline", "datetime", False),
            ("closed_at", "datetime", False),
            ("unit_code", "text", False),
            ("head_code", "text", False),
            ("point_code", "text", False),
            ("street_code", "text", False),
            ("alley_code", "text", False),
            ("grid_code", "text", False),
            ("subdistrict_code", "text", False),
            ("routed_by", "text", False),
            ("inspection_code", "text", False),
            ("recurrence", "bigint", False),
            ("photo", "text", False),
            ("reporter", "text", False),
        ),
        geometry="POINT",
        key="code",
        indexes=(
            ("catalogue_code",),
            ("grid_code",),
            ("point_code",),
            ("reported_at",),
            ("status",),
            ("unit_code",),
        ),
    ),
    _Table(
        "audit",
        (
            ("at", "datetime", True),
            ("actor", "text", True),
            ("action", "text", True),
            ("layer", "text", True),
            ("feature_code", "text", False),
            ("before", "text", False),
            ("after", "text", False),
            ("reason", "text", False),
        ),
        geometry=None,
        key=None,
        indexes=(("at",), ("feature_code",), ("layer",)),
    ),
)


def _geom(dialect: str, geometry_type: str) -> sa.Column:
    if dialect == "postgresql":
        from geoalchemy2 import Geometry

        kind = Geometry(geometry_type, srid=4326, spatial_index=False)
        return sa.Column("geom", kind, nullable=True)
    return sa.Column("geom", sa.LargeBinary(), nullable=True)


def _create(table: _Table, dialect: str) -> None:
    columns = [
        sa.Column(
            "fid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    ]
    columns += [
        sa.Column(name, _TYPES[kind](), nullable=not required)
        for name, kind, required in table.columns
    ]
    if table.geometry is not None:
        columns.append(_geom(dialect, table.geometry))
    op.create_table(table.name, *columns)
    if table.key is not None:
        op.create_index(f"uq_{table.name}_{table.key}", table.name, [table.key], unique=True)
    for names in table.indexes:
        op.create_index(f"ix_{table.name}_{'_'.join(names)}", table.name, list(names))
    if table.geometry is None:
        return
    if dialect == "postgresql":
        op.create_index(f"idx_{table.name}_geom", table.name, ["geom"], postgresql_using="gist")
    else:
        op.execute(
            f"CREATE VIRTUAL TABLE rtree_{table.name} USING rtree(id, minx, maxx, miny, maxy)"
        )


def upgrade() -> None:
    """Create every table of 0.1 with its indexes and spatial index."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for table in TABLES:
        _create(table, dialect)


def downgrade() -> None:
    """Drop every table this revision made."""
    dialect = op.get_bind().dialect.name
    for table in reversed(TABLES):
        if dialect == "sqlite" and table.geometry is not None:
            op.execute(f"DROP TABLE IF EXISTS rtree_{table.name}")
        op.drop_table(table.name)
