"""The planner's endpoints (/api/planner/...) and /api/assign with Flask's test client, for
every role, with the bad inputs a browser or a script can send."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from test_roles_http import ACCOUNTS
from web_accounts import add_user, context, csrf_token, signed_in_client

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.responsibility.assign import assign
from citygrid.services.responsibility.history import feature_history


@pytest.fixture
def users(city: Store, admin: Any) -> None:
    """One user per role (the administrator exists already)."""
    for name, (role, scope) in ACCOUNTS.items():
        if name != "admin":
            add_user(city, name, role, scope=scope, full_name=f"{name}的姓名")


def _as(app: Flask, name: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    client.set_cookie("citygrid_lang", "en")
    signed_in_client(client, name)
    return client, csrf_token(client.get("/map").get_data(as_text=True))


def _config(page: str) -> Any:
    """The planner config the map page carries."""
    match = re.search(r'id="citygrid-planner-config">(.*?)</script>', page)
    assert match, "no planner config on the page"
    return json.loads(match.group(1))


def _post(client: FlaskClient, url: str, body: Any, token: str | None) -> Any:
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(url, json=body, headers=headers)


def test_feature_panel_names_unit_and_head(app: Flask, users: None) -> None:
    client, _ = _as(app, "planner")
    answer = client.get("/api/planner/features/grids/G01")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["unit"] == {"code": "U_PJ", "name": "平江街道办事处"}
    assert body["head"] == {"code": "P_LI", "name": "李网格"}
    assert body["version"] == 1
    assert body["has_head"] is True
    choices = client.get("/api/planner/choices").get_json()
    assert {"code": "U_CG", "name": "姑苏区城管局"} in choices["units"]
    assert {"code": "P_WA", "name": "王巷长", "unit_code": "U_PJ"} in choices["people"]


@pytest.mark.parametrize("name", ["handler", "inspector", "viewer"])
def test_roles_that_may_not_plan_get_403(app: Flask, users: None, name: str) -> None:
    client, token = _as(app, name)
    assert client.get("/api/planner/features/grids/G01").status_code == 403
    assert client.get("/api/planner/choices").status_code == 403
    assert client.get("/api/planner/history/grids/G01").status_code == 403
    body = {"layer": "grids", "code": "G01", "unit": "U_CG", "version": 1}
    assert _post(client, "/api/assign", body, token).status_code == 403
    # The map page has no planner controls for them.
    assert "citygrid-planner-config" not in client.get("/map").get_data(as_text=True)


def test_planner_controls_on_the_map_page(app: Flask, users: None) -> None:
    client, _ = _as(app, "planner")
    page = client.get("/map").get_data(as_text=True)
    assert "citygrid-planner-config" in page
    assert "js/citygrid-planner.js" in page
    assert set(_config(page)["layers"]) == {"grids", "streets", "alleys", "points"}
    # A grid manager changes points (in their cell), so sees the controls for points only.
    manager, _ = _as(app, "manager")
    page = manager.get("/map").get_data(as_text=True)
    assert list(_config(page)["layers"]) == ["points"]
    assert manager.get("/api/planner/features/grids/G01").status_code == 403


def test_anonymous_gets_401(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/planner/choices").status_code == 401
    assert client.get("/api/planner/features/grids/G01").status_code == 401


def test_outside_scope_unknown_and_deleted_features(app: Flask, city: Store, users: None) -> None:
    client, token = _as(app, "planner")
    # A planner sees and changes only what lies in their sub-district's cells.
    assert client.get("/api/planner/features/grids/G01").get_json()["writable"] is True
    assert client.get("/api/planner/features/points/P05").status_code == 404
    body = {"layer": "points", "code": "P05", "unit": "U_PJ", "version": 1}
    refused = _post(client, "/api/assign", body, token)
    assert refused.status_code == 403
    assert "outside your scope" in refused.get_json()["message"]
    assert client.get("/api/planner/features/grids/NOPE").status_code == 404
    answer = client.get("/api/planner/features/jurisdictions/320508")
    assert answer.status_code == 400
    assert "responsible" in answer.get_json()["message"]
    city.delete("points", ["P02"], actor="pytest")
    assert client.get("/api/planner/features/points/P02").status_code == 404
    body = {"layer": "points", "code": "P02", "unit": "U_PJ", "version": 1}
    deleted = _post(client, "/api/assign", body, token)
    assert deleted.status_code == 404
    assert "P02" in deleted.get_json()["message"]
    assert client.get("/api/planner/history/points/P02").get_json()["entries"][0]["action"] == (
        "delete"
    )
    assert client.get("/api/planner/history/points/NOPE").status_code == 404


def test_assign_then_history_with_names(app: Flask, city: Store, users: None) -> None:
    client, token = _as(app, "planner")
    body = {"layer": "grids", "code": "G01", "unit": "U_CG", "head": "P_ZH", "version": 1}
    answer = _post(client, "/api/assign", body, token)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["version"] == 2
    log = feature_history(context(city), "grids", "G01")
    assert log.iloc[-1]["actor"] == "planner"
    assert log.iloc[-1]["after"]["unit_code"] == "U_CG"
    entries = client.get("/api/planner/history/grids/G01").get_json()["entries"]
    newest = entries[0]
    assert newest["actor"] == {"user": "planner", "name": "planner的姓名"}
    assert newest["action_label"] == "Assigned by hand"
    unit = next(c for c in newest["changes"] if c["field"] == "unit_code")
    assert unit["before"] == "平江街道办事处 (U_PJ)"
    assert unit["after"] == "姑苏区城管局 (U_CG)"
    assert len(newest["at"]) == 16  # 2026-11-27 21:30
    how = next(c for c in newest["changes"] if c["field"] == "assigned_by")
    assert how["after"] == "by hand"  # its label, in the request's language


def test_stale_assignment_is_refused_naming_who(app: Flask, city: Store, users: None) -> None:
    assign(CityContext(city, Config(), actor="admin"), "grids", "G02", unit="U_CG")
    client, token = _as(app, "planner")
    body = {"layer": "grids", "code": "G02", "unit": "U_PJ", "version": 1}
    answer = _post(client, "/api/assign", body, token)
    assert answer.status_code == 409
    assert "was changed by" in answer.get_json()["message"]
    assert city.read("grids", where={"code": "G02"})["unit_code"].iloc[0] == "U_CG"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"layer": "grids", "code": "G01", "unit": "NOPE", "version": 1}, 404, "NOPE"),
        ({"layer": "grids", "code": "G01", "unit": "U_PJ", "head": "NOBODY"}, 404, "NOBODY"),
        ({"layer": "grids", "code": "G09", "unit": "U_PJ"}, 404, "G09"),
        ({"layer": "grids", "code": "G01", "unit": "U_PJ", "head": "P_ZA"}, 400, "P_ZA"),
        ({"layer": "grids", "code": "G01"}, 400, "unit"),
    ],
)
def test_bad_assignments(
    app: Flask, city: Store, users: None, body: dict[str, Any], status: int, words: str
) -> None:
    client, token = _as(app, "planner")
    answer = _post(client, "/api/assign", body, token)
    assert answer.status_code == status, answer.get_json()
    assert words in answer.get_json()["message"]
    assert int(city.read("grids", where={"code": "G01"})["version"].iloc[0]) == 1


def test_assign_without_csrf_is_refused(app: Flask, city: Store, users: None) -> None:
    client, _ = _as(app, "planner")
    body = {"layer": "grids", "code": "G01", "unit": "U_CG", "version": 1}
    answer = _post(client, "/api/assign", body, None)
    assert answer.status_code == 400
    assert "CSRF" in answer.get_data(as_text=True)
    answer = _post(client, "/api/planner/proposals/FIX-0001/apply", {}, None)
    assert answer.status_code == 400
    assert city.read("grids", where={"code": "G01"})["unit_code"].iloc[0] == "U_PJ"


def _first_fix(client: FlaskClient) -> dict[str, Any]:
    answer = client.get("/api/layers/gap_proposals/features?limit=100")
    assert answer.status_code == 200, answer.get_json()
    fixes = [f["properties"] for f in answer.get_json()["features"]]
    return next(f for f in fixes if f["action"] == "add_area")


def test_apply_a_gap_proposal_once(app: Flask, city: Store, client: FlaskClient) -> None:
    token = csrf_token(client.get("/map").get_data(as_text=True))
    fix = _first_fix(client)
    body = {"layer": fix["layer"], "code": fix["feature_code"], "version": fix["version"]}
    answer = _post(client, f"/api/planner/proposals/{fix['id']}/apply", body, token)
    assert answer.status_code == 200, answer.get_json()
    changed = answer.get_json()["changed"]
    assert changed == [
        {"layer": "grids", "code": fix["feature_code"], "version": fix["version"] + 1}
    ]
    log = feature_history(context(city), "grids", fix["feature_code"])
    assert log.iloc[-1]["action"] == "apply_proposal"
    assert log.iloc[-1]["actor"] == "admin"
    # The same fix again: already applied, refused naming who changed the feature.
    again = _post(client, f"/api/planner/proposals/{fix['id']}/apply", body, token)
    assert again.status_code == 409
    assert "admin" in again.get_json()["message"]
    assert feature_history(context(city), "grids", fix["feature_code"]).shape == log.shape


def test_apply_refuses_bad_bodies_and_roles(app: Flask, users: None, client: FlaskClient) -> None:
    token = csrf_token(client.get("/map").get_data(as_text=True))
    fix = _first_fix(client)
    url = f"/api/planner/proposals/{fix['id']}/apply"
    good = {"layer": fix["layer"], "code": fix["feature_code"], "version": fix["version"]}
    assert _post(client, url, {**good, "version": "x"}, token).status_code == 400
    assert _post(client, url, {**good, "parameters": "min_area_m2=-5"}, token).status_code == 400
    assert _post(client, url, {**good, "version": 99}, token).status_code == 409
    assert _post(client, url, {**good, "layer": "nope"}, token).status_code == 404
    unknown = _post(client, "/api/planner/proposals/FIX-9999/apply", good, token)
    assert unknown.status_code == 409
    viewer, viewer_token = _as(app, "viewer")
    assert _post(viewer, url, good, viewer_token).status_code == 403
