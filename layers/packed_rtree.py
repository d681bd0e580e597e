"""Build a SQLite R*Tree in one pass, as a packed tree written straight into its tables.

Inserting a million boxes into an R*Tree one at a time makes SQLite choose a
leaf and split nodes a million times (about 8 s on the city demo). A tree
built bottom-up from boxes sorted along a Hilbert curve (Kamel and
Faloutsos's packed R-tree) takes a fraction of that: its nodes are written
whole into the three tables SQLite's R*Tree module keeps for a virtual table
``<name>``, which is how GDAL fills a GeoPackage's spatial index:

``<name>_node(nodeno INTEGER PRIMARY KEY, data)``
    One blob per node, as long as the root's blob (the node size fixed when
    the table was made). Bytes 0-1: the tree's depth (root only, 0 when the
    root is a leaf), bytes 2-3: how many cells it holds, then the cells:
    a big-endian 64-bit id (an entry's id in a leaf, a child's node number
    above), then ``minx, maxx, miny, maxy`` as big-endian 32-bit floats,
    rounded outwards so each box holds its entry.
``<name>_rowid(rowid INTEGER PRIMARY KEY, nodeno)``
    The leaf holding each entry.
``<name>_parent(nodeno INTEGER PRIMARY KEY, parentnode)``
    The parent of each node but the root (node 1).

SQLite reads and updates the tree afterwards as one it built itself; its
``rtreecheck()`` finds it sound (the tests run it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from citygrid.gis.hilbert import hilbert_order

_CELL = np.dtype(
    [("id", ">i8"), ("minx", ">f4"), ("maxx", ">f4"), ("miny", ">f4"), ("maxy", ">f4")]
)
_HEADER_BYTES = 4
_ROOT = 1


@dataclass
class PackedTree:
    """The rows of an R*Tree's three tables (``rowids`` and ``parents``: two columns of ints)."""

    nodes: list[tuple[int, bytes]]
    rowids: np.ndarray
    parents: np.ndarray


