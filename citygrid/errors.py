"""Errors a user can cause, each with the HTTP status it maps to.

Deep code raises these with an English message id and named parameters;
the edge (the CLI or the web app) renders them in the user's language with
:meth:`CitygridError.message`. A CLI prints the message without a
traceback and exits non-zero; the API answers with the status and a JSON
body from :meth:`CitygridError.to_dict`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from citygrid.i18n import translate


class CitygridError(Exception):
    """Base of every error a user can cause and fix.

    Parameters
    ----------
    message
        English message id with ``{name}`` placeholders; it should say what
        is wrong and what to do.
    **params
        Values for the placeholders (also returned in the JSON body).
    """

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.msgid = message
        self.params = params

    def message(self, lang: str | None = None) -> str:
        """Return the message in ``lang`` (default: the current language)."""
        return translate(self.msgid, lang, **self.params)

    def __str__(self) -> str:
        return self.message()

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """Return the JSON body the API sends for this error."""
        return {
            "error": self.code,
            "status": self.status,
            "message": self.message(lang),
            "details": {k: _jsonable(v) for k, v in self.params.items()},
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


class BadInput(CitygridError):
    """A value, file, CRS, geometry or option the user gave is not usable."""

    status = 400
    code = "bad_input"


class OutsideCalendar(BadInput):
    """A date lies in a year the working calendar does not know.

    China's holidays and adjusted working days are published year by year;
    a deadline counted in working time across a year the calendar lacks
    would be silently wrong, so it is refused. A holidays file
    (``CITYGRID_HOLIDAYS``) listing the year's days, or upgrading the
    calendar package (``pip install -U chinesecalendar``) once it carries
    the year, makes it known.
    """

    code = "outside_calendar"


class NotFound(CitygridError):
    """A layer, feature, unit or file the user named does not exist."""

    status = 404
    code = "not_found"


class Conflict(CitygridError):
    """The request clashes with the current data (stale edit, data present, in use)."""

    status = 409
    code = "conflict"


class Unauthorized(CitygridError):
    """Nobody is signed in, or the credentials (password, token) do not hold."""

    status = 401
    code = "unauthorized"


class PermissionDenied(CitygridError):
    """The user may not do this."""

    status = 403
    code = "forbidden"


class SchemaError(CitygridError):
    """The database schema is missing, too old or newer than this code."""

    status = 503
    code = "schema"


class StoreUnavailable(CitygridError):
    """The database URL does not parse or its server cannot be reached."""

    status = 503
    code = "store_unavailable"


class StoreBusy(CitygridError):
    """The database is busy with another change; the same request will succeed later.

    503 rather than 409: nothing is wrong with the request or the data, the
    database could not take it now (a lock wait ran out), and sending it again
    unchanged will succeed; 409 (:class:`Conflict`) tells the user to reload
    and change something.
    """

    status = 503
    code = "store_busy"
