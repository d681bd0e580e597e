"""The map page in Debian's Chromium (Playwright) against a real server.

Checks that no request leaves 127.0.0.1, that the layers draw from the API,
that the layer control switches layers on and off, and that the page
switches to English. Screenshots go to the test's ``tmp_path``
(``map-zh.png``, ``map-en.png``) to look at when something fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from web_accounts import sign_in_in_browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Skipped where Chromium or Playwright is missing, failed with CITYGRID_REQUIRE_BROWSER=1
# (the ``browser`` marker; see tests/conftest.py).
pytestmark = pytest.mark.browser


def _paths(page, layer: str) -> int:
    """Number of SVG paths Leaflet drew in the layer's pane."""
    return page.locator(f".leaflet-citygrid-{layer}-pane path").count()


def _wait_for_paths(page, layer: str) -> None:
    page.wait_for_function(
        "layer => document.querySelectorAll(`.leaflet-citygrid-${layer}-pane path`).length > 0",
        arg=layer,
        timeout=20000,
    )


@pytest.fixture
def browser_page(live_server: str) -> Iterator[tuple[object, list[str]]]:
    """A Playwright page (zh-CN browser locale) and the list of every URL it requests."""
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            page = context.new_page()
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page, requested
            assert not errors, errors
        finally:
            browser.close()


def test_map_page_in_the_browser(
    browser_page: tuple[object, list[str]], live_server: str, tmp_path: Path
) -> None:
    page, requested = browser_page
    page.goto(f"{live_server}/", wait_until="networkidle")  # the sign-in page first
    sign_in_in_browser(page)

    for layer in ("jurisdictions", "grids", "streets", "alleys", "points"):
        _wait_for_paths(page, layer)
    assert _paths(page, "grids") == 6
    assert _paths(page, "points") == 6
    assert _paths(page, "problems") == 0  # off until ticked
    control = page.locator(".leaflet-control-layers")
    assert "网格" in control.inner_text()
    assert "图例" in page.locator(".citygrid-legend").inner_text()
    page.screenshot(path=str(tmp_path / "map-zh.png"))

    # Popups show the registry's popup fields with zh labels and choice labels.
    page.locator(".leaflet-citygrid-points-pane path").first.click(force=True)
    popup = page.locator(".citygrid-popup")
    popup.wait_for(timeout=5000)
    assert "点位类型" in popup.inner_text()

    # Tick problems on and grids off in the layer control.
    control.get_by_text("问题", exact=True).click()
    _wait_for_paths(page, "problems")
    assert _paths(page, "problems") == 5
    control.get_by_text("责任单位", exact=True).click()  # one unit has no seat (no geometry)
    _wait_for_paths(page, "units")
    assert _paths(page, "units") == 2
    control.get_by_text("网格", exact=True).click()
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-citygrid-grids-pane path').length === 0"
    )

    # Switch to English; the choice is remembered in a cookie.
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("networkidle")
    _wait_for_paths(page, "grids")
    assert "Grid cells" in page.locator(".leaflet-control-layers").inner_text()
    assert "Legend" in page.locator(".citygrid-legend").inner_text()
    page.goto(f"{live_server}/map", wait_until="networkidle")
    assert "Grid cells" in page.locator(".leaflet-control-layers").inner_text()
    page.screenshot(path=str(tmp_path / "map-en.png"))

    # The small city's layers fit in one answer each: fetched whole, once per page, with
    # only the fields drawn; zooming asks nothing more of them, and only this server is asked.
    def grids() -> list[str]:
        return [url for url in requested if "/api/layers/grids/features?" in url]

    before = len(grids())
    page.mouse.move(640, 400)
    page.mouse.wheel(0, 600)
    page.wait_for_load_state("networkidle")
    assert len(grids()) == before

    hosts = {urlsplit(url).hostname for url in requested if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, sorted(set(requested))
    assert grids()
    assert not any("bbox=" in url for url in grids())
    assert all("properties=" in url for url in grids())


# The labels on the map, and each one's screen box; a strip too narrow for its long code
# at zoom 16 and 17 (47 m wide: 23 and 46 px), wide enough at 18 (92 px) in 10 px type.
LABELS = """() => [...document.querySelectorAll('.citygrid-label')].map(element => {
    const box = element.getBoundingClientRect();
    return [element.textContent, box.left, box.top, box.right, box.bottom];
})"""
STRIP_CODE = "G0700000000"
# Labels drawn and none fading: Leaflet fades a label in, and one taken off (a label that
# does not fit is put on to be measured, then taken off) stays 200 ms at opacity 0.
SETTLED_LABELS = """() => {
    const labels = [...document.querySelectorAll('.citygrid-label')];
    return labels.length > 0 && labels.every(element => element.style.opacity !== '0');
}"""


def test_cell_codes_label_the_cells_they_fit(
    browser_page: tuple[object, list[str]], live_server: str, city
) -> None:
    import geopandas as gpd
    import shapely

    strip = {"code": STRIP_CODE, "name": "窄条网格", "kind": "general"}
    city.write(
        "grids",
        gpd.GeoDataFrame(
            [{**strip, "subdistrict_code": "320508002"}],
            geometry=[shapely.box(120.63, 31.30, 120.6305, 31.31)],
            crs="EPSG:4326",
        ),
    )
    page, _ = browser_page
    page.goto(f"{live_server}/", wait_until="networkidle")
    sign_in_in_browser(page)
    _wait_for_paths(page, "grids")

    def labels_at(zoom: int) -> list[list]:
        page.evaluate(
            "zoom => window[document.querySelector('.folium-map').id]"
            ".setView([31.305, 120.6302], zoom, {animate: false})",
            zoom,
        )
        page.wait_for_function(SETTLED_LABELS)
        return page.evaluate(LABELS)

    for zoom, strip_labelled in ((16, False), (17, False), (18, True)):
        shown = labels_at(zoom)
        texts = [text for text, *_ in shown]
        assert (STRIP_CODE in texts) == strip_labelled, (zoom, texts)
        assert "G03" in texts, (zoom, texts)  # the wide cell beside the strip
        for i, (text, left, top, right, bottom) in enumerate(shown):
            for other, *box in shown[i + 1 :]:
                apart = right <= box[0] or box[2] <= left or bottom <= box[1] or box[3] <= top
                assert apart, (zoom, text, other)
