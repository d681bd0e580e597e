"""A small, thread-safe, least-recently-used cache of analysis results.

Results are kept per store (weakly, so a closed and forgotten store takes
its results with it) under a key that includes the data's version, so a
write to the data makes every older result unreachable; it ages out.
Concurrent requests for the same missing key compute it once: the others
wait for it; or, with :meth:`ResultCache.get_soon`, go on without it while
a background thread computes it.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from citygrid.services.background import in_background, quietly

BACKGROUND_THREAD = "citygrid-cache"
"""The name of the threads :meth:`ResultCache.get_soon` computes in."""

DEFAULT_ENTRIES = 8
"""Results kept per store: a few parameter sets of a few analyses."""


class ResultCache:
    """Least-recently-used results per store; see the module docstring.

    Parameters
    ----------
    entries
        The most results kept for one store.
    """

    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self.entries = entries
        self._lock = threading.Lock()
        self._results: weakref.WeakKeyDictionary[Any, OrderedDict[Hashable, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._computing: dict[tuple[int, Hashable], threading.Lock] = {}

    def get(self, store: Any, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The result cached for ``(store, key)``, computing and keeping it when missing.

        ``compute`` runs outside the cache's lock; an exception it raises
        is passed on and nothing is kept.
        """
        hit, found = self._lookup(store, key)
        if hit:
            return found
        with self._lock:
            computing = self._computing.setdefault((id(store), key), threading.Lock())
        with computing:
            hit, found = self._lookup(store, key)
            if hit:
                return found
            try:
                result = compute()
                self._keep(store, key, result)
            finally:
                with self._lock:
                    self._computing.pop((id(store), key), None)
        return result

    def get_soon(self, store: Any, key: Hashable, compute: Callable[[], Any]) -> Any | None:
        """The result cached for ``(store, key)``; when missing, ``None`` at once, and
        ``compute`` runs in a background thread (one at a time per key) to keep it.

        An exception in ``compute`` (the store closed meanwhile) is logged and
        nothing is kept; the next call tries again.
        """
        hit, found = self._lookup(store, key)
        if hit:
            return found
        with self._lock:
            if (id(store), key) in self._computing:
                return None
        in_background(
            BACKGROUND_THREAD,
            lambda: quietly(
                f"compute {key!r} in the background", lambda: self.get(store, key, compute)
            ),
        )
        return None

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._results.clear()

    def _lookup(self, store: Any, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            results = self._results.get(store)
            if results is None or key not in results:
                return False, None
            results.move_to_end(key)
            return True, results[key]

    def _keep(self, store: Any, key: Hashable, result: Any) -> None:
        with self._lock:
            results = self._results.setdefault(store, OrderedDict())
            results[key] = result
            results.move_to_end(key)
            while len(results) > self.entries:
                results.popitem(last=False)
