"""Web hardening: security headers, the script nonce, trusted hosts, cookie flags,
the reverse-proxy switch, the WSGI entry point and ``serve``'s warning."""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import urlsplit

import pytest
from flask import Flask, session, url_for
from flask.testing import FlaskClient
from test_serve_cli import _serve, running_server
from werkzeug.test import TestResponse

from citygrid.config import DEFAULT_TRUSTED_HOSTS, Config
from citygrid.layers.store import Store
from citygrid.web.app import create_app
from citygrid.web.wsgi import make_app

UNTRUSTED = "does not answer to the host name"


def _app(city: Store, **settings: object) -> Flask:
    """The app serving ``city`` with ``settings`` on top of the test config."""
    app = create_app(Config(database_url=city.url, secret_key="test", **settings), city)

    @app.get("/test/session")
    def _fill_session() -> dict[str, str]:
        session["seen"] = "yes"
        return {"home": url_for("pages.map_page", _external=True)}

    return app


def _directives(response: TestResponse) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().partition(" ")[::2] for part in policy.split(";"))


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/api/layers", 200),
        ("/static/js/citygrid-map.js", 200),
        ("/static/vendor/leaflet/images/layers.png", 200),
        ("/nothing-here", 404),
        ("/api/layers/nothing/features", 404),
        ("/api/layers/grids/features?bbox=1,2", 400),
    ],
)
def test_every_response_carries_the_security_headers(
    client: FlaskClient, path: str, status: int
) -> None:
    with client.get(path) as response:  # static files stay open until closed
        assert response.status_code == status
    directives = _directives(response)
    assert directives["default-src"] == "'self'"
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{22}'", directives["script-src"])
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["img-src"] == "'self' data:"  # tiles: none
    assert directives["connect-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_every_script_on_the_map_page_carries_the_nonce(client: FlaskClient) -> None:
    response = client.get("/")
    html = response.get_data(as_text=True)
    nonce = _directives(response)["script-src"].split("'nonce-")[1].rstrip("'")
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert len(scripts) >= 4  # Leaflet, citygrid-map.js, folium's header script, the map
    assert all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, re.IGNORECASE)  # no inline handlers
    assert "javascript:" not in html.lower()
    again = _directives(client.get("/"))["script-src"]
    assert nonce not in again  # a new nonce for every request


@pytest.mark.parametrize(
    ("tiles", "hosts"),
    [
        ("osm", ["https://tile.openstreetmap.org"]),
        ("tianditu", [f"https://t{n}.tianditu.gov.cn" for n in range(8)]),
        ("amap", [f"https://webrd0{n}.is.autonavi.com" for n in range(1, 5)]),
    ],
)
def test_images_may_come_from_the_configured_tile_hosts(
    city: Store, tiles: str, hosts: list[str]
) -> None:
    app = _app(city, tiles=tiles, tianditu_key="key")
    img_src = _directives(app.test_client().get("/api/layers"))["img-src"]
    assert img_src == " ".join(["'self'", "data:", *hosts])


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:5000", "[::1]:8080", "LOCALHOST"])
def test_the_default_hosts_are_trusted(client: FlaskClient, host: str) -> None:
    assert client.get("/api/health", headers={"Host": host}).status_code == 200


