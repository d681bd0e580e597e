"""Signing in and out on the web: the form, its errors, CSRF, limits, sessions, access.

Users are added through the services (``web_accounts``); every test runs on
SQLite and PostGIS. The anonymous reads of ``people`` and ``audit`` and the
role checks rely on the providers applying the request's principal.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_accounts import ADMIN, PASSWORD, add_user, context, csrf_token, sign_in, signed_in_client
from werkzeug.test import TestResponse

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.layers.store import Store
from citygrid.services.accounts import users
from citygrid.web.app import create_app

_TIME = re.compile(r"\b\d{2}:\d{2}\b")


@pytest.fixture
def visitor(app: Flask) -> FlaskClient:
    """A browser nobody signed in on, asking for English."""
    client = app.test_client()
    client.set_cookie("citygrid_lang", "en")
    return client


def _app(city: Store, **settings: Any) -> Flask:
    return create_app(Config(database_url=city.url, secret_key="test", **settings), city)


def _english(app: Flask, address: str = "127.0.0.1") -> FlaskClient:
    client = app.test_client()
    client.set_cookie("citygrid_lang", "en")
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _location(response: TestResponse) -> str:
    assert response.status_code == 302, (response.status_code, _text(response))
    return response.headers["Location"]


# --- the form ---------------------------------------------------------------


def test_the_login_page_is_in_chinese_by_default(app: Flask) -> None:
    response = app.test_client().get("/login")
    assert response.status_code == 200
    html = _text(response)
    assert '<html lang="zh-CN">' in html
    for label in ("登录", "用户名", "密码"):
        assert label in html
    assert 'name="csrf_token"' in html
    assert csrf_token(html)
    english = _text(app.test_client().get("/login?lang=en"))
    assert "User name" in english
    assert "Password" in english


def test_an_anonymous_visitor_is_sent_to_the_login_page(visitor: FlaskClient) -> None:
    assert _location(visitor.get("/")) == "/login?next=/"
    location = _location(visitor.get("/map?lang=en"))
    assert urlsplit(location).path == "/login"
    assert parse_qs(urlsplit(location).query)["next"] == ["/map?lang=en"]


def test_signing_in_opens_the_map_with_the_user_and_a_sign_out_button(
    city: Store, visitor: FlaskClient
) -> None:
    users.set_user(context(city), ADMIN, full_name="管理员小王")
    assert _location(sign_in(visitor)) == "/"
    page = visitor.get("/")
    assert page.status_code == 200
    html = _text(page)
    assert "L.citygrid.bboxLayer" in html
    assert "管理员小王" in html
    assert "administrator" in html
    assert 'action="/logout"' in html
    assert "Sign out" in html


def test_signing_in_goes_on_to_the_page_asked_for(visitor: FlaskClient) -> None:
    login_page = _location(visitor.get("/map?lang=en"))
    next_path = parse_qs(urlsplit(login_page).query)["next"][0]
    assert _location(sign_in(visitor, next=next_path)) == "/map?lang=en"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/map",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/map\r\nSet-Cookie: x=1",
        "map",
    ],
)
def test_next_never_leaves_the_site(visitor: FlaskClient, target: str) -> None:
    assert _location(sign_in(visitor, next=target)) == "/"
    # Signed in already: the login page sends on, still only within the site.
    assert _location(visitor.get("/login", query_string={"next": target})) == "/"


def test_a_wrong_password_and_an_unknown_user_get_the_same_message(
    visitor: FlaskClient,
) -> None:
    wrong = sign_in(visitor, password="not-the-password")
    unknown = sign_in(visitor, name="nobody", password=PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong user name or password." in _text(response)
    assert visitor.get("/").status_code == 302  # still signed out


def test_a_disabled_user_is_told_so(city: Store, visitor: FlaskClient) -> None:
    users.set_user(context(city), ADMIN, disabled=True)
    response = sign_in(visitor)
    assert response.status_code == 401
    assert "User admin is disabled; ask an administrator to enable it." in _text(response)
    assert visitor.get("/").status_code == 302


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("", PASSWORD, "Enter your user name."),
        ("   ", PASSWORD, "Enter your user name."),
        (ADMIN, "", "Enter your password."),
        ("a" * 65, PASSWORD, "A user name has at most 64 characters."),
        (ADMIN, "p" * 257, "A password has at most 256 characters."),
    ],
)
def test_empty_and_overlong_fields_are_400(
    visitor: FlaskClient, name: str, password: str, message: str
) -> None:
    response = sign_in(visitor, name=name, password=password)
    assert response.status_code == 400
    assert message in _text(response)
    assert visitor.get("/").status_code == 302


def test_field_messages_in_chinese(app: Flask) -> None:
    response = sign_in(app.test_client(), name="", password="")
    assert response.status_code == 400
    assert "请输入用户名。" in _text(response)
    assert "请输入密码。" in _text(response)


# --- CSRF -------------------------------------------------------------------


def test_signing_in_without_the_csrf_token_is_400(visitor: FlaskClient) -> None:
    visitor.get("/login")
    response = visitor.post("/login", data={"username": ADMIN, "password": PASSWORD})
    assert response.status_code == 400
    assert "security token is missing or no longer valid" in _text(response)
    assert "Reload the page" in _text(response)
    assert visitor.get("/").status_code == 302  # not signed in


def test_a_forged_csrf_token_is_400_in_chinese(app: Flask) -> None:
    client = app.test_client()
    client.get("/login")
    form = {"username": ADMIN, "password": PASSWORD, "csrf_token": "forged"}
    response = client.post("/login", data=form)
    assert response.status_code == 400
    assert "表单的安全令牌缺失或已失效" in _text(response)


def test_signing_out_needs_the_csrf_token(client: FlaskClient) -> None:
    response = client.post("/logout")
    assert response.status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    token = csrf_token(_text(client.get("/")))
    assert _location(client.post("/logout", headers={"X-CSRFToken": token})) == "/login"
    assert client.get("/").status_code == 302


# --- signing out and sessions -----------------------------------------------


def test_signing_out_returns_to_the_login_page(client: FlaskClient) -> None:
    page = _text(client.get("/"))
    response = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert _location(response) == "/login"
    assert _location(client.get("/")) == "/login?next=/"
    assert client.get("/logout").status_code == 405


@pytest.mark.parametrize(
    "change",
    [
        {"disabled": True},
        {"password": "a-new-password-2024"},
        {"role": "viewer"},
    ],
)
def test_a_session_ends_when_its_user_changes(
    city: Store, client: FlaskClient, change: dict[str, object]
) -> None:
    assert client.get("/").status_code == 200
    users.set_user(context(city), ADMIN, **change)
    assert _location(client.get("/")) == "/login?next=/"


def test_signing_in_elsewhere_keeps_the_first_session(app: Flask, client: FlaskClient) -> None:
    second = signed_in_client(_english(app, "10.0.0.2"))
    assert second.get("/").status_code == 200
    assert client.get("/").status_code == 200  # the phone did not sign out the office PC


def test_a_session_ends_when_its_user_is_removed(city: Store, client: FlaskClient) -> None:
    users.remove_user(context(city), ADMIN)
    assert _location(client.get("/")) == "/login?next=/"


def test_the_session_lasts_the_configured_hours_without_remember_me(
    city: Store, visitor: FlaskClient
) -> None:
    assert visitor.application.permanent_session_lifetime == timedelta(hours=8)
    response = sign_in(visitor)
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "Expires=" in session
    assert "HttpOnly" in session
    assert not any(c.startswith("remember_token=") for c in cookies)
    short = _app(city, session_hours=0.5)
    assert short.permanent_session_lifetime == timedelta(minutes=30)


# --- rate limits --------------------------------------------------------------


def test_the_tenth_wrong_password_gets_429_with_the_time_to_try_again(
    visitor: FlaskClient,
) -> None:
    for _ in range(9):
        assert sign_in(visitor, password="wrong-password").status_code == 401
    response = sign_in(visitor, password="wrong-password")
    assert response.status_code == 429
    text = _text(response)
    assert "Too many failed sign-ins" in text
    assert _TIME.search(text.split("Try again after", 1)[1])
    assert int(response.headers["Retry-After"]) > 0
    # Locked out even with the right password until then.
    assert sign_in(visitor).status_code == 429


@pytest.mark.usefixtures("admin")
def test_the_lock_out_message_in_chinese(city: Store) -> None:
    client = _app(city, login_failures=1).test_client()
    assert sign_in(client, password="wrong-password").status_code == 401
    response = sign_in(client, password="wrong-password")
    assert response.status_code == 429
    assert re.search(r"请于 \d{2}:\d{2} 之后（约 \d+ 分钟后）再试", _text(response))


@pytest.mark.usefixtures("admin")
def test_successful_sign_ins_are_not_counted(city: Store) -> None:
    client = _english(_app(city, login_failures=2))
    assert sign_in(client, password="wrong-password").status_code == 401
    assert sign_in(client).status_code == 302
    for _ in range(3):
        assert sign_in(client).status_code == 302  # sign in again and again
    assert sign_in(client, password="wrong-password").status_code == 401
    assert sign_in(client, password="wrong-password").status_code == 429


@pytest.mark.usefixtures("admin")
def test_failures_are_counted_per_account_from_any_address(city: Store) -> None:
    app = _app(city, login_failures=2)
    assert sign_in(_english(app, "10.0.0.1"), password="wrong-1").status_code == 401
    assert sign_in(_english(app, "10.0.0.2"), password="wrong-2").status_code == 401
    assert sign_in(_english(app, "10.0.0.3")).status_code == 429
    add_user(city, "other", "viewer")
    assert sign_in(_english(app, "10.0.0.3"), name="other").status_code == 302


@pytest.mark.usefixtures("admin")
def test_failures_are_counted_per_address_for_any_account(city: Store) -> None:
    app = _app(city, login_failures=2)
    guesser = _english(app, "10.0.0.9")
    assert sign_in(guesser, name="alice", password=PASSWORD).status_code == 401
    assert sign_in(guesser, name="bob", password=PASSWORD).status_code == 401
    assert sign_in(guesser).status_code == 429
    assert sign_in(_english(app, "10.0.0.10")).status_code == 302


@pytest.mark.usefixtures("admin")
def test_a_missing_csrf_token_or_an_empty_form_is_not_a_failed_sign_in(city: Store) -> None:
    client = _english(_app(city, login_failures=1))
    for _ in range(3):
        assert client.post("/login", data={"username": ADMIN}).status_code == 400
        assert sign_in(client, password="").status_code == 400
    assert sign_in(client).status_code == 302


# --- config -------------------------------------------------------------------


def test_public_layers_and_limits_from_the_environment() -> None:
    env = {
        "CITYGRID_PUBLIC_LAYERS": " grids, streets,,grids ",
        "CITYGRID_SESSION_HOURS": "1.5",
        "CITYGRID_LOGIN_FAILURES": "4",
        "CITYGRID_LOGIN_WINDOW_MINUTES": "30",
        "CITYGRID_TOKEN_FAILURES": "12",
    }
    config = Config.from_env(env)
    assert config.public_layers == ("grids", "streets")
    assert config.session_hours == 1.5
    assert (config.login_failures, config.login_window_minutes, config.token_failures) == (
        4,
        30,
        12,
    )
    default = Config.from_env({})
    assert default.public_layers == ()
    assert (default.session_hours, default.login_failures) == (8.0, 9)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CITYGRID_SESSION_HOURS", "eight"),
        ("CITYGRID_SESSION_HOURS", "0"),
        ("CITYGRID_SESSION_HOURS", "nan"),
        ("CITYGRID_LOGIN_FAILURES", "-1"),
        ("CITYGRID_LOGIN_FAILURES", "2.5"),
        ("CITYGRID_TOKEN_FAILURES", "1e9"),
    ],
)
def test_bad_numbers_in_the_environment_are_refused(variable: str, value: str) -> None:
    with pytest.raises(BadInput, match=f"{variable}=") as caught:
        Config.from_env({variable: value})
    assert "positive number" in caught.value.message("en")


def test_unknown_public_layers_are_refused_with_the_known_names(city: Store) -> None:
    with pytest.raises(BadInput) as caught:
        _app(city, public_layers=("grids", "roads", "users"))
    message = caught.value.message("en")
    assert "roads, users" in message
    assert "grids" in message.split("Known layers:")[1]
    assert "users" not in message.split("Known layers:")[1]


def test_public_layers_open_the_map_to_visitors(city: Store) -> None:
    client = _english(_app(city, public_layers=("grids", "streets")))
    page = client.get("/")
    assert page.status_code == 200
    assert "Sign out" not in _text(page)
    features = client.get("/api/layers/grids/features")
    assert features.status_code == 200
    assert len(features.get_json()["features"]) == 6


# --- what anonymous visitors and roles may read (the providers' checks) -------


@pytest.mark.parametrize("layer", ["people", "audit", "grids"])
def test_anonymous_reads_of_layers_are_401(visitor: FlaskClient, layer: str) -> None:
    response = visitor.get(f"/api/layers/{layer}/features")
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "unauthorized"
    assert layer in body["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_anonymous_reads_outside_the_public_layers_are_401(city: Store) -> None:
    client = _english(_app(city, public_layers=("grids",)))
    assert client.get("/api/layers/grids/features").status_code == 200
    for layer in ("people", "audit"):
        assert client.get(f"/api/layers/{layer}/features").status_code == 401


def test_a_role_reads_only_its_layers(city: Store, app: Flask) -> None:
    add_user(city, "handler", "unit_handler", scope="unit:U_PJ")
    handler = _english(app)
    assert _location(sign_in(handler, name="handler")) == "/"
    assert handler.get("/api/layers/grids/features").status_code == 200
    refused = handler.get("/api/layers/audit/features")
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "forbidden"


def test_a_signed_in_api_post_needs_the_csrf_header(client: FlaskClient) -> None:
    body = {"layer": "points", "code": "P01", "unit": "U_CL"}
    refused = client.post("/api/assign", json=body)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "csrf"
    token = csrf_token(_text(client.get("/")))
    assert client.post("/api/assign", json=body, headers={"X-CSRFToken": token}).status_code == 200


def test_an_anonymous_api_post_is_401(visitor: FlaskClient) -> None:
    body = {"layer": "points", "code": "P01", "unit": "U_CL"}
    response = visitor.post("/api/assign", json=body)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="citygrid"'
