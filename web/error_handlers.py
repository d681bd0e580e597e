"""The one place where errors become responses.

API routes (under ``/api/``) and requests with a bearer token answer JSON
``{error, status, message, details}``; pages answer an HTML error page. Both use the request's
language. A :class:`~citygrid.errors.CitygridError` keeps its own status;
an unexpected exception is logged and answered with a 500 that reveals
nothing of the server's internals (in debug mode it is re-raised so the
debugger shows it).

Accounts add three cases: an :class:`~citygrid.errors.Unauthorized` page
request is sent to the sign-in page (with ``next``), while API and
bearer-token requests get a 401 with ``WWW-Authenticate: Bearer``; a
missing or stale CSRF token is a 400 that says to reload the page; and a
breached rate limit is a 429 that says when to try again (``Retry-After``).
"""

from __future__ import annotations

import math
import time
from datetime import datetime

from flask import Flask, Response, current_app, g, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Response as BaseResponse

from citygrid.errors import CitygridError, Unauthorized
from citygrid.i18n import DEFAULT_LANGUAGE
from citygrid.web import api

API_PREFIX = "/api/"


def install_error_handlers(app: Flask) -> None:
    """Register the handlers for citygrid errors, HTTP errors and anything else."""
    app.register_error_handler(CitygridError, _citygrid_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _lang() -> str:
    return str(g.get("lang", DEFAULT_LANGUAGE))


def _is_api() -> bool:
    """API paths, and any request of a script (one sending a bearer token), answer JSON."""
    return request.path.startswith(API_PREFIX) or g.get("credentials") is not None


def _respond(answer: api.ApiResponse) -> Response:
    if _is_api():
        return Response(answer.body, status=answer.status, headers=dict(answer.headers))
    details = current_app.json.loads(answer.body)
    html = render_template("error.html", status=answer.status, message=details["message"])
    return Response(html, status=answer.status, mimetype="text/html")


def _citygrid_error(error: CitygridError) -> BaseResponse:
    if isinstance(error, Unauthorized):
        return _unauthorized(error)
    return _respond(api.error_response(error, _lang()))


def _unauthorized(error: Unauthorized) -> BaseResponse:
    """Pages go to the sign-in page; API and token requests get a 401 to read."""
    if not _is_api():
        asked = request.full_path.rstrip("?")
        return redirect(url_for("auth.login", next=asked))
    response = _respond(api.error_response(error, _lang()))
    challenge = 'Bearer realm="citygrid"'
    if g.get("bad_token"):
        challenge += ', error="invalid_token"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def _csrf_error(error: CSRFError) -> Response:
    return _respond(
        api.http_error_response(
            400,
            "csrf",
            "The form's security token is missing or no longer valid, so nothing was done. "
            "Reload the page and send it again.",
            _lang(),
            {"reason": str(error.description)},
        )
    )


def _too_many_requests(error: RateLimitExceeded) -> Response:
    """429 with the local time (and minutes) after which requests are let through again."""
    retry_at = float(g.get("retry_at") or time.time() + 60)
    minutes = max(1, math.ceil((retry_at - time.time()) / 60))
    params = {"time": datetime.fromtimestamp(retry_at).strftime("%H:%M"), "minutes": str(minutes)}
    if request.endpoint == "auth.login":
        message = (
            "Too many failed sign-ins for this user name or from this address. Try again "
            "after {time} (in about {minutes} minutes)."
        )
    else:
        message = (
            "Too many requests with a bad API token came from this address. Try again after "
            "{time} (in about {minutes} minutes) with a valid token."
        )
    response = _respond(api.http_error_response(429, "too_many_requests", message, _lang(), params))
    response.headers["Retry-After"] = str(max(1, math.ceil(retry_at - time.time())))
    return response


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if isinstance(error, NotFound):
        answer = api.http_error_response(
            404,
            "not_found",
            "There is nothing at {path}. The map is at / and the API lists its layers at "
            "/api/layers.",
            _lang(),
            {"path": request.path},
        )
    elif isinstance(error, MethodNotAllowed):
        answer = api.http_error_response(
            405,
            "method_not_allowed",
            "{method} is not allowed at {path}; use {allowed}.",
            _lang(),
            {
                "method": request.method,
                "path": request.path,
                "allowed": ", ".join(sorted(error.valid_methods or ())),
            },
        )
    else:
        answer = api.http_error_response(
            status,
            "http_error",
            "The request failed with HTTP status {status} ({name}).",
            _lang(),
            {"status": str(status), "name": error.name},
        )
    return _respond(answer)


def _unexpected_error(error: Exception) -> Response:
    if current_app.debug:
        raise error
    current_app.logger.exception("Unexpected error on %s %s", request.method, request.path)
    return _respond(api.internal_error_response(_lang()))
