"""The cycle's pages in Debian's Chromium: a unit handler rectifies a problem with a photo,
and an inspector reports one from a phone-sized screen; no console error, no policy
violation, no request leaving the server."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from test_browser import CHROMIUM, CHROMIUM_ARGS
from test_browser_csp import REPORT_VIOLATIONS
from web_accounts import sign_in_in_browser

from citygrid.layers.store import Store

pytestmark = pytest.mark.browser


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "orange").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def browser_page(live_server: str) -> Iterator[Any]:
    """Yields ``open(viewport) -> page``; after the test, checks the page logged no console
    error, met no policy violation and asked nothing of any other server."""
    from playwright import sync_api

    errors: list[str] = []
    outside: list[str] = []
    pages: list[Any] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:

            def _open(width: int, height: int) -> Any:
                context = browser.new_context(
                    locale="zh-CN", viewport={"width": width, "height": height}
                )
                context.add_init_script(REPORT_VIOLATIONS)
                page = context.new_page()
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.on(
                    "request",
                    lambda r: (
                        None if r.url.startswith((live_server, "data:")) else outside.append(r.url)
                    ),
                )
                pages.append(page)
                return page

            yield _open
            for page in pages:
                assert page.evaluate("() => window.citygridCsp") == []
            assert not errors, errors
            assert not outside, outside
        finally:
            browser.close()


def test_a_unit_handler_rectifies_with_a_photo_and_the_timeline_grows(
    browser_page: Any, live_server: str, city: Store, cycle: dict[str, str]
) -> None:
    page = browser_page(1280, 800)
    page.goto(f"{live_server}/inbox", wait_until="networkidle")
    sign_in_in_browser(page, "handler")
    assert page.url.endswith("/inbox")
    code = cycle["dispatched"]
    page.get_by_role("link", name=code, exact=True).click()
    page.wait_for_load_state("networkidle")
    steps = page.locator(".citygrid-timeline li").count()
    assert steps == 3  # reported, registered, dispatched
    form = page.locator("form.citygrid-action-rectify")
    form.locator("textarea").fill("摊位已清走，现场干净")
    form.locator("input[type=file]").set_input_files(
        {"name": "整改后.png", "mimeType": "image/png", "buffer": png()}
    )
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".citygrid-timeline li").count() == steps + 1
    assert "摊位已清走" in page.locator(".citygrid-timeline").inner_text()
    assert page.locator(".citygrid-done").is_visible()
    photo = page.locator(".citygrid-photos img").first
    photo.wait_for()
    page.wait_for_function("() => document.querySelector('.citygrid-photos img').naturalWidth")
    assert city.get("problems", code)["status"] == "rectified"


def test_an_inspector_reports_from_a_phone(
    browser_page: Any, live_server: str, city: Store
) -> None:
    page = browser_page(375, 740)
    page.goto(f"{live_server}/inspect", wait_until="networkidle")
    sign_in_in_browser(page, "inspector")
    page.locator("#pick-map.leaflet-container").wait_for()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide on a 375 px screen"
    box = page.locator("#pick-map").bounding_box()
    assert box["width"] <= 375
    assert box["height"] >= 200
    page.locator("#pick-map").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    lon = float(page.locator("#lon").input_value())
    lat = float(page.locator("#lat").input_value())
    assert 112.97 < lon < 112.98
    assert 28.19 < lat < 28.20
    assert page.locator(".citygrid-picked").count() == 1
    page.locator("#catalogue_code").select_option("C01")
    page.locator("#description").fill("绿化带内有垃圾")
    page.locator("#report-photos").set_input_files(
        {"name": "现场.png", "mimeType": "image/png", "buffer": png()}
    )
    submit = page.locator("form[action='/inspect/report'] button[type=submit]")
    submit_box = submit.bounding_box()
    assert submit_box["x"] + submit_box["width"] <= 375
    before = city.count("problems")
    submit.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".citygrid-done a").is_visible()
    assert city.count("problems") == before + 1
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375
