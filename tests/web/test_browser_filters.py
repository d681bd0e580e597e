"""The filter panel, the URL state and the map's furniture in Debian's Chromium.

Over the hot-spot city (600 problems, a quarter closed, half of them in a
cluster around cell G054), signed in as the administrator: the layer
control shows the three groups, a metric scale bar is drawn; ticking the
problems draws all 600; filtering on "closed" draws 150 and writes the
filter into the URL; a reload of that URL restores the filter, the layers
and the view; "back" goes to the unfiltered map. The hot-spot layer on
grid cells draws the planted cluster's nine cells red. The controls of both top
corners stay above those of the bottom corners. A bad date range
shows the server's message in the panel and changes nothing. No request
leaves the machine, no console error, no policy violation; a screenshot is
saved and is a drawn map.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from analysis_city import HOT_CELLS, build_hot_spot_city
from PIL import Image
from test_browser import CHROMIUM, CHROMIUM_ARGS, _wait_for_paths
from test_browser_csp import REPORT_VIOLATIONS
from web_accounts import sign_in_in_browser

from citygrid.layers.hotspot_layers import GI_BIN_COLOURS
from citygrid.layers.store import Store

pytestmark = pytest.mark.browser

WAIT_MS = 90_000
"""How long a wait for the server's answer may take: the machine may be running other
browsers and servers at once (``-n 2``), and a draw follows a whole round trip."""

DRAWN = """name => {
    const layer = L.citygrid.layers().find(l => l.options.name === name);
    return layer && layer._map ? layer.getLayers().length : -1;
}"""
CELL_FILLS = """() => {
    const layer = L.citygrid.layers().find(l => l.options.name === "hotspots");
    return layer.getLayers().map(l => [l.feature.properties.cell_id, l.options.fillColor]);
}"""
VIEW = """() => {
    const map = window[document.querySelector(".folium-map").id];
    const c = map.getCenter();
    return [map.getZoom(), c.lat, c.lng];
}"""


@pytest.fixture
def city(store: Store) -> Store:
    """The hot-spot city instead of the web tests' usual one."""
    return build_hot_spot_city(store)


