"""API tokens on the web: ``Authorization: Bearer TOKEN`` acts as the token's user.

Tokens are issued, revoked and expired through the services; a bad token is
a 401 with ``WWW-Authenticate: Bearer ... error="invalid_token"`` on every
path, and too many of them from one address are a 429.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_accounts import ADMIN, add_user, bearer, context

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.accounts import tokens, users
from citygrid.services.context import CityContext
from citygrid.web.app import create_app

GRIDS = "/api/layers/grids/features"


@pytest.fixture
def api(app: Flask) -> FlaskClient:
    """A script's HTTP client: no session, no language cookie (``?lang=en`` asks English)."""
    return app.test_client()


def _refused(response, fragment: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == "unauthorized"
    assert fragment in body["message"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="citygrid"')
    assert 'error="invalid_token"' in challenge


def test_a_token_reads_the_api_and_the_map(city: Store, api: FlaskClient) -> None:
    headers = bearer(city)
    response = api.get(GRIDS, headers=headers)
    assert response.status_code == 200
    assert len(response.get_json()["features"]) == 6
    page = api.get("/?lang=en", headers=headers)
    assert page.status_code == 200
    assert "L.citygrid.bboxLayer" in page.get_data(as_text=True)


def test_a_token_needs_no_csrf_token_to_post(city: Store, api: FlaskClient) -> None:
    # A cross-site page cannot send the header, so a bearer POST is not checked.
    assert api.post("/logout", headers=bearer(city)).status_code == 302
    assert api.post("/logout").status_code == 400  # no token, no CSRF token


def test_an_expired_token_is_401(city: Store, api: FlaskClient) -> None:
    last_week = CityContext(city, Config(database_url=city.url), now=datetime.now() - timedelta(7))
    issued = tokens.issue_token(last_week, ADMIN, days=1)
    response = api.get(f"{GRIDS}?lang=en", headers={"Authorization": f"Bearer {issued.token}"})
    _refused(response, f"The API token {issued.id} expired at")


def test_a_revoked_token_is_401(city: Store, api: FlaskClient) -> None:
    headers = bearer(city)
    assert api.get(GRIDS, headers=headers).status_code == 200
    assert tokens.revoke(context(city), ADMIN) == 1
    _refused(api.get(f"{GRIDS}?lang=en", headers=headers), "was revoked")


def test_the_token_of_a_removed_user_is_401(city: Store, api: FlaskClient) -> None:
    add_user(city, "script", "viewer")
    headers = bearer(city, "script")
    assert api.get(GRIDS, headers=headers).status_code == 200
    users.remove_user(context(city), "script")
    _refused(api.get(f"{GRIDS}?lang=en", headers=headers), "The API token")


def test_the_token_of_a_disabled_user_is_401(city: Store, api: FlaskClient) -> None:
    headers = bearer(city)
    users.set_user(context(city), ADMIN, disabled=True)
    _refused(api.get(f"{GRIDS}?lang=en", headers=headers), "User admin is disabled")


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("Bearer cg_000000000000_" + "x" * 43, "is not valid"),
        ("Bearer nonsense", "is not valid"),
        ("Bearer ", "Authorization: Bearer TOKEN"),
        ("Basic YWRtaW46cGFzc3dvcmQ=", "Authorization: Bearer TOKEN"),
    ],
)
def test_bad_authorization_headers_are_401(api: FlaskClient, header: str, fragment: str) -> None:
    _refused(api.get(f"{GRIDS}?lang=en", headers={"Authorization": header}), fragment)


def test_a_bad_token_on_a_page_is_a_401_not_a_redirect(api: FlaskClient) -> None:
    response = api.get("/?lang=en", headers={"Authorization": "Bearer nonsense"})
    _refused(response, "is not valid")


def test_a_bad_token_message_in_chinese(api: FlaskClient) -> None:
    response = api.get(GRIDS, headers={"Authorization": "Basic x"})
    assert response.status_code == 401
    assert "Authorization: Bearer 令牌" in response.get_json()["message"]


@pytest.mark.usefixtures("admin")
def test_too_many_bad_tokens_from_one_address_are_429(city: Store) -> None:
    app = create_app(Config(database_url=city.url, secret_key="test", token_failures=3), city)
    client = app.test_client()
    bad = {"Authorization": "Bearer nonsense"}
    good = bearer(city)
    for _ in range(2):
        assert client.get(f"{GRIDS}?lang=en", headers=bad).status_code == 401
        assert client.get(GRIDS, headers=good).status_code == 200  # good ones are not counted
    assert client.get(f"{GRIDS}?lang=en", headers=bad).status_code == 401
    response = client.get(f"{GRIDS}?lang=en", headers=bad)
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"] == "too_many_requests"
    assert "Too many requests with a bad API token" in body["message"]
    assert "Try again after" in body["message"]
    assert int(response.headers["Retry-After"]) > 0
    assert client.get(GRIDS, headers=good).status_code == 429  # that address waits
    assert client.get("/login").status_code == 200  # a browser there is not held up
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert other.get(GRIDS, headers=good).status_code == 200  # other addresses go on
