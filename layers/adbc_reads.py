"""Large reads through ADBC: the rows into Arrow in C, a whole layer in ranges of fid.

Python's ``sqlite3`` module makes a Python object of every value it fetches;
on the city's million problems that alone takes about 7 s. The ADBC drivers
(``adbc-driver-sqlite`` and ``adbc-driver-postgresql``, from Apache Arrow)
run the same statement in C (PostgreSQL's as a binary ``COPY``), hand back
Arrow arrays and let go of the GIL while they work, so a whole layer read
in ranges of fid runs on every core, and each range is turned into columns
while the ones after it are read. A filtered read runs as one statement: a
range of fid added to it would steer the planner off the filter's index and
through every row of the range.

Only reads worth it go this way (:func:`fetch_arrow` says ``None`` to the
rest, which take the DB-API path):

- from a SQLite file or a PostgreSQL server (an in-memory database lives
  in one connection);
- on a connection of the store's own, not in a caller's transaction (its
  changes are seen by no other connection);
- in fid order or in none, without ``LIMIT`` or ``OFFSET``;
- with parameters SQLAlchemy converts one by one, as it does for the DB-API
  (SQLite's datetimes to text); a list of such values takes the DB-API path;
- over at least :data:`MIN_FIDS` fids (a connection's set-up costs more
  than it saves on a small read).

On PostgreSQL every range reads in the snapshot of the store's reader
(``pg_export_snapshot``), so a read is one consistent view. SQLite cannot
share a snapshot between connections: each range is a read transaction of
its own, and a change committed while the read runs may be seen in some
ranges and not in others, never half of one row.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

MIN_FIDS = 50_000
"""Reads over fewer fids than this take the DB-API path."""

RANGE_FIDS = 100_000
"""Fids per range of a whole layer at least (the ranges after the first few are read
while those before become columns)."""

MOST_RANGES = 16
"""Ranges of a whole layer at most (fids far apart make a wide span of few rows)."""

WORKERS = max(1, min(4, os.cpu_count() or 1))
"""Ranges read at once, at most (one per CPU)."""

BUSY_TIMEOUT_MS = 5_000
"""How long a range's connection waits for a lock (SQLite's own default is not at all)."""

_MOST_BATCH_ROWS = 2**31 - 2
"""The largest batch the driver takes (it allocates as rows come, not the batch ahead)."""

_ARROW_TYPES = {
    "int": pa.int64(),
    "bool": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "datetime": pa.timestamp("us"),
    "date": pa.timestamp("us"),
    "bytes": pa.binary(),
    "geometry": pa.binary(),
}
"""The Arrow type each kind of column is given in (SQLite's dates come as text and are
parsed by Arrow, PostgreSQL's as timestamps)."""


def fetch_arrow(
    conn: sa.Connection, stmt: sa.Select[Any], fid: sa.Column[Any], kinds: Mapping[str, str]
) -> Iterator[dict[str, pa.Array]] | None:
    """Read ``stmt`` (on the store's own connection ``conn``) into Arrow, range by range;
    ``None`` when the read is not one for ADBC.

    Parameters
    ----------
    conn
        A reader the store opened for this read (not a caller's transaction).
    stmt
        A SELECT of one table whose columns are named as the keys of ``kinds``,
        ordered by ``fid`` or not at all, without ``LIMIT`` or ``OFFSET``.
    fid
        The table's integer key ``fid`` (SQLite's rowid).
    kinds
        Kind of each column, as :func:`~citygrid.layers.columnar.fetch_columns` takes them.

    Returns
    -------
    iterator of dict, or None
        The ranges in fid order, each as one array per column in its kind's Arrow
        type, yielded as they are read (:data:`WORKERS` ranges are read at once while
        the caller turns the ones before into columns). Iterating raises
        :class:`RangeTypeMismatch` if a range's values are of another type.
    """
    source = _source(conn)
    if source is None:
        return None
    # One aggregate each: SQLite answers a lone min() or max() of the rowid at once, and
    # scans the table for both in one SELECT.
    table = fid.table
    low = conn.execute(sa.select(sa.func.min(fid)).select_from(table)).scalar()
    high = conn.execute(sa.select(sa.func.max(fid)).select_from(table)).scalar()
    if low is None or high - low + 1 < MIN_FIDS:
        return None
    whole_query = _compiled(conn, stmt)
    if whole_query is None:
        return None
    if source.postgres:  # every range reads in the snapshot of the store's reader
        source = replace(
            source, snapshot=conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        )
    # A filtered read runs as one statement (see above).
    whole = stmt.whereclause is None
    count = max(1, min(MOST_RANGES, (high - low + 1) // RANGE_FIDS)) if whole else 1
    if count == 1:
        queries = [(*whole_query, high - low + 1)]
    else:
        bounds = [low - 1 + (high - low + 1) * i // count for i in range(count)] + [high]
        queries = []
        for start, end in itertools.pairwise(bounds):
            query = _compiled(conn, stmt.where(fid > start, fid <= end))
            assert query is not None  # as the whole statement's
            queries.append((*query, end - start))
    return _ranges(source, queries, kinds)


class RangeTypeMismatch(Exception):
    """A range's values are not of their column's kind (the DB-API path reads them)."""


@dataclass(frozen=True)
class _Source:
    """The database the ranges are read from."""

    uri: str
    postgres: bool
    snapshot: str | None = None
    """PostgreSQL: the snapshot every range reads in (``pg_export_snapshot()``)."""


def _source(conn: sa.Connection) -> _Source | None:
    """The database of ``conn`` as ADBC reaches it: a SQLite file (read-only) or a
    PostgreSQL server; ``None`` for an in-memory database."""
    url = conn.engine.url
    if conn.dialect.name == "postgresql":
        return _Source(url.set(drivername="postgresql").render_as_string(False), postgres=True)
    database = url.database or ""
    if (
        conn.dialect.name != "sqlite"
        or database in ("", ":memory:")
        or database.startswith("file:")
    ):
        return None
    path = Path(database).expanduser().resolve()
    return _Source(f"{path.as_uri()}?mode=ro", postgres=False) if path.is_file() else None


def _ranges(
    source: _Source, queries: list[tuple[str, tuple[Any, ...], int]], kinds: Mapping[str, str]
) -> Iterator[dict[str, pa.Array]]:
    read = _read_postgres if source.postgres else _read_sqlite
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(queries))) as pool:
        tables = pool.map(lambda query: read(source, *query), queries)
        for table in tables:
            yield _typed(table, kinds)


def _compiled(conn: sa.Connection, stmt: sa.Select[Any]) -> tuple[str, tuple[Any, ...]] | None:
    """The SQL of ``stmt`` (lists expanded; PostgreSQL's parameters numbered ``$1``...,
    as ADBC takes them) and its positional parameters as SQLAlchemy sends them (SQLite's
    datetimes as text); ``None`` for a list of values that would each need converting
    (the DB-API path converts them)."""
    dialect = _numbered(conn.dialect) if conn.dialect.name == "postgresql" else conn.dialect
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    processors = {}
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            if bind.expanding:
                return None
            processors[name] = process
    given = compiled.construct_params()
    params = []
    for name in compiled.positiontup or ():
        process = processors.get(name)
        params.append(given[name] if process is None else process(given[name]))
    return str(compiled), tuple(params)


@functools.cache
def _numbered(dialect: sa.Dialect) -> sa.Dialect:
    """A dialect like ``dialect`` writing parameters as ``$1``, ``$2``..."""
    made: Any = type(dialect)  # every SQLAlchemy dialect takes its paramstyle
    return made(paramstyle="numeric_dollar")


def _read_sqlite(source: _Source, sql: str, params: tuple[Any, ...], rows: int) -> pa.Table:
    """One range's rows from SQLite, read on a connection of its own.

    The driver infers each column's type from its first batch and refuses a
    later value of another type; one batch holding every row of the range
    lets it see them all first (a column of NULLs then texts is texts).
    """
    from adbc_driver_sqlite import StatementOptions, dbapi  # a read of this size only

    with dbapi.connect(source.uri) as connection, connection.cursor() as cursor:
        # Wait as the store's own connections do while another opens the write-ahead log.
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.fetchall()
        batch = min(rows + 1, _MOST_BATCH_ROWS)  # fids may be sparse: the rows are fewer
        cursor.adbc_statement.set_options(**{StatementOptions.BATCH_ROWS.value: str(batch)})
        cursor.execute(sql, params or None)
        return cursor.fetch_arrow_table()


def _read_postgres(source: _Source, sql: str, params: tuple[Any, ...], rows: int) -> pa.Table:
    """One range's rows from PostgreSQL (``COPY`` in binary, by the driver), read in the
    snapshot of the store's reader."""
    from adbc_driver_postgresql import dbapi  # a read of this size only

    del rows  # the server says each column's type
    with dbapi.connect(source.uri) as connection, connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute(f"SET TRANSACTION SNAPSHOT '{source.snapshot}'")
        cursor.execute(sql, params or None)
        table = cursor.fetch_arrow_table()
        connection.rollback()
        return table


def _typed(table: pa.Table, kinds: Mapping[str, str]) -> dict[str, pa.Array]:
    """One range's columns, each in its kind's Arrow type."""
    out = {}
    for position, (name, kind) in enumerate(kinds.items()):
        wanted = _ARROW_TYPES[kind]
        column = table.column(position).combine_chunks()
        if column.type != wanted:
            if column.null_count == len(column):  # no value to infer a type from
                column = pa.nulls(len(column), wanted)
            elif _castable(column.type, wanted):
                try:
                    column = column.cast(wanted)
                except pa.ArrowInvalid as error:  # a date Arrow does not read
                    raise RangeTypeMismatch(f"{name}: {error}") from error
            else:
                raise RangeTypeMismatch(f"{name}: {column.type}, not {wanted}")
        out[name] = column
    return out


def _castable(given: pa.DataType, wanted: pa.DataType) -> bool:
    """Whether values of type ``given`` stand for the same values in type ``wanted``."""
    types = pa.types
    if types.is_timestamp(wanted):
        return (
            types.is_string(given)
            or types.is_large_string(given)
            or types.is_timestamp(given)
            or types.is_date(given)
        )
    if types.is_integer(given) or types.is_boolean(given):
        return types.is_integer(wanted) or types.is_floating(wanted)
    if types.is_floating(given):
        return types.is_floating(wanted)
    return (types.is_large_string(given) and types.is_string(wanted)) or (
        types.is_large_binary(given) and types.is_binary(wanted)
    )
