"""The Open311 GeoReport v2 blueprint (``/open311/v2``): a thin adapter over
:mod:`citygrid.web.open311`.

The caller is the request's ``api_key``, never a browser session, so a
signed-in browser lends a cross-site form no authority and POSTs need no
CSRF token. Every request counts against ``config.open311_rate`` per API
key and per client address (Flask-Limiter, the app's limiter); errors,
429 included, answer the spec's error array in the path's format.
"""

from __future__ import annotations

import math
import time

import limits
from flask import Blueprint, Flask, Response, g, request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from flask_limiter.util import get_remote_address

from citygrid.config import Config
from citygrid.errors import BadInput, CitygridError
from citygrid.i18n import translate
from citygrid.services.accounts.principal import anonymous
from citygrid.services.context import CityContext
from citygrid.web import open311
from citygrid.web.routes_api import api_response
from citygrid.web.state import web_state

PREFIX = "/open311/v2"


def _request(fmt: str) -> open311.Open311Request:
    posted = request.method == "POST"
    return open311.Open311Request(
        params=(request.form if posted else request.args).to_dict(flat=False),
        fmt=fmt,
        lang=g.lang,
        base_url=request.host_url.rstrip("/") + PREFIX,
        form=not posted or request.mimetype == "application/x-www-form-urlencoded",
    )


def _context() -> CityContext:
    """A context acting for nobody: :func:`open311.caller` sets the api_key's user."""
    return web_state().context(anonymous())


def _fmt() -> str:
    return str((request.view_args or {}).get("fmt", "json"))


def discovery(fmt: str) -> Response:
    """Where the endpoint is and what it speaks."""
    return api_response(open311.discovery(_context(), _request(fmt)))


def services(fmt: str) -> Response:
    """The services: public catalogue items."""
    return api_response(open311.list_services(_context(), _request(fmt)))


def service(code: str, fmt: str) -> Response:
    """A service definition."""
    return api_response(open311.service_definition(_context(), code, _request(fmt)))


def requests(fmt: str) -> Response:
    """GET: requests with the spec's filters; POST: a new request."""
    if request.method == "POST":
        return api_response(open311.post_request(_context(), _request(fmt)))
    return api_response(open311.get_requests(_context(), _request(fmt)))


def one_request(code: str, fmt: str) -> Response:
    """One request."""
    return api_response(open311.get_request(_context(), code, _request(fmt)))


def token(token: str, fmt: str) -> Response:
    """The request a token stands for."""
    return api_response(open311.get_token(_context(), token, _request(fmt)))


def _error(error: CitygridError) -> Response:
    return api_response(open311.error_response(error, _fmt(), g.get("lang", "zh_CN")))


def _too_many(error: RateLimitExceeded) -> Response:
    retry_at = float(g.get("open311_retry_at") or time.time() + 60)
    seconds = max(1, math.ceil(retry_at - time.time()))
    message = translate(
        "Too many Open311 requests with this api_key or from this address; try again in "
        "{seconds} seconds.",
        g.get("lang"),
        seconds=seconds,
    )
    response = api_response(open311.error_answer(429, message, _fmt()))
    response.headers["Retry-After"] = str(seconds)
    return response


def _by_address() -> str:
    return f"open311-address:{get_remote_address()}"


def _by_key() -> str:
    values = request.form if request.method == "POST" else request.args
    key = values.get("api_key", "").strip()[:200]
    return f"open311-key:{key}" if key else _by_address()


def _note_retry(limit: RequestLimit) -> None:
    g.open311_retry_at = max(limit.reset_at, g.get("open311_retry_at", 0))


def blueprint(app: Flask, config: Config) -> Blueprint:
    """The blueprint, limited by ``config.open311_rate`` with the app's limiter.

    Raises
    ------
    BadInput
        ``config.open311_rate`` is not a rate Flask-Limiter understands.
    """
    try:
        limits.parse_many(config.open311_rate)
    except ValueError:
        raise BadInput(
            "CITYGRID_OPEN311_RATE={rate} is not a rate; write it like 60 per minute.",
            rate=config.open311_rate,
        ) from None
    bp = Blueprint("open311", __name__, url_prefix=PREFIX)
    bp.add_url_rule("/discovery.<fmt>", view_func=discovery)
    bp.add_url_rule("/services.<fmt>", view_func=services)
    bp.add_url_rule("/services/<code>.<fmt>", view_func=service)
    bp.add_url_rule("/requests.<fmt>", view_func=requests, methods=["GET", "POST"])
    bp.add_url_rule("/requests/<code>.<fmt>", view_func=one_request)
    bp.add_url_rule("/tokens/<token>.<fmt>", view_func=token)
    bp.register_error_handler(CitygridError, _error)
    bp.register_error_handler(RateLimitExceeded, _too_many)
    limiter: Limiter = next(iter(app.extensions["limiter"]))
    for scope, key in (("open311-address", _by_address), ("open311-key", _by_key)):
        limiter.shared_limit(config.open311_rate, scope, key_func=key, on_breach=_note_retry)(bp)
    app.extensions["csrf"].exempt(bp)
    return bp
