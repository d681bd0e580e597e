"""Fixtures of the web tests: a small Suzhou city, the app, a real HTTP server.

The app's city has an administrator (the ``admin`` fixture); the ``client``
fixtures are signed in as them, and ``admin_headers`` carries a bearer token
of theirs for plain HTTP clients.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_accounts import add_user, bearer, signed_in_client
from web_city import build_city
from web_server import serve

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.accounts.users import User
from citygrid.web.app import create_app


@pytest.fixture
def city(store: Store) -> Store:
    """The store (SQLite and PostGIS) holding the small city."""
    build_city(store)
    return store


@pytest.fixture
def admin(city: Store) -> User:
    """The city's administrator (:data:`web_accounts.ADMIN`, :data:`web_accounts.PASSWORD`)."""
    return add_user(city)


@pytest.fixture
def app(city: Store, admin: User) -> Flask:
    """The web app serving the city (with its administrator), zh_CN by default, no base tiles."""
    return create_app(Config(database_url=city.url, secret_key="test"), city)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client of :func:`app`, signed in, with the language cookie set to English."""
    english = app.test_client()
    english.set_cookie("citygrid_lang", "en")
    return signed_in_client(english)


@pytest.fixture
def zh_client(app: Flask) -> FlaskClient:
    """Flask's test client of :func:`app`, signed in, sending no language preference (zh_CN)."""
    return signed_in_client(app.test_client())


@pytest.fixture
def admin_headers(city: Store, admin: User) -> dict[str, str]:
    """An ``Authorization: Bearer`` header of the administrator."""
    return bearer(city)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Base URL of a real HTTP server serving the city."""
    yield from serve(app)


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another socket is listening on."""
    with socket.create_server(("127.0.0.1", 0)) as holder:
        yield holder.getsockname()[1]
