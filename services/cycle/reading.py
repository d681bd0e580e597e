"""Reading a few columns of a stored layer as a frame, without its geometry.

Reports read many rows and few columns (a month of problems: their codes,
dates and places, never their points); :func:`read_columns` selects just
those, filtered in SQL, and types them as the layer declares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from citygrid.layers.frames import raw, typed
from citygrid.layers.registry import get_layer
from citygrid.layers.sql import one_of
from citygrid.layers.store import Store


def read_columns(
    store: Store,
    layer_name: str,
    columns: Sequence[str],
    *,
    where: Mapping[str, Any] | None = None,
    filters: Sequence[sa.ColumnElement[bool]] = (),
) -> pd.DataFrame:
    """The ``columns`` of the features of ``layer_name`` that match, typed, in no order.

    Parameters
    ----------
    store
        The store.
    layer_name
        A stored layer.
    columns
        Its fields to read (no ``fid``, ``version`` or geometry).
    where
        Equality filters ``{field: value}``; a list or tuple means "any of".
    filters
        Further SQLAlchemy conditions on ``store.table(layer_name)``'s columns.
    """
    layer = get_layer(layer_name)
    table = store.table(layer_name)
    conditions = list(filters)
    for name, value in (where or {}).items():
        column = table.c[layer.field(name).name]
        if isinstance(value, (list, tuple, set, frozenset)):
            conditions.append(one_of(column, value))
        else:
            conditions.append(column == value)
    stmt = sa.select(*(raw(table.c[layer.field(n).name], layer.field(n).type) for n in columns))
    return typed(select_frame(store, stmt.where(*conditions)), layer, list(columns))


def select_frame(store: Store, stmt: sa.Select[Any]) -> pd.DataFrame:
    """The rows of ``stmt`` as a frame of object columns named as it selects them.

    Built column by column from the driver's own tuples, read from the
    cursor: SQLAlchemy's rows and pandas' ``from_records`` of them are
    several times slower. No result type processing runs: select dates as
    text (:func:`citygrid.layers.frames.raw`) and type the columns after
    (:func:`citygrid.layers.frames.typed`).
    """
    with store.reader() as conn:
        result = conn.execute(stmt)
        names = list(result.keys())
        rows = result.cursor.fetchall()
    values = list(zip(*rows, strict=True)) or [()] * len(names)
    return pd.DataFrame(
        {name: pd.Series(v, dtype=object) for name, v in zip(names, values, strict=True)}
    )


def names_of(store: Store, layer_name: str) -> pd.Series:
    """Every feature's ``name`` by its code (an empty series when the layer is empty)."""
    found = read_columns(store, layer_name, ["code", "name"])
    return pd.Series(found["name"].to_numpy(dtype=object), index=found["code"].to_numpy())
