"""/api/v1 over real HTTP: the ETag and If-Match cycle with urllib, each role's writes
with API tokens, and schemathesis over the OpenAPI document against a running server.

On SQLite and PostGIS, on web_city.py's small city (its problems routed, its
catalogue holding C01).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from schemathesis_run import run_schemathesis
from v1_client import add_catalogue, point, role_tokens
from web_accounts import context

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.accounts import tokens
from citygrid.web.app import create_app


@pytest.fixture
def server(city: Store) -> Iterator[tuple[str, dict[str, dict[str, str]]]]:
    """A real server on the city, and the headers of a token per account."""
    from web_server import serve

    add_catalogue(city)
    headers = role_tokens(city)
    app: Flask = create_app(Config(database_url=city.url, secret_key="test"), city)
    for url in serve(app):
        yield url, headers


def call(
    method: str, url: str, headers: dict[str, str], body: Any = None
) -> tuple[int, dict[str, str], Any]:
    """One request with urllib: the status, the headers and the parsed JSON (or None)."""
    data = None if body is None else json.dumps(body).encode()
    sent = {**headers, "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, dict(response.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.loads(error.read())


def test_the_etag_cycle_over_http(server: tuple[str, dict]) -> None:
    base, headers = server
    admin = headers["admin2"]
    status, got, feature = call("GET", f"{base}/api/v1/points/P02", admin)
    assert status == 200
    etag = got["ETag"]
    change = {"type": "Feature", "properties": {"address": "十全街 8 号"}}
    assert call("PATCH", f"{base}/api/v1/points/P02", admin, change)[0] == 428
    status, got, changed = call(
        "PATCH", f"{base}/api/v1/points/P02", {**admin, "If-Match": etag}, change
    )
    assert status == 200
    assert got["ETag"] != etag
    assert changed["properties"]["version"] == feature["properties"]["version"] + 1
    # Another client still holding the old ETag is refused, told who changed it.
    status, _, error = call(
        "PATCH", f"{base}/api/v1/points/P02", {**headers["admin2"], "If-Match": etag}, change
    )
    assert status == 412
    assert "admin2" in error["message"]
    status, _, error = call("DELETE", f"{base}/api/v1/points/P02", {**admin, "If-Match": etag})
    assert status == 412
    assert call("GET", f"{base}/api/v1/points/P02", admin)[1]["ETag"] == got["ETag"]
    status, _, _ = call("DELETE", f"{base}/api/v1/points/P02", {**admin, "If-Match": got["ETag"]})
    assert status == 204
    assert call("GET", f"{base}/api/v1/points/P02", admin)[0] == 404


@pytest.mark.parametrize(
    ("account", "method", "path", "body", "status"),
    [
        ("viewer", "PATCH", "/api/v1/points/P04", {"properties": {"name": "x"}}, 403),
        ("planner", "PATCH", "/api/v1/points/P01", {"properties": {"name": "x"}}, 200),
        (
            "planner",
            "PATCH",
            "/api/v1/problems/Q01",
            {"properties": {"description": "已清理"}},
            403,
        ),
        ("manager", "PATCH", "/api/v1/points/P01", {"properties": {"name": "x"}}, 200),
        ("manager", "PATCH", "/api/v1/points/P04", {"properties": {"name": "x"}}, 403),
        ("manager", "PATCH", "/api/v1/grids/G01", {"properties": {"name": "x"}}, 403),
        (
            "handler",
            "PATCH",
            "/api/v1/problems/Q01",
            {"properties": {"description": "已清理"}},
            200,
        ),
        (
            "handler",
            "PATCH",
            "/api/v1/problems/Q05",
            {"properties": {"description": "已清理"}},
            403,
        ),
        (
            "inspector",
            "PATCH",
            "/api/v1/problems/Q02",
            {"properties": {"description": "已清理"}},
            200,
        ),
        ("inspector", "PATCH", "/api/v1/points/P01", {"properties": {"name": "x"}}, 403),
        ("viewer", "DELETE", "/api/v1/points/P04", None, 403),
        ("manager", "DELETE", "/api/v1/points/P01", None, 409),  # allowed, but I01 names it
        ("handler", "GET", "/api/v1/inspections", None, 403),
        ("viewer", "GET", "/api/v1/audit", None, 403),
        (None, "GET", "/api/v1/grids", None, 401),
        (None, "PATCH", "/api/v1/points/P01", {"properties": {"name": "x"}}, 401),
    ],
)
def test_each_role_writes_what_it_may(
    server: tuple[str, dict],
    account: str | None,
    method: str,
    path: str,
    body: dict | None,
    status: int,
) -> None:
    base, headers = server
    auth = headers[account] if account else {"Cookie": "citygrid_lang=en"}
    etag = call("GET", f"{base}{path}", headers["admin2"])[1].get("ETag", '"1"')
    sent = {**auth, "If-Match": etag}
    feature = None if body is None else {"type": "Feature", **body}
    got, _, answer = call(method, f"{base}{path}", sent, feature)
    assert got == status, answer
    if status >= 400:
        assert answer["error"]
        assert answer["message"]


def test_a_grid_manager_cannot_move_a_point_out_of_their_cells(server: tuple[str, dict]) -> None:
    base, headers = server
    moved = point("P01", 120.635, 31.305)
    status, _, answer = call(
        "PATCH", f"{base}/api/v1/points/P01", {**headers["manager"], "If-Match": '"1"'}, moved
    )
    assert status == 403
    assert "outside your scope" in answer["message"]
    inside = point("P97", 120.605, 31.306)
    assert call("POST", f"{base}/api/v1/points", headers["manager"], inside)[0] == 201
    outside = point("P98", 120.635, 31.305)
    assert call("POST", f"{base}/api/v1/points", headers["manager"], outside)[0] == 403


@pytest.mark.parametrize(
    ("account", "transition", "status"),
    [
        ("viewer", "register", 403),
        ("inspector", "register", 403),
        ("handler", "dispatch", 403),
        ("manager", "dispatch", 200),
        ("planner", "dispatch", 403),
    ],
)
def test_each_role_moves_the_problems_it_may(
    server: tuple[str, dict], account: str, transition: str, status: int
) -> None:
    base, headers = server
    url = f"{base}/api/v1/problems/Q01/actions/{transition}"
    got, _, answer = call("POST", url, headers[account], {"note": "现场确认"})
    assert got == status, answer


def test_expired_and_revoked_tokens_are_401(server: tuple[str, dict], city: Store) -> None:
    base, headers = server
    assert call("GET", f"{base}/api/v1/grids", headers["viewer"])[0] == 200
    tokens.revoke(context(city), "viewer")
    status, got, answer = call("GET", f"{base}/api/v1/grids", headers["viewer"])
    assert status == 401
    assert "revoked" in answer["message"]
    assert got["WWW-Authenticate"].startswith("Bearer")


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(
    server: tuple[str, dict], tmp_path: Path
) -> None:
    """Examples and fuzzing over every stored layer's operations (computed layers
    are left out: each run of an analysis takes seconds), three cases each."""
    base, headers = server
    run = run_schemathesis(
        f"{base}/api/v1/openapi.json",
        headers["admin2"]["Authorization"],
        tmp_path,
        "^/api/v1/(hotspots|emerging_hotspots|density_contours|gap_)",
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
    assert "Tested: " in run.stdout
