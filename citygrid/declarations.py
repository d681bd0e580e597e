"""Named declarations of one kind, registered by modules imported on first use.

Layers (:mod:`citygrid.layers.registry`) and analyses
(:mod:`citygrid.services.analysis`) are both kept this way, in the manner of
pygeoapi's plugin registry: a module declares its items at import, the
registry imports its built-in modules the first time it is read, and a
later declaration of the same name replaces the earlier one (so a city or
a test can add or override items without editing the built-in modules).
"""

from __future__ import annotations

import importlib
from typing import Generic, TypeVar

T = TypeVar("T")


class Declarations(Generic[T]):
    """Items of one kind by name, in declaration order.

    Parameters
    ----------
    builtin_modules
        Modules imported the first time the declarations are read; they
        declare the built-in items.
    """

    def __init__(self, builtin_modules: tuple[str, ...]) -> None:
        self._builtin_modules = builtin_modules
        self._items: dict[str, T] = {}
        self._loaded = False

    def add(self, name: str, item: T) -> T:
        """Declare ``item`` as ``name`` (replacing an earlier one of that name); return it."""
        self._items[name] = item
        return item

    def get(self, name: str) -> T | None:
        """The item called ``name``, or ``None``."""
        self._load()
        return self._items.get(name)

    def values(self) -> list[T]:
        """Every item, in declaration order."""
        self._load()
        return list(self._items.values())

    def names(self) -> list[str]:
        """Every item's name, in declaration order."""
        self._load()
        return list(self._items)

    def copy(self) -> Declarations[T]:
        """A copy holding the same items (tests declare extra items in a copy)."""
        self._load()
        duplicate: Declarations[T] = Declarations(self._builtin_modules)
        duplicate._items = dict(self._items)
        duplicate._loaded = True
        return duplicate

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for module in self._builtin_modules:
                importlib.import_module(module)
