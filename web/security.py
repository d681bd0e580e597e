"""Web hardening: security headers, trusted hosts, cookie flags, the reverse proxy.

Every response (pages, API JSON, static files, errors) carries a
Content-Security-Policy in which scripts run only from the app itself or,
inline, with the request's nonce (templates put ``nonce="{{ csp_nonce() }}"``
on their ``<script>`` tags and pass HTML made elsewhere, such as folium's
header, through the ``with_nonce`` filter); it also carries
``X-Content-Type-Options``, ``Referrer-Policy`` and ``X-Frame-Options``.

A request naming a host that is not in ``config.trusted_hosts`` is answered
with error 400 before any view runs. Session cookies are ``HttpOnly`` and
``SameSite=Lax``; with ``config.behind_proxy`` the app believes one proxy's
``X-Forwarded-For``, ``-Proto`` and ``-Host`` headers (werkzeug's
``ProxyFix``), marks cookies ``Secure`` and builds ``https`` URLs.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, current_app, g, request
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.web.tiles import tile_origins

_SCRIPT_TAG = re.compile(r"<script(?=[\s>])", re.IGNORECASE)


def install_security(app: Flask, config: Config) -> None:
    """Add the security headers, the trusted-host check and the cookie flags to ``app``.

    Parameters
    ----------
    app
        The app, before its first request.
    config
        Gives the trusted hosts, whether the app is behind a reverse proxy
        and the base tiles (their hosts are allowed as image sources).
    """
    secure = config.behind_proxy
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        PREFERRED_URL_SCHEME="https" if secure else "http",
    )
    if config.behind_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    trusted = frozenset(_host_name(name) for name in config.trusted_hosts)
    policy = content_security_policy(config)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["with_nonce"] = with_nonce

    # Flask's own TRUSTED_HOSTS rejects a host while it builds the URL adapter,
    # which leaves the error page without url_for; a check before every view
    # (after the language is chosen) lets citygrid's error page or JSON answer,
    # in the user's language.
    app.before_request(lambda: _check_host(trusted))

    @app.after_request
    def _add_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy.format(nonce=csp_nonce())
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        return response


def content_security_policy(config: Config) -> str:
    """The Content-Security-Policy with a ``{nonce}`` placeholder for the request's nonce.

    Styles may be inline: Leaflet and folium write ``style`` attributes and
    ``<style>`` blocks into the page, and a style cannot run code, so
    ``'unsafe-inline'`` there is the usual trade-off. Scripts may not.
    Images may come from the configured base tiles' hosts.
    """
    images = " ".join(("'self'", "data:", *tile_origins(config)))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        )
    )


def csp_nonce() -> str:
    """The current request's script nonce (made on first use)."""
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def with_nonce(html: str) -> Markup:
    """Trusted ``html`` with the request's nonce on each of its ``<script>`` tags."""
    return Markup(_SCRIPT_TAG.sub(f'<script nonce="{csp_nonce()}"', str(html)))


def cookie_secure() -> bool:
    """Whether the app's cookies are marked ``Secure`` (behind an HTTPS proxy)."""
    return bool(current_app.config["SESSION_COOKIE_SECURE"])


def _check_host(trusted: frozenset[str]) -> None:
    name = _host_name(request.host)
    if name in trusted or any(t.startswith(".") and f".{name}".endswith(t) for t in trusted):
        return
    raise BadInput(
        "This server does not answer to the host name {host!r}. Open citygrid at the "
        "address its administrator gave you; administrators allow more names with "
        "CITYGRID_TRUSTED_HOSTS or citygrid serve --trusted-host.",
        host=request.headers.get("Host", ""),
    )


def _host_name(host: str) -> str:
    """``'Grid.Example.org:8080'`` -> ``'grid.example.org'``; ``'[::1]:5000'`` -> ``'::1'``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") > 1:  # a bare IPv6 address, as given to serve --host
        return host
    return host.partition(":")[0]
