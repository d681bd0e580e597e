"""The planner's actions on the map: a feature's unit and head by name, the pick lists,
its history, and applying a reviewed gap proposal.

Framework-neutral functions (context and :class:`~citygrid.web.api.ApiRequest`
in, :class:`~citygrid.web.api.ApiResponse` out) with a thin Flask blueprint
at ``/api/planner``; assigning itself is ``POST /api/assign``
(:func:`citygrid.web.api.assign_responsibility`). The map page includes
``templates/map_planner.html``, which loads ``static/js/citygrid-planner.js``
with :func:`planner_config` only for roles that change responsibility.

Endpoints
---------
``GET /api/planner/features/<layer>/<code>``
    :func:`feature`: unit and head by name, and the version to send.
``GET /api/planner/choices``
    :func:`choices`: the units and people to pick from.
``GET /api/planner/history/<layer>/<code>``
    :func:`history`: the audit log of a feature, formatted with names.
``POST /api/planner/proposals/<fix>/apply``
    :func:`apply_proposal_fix`: apply one fix of the ``gap_proposals`` layer;
    the JSON body names the feature and version the planner saw and the
    analysis ``parameters`` (a query string such as ``min_area_m2=10``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from flask import Blueprint, Response, g, url_for

from citygrid.i18n import translate
from citygrid.layers.registry import get_layer
from citygrid.services.context import CityContext
from citygrid.services.coverage.review import apply_fix
from citygrid.services.responsibility.history_names import described_history
from citygrid.services.responsibility.panel import (
    assignment_choices,
    changed_layers,
    feature_panel,
)
from citygrid.web.api import ApiRequest, ApiResponse, json_response
from citygrid.web.bodies import json_object
from citygrid.web.routes_api import api_request, api_response
from citygrid.web.state import request_context

bp = Blueprint("planner", __name__, url_prefix="/api/planner")

_APPLY_FIELDS = {"layer": str, "code": str, "version": int, "parameters": str}
_APPLY_REQUIRED = ("layer", "code", "version")


def feature(ctx: CityContext, layer: str, code: str, request: ApiRequest) -> ApiResponse:
    """One feature of a responsible layer as the planner panel shows it (see
    :func:`~citygrid.services.responsibility.panel.feature_panel`)."""
    return json_response(feature_panel(ctx, layer, code))


def choices(ctx: CityContext, request: ApiRequest) -> ApiResponse:
    """``{"units": [...], "people": [...]}`` to pick from when assigning."""
    return json_response(assignment_choices(ctx))


def history(ctx: CityContext, layer: str, code: str, request: ApiRequest) -> ApiResponse:
    """``{"layer", "code", "entries": [...]}``: the feature's audit log, newest first."""
    entries = described_history(ctx, layer, code)
    return json_response({"layer": layer, "code": code, "entries": entries})


def apply_proposal_fix(ctx: CityContext, fix_id: str, request: ApiRequest) -> ApiResponse:
    """Apply one reviewed fix of the gap proposals; ``{"fix", "changed": [...]}``.

    The body: ``layer``, ``code`` and ``version`` of the feature the fix
    changes, as the planner saw them, and ``parameters``, the coverage
    analysis parameters the proposals were made with, as the query string
    of the layer's URL (``min_area_m2=10``). A fix applied already, or
    whose feature changed, is refused with 409.
    """
    body = json_object(request.body, _APPLY_FIELDS, _APPLY_REQUIRED)
    log = apply_fix(
        ctx,
        fix_id,
        layer=body["layer"],
        code=body["code"],
        version=body["version"],
        parameters=parse_qs(body.get("parameters") or "", keep_blank_values=True),
    )
    changed = [
        {"layer": row.layer, "code": row.code, "version": int(row.version)}
        for row in log.itertuples(index=False)
    ]
    return json_response({"fix": fix_id, "changed": changed})


def planner_config(ctx: CityContext, lang: str, urls: dict[str, str]) -> dict[str, Any] | None:
    """What ``citygrid-planner.js`` needs, or ``None`` for a role that changes no
    responsible layer (the page then has no planner controls).

    ``urls`` holds ``feature``, ``history`` (with ``LAYER`` and ``CODE`` to
    replace), ``choices``, ``assign``, ``apply`` (with ``FIX``) and
    ``features`` (a layer's features, with ``LAYER``).
    """
    layers = changed_layers(ctx)
    if not layers:
        return None
    return {
        "urls": urls,
        "lang": lang,
        "layers": {name: get_layer(name).title(lang) for name in layers},
        "texts": {key: translate(text, lang) for key, text in _TEXTS.items()},
    }


_TEXTS = {
    "heading": "Planner",
    "hint": "Click a cell, street, alley or point to see and change who answers for it.",
    "unit": "Unit",
    "head": "Head",
    "none": "nobody",
    "noHead": "(no head)",
    "assign": "Assign",
    "reason": "Reason (for the audit log)",
    "saved": "Saved: version {version}.",
    "unchanged": "Nothing changed.",
    "history": "History",
    "noHistory": "No changes recorded.",
    "by": "{at} · {name}",
    "loading": "Loading…",
    "failed": "Failed: {message}",
    "unassigned": "Unassigned features",
    "uncovered": "Uncovered areas",
    "proposals": "Gap proposals",
    "previous": "Previous",
    "next": "Next",
    "position": "{index} of {count}",
    "nothing": "None found.",
    "apply": "Apply this fix",
    "confirm": "Apply fix {fix} to {layer} {code}? The change is audited.",
    "applied": "Fix {fix} applied.",
}


@bp.get("/features/<layer>/<code>")
def feature_route(layer: str, code: str) -> Response:
    """A responsible feature's unit and head by name, and its version."""
    return api_response(feature(request_context(), layer, code, api_request()))


@bp.get("/choices")
def choices_route() -> Response:
    """The units and people a planner picks from."""
    return api_response(choices(request_context(), api_request()))


@bp.get("/history/<layer>/<code>")
def history_route(layer: str, code: str) -> Response:
    """A feature's audit log, with names."""
    return api_response(history(request_context(), layer, code, api_request()))


@bp.post("/proposals/<fix>/apply")
def apply_route(fix: str) -> Response:
    """Apply one reviewed gap proposal fix (JSON body; see :func:`apply_proposal_fix`)."""
    return api_response(apply_proposal_fix(request_context(), fix, api_request()))


@bp.app_context_processor
def _planner_context() -> dict[str, Any]:
    """``planner_config_json()`` for ``templates/map_planner.html`` (``"null"`` for no controls)."""

    def planner_config_json() -> str:
        urls = {
            "feature": url_for("planner.feature_route", layer="LAYER", code="CODE"),
            "history": url_for("planner.history_route", layer="LAYER", code="CODE"),
            "choices": url_for("planner.choices_route"),
            "assign": url_for("api.assign"),
            "apply": url_for("planner.apply_route", fix="FIX"),
            "features": url_for("api.features", name="LAYER"),
        }
        config = planner_config(request_context(), g.lang, urls)
        return json.dumps(config, ensure_ascii=False).replace("</", "<\\/")

    return {"planner_config_json": planner_config_json}
