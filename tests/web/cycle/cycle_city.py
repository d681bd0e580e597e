"""The workflow city (Changsha, tests/workflow_city.py) with users of every role and
problems at each status, made through the services, for the cycle's pages.

Users (password :data:`web_accounts.PASSWORD`): ``admin``; ``handler``, a unit handler of
城管局 (U_CG, which answers for cell G01); ``other``, a unit handler of 五一街道办事处
(U_WY); ``manager``, a grid manager of G01; ``inspector`` of G01;
``viewer`` and ``planner``.

Problems, all of item C02 占道经营 in G01 (100 m apart), reported at :data:`workflow_city.NOW`:
:data:`PROBLEMS` maps each status to its code; ``wy`` is a dispatched one sent to U_WY.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from web_accounts import add_user, context, signed_in_client
from workflow_city import IN_G01, NOW, build_workflow_city

from citygrid.layers.store import Store
from citygrid.services.cycle.intake import report_problem
from citygrid.services.cycle.workflow import transition

USERS = {
    "handler": ("unit_handler", "unit:U_CG"),
    "other": ("unit_handler", "unit:U_WY"),
    "manager": ("grid_manager", "grid:G01"),
    "inspector": ("inspector", "grid:G01"),
    "viewer": ("viewer", ""),
    "planner": ("planner", ""),
}

_PATHS = {
    "reported": [],
    "open": ["register"],
    "dispatched": ["register", "dispatch"],
    "rectified": ["register", "dispatch", "rectify"],
    "reopened": ["register", "dispatch", "rectify", "rework"],
    "closed": ["register", "dispatch", "rectify", "verify"],
}
_NOTES = {"rectify": "已清理摊位", "rework": "仍有摊位"}


def build_cycle_city(store: Store) -> dict[str, str]:
    """Write the city, its users and problems; return status (and ``wy``) -> problem code."""
    build_workflow_city(store)
    for name, (role, scope) in USERS.items():
        add_user(store, name, role, scope=scope)
    ctx = context(store)
    codes = {}
    for index, (status, path) in enumerate([*_PATHS.items(), ("wy", ["register"])]):
        place = (IN_G01[0] - 0.001 + 0.001 * index, IN_G01[1])  # 100 m apart: no duplicates
        found = report_problem(ctx, *place, "C02", "人行道上摆摊", "citizen", reported_at=NOW)
        code = str(found.problem["code"])
        for step in path:
            transition(ctx, step, code, note=_NOTES.get(step))
        codes[status] = code
    transition(ctx, "dispatch", codes["wy"], unit="U_WY", note="转五一街道")
    return codes


def as_user(app: Flask, name: str) -> FlaskClient:
    """A test client of ``app`` signed in as ``name``, in English."""
    client = app.test_client()
    client.set_cookie("citygrid_lang", "en")
    return signed_in_client(client, name)


def snapshot(store: Store, code: str) -> tuple[dict, int]:
    """The problem ``code``'s fields and the length of its history."""
    problem = store.get("problems", code).drop(["geometry"]).to_dict()
    return problem, len(store.history("problems", code))


def counts(store: Store) -> dict[str, int]:
    """How many problems, inspections and photos the city holds."""
    return {layer: store.count(layer) for layer in ("problems", "inspections", "photos")}
