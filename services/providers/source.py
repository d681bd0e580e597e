"""The data source behind every provider: the store, opened and checked.

The web and the APIs open the store here and ask here whether it answers,
so they never import the store's module themselves. :class:`Store` is
named here for type hints only.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from citygrid import __version__
from citygrid.errors import StoreUnavailable
from citygrid.layers.store import Store

__all__ = ["Store", "open_store", "store_status"]


def open_store(url: str) -> Store:
    """Open the store at ``url`` and check that its schema is this code's.

    Raises
    ------
    StoreUnavailable, SchemaError
        The database cannot be reached or has no current citygrid schema.
    """
    return Store.open(url)


def store_status(store: Store) -> dict[str, Any]:
    """``{"status": "ok", "version", "schema", "database"}`` when the store answers.

    Raises
    ------
    StoreUnavailable
        The database does not answer.
    SchemaError
        The schema is missing, older or newer than this code.
    """
    try:
        store.check_schema()
        revision = store.schema_revision()
    except sa.exc.SQLAlchemyError as exc:
        raise StoreUnavailable(
            "The database does not answer ({reason}); check that it runs.",
            reason=type(exc).__name__,
        ) from None
    return {
        "status": "ok",
        "version": __version__,
        "schema": revision,
        "database": store.engine.dialect.name,
    }
