"""Who each request acts for: a signed-in user, a bearer token's user, or a visitor.

:func:`install_auth` wires accounts into the app (Flask-Login sessions,
Flask-WTF's CSRF check, Flask-Limiter's limits, the sign-in pages of
:mod:`citygrid.web.login`); before each request it puts the request's
:class:`~citygrid.services.accounts.principal.Principal` in
``flask.g.principal``, which :func:`citygrid.web.state.request_context`
hands to the services:

1. ``Authorization: Bearer TOKEN``: the token's user. A bad, expired or
   revoked token, or one of a disabled or removed user, is a 401. After
   ``config.token_failures`` of them from one address within
   ``config.login_window_minutes``, every request of that address that sends
   a token gets 429 until the window ends (browsers there are unaffected).
   Such requests need no CSRF token (a cross-site page cannot set the header).
2. A signed-in session: its user, reloaded from the store on every request,
   so a user who is disabled, removed or changed (a new password, role or
   scope) since signing in is signed out at once. The session id holds the
   user's session stamp for that (see :meth:`SessionUser.get_id`).
3. Anybody else: an anonymous visitor who reads ``config.public_layers``.

Every POST, PUT, PATCH and DELETE of a signed-in session, and every form
sent to a page (signing in included), must carry the CSRF token: the forms'
hidden field, or the ``X-CSRFToken`` header that scripts copy from the
page's ``<meta name="csrf-token">``. Requests with a bearer token, and API
calls of anonymous visitors, carry no session's authority and need none
(an anonymous change is refused with 401 by the services). Remember-me
cookies are never issued; a sign-in lasts ``config.session_hours``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, g, request, session
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFProtect

from citygrid.config import Config
from citygrid.errors import BadInput, NotFound, Unauthorized
from citygrid.services.accounts import tokens, users
from citygrid.services.accounts.principal import Principal, anonymous
from citygrid.services.providers import collections
from citygrid.web import login
from citygrid.web.error_handlers import API_PREFIX
from citygrid.web.login import SessionUser
from citygrid.web.state import web_state

BEARER = "bearer"


def install_auth(app: Flask, config: Config) -> None:
    """Add sessions, CSRF, rate limits, the sign-in pages and the per-request principal.

    Raises
    ------
    BadInput
        ``config.public_layers`` names a layer the app does not serve.
    """
    check_public_layers(config.public_layers)
    app.config.update(
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.session_hours),
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in _identify, after bearer tokens
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    manager = LoginManager(app)
    manager.user_loader(_load_user)
    csrf = CSRFProtect(app)
    window = f"per {config.login_window_minutes} minutes"
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri="memory://",
        application_limits=[f"{config.token_failures} {window}"],
        application_limits_exempt_when=lambda: "Authorization" not in request.headers,
        application_limits_deduct_when=lambda _response: bool(g.get("bad_token")),
        on_breach=_note_retry_time,
    )

    @app.before_request
    def _identify() -> None:
        g.principal = _principal(config)
        if g.get("credentials") == BEARER:
            return
        if g.principal.anonymous and request.path.startswith(API_PREFIX):
            return
        csrf.protect(apply_exemptions=True)  # no check where no route answers

    app.context_processor(_template_context)
    app.register_blueprint(login.blueprint(limiter, f"{config.login_failures} {window}"))


def check_public_layers(names: tuple[str, ...]) -> None:
    """Refuse public layer names that are not served layers.

    Raises
    ------
    BadInput
        Some names are unknown; the message lists the known ones.
    """
    known = [c.layer.name for c in collections() if not c.layer.internal]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise BadInput(
            "CITYGRID_PUBLIC_LAYERS names layers that do not exist: {names}. Known layers: "
            "{known}.",
            names=", ".join(unknown),
            known=", ".join(known),
        )


def _principal(config: Config) -> Principal:
    """The principal of the current request (see the module docstring)."""
    header = request.headers.get("Authorization")
    if header is not None:
        g.credentials = BEARER
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != BEARER or not token.strip():
            g.bad_token = True
            raise Unauthorized("Send an API token as 'Authorization: Bearer TOKEN'.")
        try:
            return tokens.user_for_token(web_state().context(anonymous()), token).principal()
        except Unauthorized:
            g.bad_token = True
            raise
    if current_user.is_authenticated:
        principal: Principal = current_user.user.principal()
        return principal
    if "_user_id" in session:  # the stored user changed, left or was disabled
        logout_user()
    return anonymous(config.public_layers)


def _load_user(session_id: str) -> SessionUser | None:
    """The session's user if it still exists, is enabled, and its password, role and scope
    are as they were at sign-in."""
    stamp, _, name = session_id.partition(":")
    try:
        user = users.get_user(web_state().context(anonymous()), name)
    except NotFound:
        return None
    if user.disabled or user.session_stamp != stamp:
        return None
    return SessionUser(user)


def _note_retry_time(limit: RequestLimit) -> None:
    """Keep when a breached limit lets requests through again, for the 429 answer."""
    g.retry_at = max(limit.reset_at, g.get("retry_at", 0))


def _template_context() -> dict[str, Any]:
    """``signed_in``: the session's :class:`User` (for the header's sign-out bar), or None."""
    return {"signed_in": current_user.user if current_user.is_authenticated else None}
