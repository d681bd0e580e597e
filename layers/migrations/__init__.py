"""Alembic migrations of the store, run from code (``citygrid init``).

Revisions live in ``versions/``. The first one builds every table from the
layer registry as it stood at 0.1.0; from then on a change to a stored
layer's fields needs a new revision (``alembic revision`` with
``script_location`` pointing here) that alters the tables the same way on
SQLite (batch mode) and PostgreSQL.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

_HERE = Path(__file__).parent


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest revision this code knows."""
    revision = _scripts().get_current_head()
    assert revision is not None
    return revision


def is_known(revision: str) -> bool:
    """Whether ``revision`` is one of this code's revisions."""
    return any(script.revision == revision for script in _scripts().walk_revisions())


def upgrade(engine: sa.Engine, target: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``target`` in one transaction."""
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)
