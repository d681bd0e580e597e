"""Accounts: the ``users`` and ``tokens`` tables.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Frozen DDL like 0001's: each table has ``fid``, ``version`` and the
columns below, a unique index on ``code`` and, for tokens, an index on
``user_code``. Neither has geometry.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_USERS = (
    ("code", sa.Text, True),
    ("name", sa.Text, False),
    ("role", sa.Text, True),
    ("scope", sa.Text, False),
    ("person_code", sa.Text, False),
    ("password_hash", sa.Text, False),
    ("disabled", sa.Boolean, False),
    ("demo", sa.Boolean, False),
    ("created_at", sa.DateTime, False),
    ("password_changed_at", sa.DateTime, False),
    ("last_login_at", sa.DateTime, False),
)
_TOKENS = (
    ("code", sa.Text, True),
    ("user_code", sa.Text, True),
    ("secret_hash", sa.Text, True),
    ("label", sa.Text, False),
    ("created_at", sa.DateTime, True),
    ("expires_at", sa.DateTime, True),
    ("revoked_at", sa.DateTime, False),
    ("last_used_at", sa.DateTime, False),
)


def _create(name: str, columns: tuple[tuple[str, type, bool], ...]) -> None:
    op.create_table(
        name,
        sa.Column(
            "fid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        *(sa.Column(column, kind(), nullable=not required) for column, kind, required in columns),
    )
    op.create_index(f"uq_{name}_code", name, ["code"], unique=True)


def upgrade() -> None:
    """Create ``users`` and ``tokens``."""
    _create("users", _USERS)
    _create("tokens", _TOKENS)
    op.create_index("ix_tokens_user_code", "tokens", ["user_code"])


def downgrade() -> None:
    """Drop ``tokens`` and ``users``."""
    op.drop_table("tokens")
    op.drop_table("users")
