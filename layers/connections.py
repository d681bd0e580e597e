"""What every part of the store shares: the engine, the tables and transactions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from citygrid.errors import BadInput, StoreUnavailable
from citygrid.layers.backends import Backend
from citygrid.layers.engine import reading
from citygrid.layers.registry import get_layer
from citygrid.layers.schema import build_metadata

CLOSE_WAIT_S = 30.0
"""How long closing a store waits for the work under way in other threads."""


class StoreConnections:
    """The engine of one database, its backend and the registry's tables on it."""

    def __init__(self, engine: sa.Engine, backend: Backend) -> None:
        self.engine = engine
        self.backend = backend
        self.metadata = build_metadata(backend.geometry_column)
        self._reader = reading(engine)
        self.closed = False
        self._in_use = 0
        self._returned = threading.Condition()

    @property
    def shared_across_threads(self) -> bool:
        """Whether reads from other threads see the same database: not so for an in-memory
        SQLite database, of which every thread has its own (empty) one."""
        return not isinstance(self.engine.pool, sa.pool.SingletonThreadPool)

    def table(self, layer_name: str) -> sa.Table:
        """The SQLAlchemy table of a stored layer."""
        layer = get_layer(layer_name)
        if not layer.stored:
            raise BadInput(
                "Layer {name} is computed, not stored; export it with `citygrid analyse`.",
                name=layer_name,
            )
        return self.metadata.tables[layer.name]

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A write transaction: committed on success, rolled back on error.

        On SQLite it takes the write lock when it begins (waiting up to the
        busy timeout for another writer, then :class:`~citygrid.errors.StoreBusy`).
        """
        with self._counted(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def reader(self) -> Iterator[sa.Connection]:
        """A read-only connection: one consistent snapshot, never waits for writers."""
        with self._counted(), self._reader.connect() as conn:
            yield conn

    def close(self) -> None:
        """Refuse new work, let the reads and writes under way (in other threads) end, up
        to :data:`CLOSE_WAIT_S`, then close every connection."""
        with self._returned:
            self.closed = True
            self._returned.wait_for(lambda: self._in_use == 0, timeout=CLOSE_WAIT_S)
        self.engine.dispose()

    @contextmanager
    def _counted(self) -> Iterator[None]:
        """Count a connection in use, so :meth:`close` waits for it to come back."""
        with self._returned:
            self._check_open()
            self._in_use += 1
        try:
            yield
        finally:
            with self._returned:
                self._in_use -= 1
                self._returned.notify_all()

    @contextmanager
    def _conn(self, conn: sa.Connection | None, *, write: bool) -> Iterator[sa.Connection]:
        """``conn`` itself, else a new write transaction or reader."""
        if conn is not None:
            yield conn
        else:
            with self.transaction() if write else self.reader() as own:
                yield own

    def _check_open(self) -> None:
        """Refuse work on a closed store: a connection opened now would never be closed."""
        if self.closed:
            raise StoreUnavailable(
                "The store {url} is closed; open it again (Store.open) to read or write.",
                url=self.engine.url.render_as_string(hide_password=True),
            )
