"""Make the next items of a slow iterator in a thread while the caller works on this one.

An import reads, converts and checks a batch of a file while the store
writes the one before: SQLite, GDAL and GEOS let go of the GIL for much of
their work, so on two cores the two overlap.

    with made_ahead(checked_batches(source)) as batches:
        for batch in batches:
            store.write(..., batch)

The items are made in order, one ahead of the caller: the next is made
while the caller works on this one, and no further (a batch of a million
rows is large). An exception raised making an item is raised in the caller when it reaches
that item. When the caller leaves the block early (an error of its own),
no more items are made and the iterator is closed, in its thread, before
the block ends.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar

T = TypeVar("T")

_STOP_POLL_S = 0.05
"""How often the caller, leaving early, looks whether the maker has stopped."""


@contextmanager
def made_ahead(items: Iterable[T]) -> Iterator[Iterator[T]]:
    """Iterate over ``items`` with the next one made ahead, in a thread.

    The thread runs in a copy of the caller's context (its language for
    messages, for one).
    """
    ready: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def make() -> None:
        source = iter(items)
        try:
            for item in source:
                ready.put((True, item))
                ready.join()  # taken: the caller works on it while the next is made
                if stop.is_set():
                    return
            ready.put((False, None))
        except BaseException as exc:  # handed to the caller, who raises it
            ready.put((False, exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    maker = threading.Thread(
        target=contextvars.copy_context().run, args=(make,), name="citygrid-ahead", daemon=True
    )
    maker.start()

    def taken() -> Iterator[T]:
        while True:
            is_item, value = ready.get()
            ready.task_done()
            if not is_item:
                if isinstance(value, BaseException):
                    raise value
                return
            yield value  # type: ignore[misc]

    try:
        yield taken()
    finally:
        stop.set()
        while maker.is_alive():  # make room, so that the maker sees stop and ends
            with suppress(queue.Empty):
                ready.get(timeout=_STOP_POLL_S)
                ready.task_done()
        maker.join()
