"""Accounts for the web tests: users made through the services, signing in as a browser does."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.accounts import tokens, users
from citygrid.services.accounts.users import User
from citygrid.services.context import CityContext

ADMIN = "admin"
PASSWORD = "苏州-grid-2024"
"""The password of every user these helpers add (unless told otherwise)."""

_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def context(store: Store) -> CityContext:
    """A command-line (system) context on ``store``."""
    return CityContext(store, Config(database_url=store.url))


def add_user(
    store: Store, name: str = ADMIN, role: str = "admin", password: str = PASSWORD, **settings: str
) -> User:
    """Add a user through the services (``settings``: scope, full_name, person)."""
    return users.add_user(context(store), name, role, password=password, **settings)


def bearer(store: Store, name: str = ADMIN, days: int = 30) -> dict[str, str]:
    """The ``Authorization`` header of a new token of user ``name``."""
    return {"Authorization": f"Bearer {tokens.issue_token(context(store), name, days=days).token}"}


def csrf_token(html: str) -> str:
    """The CSRF token a page carries in its ``<meta name="csrf-token">``."""
    match = _META.search(html)
    assert match, "the page has no csrf-token meta tag"
    return match.group(1)


def sign_in(
    client: FlaskClient, name: str = ADMIN, password: str = PASSWORD, next: str | None = None
) -> TestResponse:
    """Open the sign-in page and send its form, as a browser does; the answer is not followed.

    A client signed in already is sent on from the sign-in page; the page it
    lands on carries the CSRF token as well.
    """
    page = client.get("/login", follow_redirects=True)
    assert page.status_code == 200, page.status_code
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), "username": name}
    form.update(password=password, next=next or "")
    return client.post("/login", data=form)


def signed_in_client(client: FlaskClient, name: str = ADMIN) -> FlaskClient:
    """``client`` after signing in as ``name`` (who must exist with :data:`PASSWORD`)."""
    response = sign_in(client, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def sign_in_in_browser(page: Any, name: str = ADMIN, password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form a Playwright ``page`` shows; wait for the next page."""
    page.locator("#username").fill(name)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
