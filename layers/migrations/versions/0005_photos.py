"""Photos of problems; recurrence links and report counts on problems.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Frozen DDL like 0004's: a ``photos`` table (``fid``, ``version`` and the
columns below, a unique index on ``code`` and an index on
``problem_code``, no geometry; ``data`` holds the image's bytes). On
``problems``: ``recurrence_of`` (the code of the closed problem this one
recurs, indexed) and ``reports`` (how many reports were merged into it)
are added, and ``photo`` (a free-text field nothing filled) is dropped:
the photos are in ``photos`` now. Columns are added and dropped through
a batch operation, which on SQLite alters the table in place.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_PHOTOS = (
    ("code", sa.Text, True),
    ("problem_code", sa.Text, True),
    ("kind", sa.Text, True),
    ("content_type", sa.Text, True),
    ("size", sa.BigInteger, True),
    ("sha256", sa.Text, True),
    ("data", sa.LargeBinary, True),
    ("added_at", sa.DateTime, True),
    ("added_by", sa.Text, False),
)


def upgrade() -> None:
    """Create ``photos``; add ``recurrence_of`` and ``reports`` to problems, drop ``photo``."""
    op.create_table(
        "photos",
        sa.Column(
            "fid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        *(sa.Column(column, kind(), nullable=not required) for column, kind, required in _PHOTOS),
    )
    op.create_index("uq_photos_code", "photos", ["code"], unique=True)
    op.create_index("ix_photos_problem_code", "photos", ["problem_code"])
    with op.batch_alter_table("problems") as batch:
        batch.add_column(sa.Column("recurrence_of", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reports", sa.BigInteger(), nullable=True))
        batch.drop_column("photo")
    op.create_index("ix_problems_recurrence_of", "problems", ["recurrence_of"])


def downgrade() -> None:
    """Drop ``photos`` and the new problem columns; bring back ``photo``."""
    op.drop_index("ix_problems_recurrence_of", "problems")
    with op.batch_alter_table("problems") as batch:
        batch.add_column(sa.Column("photo", sa.Text(), nullable=True))
        batch.drop_column("reports")
        batch.drop_column("recurrence_of")
    op.drop_table("photos")
