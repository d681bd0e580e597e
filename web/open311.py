"""Open311 GeoReport v2 under ``/open311/v2``, free of any web framework.

Each endpoint takes the request's :class:`~citygrid.services.context.CityContext`
(acting for nobody: the caller is the ``api_key``, see :func:`caller`) and
an :class:`Open311Request`, and returns an :class:`~citygrid.web.api.ApiResponse`
in JSON or XML, as the path's suffix asks (``services.json``,
``services.xml``). The data comes from :mod:`citygrid.services.cycle.citizen`.

Endpoints
---------
``GET discovery``: the endpoint, its formats and how to get a key.
``GET services``: the public catalogue items (service_code = item code).
``GET services/{service_code}``: a service definition (no extra attributes).
``GET requests``: requests (problems) with the spec's filters
``service_request_id``, ``service_code`` (comma-separated), ``start_date``,
``end_date`` (W3C date-times; both absent and no ids: the last 90 days) and
``status`` (``open``, ``closed``).
``POST requests``: a new request, form-encoded: ``api_key``,
``service_code``, ``lat``, ``long``, ``description`` and optionally
``first_name``, ``last_name``, ``email``, ``phone`` (kept as the problem's
reporter, personal data) and ``jurisdiction_id``, ``device_id``,
``account_id``, ``address_string``, ``address_id`` (read, not kept). It
becomes a problem routed at once; the answer (201) carries its
``service_request_id``.
``GET requests/{id}`` and ``GET tokens/{token}``: one request; requests are
routed at once, so a token is the request's id.

A request's ``status`` is ``closed`` when the problem is closed, else
``open``; ``agency_responsible`` is the responsible unit's name;
``status_notes`` the problem's status and the note of its last transition;
``updated_datetime`` its last change. Times are China Standard Time
(``+08:00``). Errors answer the spec's array ``[{"code", "description"}]``
(XML ``<errors><error>``); a missing or bad ``api_key`` is a 403, as the
spec says.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pandas as pd

from citygrid.errors import BadInput, CitygridError, NotFound, Unauthorized
from citygrid.i18n import DEFAULT_LANGUAGE, translate
from citygrid.services.accounts import tokens
from citygrid.services.context import CityContext
from citygrid.services.cycle import citizen
from citygrid.services.cycle.workflow import ACTION_PREFIX, status_label
from citygrid.web.api import ApiResponse
from citygrid.web.geojson import dumps
from citygrid.web.ogc import CHINA_TIME

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
DEFAULT_DAYS = 90
"""Days of requests listed when neither dates nor ids are given (the spec's default)."""

_SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
}
_GET_PARAMS = (
    "api_key",
    "jurisdiction_id",
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
    "lang",
)
_POST_PARAMS = (
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
)


@dataclass(frozen=True)
class Open311Request:
    """What an Open311 endpoint needs from an HTTP request.

    Attributes
    ----------
    params
        Query parameters (GET) or form fields (POST), each with every value given.
    fmt
        ``json`` or ``xml``: the path's suffix.
    lang
        Language of names and messages.
    base_url
        The absolute URL of ``/open311/v2`` without its final slash.
    form
        Whether a POST's body was form-encoded.
    """

    params: Mapping[str, Sequence[str]] = field(default_factory=dict)
    fmt: str = "json"
    lang: str = DEFAULT_LANGUAGE
    base_url: str = ""
    form: bool = True


def check_format(fmt: str) -> str:
    """The format of a path suffix.

    Raises
    ------
    BadInput
        Neither ``json`` nor ``xml``.
    """
    if fmt not in FORMATS:
        raise BadInput(
            "Open311 answers JSON or XML: end the path with .json or .xml, not .{format}.",
            format=fmt,
        )
    return fmt


def _one(request: Open311Request, name: str) -> str | None:
    values = request.params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadInput("Give {name} once, not {count} times.", name=name, count=len(values))
    text = values[0].strip()
    return text or None


def _listed(request: Open311Request, name: str) -> list[str]:
    text = _one(request, name)
    return [] if text is None else [v.strip() for v in text.split(",") if v.strip()]


def _check_names(request: Open311Request, known: Sequence[str]) -> None:
    unknown = sorted(name for name in request.params if name not in known)
    if unknown:
        raise BadInput(
            "Open311 does not take {names} here; use only: {known}.",
            names=", ".join(unknown),
            known=", ".join(known),
        )


