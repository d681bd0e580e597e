"""Columnar reads: a query's result as one array per column, with little Python work per value.

On PostgreSQL, :func:`fetch_columns` wraps a SELECT in one aggregate query
that returns each column packed into a single value: numbers as one
big-endian binary string, texts and WKB geometries as their bytes
concatenated plus their lengths, and a null mask where a column may be
empty; numpy and pyarrow unpack those in C. The aggregates step through the
rows of the (ordered) inner query together, so every column comes back in
the row order of the query.

On SQLite, whose driver runs in the process, the rows are fetched from the
DB-API cursor in large batches (no SQLAlchemy row per value, and the
cyclic garbage collector paused while millions of values are made) and
turned into columns by pyarrow and numpy. On the city's million problems
this is twice as fast as packing them with ``group_concat``, and three
times on a tenth of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
import sqlalchemy as sa

from citygrid import collector

KINDS = ("int", "float", "bool", "str", "datetime", "date", "bytes", "geometry")
"""The kinds of column :func:`fetch_columns` unpacks (dates come as text, see ``frames.raw``)."""

# Constants as SQL literals, not bound parameters (one per row otherwise).
_PG_ZERO: sa.ColumnElement[Any] = sa.literal_column("0")
_PG_EMPTY: sa.ColumnElement[Any] = sa.literal_column("''::bytea")
_PG_TRUE: sa.ColumnElement[Any] = sa.literal_column("'\\x01'::bytea")
_PG_FALSE: sa.ColumnElement[Any] = sa.literal_column("'\\x00'::bytea")
_POINT_WKB = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


def fetch_columns(
    conn: sa.Connection,
    stmt: sa.Select[Any],
    kinds: Mapping[str, str],
    required: Collection[str] = (),
) -> dict[str, Any]:
    """Run ``stmt`` and return its columns as arrays, in the statement's row order.

    Parameters
    ----------
    conn
        A connection to SQLite or PostgreSQL.
    stmt
        A SELECT whose selected columns are named as the keys of ``kinds``.
    kinds
        Kind of each column (one of :data:`KINDS`). Geometries are WKB.
    required
        Columns that hold no missing value (NOT NULL): PostgreSQL sends no null mask
        for them.

    Returns
    -------
    dict
        ``int`` columns as ``Int64`` arrays, ``bool`` as ``boolean``,
        ``float`` as float64 (missing is NaN), dates as ``datetime64[ns]``
        (missing is NaT), texts and bytes as object arrays (missing is
        ``None``), geometries as shapely arrays.
    """
    if conn.dialect.name != "postgresql":
        return _fetch_rows(conn, stmt, kinds)
    packer = _Postgres()
    inner = stmt.subquery("q")
    selected: list[sa.ColumnElement[Any]] = [sa.func.count().label("n")]
    for name, kind in kinds.items():
        selected.extend(packer.aggregates(inner.c[name], kind, name, name not in required))
    row = conn.execute(sa.select(*selected).select_from(inner)).one()._mapping
    n = int(row["n"])
    return {name: _unpack(packer, row, name, kind, n) for name, kind in kinds.items()}


_BATCH_ROWS = 100_000
"""Rows fetched from the SQLite cursor at a time."""


def _fetch_rows(
    conn: sa.Connection, stmt: sa.Select[Any], kinds: Mapping[str, str]
) -> dict[str, Any]:
    """:func:`fetch_columns` on SQLite: the rows straight from the DB-API cursor."""
    with collector.paused():  # millions of row tuples, none of them in a cycle
        result = conn.execute(stmt)
        try:
            names = list(result.keys())
            values: list[list[Any]] = [[] for _ in names]
            while batch := result.cursor.fetchmany(_BATCH_ROWS):
                for column, batch_values in zip(values, zip(*batch, strict=True), strict=True):
                    column.extend(batch_values)
        finally:
            result.close()
        fetched = dict(zip(names, values, strict=True))
        del values
        # Each list of values goes as soon as its column is made.
        return {name: _column(fetched.pop(name), kind) for name, kind in kinds.items()}


def _column(values: list[Any], kind: str) -> Any:
    """One fetched column as :func:`fetch_columns` returns it."""
    if kind == "float":
        return pa.array(values, type=pa.float64()).to_numpy(zero_copy_only=False)  # None: NaN
    if kind in ("int", "bool"):
        array = pa.array(values, type=pa.int64())
        missing = array.is_null().to_numpy(zero_copy_only=False)
        return _masked(array.fill_null(0).to_numpy(), missing, kind)
    if kind in ("datetime", "date"):
        return _datetimes(values)
    if kind == "geometry":
        return _wkb_geometries(values)
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def _wkb_geometries(values: list[bytes | None]) -> np.ndarray:
    """Shapely geometries from WKB values (``None`` for missing)."""
    if None not in values:
        data = b"".join(values)  # type: ignore[arg-type]
        if len(data) == _POINT_WKB.itemsize * len(values):
            points = _plain_points(data)
            if points is not None:
                return points
    wkb = np.empty(len(values), dtype=object)
    wkb[:] = values
    return shapely.from_wkb(wkb)


def _unpack(packer: _Postgres, row: Any, name: str, kind: str, n: int) -> Any:
    """One column of the packed row as :func:`fetch_columns` returns it."""
    flags = row.get(f"{name}__null")
    missing = np.zeros(n, dtype=bool) if flags is None else packer.mask(flags, n)
    if kind in ("int", "bool"):
        return _masked(packer.ints(row[f"{name}__v"]), missing, kind)
    if kind == "float":
        values = packer.floats(row[f"{name}__v"])
        values[missing] = np.nan
        return values
    lengths = packer.ints(row[f"{name}__len"])
    data = bytes(row[f"{name}__v"] or b"")
    if kind == "geometry" and n and not missing.any() and (lengths == _POINT_WKB.itemsize).all():
        points = _plain_points(data)
        if points is not None:
            return points
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    arrow_type = pa.large_string() if kind in ("str", "datetime", "date") else pa.large_binary()
    validity = pa.array(~missing).buffers()[1] if missing.any() else None
    array = pa.Array.from_buffers(
        arrow_type, n, [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    if kind in ("datetime", "date"):
        return _datetimes(array)
    values = array.to_numpy(zero_copy_only=False)
    return shapely.from_wkb(values) if kind == "geometry" else values


def _masked(numbers: np.ndarray, missing: np.ndarray, kind: str) -> Any:
    """64-bit integers and their null mask as an ``Int64`` array, or a ``boolean`` one."""
    if kind == "int":
        return pd.arrays.IntegerArray(numbers, missing)
    return pd.arrays.BooleanArray(numbers.astype(bool), missing)


def _plain_points(data: bytes) -> np.ndarray | None:
    """Points from concatenated 21-byte WKB, if each is a plain 2-D point (else ``None``)."""
    points = np.frombuffer(data, dtype=_POINT_WKB)
    plain = (points["order"] == 1) & (points["type"] == 1)
    if plain.all() and not (np.isnan(points["x"]).any() or np.isnan(points["y"]).any()):
        return shapely.points(points["x"], points["y"])
    return None


def _datetimes(values: pa.Array | list[Any]) -> np.ndarray:
    """ISO 8601 texts (``None`` for missing) as ``datetime64[ns]``: parsed by Arrow, or by
    pandas where Arrow does not take them."""
    try:
        text = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
        return text.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False).astype("datetime64[ns]")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        plain = values.to_numpy(zero_copy_only=False) if isinstance(values, pa.Array) else values
        return pd.to_datetime(plain, format="ISO8601").to_numpy(dtype="datetime64[ns]")


class _Postgres:
    """How PostgreSQL packs a column into one value (numbers in their binary send form,
    big-endian; bytes as one bytea), and how to unpack it."""

    def aggregates(
        self, column: sa.ColumnElement[Any], kind: str, name: str, nullable: bool
    ) -> list[sa.ColumnElement[Any]]:
        """The aggregates packing one column: values, lengths (texts, bytes), null flags."""
        nulls = [self.null_flags(column).label(f"{name}__null")] if nullable else []
        if kind in ("int", "bool"):
            return [self.pack_ints(column, kind).label(f"{name}__v"), *nulls]
        if kind == "float":
            return [self.pack_floats(column).label(f"{name}__v"), *nulls]
        as_bytes = self.as_bytes(column, kind)
        return [
            self.pack_bytes(as_bytes).label(f"{name}__v"),
            self.pack_lengths(as_bytes).label(f"{name}__len"),
            *nulls,
        ]

    def null_flags(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.func.string_agg(sa.case((column.is_(None), _PG_TRUE), else_=_PG_FALSE), _PG_EMPTY)

    def mask(self, value: Any, n: int) -> np.ndarray:
        """The null mask: one flag byte per row, ``1`` where the value is missing."""
        if n == 0:
            return np.zeros(0, dtype=bool)
        return np.frombuffer(bytes(value), dtype=np.uint8) == 1

    def pack_ints(self, column: sa.ColumnElement[Any], kind: str) -> sa.ColumnElement[Any]:
        number = sa.cast(sa.cast(column, sa.Integer), sa.BigInteger) if kind == "bool" else column
        value = sa.func.int8send(sa.func.coalesce(sa.cast(number, sa.BigInteger), _PG_ZERO))
        return sa.func.string_agg(value, _PG_EMPTY)

    def pack_floats(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        value = sa.func.float8send(sa.func.coalesce(sa.cast(column, sa.Float(53)), _PG_ZERO))
        return sa.func.string_agg(value, _PG_EMPTY)

    def as_bytes(self, column: sa.ColumnElement[Any], kind: str) -> sa.ColumnElement[Any]:
        if kind in ("bytes", "geometry"):
            return column
        return sa.func.convert_to(sa.cast(column, sa.Text), "UTF8")

    def pack_bytes(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.type_coerce(sa.func.string_agg(column, _PG_EMPTY), sa.LargeBinary)

    def pack_lengths(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        value = sa.func.int8send(
            sa.func.coalesce(sa.cast(sa.func.octet_length(column), sa.BigInteger), _PG_ZERO)
        )
        return sa.func.string_agg(value, _PG_EMPTY)

    def ints(self, value: Any) -> np.ndarray:
        return np.frombuffer(bytes(value or b""), dtype=">i8").astype(np.int64)

    def floats(self, value: Any) -> np.ndarray:
        return np.frombuffer(bytes(value or b""), dtype=">f8").astype(np.float64)
