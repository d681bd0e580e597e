"""What the app's request handlers share: the config, the store, a context per request.

The context of a request acts for the principal :mod:`citygrid.web.auth`
found for it (``flask.g.principal``: the signed-in user, the bearer token's
user, or an anonymous visitor), so every provider applies that principal's
role and scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, g

from citygrid.config import Config
from citygrid.services.accounts.principal import Principal, anonymous
from citygrid.services.context import CityContext
from citygrid.services.providers.cache import ResultCache
from citygrid.services.providers.source import Store
from citygrid.web.answers import AnswerCache

EXTENSION = "citygrid"


@dataclass(frozen=True)
class WebState:
    """The config the app was built with, the store it serves, the answers it keeps and
    the maps it rendered (by principal, language and data version)."""

    config: Config
    store: Store
    answers: AnswerCache = field(default_factory=AnswerCache)
    maps: ResultCache = field(default_factory=lambda: ResultCache(entries=16))

    def context(self, principal: Principal) -> CityContext:
        """A new :class:`CityContext` for one request (its own clock) acting for ``principal``.

        Changes are audited under the principal's user name, or the
        config's actor when nobody is signed in.
        """
        return CityContext(self.store, self.config, actor=principal.user, principal=principal)


def web_state() -> WebState:
    """The :class:`WebState` of the app handling the current request."""
    state: WebState = current_app.extensions[EXTENSION]
    return state


def request_context() -> CityContext:
    """The :class:`CityContext` of the current request, built on first use.

    It acts for ``flask.g.principal``; before that is set (or when it could
    not be), for an anonymous visitor who may read nothing.
    """
    ctx: CityContext | None = g.get("city_context")
    if ctx is None:
        principal: Principal = g.get("principal") or anonymous()
        ctx = g.city_context = web_state().context(principal)
    return ctx
