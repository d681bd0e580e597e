"""Opening the database: the engine, how transactions begin, and lock errors.

SQLite files run in WAL mode (readers never wait for the writer) with a busy
timeout. Write transactions begin ``IMMEDIATE``: they take the write lock
when they start, so two writers queue on the busy timeout instead of both
reading and then failing to upgrade their lock (a deferred ``BEGIN`` that
has read cannot wait for the lock and fails at once with "database is
locked"). Transactions on :func:`reading` engines begin deferred, as
readers. A lock wait that still runs out, on either backend, becomes
:class:`~citygrid.errors.StoreBusy` ("try again in a moment").

Every committed transaction that wrote (:func:`mark_written`) adds one to
the ``data_version`` counter, and to the counter of each layer it wrote
(``data_version:<layer>``), in the same commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from citygrid.errors import StoreBusy, StoreUnavailable
from citygrid.layers.backends import Backend, backend_for, supported_dialects
from citygrid.layers.schema import DATA_VERSION, META_TABLE, layer_version_name

SQLITE_BUSY_TIMEOUT_S = 30.0
_READ_ONLY = "citygrid_read_only"
_WROTE = "citygrid_wrote"
_BUMP_DATA_VERSION = f"UPDATE {META_TABLE} SET value = value + 1 WHERE name = '{DATA_VERSION}'"
# A layer's counter is made by its first write (both backends know ON CONFLICT).
_BUMP_LAYER_VERSION = sa.text(
    f"INSERT INTO {META_TABLE} (name, value) VALUES (:name, 1) "
    f"ON CONFLICT (name) DO UPDATE SET value = {META_TABLE}.value + 1"
)
# SQLite result codes (the low byte of extended codes): SQLITE_BUSY, SQLITE_LOCKED.
_SQLITE_LOCK_CODES = {5, 6}
# PostgreSQL: lock_not_available, deadlock_detected, serialization_failure.
_POSTGRES_LOCK_STATES = {"55P03", "40P01", "40001"}


def open_engine(url: str, *, must_exist: bool) -> tuple[sa.Engine, type[Backend]]:
    """Connect to the database at ``url`` and return the engine and its backend.

    Parameters
    ----------
    url
        SQLAlchemy URL: ``sqlite:///path.db`` (``?timeout=SECONDS`` sets the
        busy timeout, default 30) or ``postgresql+psycopg://user@host/db``
        (``postgresql://`` is read as psycopg 3).
    must_exist
        Refuse a SQLite file that does not exist instead of creating it.

    Raises
    ------
    StoreUnavailable
        The URL does not parse, names an unsupported database, a missing
        SQLite file (with ``must_exist``) or folder, or the server cannot be
        reached.
    """
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise StoreUnavailable(
            "The database URL {url!r} does not parse ({reason}). Use sqlite:///citygrid.db "
            "or postgresql+psycopg://user@host:5432/dbname.",
            url=url,
            reason=str(exc),
        ) from None
    backend_cls = backend_for(parsed.get_backend_name())
    if backend_cls is None:
        raise StoreUnavailable(
            "Database {dialect!r} is not supported; use one of: {known}.",
            dialect=parsed.get_backend_name(),
            known=", ".join(supported_dialects()),
        )
    engine = _sqlite_engine(parsed, must_exist) if backend_cls.name == "sqlite" else _server(parsed)
    sa.event.listen(engine, "handle_error", _lock_errors)
    sa.event.listen(engine, "begin", _forget_write)
    sa.event.listen(engine, "commit", _count_write)
    sa.event.listen(engine, "rollback", _forget_write)
    try:
        with reading(engine).connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        engine.dispose()
        raise StoreUnavailable(
            "Cannot reach the database at {url}: {reason}. Check that the server runs "
            "and the URL is right.",
            url=parsed.render_as_string(hide_password=True),
            reason=str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc),
        ) from None
    return engine, backend_cls


def reading(engine: sa.Engine) -> sa.Engine:
    """The same engine (same pool) whose transactions begin as readers."""
    return engine.execution_options(**{_READ_ONLY: True})


def mark_written(conn: sa.Connection, layers: Iterable[str]) -> None:
    """Note that the transaction on ``conn`` wrote features of ``layers``, so its commit
    counts a data version of the store and of each of them."""
    conn.info.setdefault(_WROTE, set()).update(layers)


def _sqlite_engine(parsed: sa.URL, must_exist: bool) -> sa.Engine:
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser().resolve()
        if not path.parent.is_dir():
            raise StoreUnavailable(
                "The folder {folder} for the SQLite database does not exist; create it or "
                "choose another path.",
                folder=str(path.parent),
            )
        if must_exist and not path.exists():
            raise StoreUnavailable(
                "The database file {path} does not exist. Run `citygrid init` or "
                "`citygrid demo` to create it, or give --db an existing database.",
                path=str(path),
            )
    connect_args = {} if "timeout" in parsed.query else {"timeout": SQLITE_BUSY_TIMEOUT_S}
    engine = sa.create_engine(parsed, connect_args=connect_args)
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _server(parsed: sa.URL) -> sa.Engine:
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return sa.create_engine(parsed, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise StoreUnavailable(
            "The driver for {url} is not installed ({reason}); "
            "run `pip install citygrid[postgis]`.",
            url=parsed.render_as_string(hide_password=True),
            reason=str(exc),
        ) from None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The driver's own transaction handling leaves DDL (dropping indexes in a bulk
    # load, migrations) outside the transaction; _sqlite_begin begins them instead.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MiB per connection: a 1M-problem import builds its indexes as fast as with 256 MiB
    # (34.4 s against 34.6 s) and peaks 260 MB lower; a server holds several connections.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    reader = conn.get_execution_options().get(_READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")


def _count_write(conn: sa.Connection) -> None:
    written = conn.info.pop(_WROTE, None)
    if written:
        conn.exec_driver_sql(_BUMP_DATA_VERSION)
        # One order for every writer, so two commits never wait on each other's rows.
        names = [{"name": layer_version_name(layer)} for layer in sorted(written)]
        conn.execute(_BUMP_LAYER_VERSION, names)


def _forget_write(conn: sa.Connection) -> None:
    conn.info.pop(_WROTE, None)


def _lock_errors(context: sa.engine.ExceptionContext) -> None:
    """Turn a lock wait that ran out into :class:`StoreBusy`."""
    error = context.original_exception
    sqlite_code = getattr(error, "sqlite_errorcode", None)
    busy = (sqlite_code is not None and sqlite_code & 0xFF in _SQLITE_LOCK_CODES) or (
        getattr(error, "sqlstate", None) in _POSTGRES_LOCK_STATES
    )
    if busy:
        raise StoreBusy(
            "The database is busy with another change; try again in a moment.",
            reason=str(error).strip().splitlines()[0] if str(error).strip() else "",
        ) from None