def caller(ctx: CityContext, request: Open311Request) -> CityContext:
    """``ctx`` acting for the user of the request's ``api_key`` (a citygrid API token),
    or as it is (nobody) without one.

    Raises
    ------
    Unauthorized
        The key is unknown, expired or revoked, or its user disabled.
    """
    key = _one(request, "api_key")
    if key is None:
        return ctx
    user = tokens.user_for_token(ctx, key)
    return dataclasses.replace(ctx, principal=user.principal(), actor=user.name)


def discovery(ctx: CityContext, request: Open311Request) -> ApiResponse:
    """Where the endpoint is, its formats, and how to get a key."""
    changeset = "2026-11-27T00:00:00+08:00"
    return _answer(
        request,
        "discovery",
        {
            "changeset": changeset,
            "contact": translate("Ask the city's grid management office.", request.lang),
            "key_service": translate(
                "An api_key is a citygrid API token: an administrator issues one with "
                "`citygrid users token NAME`.",
                request.lang,
            ),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": request.base_url,
                    "changeset": changeset,
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        },
    )


def list_services(ctx: CityContext, request: Open311Request) -> ApiResponse:
    """The public catalogue items as services."""
    items = citizen.public_items(ctx)
    services = [
        {
            "service_code": row.code,
            "service_name": row.name,
            "description": row.name,
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": None if pd.isna(row.group) else row.group,
        }
        for row in items.itertuples(index=False)
    ]
    return _answer(request, "services", services)


def service_definition(ctx: CityContext, code: str, request: Open311Request) -> ApiResponse:
    """A service's definition: it asks for no attributes beyond the spec's fields."""
    item = citizen.public_item(ctx, code)
    return _answer(request, "service_definition", {"service_code": item["code"], "attributes": []})


def get_requests(ctx: CityContext, request: Open311Request) -> ApiResponse:
    """Requests matching the spec's filters (see the module), at most 1,000."""
    _check_names(request, _GET_PARAMS)
    reading = caller(ctx, request)
    codes = _listed(request, "service_request_id")
    start = _date(request, "start_date")
    end = _date(request, "end_date")
    if start is None and end is None and not codes:
        start = reading.now - timedelta(days=DEFAULT_DAYS)
    statuses = _listed(request, "status")
    wrong = [s for s in statuses if s not in ("open", "closed")]
    if wrong:
        raise BadInput("status={status} is not open or closed.", status=",".join(wrong))
    found = citizen.citizen_requests(
        reading,
        codes=codes,
        services=_listed(request, "service_code"),
        start=start,
        end=end,
        statuses=statuses,
    )
    return _answer(request, "service_requests", _requests(found, request.lang))


def get_request(ctx: CityContext, code: str, request: Open311Request) -> ApiResponse:
    """One request by its ``service_request_id`` (404 when none the caller may read)."""
    found = _one_request(ctx, code, request)
    return _answer(request, "service_requests", _requests(found, request.lang))


def get_token(ctx: CityContext, token: str, request: Open311Request) -> ApiResponse:
    """The request a token stands for: requests are routed at once, so the token is its id."""
    _one_request(ctx, token, request)
    return _answer(request, "service_requests", [{"service_request_id": token, "token": token}])


def _one_request(ctx: CityContext, code: str, request: Open311Request) -> pd.DataFrame:
    _check_names(request, ("api_key", "jurisdiction_id", "lang"))
    found = citizen.citizen_requests(caller(ctx, request), codes=[code])
    if found.empty:
        raise _no_request(code)
    return found


def _no_request(code: str) -> NotFound:
    return NotFound("There is no request {code} you may see.", code=code)


