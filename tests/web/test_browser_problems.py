"""The problem picture and the who panel in Debian's Chromium, under the page's policy.

Signed in as the administrator: the problems draw coloured by status with the
overdue one ringed and on top, closed ones below, and a legend; zoomed out
they show as counts per cell; a click on the map opens the panel naming the
chain. No policy violation, no console error, no page error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from map_problems_city import add_problems
from test_browser import CHROMIUM, CHROMIUM_ARGS, _wait_for_paths
from test_browser_csp import REPORT_VIOLATIONS
from web_accounts import sign_in_in_browser

from citygrid.layers.base_layers import PROBLEM_STATUS_COLOURS
from citygrid.layers.store import Store
from citygrid.web.map_api import AGGREGATE_BELOW_ZOOM

pytestmark = pytest.mark.browser

PROBLEM = ".leaflet-citygrid-problems-pane path.citygrid-problem"


@pytest.fixture
def page(city: Store, live_server: str) -> Iterator[tuple[Any, list[str]]]:
    """A signed-in Playwright page on the map of the city with routed problems; and the list
    of console errors and page errors (which must stay empty)."""
    from playwright import sync_api

    add_problems(city)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            context.add_init_script(REPORT_VIOLATIONS)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{live_server}/", wait_until="networkidle")
            sign_in_in_browser(page)
            _wait_for_paths(page, "grids")
            yield page, errors
            assert page.evaluate("() => window.citygridCsp") == []
            assert not errors, errors
        finally:
            browser.close()


def _container_point(page: Any, lon: float, lat: float) -> dict[str, float]:
    """Where (page pixels) the map shows ``lon``, ``lat``."""
    return dict(
        page.evaluate(
            """([lon, lat]) => {
                const div = document.querySelector(".folium-map");
                const point = window[div.id].latLngToContainerPoint([lat, lon]);
                const box = div.getBoundingClientRect();
                return {x: box.left + point.x, y: box.top + point.y};
            }""",
            [lon, lat],
        )
    )


def test_problems_by_status_overdue_ringed_and_counts_when_zoomed_out(page: Any) -> None:
    page, _ = page
    page.locator(".leaflet-control-layers").get_by_text("问题", exact=True).click()
    page.wait_for_function(f"() => document.querySelectorAll('{PROBLEM}').length === 9")
    fills = page.eval_on_selector_all(
        PROBLEM, "paths => paths.map(p => [p.getAttribute('class'), p.getAttribute('fill')])"
    )
    for classes, fill in fills:
        status = next(
            c
            for c in classes.split()
            if c.removeprefix("citygrid-problem-") in PROBLEM_STATUS_COLOURS
        )
        assert fill == PROBLEM_STATUS_COLOURS[status.removeprefix("citygrid-problem-")]
    # Drawn in layers: closed problems first (below), the overdue one last (on top).
    ranks = [
        2 if "citygrid-problem-overdue" in classes else 0 if "problem-closed" in classes else 1
        for classes, _ in fills
    ]
    assert ranks == sorted(ranks)
    assert ranks[0] == 0
    overdue = page.locator(f"{PROBLEM}.citygrid-problem-overdue")
    assert overdue.count() == 1  # Q11: open, past its deadline
    assert overdue.get_attribute("stroke") == "#000000"
    legend = page.locator(".citygrid-problems-legend").inner_text()
    assert "已结案" in legend
    assert "超期" in legend

    overdue.click(force=True)
    popup = page.locator(".citygrid-problem-popup")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    for shown in ("暴露垃圾", "垃圾桶满溢", "观前农贸市场", "平江街道办事处", "李网格", "超期天数"):
        assert shown in text
    assert "年" in text  # dates for people, not ISO
    assert "T0" not in text

    page.evaluate("() => window[document.querySelector('.folium-map').id].setZoom(11)")
    page.wait_for_function("() => document.querySelectorAll('.citygrid-problem-count').length > 0")
    assert page.locator(PROBLEM).count() == 0
    counts = sorted(page.locator(".citygrid-problem-count").all_inner_texts())
    assert counts == ["1", "2"]  # G05 and G01; the problems in no cell are noted apart
    assert "6" in page.locator(".citygrid-problems-status").inner_text()


def test_moving_within_what_is_drawn_asks_the_server_nothing(page: Any) -> None:
    """Counts drawn zoomed out hold for any view inside them below the counting zoom; every
    problem of an area drawn zoomed in holds for a view inside it. Leaving either asks."""
    page, _ = page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/map/problems" in r.url else None)
    page.locator(".leaflet-control-layers").get_by_text("问题", exact=True).click()
    page.wait_for_function(f"() => document.querySelectorAll('{PROBLEM}').length === 9")
    map_js = "window[document.querySelector('.folium-map').id]"
    page.evaluate(f"() => {map_js}.setZoom({map_js}.getZoom() + 1, {{animate: false}})")
    page.wait_for_timeout(500)
    assert len(asked) == 1  # zoomed in: every problem of the area is drawn already
    page.evaluate(f"() => {map_js}.setZoom(10, {{animate: false}})")
    page.wait_for_function("() => document.querySelectorAll('.citygrid-problem-count').length > 0")
    assert len(asked) == 2
    assert "zoom=10" in asked[-1]
    page.evaluate(f"() => {map_js}.setZoom(11, {{animate: false}})")
    page.wait_for_timeout(500)
    assert len(asked) == 2  # counts per cell hold for a view inside them
    assert page.locator(".citygrid-problem-count").count() == 2
    page.evaluate(
        f"() => {map_js}.setZoom(AGGREGATE, {{animate: false}})".replace(
            "AGGREGATE", str(AGGREGATE_BELOW_ZOOM)
        )
    )
    page.wait_for_function(f"() => document.querySelectorAll('{PROBLEM}').length > 0")
    assert len(asked) == 3  # at the problems' zoom they are asked for


def test_a_click_on_the_map_opens_the_who_panel(page: Any) -> None:
    page, _ = page
    at = _container_point(page, 120.6075, 31.3075)
    page.mouse.click(at["x"], at["y"])
    panel = page.locator(".citygrid-who-panel")
    page.wait_for_function(
        "() => document.querySelectorAll('.citygrid-who-chain li').length > 0", timeout=20000
    )
    text = panel.inner_text()
    assert "姑苏第1网格" in text
    assert "平江街道" in text
    assert "平江街道办事处" in text
    panel.locator(".citygrid-who-close").click()
    assert not panel.is_visible()
