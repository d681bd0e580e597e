"""Problems counted per grid cell from one index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28

Frozen DDL: the index on ``problems.grid_code`` becomes one on
``(grid_code, status, deadline, reported_at)``, so counting problems per
cell (``GROUP BY grid_code``, and by month) under the status, overdue and
date filters reads the index alone; the single-column index it starts with
is dropped.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_INDEX = "ix_problems_grid_code_status_deadline_reported_at"


def upgrade() -> None:
    """Replace the ``grid_code`` index with the covering one."""
    op.create_index(_INDEX, "problems", ["grid_code", "status", "deadline", "reported_at"])
    op.drop_index("ix_problems_grid_code", "problems")


def downgrade() -> None:
    """Back to the single-column index."""
    op.create_index("ix_problems_grid_code", "problems", ["grid_code"])
    op.drop_index(_INDEX, "problems")
