"""Published monthly rankings: the ``rankings`` table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

Frozen DDL like 0003's: ``fid``, ``version`` and the columns below, an
index on ``month`` and one on ``(month, level)``; no geometry, no code.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_RANKINGS = (
    ("month", sa.Text, True),
    ("level", sa.Text, True),
    ("code", sa.Text, True),
    ("name", sa.Text, False),
    ("rank", sa.BigInteger, True),
    ("score", sa.Float, True),
    ("problems", sa.BigInteger, False),
    ("deductions", sa.Float, False),
    ("recurrences", sa.BigInteger, False),
    ("overdue", sa.BigInteger, False),
    ("rework", sa.BigInteger, False),
    ("previous_rank", sa.BigInteger, False),
    ("rank_change", sa.BigInteger, False),
    ("score_change", sa.Float, False),
    ("failed", sa.Boolean, False),
    ("published_at", sa.DateTime, True),
    ("published_by", sa.Text, False),
)


def upgrade() -> None:
    """Create ``rankings``."""
    op.create_table(
        "rankings",
        sa.Column(
            "fid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        *(sa.Column(column, kind(), nullable=not required) for column, kind, required in _RANKINGS),
    )
    op.create_index("ix_rankings_month", "rankings", ["month"])
    op.create_index("ix_rankings_month_level", "rankings", ["month", "level"])


def downgrade() -> None:
    """Drop ``rankings``."""
    op.drop_table("rankings")
