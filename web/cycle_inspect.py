"""The inspector's form (``/inspect``): report a problem from a phone, record a round.

``GET /inspect`` shows two forms. *Report a problem*: the item (from the
catalogue), the place (tapped on a small Leaflet map, or the phone's
position), a description and photos, and optionally the place being
inspected, which records it as an inspection that found the problem.
*Record places found clean*: the kind of inspection and the places checked.
Each ``POST`` goes to the services; what they refuse comes back on the
form with their message and a 4xx status, nothing stored.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from citygrid.errors import BadInput, CitygridError, Unauthorized
from citygrid.services.context import CityContext
from citygrid.services.cycle.inspect_form import KIND_CHOICES, inspect_view
from citygrid.services.cycle.inspections import Check, Finding, record_round
from citygrid.services.cycle.intake import report_problem
from citygrid.services.cycle.photos import add_photos, check_photos
from citygrid.services.cycle.workflow import TRANSITIONS
from citygrid.web.cycle_forms import ReportForm, RoundForm, checked_note, uploaded_photos
from citygrid.web.cycle_pages import signed_in

bp = Blueprint("inspect", __name__)


@bp.app_context_processor
def _may_report() -> dict[str, bool]:
    """``may_report``: whether the pages link to the form (the user's role reports problems)."""
    principal = g.get("principal")
    role = None if principal is None or principal.role is None else principal.role.name
    return {"may_report": role in TRANSITIONS["report"].roles}


@bp.get("/inspect")
def inspect_page() -> ResponseReturnValue:
    """The two forms, with what the last one sent did (``?reported=`` or ``?round=``)."""
    return _render(signed_in())


@bp.post("/inspect/report")
def report() -> ResponseReturnValue:
    """Report a problem at the place given; with ``place``, as found inspecting that place."""
    ctx = signed_in()
    form = ReportForm()
    try:
        description = checked_note(form.description.data)
        photos = uploaded_photos(form.photos.data)
        place = (form.place.data or "").strip()
        item = (form.catalogue_code.data or "").strip()
        lon, lat = (form.lon.data or "").strip(), (form.lat.data or "").strip()
        if not lon or not lat:
            raise BadInput("Tap the map, or use your position, to say where the problem is.")
        if place:
            check_photos(ctx, photos)
            finding = Finding(item, description, lon, lat)
            found = record_round(ctx, form.kind.data or "routine", [Check(place, (finding,))])
            intake = found.problems[0]
            add_photos(ctx, str(intake.problem["code"]), photos, "report")
        else:
            intake = report_problem(
                ctx, lon, lat, item, description, reporter=ctx.principal.user, photos=photos
            )
    except Unauthorized:
        raise
    except CitygridError as error:
        return _render(ctx, report_form=form, report_error=error.message(g.lang)), error.status
    code = str(intake.problem["code"])
    merged = 1 if intake.merged else None
    return redirect(url_for("inspect.inspect_page", reported=code, merged=merged))


@bp.post("/inspect/round")
def round_() -> ResponseReturnValue:
    """Record the places checked as found clean."""
    ctx = signed_in()
    form = RoundForm()
    try:
        places = [p.strip() for p in request.form.getlist("places") if p.strip()]
        if not places:
            raise BadInput("Tick the places you checked.")
        found = record_round(
            ctx,
            form.kind.data or "routine",
            [Check(p) for p in places],
            notes=checked_note(form.notes.data),
        )
    except Unauthorized:
        raise
    except CitygridError as error:
        return _render(ctx, round_error=error.message(g.lang), ticked=places), error.status
    return redirect(url_for("inspect.inspect_page", round=found.code, clean=found.clean))


def _render(
    ctx: CityContext,
    report_form: ReportForm | None = None,
    report_error: str | None = None,
    round_error: str | None = None,
    ticked: list[str] | None = None,
) -> str:
    view = inspect_view(ctx)
    form = report_form or ReportForm()
    form.catalogue_code.choices = [("", "")] + [
        (code, f"{code} {name}")
        for code, name in zip(view.items["code"], view.items["name"], strict=True)
    ]
    return render_template(
        "cycle/inspect.html",
        view=view,
        form=form,
        kinds=KIND_CHOICES,
        report_error=report_error,
        round_error=round_error,
        ticked=ticked or [],
        reported=request.args.get("reported"),
        merged=request.args.get("merged") == "1",
        round_code=request.args.get("round"),
        clean=request.args.get("clean"),
        places_geojson=view.places.to_geo_dict(drop_id=True),
    )
