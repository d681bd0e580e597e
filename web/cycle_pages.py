"""The problem cycle's pages: a unit's inbox and a problem's page with its actions.

``GET /inbox`` lists what the signed-in user must handle
(:mod:`citygrid.services.cycle.inbox`); ``GET /problems/<code>`` shows a
problem with names, its timeline and the buttons of the transitions the
user may make now; each button is a form that ``POST`` s to
``/problems/<code>/<transition>`` with the CSRF token and a note. What the
workflow or the user's role or scope refuses is shown on the problem's
page with the service's message and its 4xx status, nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from citygrid.errors import BadInput, CitygridError, NotFound, Unauthorized
from citygrid.i18n import translate
from citygrid.params import parse_bool, parse_int
from citygrid.services.context import CityContext
from citygrid.services.cycle.actions import actions_for, dispatch_units, limit_label
from citygrid.services.cycle.case import case
from citygrid.services.cycle.catalogue import catalogue_entry
from citygrid.services.cycle.inbox import STATUS_CHOICES, inbox
from citygrid.services.cycle.photos import get_photo, list_photos
from citygrid.services.cycle.workflow import TRANSITIONS, get_transition, status_label, transition
from citygrid.web.cycle_format import action_label, days, when
from citygrid.web.cycle_forms import TransitionForm, checked_note, uploaded_photos
from citygrid.web.state import request_context

T = TypeVar("T")

bp = Blueprint("cycle", __name__)
bp.add_app_template_filter(when, "when")
bp.add_app_template_filter(days, "days")
bp.add_app_template_global(status_label, "status_label")
bp.add_app_template_global(action_label, "action_label")
bp.add_app_template_global(limit_label, "limit_label")


@bp.get("/inbox")
def inbox_page() -> ResponseReturnValue:
    """The problems the user must handle, soonest deadline first; ``?status=``,
    ``?overdue=1`` and ``?page=`` filter and page."""
    ctx = signed_in()
    status = request.args.get("status", "").strip() or None
    overdue = _parsed(parse_bool, "overdue", translate("1 or 0")) or False
    number = _parsed(parse_int, "page", translate("a whole number from 1"))
    page = inbox(ctx, status, overdue, 1 if number is None else number)
    return render_template(
        "cycle/inbox.html",
        page=page,
        status=status,
        overdue=overdue,
        statuses=STATUS_CHOICES,
    )


@bp.get("/problems/<code>")
def problem_page(code: str) -> ResponseReturnValue:
    """A problem's details, timeline and the forms of the transitions the user may make."""
    return _render_problem(signed_in(), code)


@bp.post("/problems/<code>/<action>")
def act(code: str, action: str) -> ResponseReturnValue:
    """Make the transition ``action`` with the form's note; back to the problem's page."""
    ctx = signed_in()
    form = TransitionForm()
    try:
        step = get_transition(action)
        note = checked_note(form.note.data)
        transition(
            ctx,
            step.name,
            code,
            note=note,
            version=_version(form.version.data),
            photos=uploaded_photos(form.photos.data),
            unit=(form.unit.data or "").strip() or None,
            condition=(form.condition.data or "").strip() or None,
        )
    except (NotFound, Unauthorized):
        raise
    except CitygridError as error:
        return _render_problem(ctx, code, error.message(g.lang), form), error.status
    return redirect(url_for("cycle.problem_page", code=code, done=step.name))


@bp.get("/problems/<code>/photos/<photo_id>")
def photo(code: str, photo_id: str) -> Response:
    """A photo of the problem ``code``, for those who may see the problem (else 404)."""
    found = get_photo(signed_in(), code, photo_id)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Disposition"] = f'inline; filename="{found.code}{found.suffix}"'
    return response


def _render_problem(
    ctx: CityContext, code: str, error: str | None = None, form: TransitionForm | None = None
) -> str:
    found = case(ctx, code)
    actions = actions_for(ctx, found.problem)
    done = TRANSITIONS.get(request.args.get("done", ""))
    return render_template(
        "cycle/problem.html",
        case=found,
        problem=found.problem,
        actions=actions,
        units=dispatch_units(ctx) if any(a.name == "dispatch" for a in actions) else None,
        conditions=(
            catalogue_entry(ctx, str(found.problem["catalogue_code"])).standards
            if any(a.name == "register" for a in actions)
            else None
        ),
        photos=list_photos(ctx, code),
        error=error,
        note=(form.note.data if form is not None else "") or "",
        done=done,
    )


def signed_in() -> CityContext:
    """The request's context; a visitor who is not signed in goes to the sign-in page."""
    ctx = request_context()
    if ctx.principal.anonymous:
        raise Unauthorized("Sign in to handle problems.")
    return ctx


def _parsed(parse: Callable[[str], T], name: str, expected: str) -> T | None:
    """The query parameter ``name`` parsed, ``None`` when absent.

    Raises
    ------
    BadInput
        The value does not parse; the message says what is expected.
    """
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return parse(text)
    except ValueError as error:
        raise BadInput(
            "The query parameter {name}={value!r} is not valid; use {expected}.",
            name=name,
            value=text,
            expected=expected,
        ) from error


def _version(text: str | None) -> int | None:
    """The problem's version the form carries, ``None`` when it carries none.

    Raises
    ------
    BadInput
        Not a whole number (the form was altered).
    """
    if not text:
        return None
    try:
        return parse_int(text)
    except ValueError as error:
        raise BadInput(
            "The form's version {value!r} is not a whole number; reload the page.", value=text
        ) from error
