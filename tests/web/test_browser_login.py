"""Signing in and out in Debian's Chromium (Playwright) against a real server.

The map sends a visitor to the sign-in page; a wrong password is told;
the right one opens the map, which draws its layers and shows who
is signed in; signing out returns to the sign-in page. Screenshots go to the
test's ``tmp_path`` to look at when something fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS
from web_accounts import ADMIN, context, sign_in_in_browser

from citygrid.layers.store import Store
from citygrid.services.accounts import users

pytestmark = pytest.mark.browser


@pytest.fixture
def page(live_server: str) -> Iterator[object]:
    """A Playwright page with a zh-CN browser locale; fails the test on a script error."""
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            browser_context = browser.new_context(locale="zh-CN")
            tab = browser_context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda error: errors.append(str(error)))
            yield tab
            assert not errors, errors
        finally:
            browser.close()


def test_sign_in_see_the_map_and_sign_out(
    city: Store,
    page,
    live_server: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    users.set_user(context(city), ADMIN, full_name="王管理")
    page.goto(f"{live_server}/", wait_until="networkidle")
    assert urlsplit(page.url).path == "/login"
    assert page.locator("h1").inner_text() == "登录"

    sign_in_in_browser(page, password="wrong-password")
    assert urlsplit(page.url).path == "/login"
    assert page.locator(".citygrid-login-error").inner_text()  # the services' message
    page.screenshot(path=str(tmp_path / "login-refused.png"))

    sign_in_in_browser(page)
    assert urlsplit(page.url).path == "/"
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-citygrid-grids-pane path').length === 6",
        timeout=20000,
    )
    account = page.locator(".citygrid-account")
    assert "王管理" in account.inner_text()
    assert "管理员" in account.inner_text()
    page.screenshot(path=str(tmp_path / "map-signed-in.png"))

    account.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state("networkidle")
    assert urlsplit(page.url).path == "/login"
    page.goto(f"{live_server}/map", wait_until="networkidle")
    assert urlsplit(page.url).path == "/login"
