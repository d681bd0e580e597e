"""The map under its Content-Security-Policy in Debian's Chromium: nothing is refused.

The page reports every ``securitypolicyviolation`` event (and Chromium's
console message for one) to the test. The map must draw its layers, open a
popup and switch layers with none reported; a script injected without the
nonce must be refused, which shows the policy is enforced and the reports
arrive. It runs without base tiles and with OpenStreetMap's (answered by
the test's route, never fetched), whose tiles must load under ``img-src``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from test_browser import CHROMIUM, CHROMIUM_ARGS, _paths, _wait_for_paths
from web_accounts import sign_in_in_browser

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.accounts.users import User
from citygrid.web.app import create_app

pytestmark = pytest.mark.browser

REPORT_VIOLATIONS = """
window.citygridCsp = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.citygridCsp.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""

PNG = (
    Path(__file__).resolve().parents[2] / "web/static/vendor/leaflet/images/layers.png"
).read_bytes()


@pytest.fixture(params=["none", "osm"])
def app(request: pytest.FixtureRequest, city: Store, admin: User) -> Flask:
    """The city's app (with its administrator) without base tiles, and with OpenStreetMap's
    (see :func:`open_page`)."""
    config = Config(database_url=city.url, secret_key="test", tiles=request.param)
    return create_app(config, city)


@pytest.fixture
def open_page() -> Iterator[Any]:
    """Opens a URL in Chromium; yields ``open(url) -> (page, refusals)``.

    ``refusals`` lists Chromium's console messages about the policy; the
    page's own list of violation events is ``window.citygridCsp``.
    """
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            context.add_init_script(REPORT_VIOLATIONS)
            context.route(
                "https://tile.openstreetmap.org/**",
                lambda route: route.fulfill(status=200, content_type="image/png", body=PNG),
            )
            refusals: list[str] = []
            errors: list[str] = []

            def _open(url: str) -> tuple[Any, list[str]]:
                page = context.new_page()
                page.on("console", lambda message: _note_refusal(message.text, refusals))
                page.on("pageerror", lambda error: errors.append(str(error)))
                response = page.goto(url, wait_until="networkidle")
                assert "'nonce-" in response.headers["content-security-policy"]
                sign_in_in_browser(page)  # the sign-in page is under the policy too
                return page, refusals

            yield _open
            assert not errors, errors
        finally:
            browser.close()


def _note_refusal(text: str, refusals: list[str]) -> None:
    if "Content Security Policy" in text:
        refusals.append(text)


def _violations(page: Any) -> list[str]:
    return list(page.evaluate("() => window.citygridCsp"))


def test_the_map_draws_under_its_policy(open_page: Any, live_server: str, app: Flask) -> None:
    page, refusals = open_page(f"{live_server}/")
    for layer in ("jurisdictions", "grids", "streets", "alleys", "points"):
        _wait_for_paths(page, layer)
    if app.extensions["citygrid"].config.tiles == "osm":
        page.wait_for_function(
            "() => document.querySelectorAll('img.leaflet-tile-loaded').length > 0",
            timeout=20000,
        )
    assert _paths(page, "grids") == 6
    assert _paths(page, "points") == 6
    assert "图例" in page.locator(".citygrid-legend").inner_text()

    page.locator(".leaflet-citygrid-points-pane path").first.click(force=True)
    page.locator(".citygrid-popup").wait_for(timeout=5000)
    control = page.locator(".leaflet-control-layers")
    control.get_by_text("问题", exact=True).click()
    _wait_for_paths(page, "problems")
    assert _paths(page, "problems") == 5
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("networkidle")
    _wait_for_paths(page, "grids")
    assert "Grid cells" in control.inner_text()

    assert _violations(page) == []
    assert refusals == []

    # An inline script without the nonce is refused, and the refusal is reported.
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.citygridInjected = true;";
            document.body.appendChild(script);
        }"""
    )
    page.wait_for_function("() => window.citygridCsp.length > 0")
    assert _violations(page) == ["script-src-elem inline"]
    assert page.evaluate("() => window.citygridInjected") is None
