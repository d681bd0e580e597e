"""What the app's request handlers share: the config and the store."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from citygrid.config import Config
from citygrid.layers.store import Store

EXTENSION = "citygrid"


@dataclass(frozen=True)
class WebState:
    """The config the app was built with and the store it serves."""

    config: Config
    store: Store


def web_state() -> WebState:
    """The :class:`WebState` of the app handling the current request."""
    state: WebState = current_app.extensions[EXTENSION]
    return state
