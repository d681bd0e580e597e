"""What every command shares: the config and a lazily opened store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from citygrid.config import Config

if TYPE_CHECKING:  # the store (SQLAlchemy, geopandas) is imported when first opened
    from citygrid.layers.store import Store

if TYPE_CHECKING:
    from citygrid.services.context import CityContext


class CliContext:
    """The click context object: the config and the store it points at."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._store: Store | None = None

    def store(self, check_schema: bool = True) -> Store:
        """Open the configured store (once), checking its schema unless told not to."""
        if self._store is None:
            from citygrid.layers.store import Store

            self._store = Store.open(self.config.database_url, check_schema=check_schema)
        elif check_schema:
            self._store.check_schema()
        return self._store

    def city(self, check_schema: bool = True) -> CityContext:
        """A :class:`~citygrid.services.context.CityContext` on the configured store."""
        from citygrid.services.context import CityContext

        return CityContext(self.store(check_schema=check_schema), self.config)

    def close(self) -> None:
        """Close the store if it was opened."""
        if self._store is not None:
            self._store.close()
            self._store = None
