"""The first schema: one table per stored layer, with spatial indexes.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

from citygrid.layers.backends import backend_for
from citygrid.layers.registry import stored_layers
from citygrid.layers.schema import build_metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every stored layer's table and the backend's indexes."""
    bind = op.get_bind()
    backend_cls = backend_for(bind.dialect.name)
    assert backend_cls is not None
    backend = backend_cls()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    build_metadata(backend.geometry_column).create_all(bind)
    backend.create_extras(bind, stored_layers())


def downgrade() -> None:
    """Drop every table this revision made."""
    bind = op.get_bind()
    backend_cls = backend_for(bind.dialect.name)
    assert backend_cls is not None
    backend = backend_cls()
    backend.drop_extras(bind, stored_layers())
    build_metadata(backend.geometry_column).drop_all(bind)
