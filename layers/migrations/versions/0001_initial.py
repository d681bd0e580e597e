"""The first schema, frozen as it stood at citygrid 0.1: one table per stored layer.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Explicit DDL, not built from the layer registry: the registry moves on and
later revisions change the tables from here. Spatial layers keep WKB in a
BLOB plus an R*Tree virtual table ``rtree_<layer>`` on SQLite, and a PostGIS
``geometry(<type>, 4326)`` column with a GiST index ``idx_<layer>_geom`` on
PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "jurisdictions",
    "units",
    "people",
    "grids",
    "streets",
    "alleys",
    "points",
    "catalogue",
    "inspections",
    "problems",
    "audit",
)
SPATIAL_TABLES = (
    "jurisdictions",
    "units",
    "grids",
    "streets",
    "alleys",
    "points",
    "inspections",
    "problems",
)


def _fid() -> sa.Column:
    return sa.Column(
        "fid",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def _version() -> sa.Column:
    return sa.Column("version", sa.Integer(), nullable=False, server_default="1")


def _geom(dialect: str, geometry_type: str) -> sa.Column:
    if dialect == "postgresql":
        from geoalchemy2 import Geometry

        kind = Geometry(geometry_type, srid=4326, spatial_index=False)
        return sa.Column("geom", kind, nullable=True)
    return sa.Column("geom", sa.LargeBinary(), nullable=True)


def _spatial_index(dialect: str, table: str) -> None:
    if dialect == "postgresql":
        op.create_index(f"idx_{table}_geom", table, ["geom"], postgresql_using="gist")
    else:
        op.execute(f"CREATE VIRTUAL TABLE rtree_{table} USING rtree(id, minx, maxx, miny, maxy)")


def upgrade() -> None:
    """Create every table of 0.1 with its indexes and spatial index."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "jurisdictions",
        _fid(),
        _version(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        _geom(dialect, "MULTIPOLYGON"),
    )
    op.create_index("ix_jurisdictions_level", "jurisdictions", ["level"])
    op.create_index("uq_jurisdictions_code", "jurisdictions", ["code"], unique=True)
    _spatial_index(dialect, "jurisdictions")
    op.create_table(
        "units",
        _fid(),
        _version(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.Column("jurisdiction_code", sa.Text(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        _geom(dialect, "POINT"),
    )
    op.create_index("uq_units_code", "units", ["code"], unique=True)
    _spatial_index(dialect, "units")
    op.create_table(
        "people",
        _fid(),
        _version(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
    )
    op.create_index("ix_people_unit_code", "people", ["unit_code"])
    op.create_index("uq_people_code", "people", ["code"], unique=True)
    op.create_table(
        "grids",
        _fid(),
        _version(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("unit_code", sa.Text(), nullable=True),
        sa.Column("manager_code", sa.Text(), nullable=True),
        sa.Column("subdistrict_code", sa.Text(), nullable=True),
        sa.Column("community_code", sa.Text(), nullable=True),
        sa.Column("assigned_by", sa.Text(), nullable=True),
        _geom(dialect, "MULTIPOLYGON"),
    )
    op.create_index("ix_grids_manager_code", "grids", ["manager_code"])
    op.create_index("ix_grids_unit_code", "grids", ["unit_code"])
    op.create_index("uq_grids_code", "grids", ["code"], unique=True)
    _spatial_index(dialect, "grids")
    op.create_table(
        "streets",
        _fid(),
        _version(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("road_class", sa.Text(), nullable=True),
        sa.Column("unit_code", sa.Text(), nullable=True),
        sa.Column("head_code", sa.Text(), nullable=True),
        sa.Column("assigned_by", sa.Text(), nullable=True),
        _geom(dialect, "MULTILINESTRING"),
    )
    op.create_index("ix_streets_head_code", "streets", ["head_code"])
    op.create_index("ix_streets_unit_code", "streets", ["unit_code"])
    op.create_index("uq_streets_code", "streets", ["code"], unique=True)
    _spatial_index(dialect, "streets")
    op.create_table(
        "alleys",
        _fid(),
        _version(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("road_class", sa.Text(), nullable=True),
        sa.Column("unit_code", sa.Text(), nullable=True),
        sa.Column("head_code", sa.Text(), nullable=True),
        sa.Column("assigned_by", sa.Text(), nullable=True),
        _geom(dialect, "MULTILINESTRING"),
    )
    op.create_index("ix_alleys_head_code", "alleys", ["head_code"])
    op.create_index("ix_alleys_unit_code", "alleys", ["unit_code"])
    op.create_index("uq_alleys_code", "alleys", ["code"], unique=True)
    _spatial_index(dialect, "alleys")
    op.create_table(
        "points",
        _fid(),
        _version(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("point_type", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.Text(), nullable=True),
        sa.Column("head_code", sa.Text(), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("assigned_by", sa.Text(), nullable=True),
        _geom(dialect, "GEOMETRY"),
    )
    op.create_index("ix_points_head_code", "points", ["head_code"])
    op.create_index("ix_points_point_type", "points", ["point_type"])
    op.create_index("ix_points_unit_code", "points", ["unit_code"])
    op.create_index("uq_points_code", "points", ["code"], unique=True)
    _spatial_index(dialect, "points")
    op.create_table(
        "catalogue",
        _fid(),
        _version(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.Column("rectify_days", sa.BigInteger(), nullable=True),
        sa.Column("urgent_hours", sa.BigInteger(), nullable=True),
        sa.Column("negative_list", sa.Boolean(), nullable=True),
    )
    op.create_index("uq_catalogue_code", "catalogue", ["code"], unique=True)
    op.create_table(
        "inspections",
        _fid(),
        _version(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("inspected_at", sa.DateTime(), nullable=False),
        sa.Column("inspector", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("point_code", sa.Text(), nullable=True),
        sa.Column("street_code", sa.Text(), nullable=True),
        sa.Column("alley_code", sa.Text(), nullable=True),
        sa.Column("problems_found", sa.BigInteger(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        _geom(dialect, "POINT"),
    )
    op.create_index(
        "ix_inspections_alley_code_inspected_at", "inspections", ["alley_code", "inspected_at"]
    )
    op.create_index("ix_inspections_inspected_at", "inspections", ["inspected_at"])
    op.create_index(
        "ix_inspections_point_code_inspected_at", "inspections", ["point_code", "inspected_at"]
    )
    op.create_index("uq_inspections_code", "inspections", ["code"], unique=True)
    _spatial_index(dialect, "inspections")
    op.create_table(
        "problems",
        _fid(),
        _version(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("catalogue_code", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("unit_code", sa.Text(), nullable=True),
        sa.Column("head_code", sa.Text(), nullable=True),
        sa.Column("point_code", sa.Text(), nullable=True),
        sa.Column("street_code", sa.Text(), nullable=True),
        sa.Column("alley_code", sa.Text(), nullable=True),
        sa.Column("grid_code", sa.Text(), nullable=True),
        sa.Column("subdistrict_code", sa.Text(), nullable=True),
        sa.Column("routed_by", sa.Text(), nullable=True),
        sa.Column("inspection_code", sa.Text(), nullable=True),
        sa.Column("recurrence", sa.BigInteger(), nullable=True),
        sa.Column("photo", sa.Text(), nullable=True),
        sa.Column("reporter", sa.Text(), nullable=True),
        _geom(dialect, "POINT"),
    )
    op.create_index("ix_problems_catalogue_code", "problems", ["catalogue_code"])
    op.create_index("ix_problems_grid_code", "problems", ["grid_code"])
    op.create_index("ix_problems_point_code", "problems", ["point_code"])
    op.create_index("ix_problems_reported_at", "problems", ["reported_at"])
    op.create_index("ix_problems_status", "problems", ["status"])
    op.create_index("ix_problems_unit_code", "problems", ["unit_code"])
    op.create_index("uq_problems_code", "problems", ["code"], unique=True)
    _spatial_index(dialect, "problems")
    op.create_table(
        "audit",
        _fid(),
        _version(),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("feature_code", sa.Text(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_index("ix_audit_feature_code", "audit", ["feature_code"])
    op.create_index("ix_audit_layer", "audit", ["layer"])


def downgrade() -> None:
    """Drop every table this revision made."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in SPATIAL_TABLES:
            op.execute(f"DROP TABLE IF EXISTS rtree_{table}")
    for table in reversed(TABLES):
        op.drop_table(table)