def test_an_untrusted_host_gets_the_json_error(client: FlaskClient) -> None:
    # The language cookie is not sent to another host, so English is asked for here.
    response = client.get("/api/layers?lang=en", headers={"Host": "evil.example"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_input"
    assert UNTRUSTED in body["message"]
    assert "'evil.example'" in body["message"]
    assert "CITYGRID_TRUSTED_HOSTS" in body["message"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_untrusted_host_gets_the_error_page_in_chinese(zh_client: FlaskClient) -> None:
    response = zh_client.get("/map", headers={"Host": "evil.example:5000"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "本服务器不响应主机名 &#39;evil.example:5000&#39;" in html
    assert "L.citygrid" not in html  # the map was not built
    assert "Content-Security-Policy" in response.headers


def test_an_untrusted_host_is_refused_for_static_files(client: FlaskClient) -> None:
    with client.get("/static/js/citygrid-map.js", headers={"Host": "evil.example"}) as response:
        assert response.status_code == 400


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("grid.example.org", 200),
        ("example.org:8443", 200),
        ("a.b.example.org", 200),
        ("badexample.org", 400),
        ("example.org.evil.example", 400),
        ("localhost", 400),  # the configured list replaces the default one
        ("", 400),
        ("grid.example.org/../", 400),
    ],
)
def test_configured_trusted_hosts(city: Store, host: str, status: int) -> None:
    app = _app(city, trusted_hosts=(".example.org",))
    assert app.test_client().get("/api/health", headers={"Host": host}).status_code == status


def _get(base: str, host: str, path: str = "/api/health") -> tuple[int, dict[str, str], str]:
    """GET ``path`` from the server at ``base`` over real HTTP, sending ``Host: host``."""
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8")
    finally:
        connection.close()


def test_a_forged_host_over_real_http(live_server: str) -> None:
    status, headers, body = _get(live_server, "evil.example")
    assert status == 400
    assert "本服务器不响应主机名 'evil.example'" in json.loads(body)["message"]  # zh_CN default
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, _headers, body = _get(live_server, urlsplit(live_server).netloc)
    assert status == 200
    assert json.loads(body)["status"] == "ok"


def _set_cookie(response: TestResponse, name: str) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    return str(header)


def test_cookies_are_httponly_and_samesite_lax(city: Store) -> None:
    client = _app(city).test_client()
    for path, name in [("/test/session", "session"), ("/api/health?lang=en", "citygrid_lang")]:
        cookie = _set_cookie(client.get(path), name)
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # plain HTTP without a proxy: a Secure cookie would be lost
    assert client.get("/test/session").get_json()["home"] == "http://localhost/"


def test_behind_a_proxy_cookies_are_secure_and_urls_https(city: Store) -> None:
    client = _app(city, behind_proxy=True, trusted_hosts=("grid.example.org",)).test_client()
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "grid.example.org"}
    response = client.get("/test/session", headers=proxy)
    assert response.get_json()["home"] == "https://grid.example.org/"
    assert "Secure" in _set_cookie(response, "session")
    language = client.get("/login?lang=en", headers=proxy)
    assert language.status_code == 200
    assert "Secure" in _set_cookie(language, "citygrid_lang")
    # The host the proxy forwards is the one checked.
    forged = client.get("/api/health", headers={**proxy, "X-Forwarded-Host": "evil.example"})
    assert forged.status_code == 400


def test_without_the_proxy_switch_forwarded_headers_are_ignored(city: Store) -> None:
    client = _app(city).test_client()
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    response = client.get("/test/session", headers=forged)
    assert response.get_json()["home"] == "http://localhost/"
    assert "Secure" not in _set_cookie(response, "session")


@pytest.mark.parametrize(
    ("env", "hosts", "behind_proxy"),
    [
        ({}, DEFAULT_TRUSTED_HOSTS, False),
        (
            {
                "CITYGRID_TRUSTED_HOSTS": " grid.example.org, .gov.cn ,",
                "CITYGRID_BEHIND_PROXY": "1",
            },
            ("grid.example.org", ".gov.cn"),
            True,
        ),
        (
            {"CITYGRID_TRUSTED_HOSTS": " , ", "CITYGRID_BEHIND_PROXY": "TRUE"},
            DEFAULT_TRUSTED_HOSTS,
            True,
        ),
        ({"CITYGRID_BEHIND_PROXY": "0"}, DEFAULT_TRUSTED_HOSTS, False),
        ({"CITYGRID_BEHIND_PROXY": "enabled"}, DEFAULT_TRUSTED_HOSTS, False),  # fails closed
    ],
)
def test_config_from_the_environment(
    env: dict[str, str], hosts: tuple[str, ...], behind_proxy: bool
) -> None:
    config = Config.from_env(env)
    assert config.trusted_hosts == hosts
    assert config.behind_proxy is behind_proxy


def test_the_wsgi_entry_point_builds_the_app_from_the_environment(
    city: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYGRID_DATABASE_URL", city.url)
    monkeypatch.setenv("CITYGRID_TRUSTED_HOSTS", "grid.example.org")
    monkeypatch.setenv("CITYGRID_BEHIND_PROXY", "1")
    app = make_app()
    try:
        client = app.test_client()
        proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "grid.example.org"}
        assert client.get("/api/health", headers=proxy).get_json()["status"] == "ok"
        assert client.get("/api/health").status_code == 400  # localhost is not in the list
    finally:
        app.extensions["citygrid"].store.close()  # the app opened its own store


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Warning: listening on 192.0.2.1", "plain HTTP", "Running in production"]),
        ("zh_CN", ["警告：正在监听 192.0.2.1", "未加密的 HTTP", "Running in production"]),
    ],
)
def test_serve_warns_when_reachable_from_other_machines(
    city: Store, database_url: str, lang: str, expected: list[str]
) -> None:
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning comes, then the
    # server cannot listen, so nothing is ever reachable from outside.
    code, output = _serve(
        "--db",
        database_url,
        "--lang",
        lang,
        "serve",
        "--host",
        "192.0.2.1",
        "--trusted-host",
        "grid.example.org",
    )
    assert code == 2
    for text in expected:
        assert text in output
    assert "localhost, 127.0.0.1, [::1], 192.0.2.1, grid.example.org" in output


def test_serve_on_loopback_does_not_warn(database_url: str, busy_port: int) -> None:
    # The warning would come before listening; the busy port stops the server there.
    code, output = _serve("--db", database_url, "--lang", "en", "serve", "--port", str(busy_port))
    assert code == 2
    assert "already in use" in output
    assert "Warning" not in output


def test_serve_trusts_its_trusted_hosts(city: Store, database_url: str) -> None:
    with running_server(database_url, "--trusted-host", "grid.example.org") as base:
        assert _get(base, "grid.example.org")[0] == 200
        assert _get(base, urlsplit(base).netloc)[0] == 200
        status, _headers, body = _get(base, "evil.example")
        assert status == 400
        assert UNTRUSTED in json.loads(body)["message"]