def post_request(ctx: CityContext, request: Open311Request) -> ApiResponse:
    """A new request: a problem reported, routed at once (see the module); 201."""
    if not request.form:
        raise BadInput(
            "Send a new request form-encoded (application/x-www-form-urlencoded), as "
            "GeoReport v2 says."
        )
    attributes = sorted(name for name in request.params if name.startswith("attribute["))
    if attributes:
        raise BadInput(
            "The services ask for no attributes; leave out {names}.", names=", ".join(attributes)
        )
    _check_names(request, _POST_PARAMS)
    reporting = caller(ctx, request)
    code = _one(request, "service_code")
    lat, lon = _one(request, "lat"), _one(request, "long")
    if code is None or lat is None or lon is None:
        raise BadInput(
            "A request needs service_code, lat and long (degrees, WGS 84); an address alone "
            "cannot be placed."
        )
    reporter = " ".join(
        v for v in (_one(request, n) for n in ("first_name", "last_name", "email", "phone")) if v
    )
    intake = citizen.citizen_report(
        reporting, lon, lat, code, _one(request, "description"), reporter or None
    )
    problem = intake.problem
    found = citizen.citizen_requests(reporting, codes=[problem["code"]])
    unit = found["unit_name"].iloc[0] if not found.empty else None
    notice = (
        translate("Received; it goes to {unit}.", request.lang, unit=unit)
        if isinstance(unit, str)
        else translate("Received; the city will find who answers for it.", request.lang)
    )
    answer = [{"service_request_id": problem["code"], "service_notice": notice, "account_id": None}]
    return _answer(request, "service_requests", answer, status=201)


def _date(request: Open311Request, name: str) -> datetime | None:
    """A W3C date-time parameter as local time (a zone converted to China Standard Time)."""
    text = _one(request, name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+"))
    except ValueError:
        raise BadInput(
            "{name}={value} is not a W3C date-time; send, for example, 2025-03-01T08:00:00+08:00.",
            name=name,
            value=text,
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TIME).replace(tzinfo=None)
    return moment


def _w3c(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return f"{pd.Timestamp(value):%Y-%m-%dT%H:%M:%S}+08:00"


def _text(value: Any) -> Any:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _requests(found: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """The spec's request records of :func:`citizen.citizen_requests` rows."""
    return [
        {
            "service_request_id": row["code"],
            "status": "closed" if row["status"] == "closed" else "open",
            "status_notes": _notes(row, lang),
            "service_name": _text(row["service_name"]),
            "service_code": row["catalogue_code"],
            "description": _text(row["description"]),
            "agency_responsible": _text(row["unit_name"]),
            "service_notice": None,
            "requested_datetime": _w3c(row["reported_at"]),
            "updated_datetime": _w3c(row["updated_at"]),
            "expected_datetime": _w3c(row["deadline"]),
            "address": None,
            "address_id": None,
            "zipcode": None,
            "lat": float(row["lat"]),
            "long": float(row["lon"]),
            "media_url": None,  # photos are served only to who may see the problem
        }
        for _index, row in found.iterrows()
    ]


def _notes(row: pd.Series, lang: str) -> str:
    """The status in words, and the note of the last transition after a report."""
    label = status_label(row["status"], lang)
    action, note = _text(row["last_action"]), _text(row["last_note"])
    if not note or not isinstance(action, str) or action == ACTION_PREFIX + "report":
        return label
    if not action.startswith(ACTION_PREFIX):
        return label
    return f"{label}: {note}"


def _answer(request: Open311Request, root: str, payload: Any, status: int = 200) -> ApiResponse:
    """``payload`` in the request's format (XML under ``<root>``)."""
    fmt = check_format(request.fmt)
    body = dumps(payload) if fmt == "json" else to_xml(root, payload)
    return ApiResponse(status, {"Content-Type": FORMATS[fmt]}, body.encode("utf-8"))


def to_xml(root: str, payload: Any) -> str:
    """XML of plain values: dicts become child elements, lists repeat a singular child."""
    element = ElementTree.Element(root)
    _fill(element, payload)
    return '<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(element, "unicode")


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(ElementTree.SubElement(element, key), inner)
    elif isinstance(value, list):
        child = _SINGULAR.get(element.tag, "item")
        for inner in value:
            _fill(ElementTree.SubElement(element, child), inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def error_response(error: CitygridError, fmt: str, lang: str) -> ApiResponse:
    """The spec's error array for ``error``; a missing or bad ``api_key`` is a 403."""
    status = 403 if isinstance(error, Unauthorized) else error.status
    return error_answer(status, error.message(lang), fmt)


def error_answer(status: int, description: str, fmt: str) -> ApiResponse:
    """``[{"code": status, "description": ...}]`` (XML ``<errors><error>``), JSON when
    ``fmt`` is not a format."""
    request = Open311Request(fmt=fmt if fmt in FORMATS else "json")
    return _answer(request, "errors", [{"code": status, "description": description}], status)
