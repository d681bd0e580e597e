"""Large SQLite reads through ADBC: the rows into Arrow in C, a whole layer in ranges of fid.

Python's ``sqlite3`` module makes a Python object of every value it fetches;
on the city's million problems that alone takes about 7 s. The ADBC SQLite
driver (``adbc-driver-sqlite``, from Apache Arrow) steps the same statement
in C, hands back Arrow arrays and lets go of the GIL while it works, so a
whole layer read in ranges of fid runs on every core. A filtered read runs
as one statement: a range of fid added to it would steer SQLite off the
filter's index and through every row of the range.

Only reads worth it go this way (:func:`fetch_arrow` says ``None`` to the
rest, which take the DB-API path):

- from a database file (an in-memory database lives in one connection);
- on a connection of the store's own, not in a caller's transaction (its
  changes are seen by no other connection);
- in fid order or in none, without ``LIMIT`` or ``OFFSET``;
- with parameters SQLAlchemy converts one by one, as it does for the DB-API
  (datetimes to text); a list of such values takes the DB-API path;
- over at least :data:`MIN_FIDS` fids (a connection's set-up costs more
  than it saves on a small read).

Each range is read in a read transaction of its own: a change committed
while the read runs may be seen in some ranges and not in others, never
half of one row (the isolation of ``READ COMMITTED`` between ranges).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
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
    "datetime": pa.string(),
    "date": pa.string(),
    "bytes": pa.binary(),
    "geometry": pa.binary(),
}
"""The Arrow type each kind of column comes as (dates are stored as text)."""


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
        The table's ``fid`` column (its rowid).
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
    uri = _database_uri(conn)
    if uri is None:
        return None
    # One aggregate each: SQLite answers a lone min() or max() of the rowid at once, and
    # scans the table for both in one SELECT.
    table = fid.table
    low = conn.execute(sa.select(sa.func.min(fid)).select_from(table)).scalar()
    high = conn.execute(sa.select(sa.func.max(fid)).select_from(table)).scalar()
    if low is None or high - low + 1 < MIN_FIDS or _compiled(conn, stmt) is None:
        return None
    # A filtered read runs as one statement (see above).
    whole = stmt.whereclause is None
    count = max(1, min(MOST_RANGES, (high - low + 1) // RANGE_FIDS)) if whole else 1
    bounds = [low - 1 + (high - low + 1) * i // count for i in range(count)] + [high]
    queries = []
    for start, end in itertools.pairwise(bounds):
        part = stmt.where(fid > start, fid <= end) if count > 1 else stmt
        query = _compiled(conn, part)
        assert query is not None  # as the whole statement's
        queries.append((*query, end - start))
    return _ranges(uri, queries, kinds)


class RangeTypeMismatch(Exception):
    """A range's values are not of their column's kind (the DB-API path reads them)."""


def _ranges(
    uri: str, queries: list[tuple[str, tuple[Any, ...], int]], kinds: Mapping[str, str]
) -> Iterator[dict[str, pa.Array]]:
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(queries))) as pool:
        tables = pool.map(lambda query: _read_range(*query[:2], uri=uri, rows=query[2]), queries)
        for table in tables:
            yield _typed(table, kinds)


def _database_uri(conn: sa.Connection) -> str | None:
    """A read-only ``file:`` URI of the SQLite database file, or ``None``."""
    if conn.dialect.name != "sqlite":
        return None
    database = conn.engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).expanduser().resolve()
    return f"{path.as_uri()}?mode=ro" if path.is_file() else None


def _compiled(conn: sa.Connection, stmt: sa.Select[Any]) -> tuple[str, tuple[Any, ...]] | None:
    """The SQL of ``stmt`` for SQLite (lists expanded) and its positional parameters as
    SQLAlchemy sends them (datetimes as text); ``None`` for a list of values that would
    each need converting (the DB-API path converts them)."""
    dialect = conn.dialect
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


def _read_range(sql: str, params: tuple[Any, ...], *, uri: str, rows: int) -> pa.Table:
    """One range's rows, read on a connection of its own.

    The driver infers each column's type from its first batch and refuses a
    later value of another type; one batch holding every row of the range
    lets it see them all first (a column of NULLs then texts is texts).
    """
    from adbc_driver_sqlite import StatementOptions, dbapi  # a read of this size only

    with dbapi.connect(uri) as connection, connection.cursor() as cursor:
        # Wait as the store's own connections do while another opens the write-ahead log.
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.fetchall()
        batch = min(rows + 1, _MOST_BATCH_ROWS)  # fids may be sparse: the rows are fewer
        cursor.adbc_statement.set_options(**{StatementOptions.BATCH_ROWS.value: str(batch)})
        cursor.execute(sql, params or None)
        return cursor.fetch_arrow_table()


def _typed(table: pa.Table, kinds: Mapping[str, str]) -> dict[str, pa.Array]:
    """One range's columns, each in its kind's Arrow type."""
    out = {}
    for position, (name, kind) in enumerate(kinds.items()):
        wanted = _ARROW_TYPES[kind]
        column = table.column(position).combine_chunks()
        if column.type != wanted:
            if column.null_count == len(column):  # no value to infer a type from
                column = pa.nulls(len(column), wanted)
            elif pa.types.is_integer(column.type) and pa.types.is_floating(wanted):
                column = column.cast(wanted)
            else:
                raise RangeTypeMismatch(f"{name}: {column.type}, not {wanted}")
        out[name] = column
    return out
