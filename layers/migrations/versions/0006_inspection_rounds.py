"""Inspection rounds: a round code and a result on each inspection, streets indexed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

Frozen DDL: two text columns added to ``inspections`` (through a batch
operation, which on SQLite adds them in place): ``round_code`` (the round
of the inspector's visit that the place was checked in, indexed) and
``result`` (``clean`` or ``problems``); and an index on ``street_code``
and ``inspected_at`` for "when was this street last inspected?".
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = ("round_code", "result")


def upgrade() -> None:
    """Add ``round_code`` and ``result``; index rounds and streets' inspections."""
    with op.batch_alter_table("inspections") as batch:
        for column in _COLUMNS:
            batch.add_column(sa.Column(column, sa.Text(), nullable=True))
    op.create_index("ix_inspections_round_code", "inspections", ["round_code"])
    op.create_index(
        "ix_inspections_street_code_inspected_at", "inspections", ["street_code", "inspected_at"]
    )


def downgrade() -> None:
    """Drop the indexes and the columns."""
    op.drop_index("ix_inspections_street_code_inspected_at", "inspections")
    op.drop_index("ix_inspections_round_code", "inspections")
    with op.batch_alter_table("inspections") as batch:
        for column in reversed(_COLUMNS):
            batch.drop_column(column)
