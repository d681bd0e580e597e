"""What the app's request handlers share: the config, the store, a context per request."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g

from citygrid.config import Config
from citygrid.services.context import CityContext
from citygrid.services.providers.source import Store

EXTENSION = "citygrid"


@dataclass(frozen=True)
class WebState:
    """The config the app was built with and the store it serves."""

    config: Config
    store: Store

    def context(self) -> CityContext:
        """A new :class:`CityContext` for one request (its own clock, the config's actor)."""
        return CityContext(self.store, self.config)


def web_state() -> WebState:
    """The :class:`WebState` of the app handling the current request."""
    state: WebState = current_app.extensions[EXTENSION]
    return state


def request_context() -> CityContext:
    """The :class:`CityContext` of the current request, built on first use."""
    ctx: CityContext | None = g.get("city_context")
    if ctx is None:
        ctx = g.city_context = web_state().context()
    return ctx
