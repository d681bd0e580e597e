"""Each role against each read and write of the JSON API, over real HTTP with API tokens.

The city is web_city.py's, its open problems routed (see test_scoped_reads.py
for what lies where). Every user signs in with a bearer token issued by the
accounts service, as a script or another system would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.accounts import tokens, users
from citygrid.services.context import CityContext
from citygrid.services.routing.reroute import route_problems
from citygrid.web.app import create_app

ACCOUNTS = {
    "admin": ("admin", None),
    "planner": ("planner", "jurisdiction:320508001"),
    "manager": ("grid_manager", "grid:G01"),
    "handler": ("unit_handler", "unit:U_CG"),
    "inspector": ("inspector", "grid:G01,G02"),
    "viewer": ("viewer", "grid:G02"),
}


@pytest.fixture
def server(city: Store) -> Iterator[tuple[str, dict[str, str]]]:
    """A real server on the routed city, and a bearer token per account name."""
    from web_server import serve

    ctx = CityContext(city, Config(), actor="pytest")
    route_problems(ctx, dry_run=False)
    issued = {}
    for name, (role, scope) in ACCOUNTS.items():
        users.add_user(ctx, name, role, scope=scope)
        issued[name] = tokens.issue_token(ctx, name, days=1).token
    app: Flask = create_app(Config(database_url=city.url, secret_key="test"), city)
    for url in serve(app):
        yield url, issued


def call(
    url: str, token: str | None = None, body: Any = None, raw: bytes | None = None
) -> tuple[int, Any]:
    """GET (or POST ``body`` as JSON) with the token; the status and the parsed JSON."""
    headers = {"Cookie": "citygrid_lang=en", "Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("account", "layer", "status", "codes"),
    [
        ("admin", "grids", 200, [f"G0{i}" for i in range(1, 7)]),
        ("planner", "grids", 200, [f"G0{i}" for i in range(1, 7)]),
        ("manager", "grids", 200, ["G01"]),
        ("manager", "problems", 200, ["Q01"]),
        ("manager", "points", 200, ["P01"]),
        ("handler", "streets", 200, ["S01"]),
        ("handler", "problems", 200, []),
        ("handler", "inspections", 403, None),
        ("handler", "audit", 403, None),
        ("inspector", "problems", 200, ["Q01", "Q02"]),
        ("viewer", "grids", 200, ["G02"]),
        ("viewer", "audit", 403, None),
        ("admin", "audit", 200, None),
        (None, "grids", 401, None),
        (None, "people", 401, None),
        (None, "audit", 401, None),
    ],
)
def test_reads_by_role(
    server: tuple[str, dict[str, str]],
    account: str | None,
    layer: str,
    status: int,
    codes: list[str] | None,
) -> None:
    url, issued = server
    token = issued[account] if account else None
    got, body = call(f"{url}/api/layers/{layer}/features", token)
    assert got == status, body
    if codes is not None:
        assert sorted(f["properties"]["code"] for f in body["features"]) == codes


def test_personal_fields_reach_only_roles_that_need_them(
    server: tuple[str, dict[str, str]],
) -> None:
    url, issued = server
    for account, sees in (("planner", True), ("manager", True), ("viewer", False)):
        _, body = call(f"{url}/api/layers/people/features", issued[account])
        assert len(body["features"]) == 4
        assert all(("phone" in f["properties"]) == sees for f in body["features"])
        _, audit = call(f"{url}/api/layers/audit/features", issued["admin"])
        assert "before" in audit["features"][0]["properties"]


def test_the_layer_list_shows_what_the_caller_reads(server: tuple[str, dict[str, str]]) -> None:
    url, issued = server
    _, listed = call(f"{url}/api/layers", issued["handler"])
    names = {layer["name"]: layer["count"] for layer in listed["layers"]}
    assert "inspections" not in names
    assert "audit" not in names
    assert "users" not in names
    assert names["streets"] == 1
    assert names["grids"] == 0
    assert call(f"{url}/api/layers", None) == (200, {"layers": []})  # nothing is public


def assign(url: str, token: str | None, **body: Any) -> tuple[int, Any]:
    """POST /api/assign."""
    return call(f"{url}/api/assign", token, body)


def test_assignments_follow_the_role_and_the_scope(server: tuple[str, dict[str, str]]) -> None:
    url, issued = server
    status, body = assign(
        url, issued["manager"], layer="points", code="P01", unit="U_CL", reason="点位移交"
    )
    assert status == 200
    assert body["changed"]
    assert body["after"]["unit_code"] == "U_CL"
    assert assign(url, issued["manager"], layer="points", code="P04", unit="U_CL")[0] == 403
    assert assign(url, issued["manager"], layer="grids", code="G01", unit="U_CL")[0] == 403
    assert assign(url, issued["viewer"], layer="points", code="P02", unit="U_CL")[0] == 403
    assert assign(url, None, layer="points", code="P01", unit="U_PJ")[0] == 401
    assert assign(url, issued["planner"], layer="grids", code="G02", unit="U_CL")[0] == 200
    _, audit = call(f"{url}/api/layers/audit/features?action=assign", issued["admin"])
    actors = {f["properties"]["feature_code"]: f["properties"]["actor"] for f in audit["features"]}
    assert actors == {"P01": "manager", "G02": "planner"}


def test_a_stale_version_is_refused(server: tuple[str, dict[str, str]]) -> None:
    url, issued = server
    _, p01 = call(f"{url}/api/layers/points/features/P01", issued["admin"])
    seen = p01["properties"]["version"]
    assert (
        assign(url, issued["admin"], layer="points", code="P01", unit="U_CL", version=seen)[0]
        == 200
    )
    status, body = assign(
        url, issued["admin"], layer="points", code="P01", unit="U_CG", version=seen
    )
    assert status == 409
    assert "admin" in body["message"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "object"),
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "object"),
        (b'{"layer": "points", "code": "P01"}', "lacks unit"),
        (b'{"layer": "points", "code": "P01", "unit": 7}', "must be text"),
        (b'{"layer": "points", "code": "P01", "unit": "U_CL", "version": "3"}', "whole number"),
        (b'{"layer": "points", "code": "P01", "unit": "U_CL", "colour": "red"}', "colour"),
        (b'{"layer": "roads", "code": "P01", "unit": "U_CL"}', "roads"),
        (b'{"layer": "points", "code": "P01", "unit": "U_XX"}', "U_XX"),
        (b'{"layer": "points", "code": "P99", "unit": "U_CL"}', "P99"),
        (b'{"layer": "points", "code": "P01", "unit": "U_CL", "head": "P_ZH"}', "P_ZH"),
    ],
)
def test_bad_assignments_are_refused_and_change_nothing(
    server: tuple[str, dict[str, str]], raw: bytes, message: str
) -> None:
    url, issued = server
    _, before = call(f"{url}/api/layers/points/features", issued["admin"])
    status, body = call(f"{url}/api/assign", issued["admin"], raw=raw)
    assert 400 <= status < 500, body
    assert message in body["message"]
    assert call(f"{url}/api/layers/points/features", issued["admin"])[1] == before


def test_expired_revoked_and_removed_tokens_get_401(
    server: tuple[str, dict[str, str]], city: Store
) -> None:
    url, issued = server
    ctx = CityContext(city, Config(), actor="pytest")
    old = tokens.issue_token(
        CityContext(city, Config(), now=ctx.now - timedelta(days=3)), "viewer", days=1
    )
    tokens.revoke(ctx, issued["handler"].split("_")[1])
    users.remove_user(ctx, "inspector")
    for token in (old.token, issued["handler"], issued["inspector"], "cg_nonsense"):
        status, body = call(f"{url}/api/layers/grids/features", token)
        assert status == 401, body
