"""A packed R*Tree written into SQLite's tables is one SQLite reads, checks and updates."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import sqlalchemy as sa

from citygrid.layers.packed_rtree import pack, write_packed

PER_NODE = 51  # SQLite's most cells per node for a 2-D R*Tree


@pytest.fixture
def conn() -> Iterator[sa.Connection]:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")
        yield connection
    engine.dispose()


def _boxes(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(112.8, 113.1, n), rng.uniform(28.0, 28.3, n)
    size = rng.uniform(0, 0.002, n) * (rng.uniform(0, 1, n) < 0.5)  # half of them points
    return rng.permutation(n) + 7, np.column_stack([x, y, x + size, y + size])


def _found(conn: sa.Connection, q: tuple[float, float, float, float]) -> list[int]:
    return sorted(
        conn.exec_driver_sql(
            "SELECT id FROM r WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?",
            (q[2], q[0], q[3], q[1]),
        ).scalars()
    )


def _stored_boxes(conn: sa.Connection) -> tuple[np.ndarray, np.ndarray]:
    rows = conn.exec_driver_sql("SELECT id, minx, miny, maxx, maxy FROM r ORDER BY id").all()
    table = np.array(rows, dtype=np.float64).reshape(-1, 5)
    return table[:, 0].astype(np.int64), table[:, 1:]


@pytest.mark.parametrize("n", [0, 1, PER_NODE, PER_NODE + 1, PER_NODE**2 + 1, 30_000])
def test_the_tree_is_sound_holds_every_box_and_answers_as_a_scan(
    conn: sa.Connection, n: int
) -> None:
    ids, bounds = _boxes(n)
    write_packed(conn, "r", ids, bounds)
    assert conn.exec_driver_sql("SELECT rtreecheck('r')").scalar() == "ok"
    stored_ids, stored = _stored_boxes(conn)
    order = np.argsort(ids)
    assert stored_ids.tolist() == ids[order].tolist()
    # Each stored box is the 32-bit float box around the entry's own.
    assert (stored[:, :2] <= bounds[order, :2]).all()
    assert (stored[:, 2:] >= bounds[order, 2:]).all()
    assert np.allclose(stored, bounds[order], rtol=0, atol=1e-5)
    for q in [(112.9, 28.1, 112.95, 28.2), (112.0, 27.0, 114.0, 29.0), (0.0, 0.0, 1.0, 1.0)]:
        scan = (stored[:, 0] <= q[2]) & (stored[:, 2] >= q[0])
        scan &= (stored[:, 1] <= q[3]) & (stored[:, 3] >= q[1])
        assert _found(conn, q) == sorted(stored_ids[scan].tolist())


def test_sqlite_goes_on_inserting_and_deleting_in_a_packed_tree(conn: sa.Connection) -> None:
    ids, bounds = _boxes(5_000, seed=1)
    write_packed(conn, "r", ids, bounds)
    conn.exec_driver_sql("INSERT INTO r VALUES (1, 112.95, 112.951, 28.15, 28.151)")
    conn.exec_driver_sql("DELETE FROM r WHERE id IN (?, ?)", (int(ids[0]), int(ids[1])))
    conn.exec_driver_sql("UPDATE r SET minx = 0, maxx = 1 WHERE id = ?", (int(ids[2]),))
    assert conn.exec_driver_sql("SELECT rtreecheck('r')").scalar() == "ok"
    assert conn.exec_driver_sql("SELECT count(*) FROM r").scalar() == 5_000 - 1
    assert 1 in _found(conn, (112.9505, 28.1505, 112.9505, 28.1505))
    assert int(ids[2]) in _found(conn, (0.5, -90.0, 0.5, 90.0))


def test_a_second_packing_replaces_the_first(conn: sa.Connection) -> None:
    write_packed(conn, "r", *_boxes(3_000, seed=2))
    assert len(_found(conn, (112.0, 27.0, 114.0, 29.0))) == 3_000  # SQLite has read the tree
    ids, bounds = _boxes(10, seed=3)
    write_packed(conn, "r", ids, bounds)
    assert conn.exec_driver_sql("SELECT rtreecheck('r')").scalar() == "ok"
    assert sorted(conn.exec_driver_sql("SELECT id FROM r").scalars()) == sorted(ids.tolist())


def test_levels_fill_from_the_leaves_up_with_the_root_as_node_one() -> None:
    n = PER_NODE**2 + 1  # three levels: 52 leaves, 2 inner nodes, the root
    node_size = 4 + 24 * PER_NODE
    tree = pack(*_boxes(n), node_size)
    numbers = [number for number, _ in tree.nodes]
    assert sorted(numbers) == list(range(1, 52 + 2 + 1 + 1))
    root = dict(tree.nodes)[1]
    assert len(root) == node_size
    assert int.from_bytes(root[:2], "big") == 2  # depth
    assert int.from_bytes(root[2:4], "big") == 2  # cells
    assert len(tree.rowids) == n
    assert len(tree.parents) == 52 + 2
    assert {parent for _, parent in tree.parents} == {1, 2, 3}
