"""Registration and closure standards, and class codes on the catalogue.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Frozen DDL like 0003's: a ``standards`` table (``fid``, ``version`` and
the columns below, a unique index on ``code`` and an index on
``catalogue_code``, no geometry), and two text columns added to
``catalogue``: ``major_class`` and ``minor_class`` (through a batch
operation, which on SQLite adds them in place).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_STANDARDS = (
    ("code", sa.Text, True),
    ("catalogue_code", sa.Text, True),
    ("condition", sa.Text, True),
    ("limit_value", sa.Float, True),
    ("limit_unit", sa.Text, True),
    ("closure", sa.Text, False),
    ("deduction", sa.Float, False),
)
_CATALOGUE_COLUMNS = ("major_class", "minor_class")


def upgrade() -> None:
    """Create ``standards``; add the class codes to ``catalogue``."""
    op.create_table(
        "standards",
        sa.Column(
            "fid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        *(
            sa.Column(column, kind(), nullable=not required)
            for column, kind, required in _STANDARDS
        ),
    )
    op.create_index("uq_standards_code", "standards", ["code"], unique=True)
    op.create_index("ix_standards_catalogue_code", "standards", ["catalogue_code"])
    with op.batch_alter_table("catalogue") as batch:
        for column in _CATALOGUE_COLUMNS:
            batch.add_column(sa.Column(column, sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the class codes and ``standards``."""
    with op.batch_alter_table("catalogue") as batch:
        for column in reversed(_CATALOGUE_COLUMNS):
            batch.drop_column(column)
    op.drop_table("standards")
