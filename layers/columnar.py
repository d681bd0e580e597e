"""Columnar reads: a query's result as one array per column, with no Python work per value.

:func:`fetch_columns` wraps a SELECT in one aggregate query that returns
each column packed into a single value: numbers as one text (SQLite) or one
big-endian binary string (PostgreSQL), texts, blobs and WKB geometries as
their bytes concatenated plus their lengths, and a null mask where a column
may be empty. numpy and pyarrow unpack those in C. The aggregates step
through the rows of the (ordered) inner query together, so every column
comes back in the same row order, the query's own.

Reading a million points this way costs about what pyogrio takes to read
them from a GeoPackage, where fetching rows through the driver and
SQLAlchemy takes several times that.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
import sqlalchemy as sa

KINDS = ("int", "float", "bool", "str", "datetime", "date", "bytes", "geometry")
"""The kinds of column :func:`fetch_columns` unpacks (dates come as text, see ``frames.raw``)."""

# Constants as SQL literals: bound parameters make SQLite's aggregates twice as slow.
_ONE: sa.ColumnElement[Any] = sa.literal_column("'1'")
_ZERO: sa.ColumnElement[Any] = sa.literal_column("'0'")
_EMPTY: sa.ColumnElement[Any] = sa.literal_column("''")
_COMMA: sa.ColumnElement[Any] = sa.literal_column("','")
_PG_ZERO: sa.ColumnElement[Any] = sa.literal_column("0")
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
        Columns that hold no missing value (NOT NULL): no null mask is sent.

    Returns
    -------
    dict
        ``int`` columns as ``Int64`` arrays, ``bool`` as ``boolean``,
        ``float`` as float64 (missing is NaN), dates as ``datetime64[ns]``
        (missing is NaT), texts and bytes as object arrays (missing is
        ``None``), geometries as shapely arrays.
    """
    packer = _Postgres() if conn.dialect.name == "postgresql" else _SQLite()
    inner = stmt.subquery("q")
    selected: list[sa.ColumnElement[Any]] = [sa.func.count().label("n")]
    for name, kind in kinds.items():
        selected.extend(packer.aggregates(inner.c[name], kind, name, name not in required))
    row = conn.execute(sa.select(*selected).select_from(inner)).one()._mapping
    n = int(row["n"])
    return {name: _unpack(packer, row, name, kind, n) for name, kind in kinds.items()}


