"""The language of each request: ``?lang=``, then a cookie, then the config's default.

The browser's Accept-Language is not consulted: the city office's config
decides (zh-CN unless set otherwise), so every desk sees the same page
until a user picks English with the switch in the header.

A ``?lang=`` parameter also sets the cookie, so a user who switches to
English stays in English; the cookie is ``SameSite=Lax`` and ``HttpOnly``,
and ``Secure`` when the session cookie is (behind an HTTPS proxy). The
chosen language is put in ``flask.g.lang`` and in :mod:`citygrid.i18n`'s
context variable for the request, so that messages raised deep in the
services come out in it too.
"""

from __future__ import annotations

from contextlib import ExitStack

from flask import Flask, Response, g, request

from citygrid.i18n import language, normalize_language
from citygrid.web.security import cookie_secure

COOKIE = "citygrid_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600  # seconds


def request_language(default: str) -> str:
    """The language of the current request (``zh_CN`` or ``en``)."""
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    return normalize_language(asked) if asked else default


def install_language(app: Flask, default: str) -> None:
    """Choose each request's language before it runs and restore the context after."""

    @app.before_request
    def _enter_language() -> None:
        g.lang = request_language(default)
        stack = ExitStack()
        stack.enter_context(language(g.lang))
        g.language_scope = stack

    @app.teardown_request
    def _leave_language(_error: BaseException | None) -> None:
        scope = g.pop("language_scope", None)
        if scope is not None:
            scope.close()

    @app.after_request
    def _remember_language(response: Response) -> Response:
        if request.args.get("lang") and "lang" in g:
            response.set_cookie(
                COOKIE,
                g.lang,
                max_age=COOKIE_MAX_AGE,
                samesite="Lax",
                secure=cookie_secure(),
                httponly=True,
            )
        response.vary.add("Cookie")
        return response
