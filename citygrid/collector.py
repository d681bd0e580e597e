"""Pausing Python's cyclic garbage collector while many objects are made and none is garbage.

Fetching millions of rows, or importing geopandas and SQLAlchemy, makes objects
by the million and next to no cycles; each collection they set off walks every
object alive. Callers in several threads share one pause.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausers = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """Pause the collector for the block; it runs again when the last pausing block is done,
    if it ran before the first began."""
    global _pausers, _was_enabled
    with _lock:
        if _pausers == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _lock:
            _pausers -= 1
            if _pausers == 0 and _was_enabled:
                gc.enable()