def _unpack(packer: _Packer, row: Any, name: str, kind: str, n: int) -> Any:
    flags = row.get(f"{name}__null")
    missing = np.zeros(n, dtype=bool) if flags is None else packer.mask(flags, n)
    if kind in ("int", "bool"):
        values = packer.ints(row[f"{name}__v"], n)
        return (
            pd.arrays.IntegerArray(values, missing)
            if kind == "int"
            else (pd.arrays.BooleanArray(values.astype(bool), missing))
        )
    if kind == "float":
        values = packer.floats(row[f"{name}__v"], n)
        values[missing] = np.nan
        return values
    lengths = packer.ints(row[f"{name}__len"], n)
    data = bytes(row[f"{name}__v"] or b"")
    if kind == "geometry":
        return _geometries(data, lengths, missing)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    arrow_type = pa.large_binary() if kind == "bytes" else pa.large_string()
    validity = pa.array(~missing).buffers()[1] if missing.any() else None
    array = pa.Array.from_buffers(
        arrow_type, n, [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    if kind in ("datetime", "date"):
        try:  # ISO 8601 text parsed by Arrow; pandas parses what Arrow does not take
            return (
                array.cast(pa.timestamp("us"))
                .to_numpy(zero_copy_only=False)
                .astype("datetime64[ns]")
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            text = array.to_numpy(zero_copy_only=False)
            return pd.to_datetime(text, format="ISO8601").to_numpy(dtype="datetime64[ns]")
    return array.to_numpy(zero_copy_only=False)


def _geometries(data: bytes, lengths: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Shapely geometries from concatenated WKB; plain 2-D points straight from their bytes."""
    n = len(lengths)
    if n and not missing.any() and (lengths == _POINT_WKB.itemsize).all():
        points = np.frombuffer(data, dtype=_POINT_WKB)
        plain = (points["order"] == 1) & (points["type"] == 1)
        if plain.all() and not (np.isnan(points["x"]).any() or np.isnan(points["y"]).any()):
            return shapely.points(points["x"], points["y"])
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    validity = pa.array(~missing).buffers()[1] if missing.any() else None
    array = pa.Array.from_buffers(
        pa.large_binary(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    return shapely.from_wkb(array.to_numpy(zero_copy_only=False))


class _Packer:
    """How one database packs a column into one value, and how to unpack it."""

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
        raise NotImplementedError

    def pack_ints(self, column: sa.ColumnElement[Any], kind: str) -> sa.ColumnElement[Any]:
        raise NotImplementedError

    def pack_floats(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        raise NotImplementedError

    def as_bytes(self, column: sa.ColumnElement[Any], kind: str) -> sa.ColumnElement[Any]:
        raise NotImplementedError

    def pack_bytes(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        raise NotImplementedError

    def pack_lengths(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        raise NotImplementedError

    def mask(self, value: Any, n: int) -> np.ndarray:
        """The null mask: one flag byte per row, ``1`` where the value is missing."""
        if n == 0:
            return np.zeros(0, dtype=bool)
        flags = value.encode("ascii") if isinstance(value, str) else bytes(value)
        return np.frombuffer(flags, dtype=np.uint8) == ord(self.null_flag)

    null_flag = "1"

    def ints(self, value: Any, n: int) -> np.ndarray:
        raise NotImplementedError

    def floats(self, value: Any, n: int) -> np.ndarray:
        raise NotImplementedError


class _SQLite(_Packer):
    """Numbers as comma-separated text (floats with 17 digits: exact), bytes as one blob."""

    def null_flags(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.func.group_concat(sa.case((column.is_(None), _ONE), else_=_ZERO), _EMPTY)

    def pack_ints(self, column: sa.ColumnElement[Any], kind: str) -> sa.ColumnElement[Any]:
        return sa.func.group_concat(sa.func.ifnull(column, _ZERO), _COMMA)

    def pack_floats(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        exact = sa.func.printf(sa.literal_column("'%!.17g'"), column)
        return sa.func.group_concat(sa.func.ifnull(exact, _ZERO), _COMMA)

    def as_bytes(self, column: sa.ColumnElement[Any], kind: str) -> sa.ColumnElement[Any]:
        return sa.cast(column, sa.LargeBinary)

    def pack_bytes(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        # group_concat appends each value's bytes as they are; the cast keeps them bytes.
        return sa.cast(sa.func.group_concat(column, _EMPTY), sa.LargeBinary)

    def pack_lengths(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.func.group_concat(sa.func.ifnull(sa.func.length(column), _ZERO), _COMMA)

    def ints(self, value: Any, n: int) -> np.ndarray:
        return _parse(value, np.int64, n)

    def floats(self, value: Any, n: int) -> np.ndarray:
        return _parse(value, np.float64, n)


def _parse(text: str | None, dtype: type, n: int) -> np.ndarray:
    """Comma-separated numbers as an array (parsed in C)."""
    if n == 0 or not text:
        return np.zeros(n, dtype=dtype)
    return np.fromstring(text, dtype=dtype, sep=",")  # type: ignore[call-overload]


class _Postgres(_Packer):
    """Numbers as their binary send form (big-endian), bytes as one bytea."""

    def null_flags(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.func.string_agg(
            sa.case(
                (column.is_(None), sa.literal_column("'\\x01'::bytea")),
                else_=sa.literal_column("'\\x00'::bytea"),
            ),
            sa.literal_column("''::bytea"),
        )

    null_flag = "\x01"

    def pack_ints(self, column: sa.ColumnElement[Any], kind: str) -> sa.ColumnElement[Any]:
        number = sa.cast(sa.cast(column, sa.Integer), sa.BigInteger) if kind == "bool" else column
        value = sa.func.int8send(sa.func.coalesce(sa.cast(number, sa.BigInteger), _PG_ZERO))
        return sa.func.string_agg(value, sa.literal_column("''::bytea"))

    def pack_floats(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        value = sa.func.float8send(sa.func.coalesce(sa.cast(column, sa.Float(53)), _PG_ZERO))
        return sa.func.string_agg(value, sa.literal_column("''::bytea"))

    def as_bytes(self, column: sa.ColumnElement[Any], kind: str) -> sa.ColumnElement[Any]:
        if kind in ("bytes", "geometry"):
            return column
        return sa.func.convert_to(sa.cast(column, sa.Text), "UTF8")

    def pack_bytes(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.type_coerce(
            sa.func.string_agg(column, sa.literal_column("''::bytea")), sa.LargeBinary
        )

    def pack_lengths(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        value = sa.func.int8send(
            sa.func.coalesce(sa.cast(sa.func.octet_length(column), sa.BigInteger), _PG_ZERO)
        )
        return sa.func.string_agg(value, sa.literal_column("''::bytea"))

    def ints(self, value: Any, n: int) -> np.ndarray:
        return np.frombuffer(bytes(value or b""), dtype=">i8").astype(np.int64)

    def floats(self, value: Any, n: int) -> np.ndarray:
        return np.frombuffer(bytes(value or b""), dtype=">f8").astype(np.float64)
