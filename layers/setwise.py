"""Set-wise updates: the new values loaded into a temporary table, then one ``UPDATE ... FROM``.

Updating many features one statement per row costs a round trip and a
statement set-up per row; loading the rows in bulk (``executemany`` of
plain tuples on SQLite, ``COPY`` on PostGIS) and joining them in one
``UPDATE ... FROM`` (SQLite 3.33+, PostgreSQL) costs one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def update_versioned(
    conn: sa.Connection,
    table: sa.Table,
    fields: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> int:
    """Set ``fields`` of rows still at the version read, bumping their version.

    Parameters
    ----------
    conn
        A connection in a write transaction.
    table
        The layer's table.
    fields
        The columns to set (maybe none: only the versions move).
    rows
        ``(fid, version read, *values of fields)`` per feature.

    Returns
    -------
    int
        How many rows changed (fewer than ``rows`` when some version moved).
    """
    temp = f"citygrid_set_{table.name}"
    names = ["fid", "version", *fields]
    quoted = ", ".join(f'"{n}"' for n in names)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {temp}")
    conn.exec_driver_sql(
        f'CREATE TEMP TABLE {temp} AS SELECT {quoted} FROM "{table.name}" WHERE 1 = 0'
    )
    load_rows(conn, temp, names, rows)
    target = f'"{table.name}"'
    sets = [f'"{f}" = t."{f}"' for f in fields] + [f"version = {target}.version + 1"]
    result = conn.exec_driver_sql(
        f"UPDATE {target} SET {', '.join(sets)} FROM {temp} AS t "
        f"WHERE {target}.fid = t.fid AND {target}.version = t.version"
    )
    conn.exec_driver_sql(f"DROP TABLE {temp}")
    return int(result.rowcount)


def load_rows(
    conn: sa.Connection,
    into: str,
    names: list[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """Append plain tuples to the columns ``names`` of table ``into``.

    The values are as :func:`~citygrid.layers.frames.rows` gives them (dates
    as ISO text). SQLite takes one ``executemany``; PostgreSQL one ``COPY``.
    """
    if not rows:
        return
    quoted = ", ".join(f'"{n}"' for n in names)
    if conn.dialect.name == "sqlite":
        placeholders = ", ".join("?" for _ in names)
        conn.exec_driver_sql(
            f"INSERT INTO {into} ({quoted}) VALUES ({placeholders})",
            list(rows),
        )
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {into} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
