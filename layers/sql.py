"""SQL conditions shared by the store's reads and edits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

MAX_BOUND = 10_000
"""Lists longer than this are written into the SQL as literals rather than bound one value
each: drivers cap a statement's parameters (psycopg at 65,535; SQLite as it was built,
32,766 by default)."""


def one_of(column: sa.ColumnElement[Any], values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """``column IN (values)`` for a list of any length."""
    values = list(values)
    if len(values) <= MAX_BOUND:
        return column.in_(values)
    literals = sa.bindparam(None, values, type_=column.type, expanding=True, literal_execute=True)
    return column.in_(literals)
