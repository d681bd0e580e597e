"""The /api/v1 docs page in Debian's Chromium, under the app's Content-Security-Policy:
Swagger UI, served by the app, draws every operation of the document and nothing is refused."""

from __future__ import annotations

from typing import Any

import pytest
from test_browser_csp import _violations, open_page

pytestmark = pytest.mark.browser

__all__ = ["open_page"]  # the fixture, shared with the map's CSP tests


def test_the_docs_page_draws_under_its_policy(open_page: Any, live_server: str) -> None:
    page, refusals = open_page(f"{live_server}/login?next=/api/v1/docs")
    page.goto(f"{live_server}/api/v1/docs?lang=en", wait_until="networkidle")
    page.locator(".opblock").first.wait_for(timeout=30000)
    assert page.locator(".opblock-summary-path", has_text="/api/v1/problems").count() >= 2
    assert page.locator(".opblock").count() > 50
    assert "citygrid REST API" in page.locator(".information-container").inner_text()
    assert _violations(page) == []
    assert refusals == []