def pack(ids: np.ndarray, bounds: np.ndarray, node_size: int) -> PackedTree:
    """Pack entries into a Hilbert-ordered R-tree of nodes of ``node_size`` bytes.

    Parameters
    ----------
    ids
        One integer id per entry.
    bounds
        ``(minx, miny, maxx, maxy)`` per entry (as :func:`shapely.bounds`),
        none missing.
    node_size
        The length of the root node's blob in ``<name>_node``.
    """
    per_node = (node_size - _HEADER_BYTES) // _CELL.itemsize
    leaves = _cells(np.asarray(ids, dtype=np.int64), np.asarray(bounds, dtype=np.float64))
    leaves = leaves[hilbert_order(bounds)]
    counts = [_nodes_for(len(leaves), per_node)]
    while counts[-1] > 1:
        counts.append(_nodes_for(counts[-1], per_node))
    # Node 1 is the root; each level below is numbered after the one above it.
    firsts = np.cumsum([_ROOT, *counts[::-1]])[:-1][::-1]
    depth = len(counts) - 1
    nodes: list[tuple[int, bytes]] = []
    links = [np.empty((0, 2), np.int64)]  # (cell id, node number) per level, leaves first
    cells = leaves
    for level, (count, first) in enumerate(zip(counts, firsts, strict=True)):
        numbers = first + np.arange(count)
        holder = numbers[np.arange(len(cells)) // per_node]
        links.append(np.column_stack([cells["id"], holder]))
        root = level == depth
        blobs = _blobs(cells, per_node, node_size, depth * root)
        nodes.extend(zip(numbers.tolist(), blobs, strict=True))
        if not root:
            cells = _parent_cells(cells, per_node, numbers)
    rowids = links[1]
    rowids = rowids[np.argsort(rowids[:, 0], kind="stable")]  # appended to the table in order
    return PackedTree(nodes=nodes, rowids=rowids, parents=np.concatenate([links[0], *links[2:]]))


def write_packed(conn: sa.Connection, name: str, ids: np.ndarray, bounds: np.ndarray) -> None:
    """Replace the entries of the R*Tree ``name`` by a packed tree of ``ids`` and ``bounds``."""
    node_size = conn.exec_driver_sql(
        f'SELECT length(data) FROM "{name}_node" WHERE nodeno = {_ROOT}'
    ).scalar_one()
    for table in ("node", "rowid", "parent"):
        conn.exec_driver_sql(f'DELETE FROM "{name}_{table}"')
    tree = pack(ids, bounds, int(node_size))
    conn.exec_driver_sql(f'INSERT INTO "{name}_node" (nodeno, data) VALUES (?, ?)', tree.nodes)
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()  # its executemany takes the rows one at a time
    for table, columns, rows in (
        ("rowid", "rowid, nodeno", tree.rowids),
        ("parent", "nodeno, parentnode", tree.parents),
    ):
        cursor.executemany(f'INSERT INTO "{name}_{table}" ({columns}) VALUES (?, ?)', _pairs(rows))
    cursor.close()


def _cells(ids: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    cells = np.zeros(len(ids), dtype=_CELL)
    cells["id"] = ids
    cells["minx"], cells["miny"] = _round_down(bounds[:, 0]), _round_down(bounds[:, 1])
    cells["maxx"], cells["maxy"] = _round_up(bounds[:, 2]), _round_up(bounds[:, 3])
    return cells


def _round_down(values: np.ndarray) -> np.ndarray:
    """The largest 32-bit floats not above ``values``."""
    near = values.astype(np.float32)
    return np.where(near > values, np.nextafter(near, np.float32(-np.inf)), near)


def _round_up(values: np.ndarray) -> np.ndarray:
    """The smallest 32-bit floats not below ``values``."""
    near = values.astype(np.float32)
    return np.where(near < values, np.nextafter(near, np.float32(np.inf)), near)


def _pairs(columns: np.ndarray) -> Iterator[tuple[int, int]]:
    """The rows of a two-column array as pairs of ints, one at a time (a million at once
    would take 100 MB)."""
    return zip(columns[:, 0].tolist(), columns[:, 1].tolist(), strict=True)


def _nodes_for(cells: int, per_node: int) -> int:
    return max(1, -(-cells // per_node))


def _blobs(cells: np.ndarray, per_node: int, node_size: int, depth: int) -> list[bytes]:
    """The blobs of the nodes holding ``cells`` in order, ``per_node`` to a node."""
    count = _nodes_for(len(cells), per_node)
    body = np.zeros(count * per_node, dtype=_CELL)
    body[: len(cells)] = cells
    blobs = np.zeros((count, node_size), dtype=np.uint8)
    header = np.zeros((count, 2), dtype=">u2")
    header[:, 0] = depth
    header[:, 1] = per_node
    header[-1, 1] = len(cells) - (count - 1) * per_node
    blobs[:, :_HEADER_BYTES] = header.view(np.uint8).reshape(count, _HEADER_BYTES)
    cell_bytes = per_node * _CELL.itemsize
    blobs[:, _HEADER_BYTES : _HEADER_BYTES + cell_bytes] = body.view(np.uint8).reshape(
        count, cell_bytes
    )
    return [row.tobytes() for row in blobs]


def _parent_cells(cells: np.ndarray, per_node: int, numbers: np.ndarray) -> np.ndarray:
    """One cell per node holding ``cells``: the node's number and the box around its cells."""
    starts = np.arange(0, len(cells), per_node)
    parents = np.zeros(len(starts), dtype=_CELL)
    parents["id"] = numbers
    for low in ("minx", "miny"):
        parents[low] = np.minimum.reduceat(cells[low].astype(np.float32), starts)
    for high in ("maxx", "maxy"):
        parents[high] = np.maximum.reduceat(cells[high].astype(np.float32), starts)
    return parents