@pytest.fixture
def page(live_server: str) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A signed-in page on the map; the console and page errors; every URL requested."""
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            context.add_init_script(REPORT_VIOLATIONS)
            page = context.new_page()
            errors: list[str] = []
            requested: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{live_server}/", wait_until="networkidle")
            sign_in_in_browser(page)
            _wait_for_paths(page, "grids")
            yield page, errors, requested
            assert page.evaluate("() => window.citygridCsp") == []
        finally:
            browser.close()


def _drawn(page: Any, name: str, count: int) -> None:
    page.wait_for_function(f"name => ({DRAWN})(name) === {count}", arg=name, timeout=WAIT_MS)


def _top(page: Any, selector: str) -> float:
    """Where the element ``selector`` begins, in px from the top of the window."""
    return float(page.locator(selector).bounding_box()["y"])


def _filter_panel(page: Any) -> Any:
    panel = page.locator(".citygrid-filters")
    if not panel.evaluate("details => details.open"):
        panel.locator("summary").click()
    return panel


def test_filters_the_url_and_the_hot_spots(
    page: tuple[Any, list[str], list[str]], live_server: str, tmp_path: Path
) -> None:
    page, errors, requested = page
    control = page.locator(".leaflet-control-layers")
    headings = control.locator(".citygrid-layer-group").all_inner_texts()
    assert headings == ["基础图层", "业务图层", "分析图层"]
    scale = page.locator(".leaflet-control-scale-line")
    assert scale.count() == 1  # metric only
    assert scale.inner_text().endswith("m")

    control.get_by_text("问题", exact=True).click()
    _drawn(page, "problems", 600)

    # Closed problems only: a quarter of them, and the filter is in the URL.
    panel = _filter_panel(page)
    panel.get_by_text("已结案", exact=True).click()
    panel.get_by_role("button", name="应用").click()
    _drawn(page, "problems", 150)
    assert "statuses=closed" in page.url
    assert "layers=" in page.url
    assert "problems" in page.url
    assert "150" in panel.locator(".citygrid-filter-note").inner_text()
    view = page.evaluate(VIEW)

    # The same URL in a new load: the same filter, layers and view.
    page.reload(wait_until="networkidle")
    _drawn(page, "problems", 150)
    panel = _filter_panel(page)
    assert panel.locator("input[name=statuses][value=closed]").is_checked()
    assert page.evaluate(VIEW) == pytest.approx(view, abs=1e-4)

    # The open panel fits above the legends, its buttons on screen: Leaflet puts back any
    # scroll of the map, so a button below the window could not be clicked.
    panel_box = panel.bounding_box()
    assert panel_box["y"] + panel_box["height"] <= _top(page, ".leaflet-bottom.leaflet-right")
    apply = panel.get_by_role("button", name="应用")
    apply.scroll_into_view_if_needed()
    apply_box = apply.bounding_box()
    assert panel_box["y"] <= apply_box["y"]
    assert apply_box["y"] + apply_box["height"] <= panel_box["y"] + panel_box["height"]

    # A bad range: the server's message, nothing changed.
    panel.locator("input[name=since]").fill("2025-03-01")
    panel.locator("input[name=until]").fill("2025-02-01")
    assert panel.locator("input[name=until]").input_value() == "2025-02-01"
    panel.get_by_role("button", name="应用").click()
    error = panel.locator(".citygrid-filter-error")
    error.wait_for(state="visible", timeout=WAIT_MS)  # the server's check, on a loaded machine
    page.wait_for_function(
        "() => document.querySelector('.citygrid-filter-error').textContent.length > 0",
        timeout=WAIT_MS,
    )
    assert "2025-03-01" in error.inner_text()
    assert "statuses=closed" in page.url
    assert "since=" not in page.url
    assert panel.locator("input[name=since]").input_value() == ""
    _drawn(page, "problems", 150)

    # Back: the map before the filter.
    page.go_back()
    _drawn(page, "problems", 600)
    assert "statuses=closed" not in page.url
    assert not panel.locator("input[name=statuses][value=closed]").is_checked()

    # Hot spots on grid cells: the planted cluster red.
    control.get_by_text("问题热点 (Gi*)", exact=True).click()
    # the layer first draws with its defaults and then sets its panel: wait for that
    page.wait_for_function(f"name => ({DRAWN})(name) > 0", arg="hotspots", timeout=WAIT_MS)
    analyses = page.locator(".citygrid-analyses")
    analyses.locator("input[name=cells]").fill("grids")
    analyses.get_by_role("button", name="应用").click()
    _drawn(page, "hotspots", 64)
    page.wait_for_function(
        "() => document.querySelector('.citygrid-analysis-legend').innerText.includes('grids')",
        timeout=WAIT_MS,
    )
    fills = dict(page.evaluate(CELL_FILLS))
    assert {cell for cell, fill in fills.items() if fill == GI_BIN_COLOURS["3"]} == set(HOT_CELLS)
    assert "a.hotspots=cells%3Dgrids" in page.url

    # With the who panel open as well, the left column (zoom, who, planner, the analysis
    # legend and parameters) still ends above the scale bar, each panel scrolling inside.
    page.locator(".folium-map").click(position={"x": 640, "y": 300})
    page.wait_for_function(
        "() => document.querySelectorAll('.citygrid-who-chain li').length > 0", timeout=WAIT_MS
    )
    last = page.locator(".leaflet-top.leaflet-left > .leaflet-control").last.bounding_box()
    assert last["y"] + last["height"] <= _top(page, ".leaflet-bottom.leaflet-left")

    shot = tmp_path / "map.png"
    page.screenshot(path=str(shot))
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None
    assert len(colours) > 50
    assert [e for e in errors if "400" not in e] == []  # the refused range's own 400 only
    outside = [url for url in requested if not url.startswith(live_server)]
    assert outside == []


def _hold(page: Any, wanted: str) -> list[Any]:
    """Hold back every request whose URL contains each part of ``wanted`` (space-separated)
    until the test continues it; the held routes, filled as requests come."""
    held: list[Any] = []
    parts = wanted.split()
    page.route(lambda url: all(part in url for part in parts), lambda route: held.append(route))
    return held


def _first(page: Any, held: list[Any]) -> Any:
    """The first held request, once the page has sent it."""
    for _ in range(WAIT_MS // 100):
        if held:
            return held[0]
        page.wait_for_timeout(100)
    raise AssertionError("the page sent no request to hold")


def test_what_the_user_types_survives_a_late_answer(
    page: tuple[Any, list[str], list[str]],
) -> None:
    page, errors, _requested = page
    # The filter panel: the check of "closed" answers after the user typed a date.
    held = _hold(page, "/api/map/problems zoom=0")
    panel = _filter_panel(page)
    panel.locator("input[name=statuses][value=closed]").check()
    panel.get_by_role("button", name="应用").dispatch_event("click")  # wherever the panel is
    answer = _first(page, held)
    panel.locator("input[name=since]").fill("2025-01-01")
    answer.continue_()
    page.wait_for_function("() => location.hash.includes('statuses=closed')", timeout=WAIT_MS)
    assert panel.locator("input[name=since]").input_value() == "2025-01-01"
    assert panel.locator("input[name=statuses][value=closed]").is_checked()

    # The analysis panel: the hot spots load while the user types their cells.
    held = _hold(page, "/api/layers/hotspots/features")
    page.locator(".leaflet-control-layers").get_by_text("问题热点 (Gi*)", exact=True).click()
    answer = _first(page, held)
    cells = page.locator(".citygrid-analyses input[name=cells]")
    cells.fill("grids")
    answer.continue_()
    page.wait_for_function(f"name => ({DRAWN})(name) > 0", arg="hotspots", timeout=WAIT_MS)
    assert cells.input_value() == "grids"
    assert errors == []
