"""A data-version counter that every committed write transaction increases.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

``citygrid_meta`` holds named counters of the store; ``data_version``
starts at 0 and :class:`~citygrid.layers.store.Store` adds one on each
commit that wrote anything, so caches of computed layers can key on it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``citygrid_meta`` with ``data_version = 0``."""
    meta = op.create_table(
        "citygrid_meta",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(meta, [{"name": "data_version", "value": 0}])


def downgrade() -> None:
    """Drop ``citygrid_meta``."""
    op.drop_table("citygrid_meta")
