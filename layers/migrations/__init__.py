"""Alembic migrations of the store, run from code (``citygrid init``).

Revisions live in ``versions/`` as explicit DDL: 0001 is the schema of
citygrid 0.1, frozen; each later revision changes it. The target of
autogenerate is the layer registry's tables
(:func:`citygrid.layers.schema.build_metadata`), so after declaring a new
stored field or layer, write its revision with::

    citygrid --db sqlite:///dev.db init        # a database at the current head
    alembic -c layers/migrations/alembic.ini -x db=sqlite:///dev.db \\
        revision --autogenerate --rev-id 0003 -m "points note"

then read the file it writes to ``versions/`` and run the tests (they
upgrade empty databases on SQLite and PostGIS and compare them with the
registry). ``alembic -c layers/migrations/alembic.ini -x db=URL check``
says whether a database differs from the registry. Autogenerate writes
plain columns; a new *spatial* layer also needs its spatial index written
by hand, as 0001 does (an R*Tree table on SQLite, a GiST index on PostGIS).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from citygrid.layers.backends import backend_for
from citygrid.layers.registry import stored_layers
from citygrid.layers.schema import build_metadata

if TYPE_CHECKING:
    from alembic.config import Config

_HERE = Path(__file__).parent
_REVISION = re.compile(r'^(down_revision|revision) = (?:"([^"]+)"|None)$', re.MULTILINE)


def alembic_config(extra_versions: Sequence[Path] = ()) -> Config:
    """The Alembic config of the store's migrations.

    Parameters
    ----------
    extra_versions
        More folders of revisions to run after this code's own (used by
        tests that add a revision of their own).
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.set_main_option("path_separator", "os")
    if extra_versions:
        folders = [str(_HERE / "versions"), *(str(p) for p in extra_versions)]
        config.set_main_option("version_locations", os.pathsep.join(folders))
    return config


@cache
def _revisions() -> dict[str, str | None]:
    """Revision id -> its parent, read from ``versions/*.py`` without importing Alembic.

    Checking a schema happens at every command's start; Alembic (with mako
    and its templates) is imported only to migrate.
    """
    parents: dict[str, str | None] = {}
    for path in sorted((_HERE / "versions").glob("*.py")):
        found = {key: value or None for key, value in _REVISION.findall(path.read_text())}
        if "revision" in found:
            parents[str(found["revision"])] = found.get("down_revision")
    return parents


def head() -> str:
    """The newest revision this code knows (the one no other revision follows)."""
    revisions = _revisions()
    (newest,) = set(revisions) - set(revisions.values())
    return newest


def is_known(revision: str) -> bool:
    """Whether ``revision`` is one of this code's revisions."""
    return revision in _revisions()


def upgrade(engine: sa.Engine, target: str = "head", config: Config | None = None) -> None:
    """Upgrade the database behind ``engine`` to ``target`` in one transaction."""
    from alembic import command

    config = config or alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)


def target_metadata(dialect: str) -> sa.MetaData:
    """The tables the registry declares, as the backend of ``dialect`` stores them."""
    backend_cls = backend_for(dialect)
    assert backend_cls is not None
    return build_metadata(backend_cls().geometry_column)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out of autogenerate what a backend keeps beside the registry's tables.

    Only tables found in the database and absent from the registry are
    left out, and only these:

    - SQLite ``rtree_<layer>`` and its shadow tables ``_node``, ``_parent``
      and ``_rowid``: the spatial index of a spatial layer. SQLAlchemy cannot
      declare a virtual table, so the registry's metadata has no such table;
      the backend creates and fills it (0001 creates it).
    - PostGIS ``spatial_ref_sys``: the CRS table of the ``postgis`` extension,
      not citygrid's.

    Everything else is compared: tables, columns, their types and
    nullability, and indexes (PostGIS's GiST ``idx_<layer>_geom`` is part of
    the metadata through GeoAlchemy2).
    """
    if type_ != "table" or not reflected or compare_to is not None or name is None:
        return True
    return not (_RTREE.fullmatch(name) or name == "spatial_ref_sys")


_RTREE = re.compile(
    "rtree_(?:{})(?:_node|_parent|_rowid)?".format(
        "|".join(layer.name for layer in stored_layers() if layer.has_geometry)
    )
)


def run(context: Any, connection: sa.Connection) -> None:
    """Run the migrations (or autogenerate) of ``context`` on ``connection``."""
    dialect = connection.dialect.name
    options: dict[str, Any] = {}
    if dialect == "postgresql":
        from geoalchemy2.alembic_helpers import render_item

        options["render_item"] = render_item
    context.configure(
        connection=connection,
        target_metadata=target_metadata(dialect),
        include_object=include_object,
        compare_type=True,
        render_as_batch=dialect == "sqlite",
        transactional_ddl=True,
        **options,
    )
    with context.begin_transaction():
        context.run_migrations()
