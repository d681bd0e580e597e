"""The one place where errors become responses.

API routes (under ``/api/``) answer JSON ``{error, status, message,
details}``; pages answer an HTML error page. Both use the request's
language. A :class:`~citygrid.errors.CitygridError` keeps its own status;
an unexpected exception is logged and answered with a 500 that reveals
nothing of the server's internals (in debug mode it is re-raised so the
debugger shows it).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from citygrid.errors import CitygridError
from citygrid.i18n import DEFAULT_LANGUAGE
from citygrid.web import api

API_PREFIX = "/api/"


def install_error_handlers(app: Flask) -> None:
    """Register the handlers for citygrid errors, HTTP errors and anything else."""
    app.register_error_handler(CitygridError, _citygrid_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _lang() -> str:
    return str(g.get("lang", DEFAULT_LANGUAGE))


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)


def _respond(answer: api.ApiResponse) -> Response:
    if _is_api():
        return Response(answer.body, status=answer.status, headers=dict(answer.headers))
    details = current_app.json.loads(answer.body)
    html = render_template("error.html", status=answer.status, message=details["message"])
    return Response(html, status=answer.status, mimetype="text/html")


def _citygrid_error(error: CitygridError) -> Response:
    return _respond(api.error_response(error, _lang()))


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
