"""The planner's actions on the map in Debian's Chromium (Playwright) against a real server.

A planner clicks a grid cell, assigns a unit and a head from the pick lists, and the
change shows in the feature's audit history (the service `citygrid history` prints);
an assignment made on a stale version is refused on the page with who changed it,
and nothing changes. No request leaves 127.0.0.1 and the page logs no error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from test_browser import browser_page  # noqa: F401 (a fixture)
from web_accounts import add_user, context, sign_in_in_browser

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.responsibility.assign import assign
from citygrid.services.responsibility.history import feature_history

pytestmark = pytest.mark.browser

INSIDE_G01 = (120.602, 31.302)
"""A place in grid cell G01 away from its points, streets and unit seat (lon, lat)."""


@pytest.fixture
def planner_page(
    city: Store, live_server: str, request: pytest.FixtureRequest
) -> tuple[Any, list[str]]:
    """The browser page (see test_browser.py) signed in as a planner of 平江街道 on the map,
    and every URL it requested; console errors other than the refused stale POST fail."""
    add_user(city, "planner", "planner", scope="jurisdiction:320508001", full_name="钱规划")
    page, requested = request.getfixturevalue("browser_page")
    page.on("console", lambda m: _console_error(m.text) if m.type == "error" else None)
    page.goto(f"{live_server}/", wait_until="networkidle")
    sign_in_in_browser(page, "planner")
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-citygrid-grids-pane path').length > 0",
        timeout=20000,
    )
    return page, requested


def _console_error(text: str) -> None:
    # Chromium logs the refused stale assignment (409) as a failed resource load.
    assert "409" in text, text


def _click_at(page, lon: float, lat: float) -> None:
    point = page.evaluate(
        """([lon, lat]) => {
            const map = window[document.querySelector('.folium-map').id];
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [lon, lat],
    )
    page.mouse.click(point[0], point[1])


def test_planner_assigns_on_the_map(
    planner_page: tuple[Any, list[str]], city: Store, tmp_path: Path
) -> None:
    page, requested = planner_page
    panel = page.locator(".citygrid-planner")
    assert "规划" in panel.inner_text()
    _click_at(page, *INSIDE_G01)
    page.locator(".citygrid-planner-unit-select").wait_for(timeout=10000)
    assert "平江街道办事处" in panel.locator(".citygrid-planner-unit").inner_text()
    assert "李网格" in panel.locator(".citygrid-planner-head").inner_text()
    page.locator(".citygrid-planner-unit-select").select_option("U_CG")
    page.locator(".citygrid-planner-head-select").select_option("P_ZH")
    page.locator(".citygrid-planner-reason").fill("人民路整治")
    page.locator(".citygrid-planner-assign").click()
    page.locator(".citygrid-planner-ok").wait_for(timeout=20000)
    assert "姑苏区城管局" in panel.locator(".citygrid-planner-unit").inner_text()
    page.locator(".citygrid-planner-entry").first.wait_for(timeout=20000)
    assert "钱规划" in panel.locator(".citygrid-planner-entry").first.inner_text()
    page.screenshot(path=str(tmp_path / "planner.png"))

    log = feature_history(context(city), "grids", "G01")
    last = log.iloc[-1]
    assert (last["actor"], last["action"], last["reason"]) == ("planner", "assign", "人民路整治")
    assert last["after"] == {"unit_code": "U_CG", "manager_code": "P_ZH", "assigned_by": "manual"}

    # Someone else changes G01 while the panel shows version 2: the page's edit is stale.
    assign(CityContext(city, Config(), actor="admin"), "grids", "G01", unit="U_PJ")
    page.locator(".citygrid-planner-unit-select").select_option("U_CL")
    page.locator(".citygrid-planner-head-select").select_option("")
    page.locator(".citygrid-planner-assign").click()
    alert = page.locator(".citygrid-planner-message.citygrid-planner-error")
    alert.wait_for(timeout=10000)
    assert "admin" in alert.inner_text()
    assert city.read("grids", where={"code": "G01"})["unit_code"].iloc[0] == "U_PJ"
    assert feature_history(context(city), "grids", "G01").iloc[-1]["actor"] == "admin"

    hosts = {urlsplit(url).hostname for url in requested if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, sorted(set(requested))


def test_planner_steps_through_unassigned_features(planner_page: tuple[Any, list[str]]) -> None:
    page, _ = planner_page
    step = page.locator(".citygrid-planner-step-gap_unassigned")
    step.locator(".citygrid-planner-next").click()
    position = step.locator(".citygrid-planner-position")
    page.wait_for_function("el => el.textContent.includes('共')", arg=position.element_handle())
    first = step.locator(".citygrid-planner-step-detail").inner_text()
    assert "第 1 个" in position.inner_text()
    # The panel selects the unassigned feature, so the planner can assign it at once.
    page.locator(".citygrid-planner-unit-select").wait_for(timeout=10000)
    step.locator(".citygrid-planner-next").click()
    page.wait_for_function(
        "el => el.textContent.includes('第 2 个')", arg=position.element_handle()
    )
    assert step.locator(".citygrid-planner-step-detail").inner_text() != first
    step.locator(".citygrid-planner-previous").click()
    page.wait_for_function(
        "el => el.textContent.includes('第 1 个')", arg=position.element_handle()
    )


def test_dashboard_draws_its_chart(planner_page: tuple[Any, list[str]], live_server: str) -> None:
    page, requested = planner_page
    # The map's link takes the filters and hot-spot parameters the map keeps in its URL.
    page.goto(f"{live_server}/#statuses=closed&a.hotspots=cells%3Dgrids", wait_until="networkidle")
    page.locator(".citygrid-dashboard-link").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/dashboard?cells=grids&statuses=closed"), page.url
    assert page.locator("#count-open strong").inner_text() == "0"
    page.goto(f"{live_server}/dashboard", wait_until="networkidle")
    page.wait_for_selector("#citygrid-trend[data-drawn=true] canvas", timeout=10000)
    assert page.locator("#citygrid-trend .u-legend").count() == 1
    assert "超期" in page.locator(".citygrid-counts").inner_text()
    hosts = {urlsplit(url).hostname for url in requested if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, sorted(set(requested))
    assert any(url.endswith("/static/vendor/uplot/uPlot.iife.min.js") for url in requested)


def test_admin_reviews_and_applies_a_gap_proposal(
    request: pytest.FixtureRequest, live_server: str, city: Store
) -> None:
    page, _ = request.getfixturevalue("browser_page")
    page.goto(f"{live_server}/", wait_until="networkidle")
    sign_in_in_browser(page)  # the administrator, who changes the whole city
    step = page.locator(".citygrid-planner-step-gap_proposals")
    step.locator(".citygrid-planner-next").click()
    apply = step.locator(".citygrid-planner-apply")
    apply.wait_for(timeout=20000)
    fix_id, rest = step.locator(".citygrid-planner-step-detail div").inner_text().split(": ", 1)
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss() if len(asked) == 1 else dialog.accept()

    page.on("dialog", answer)
    apply.click()  # dismissed: nothing happens
    assert len(asked) == 1  # the page waits for the answer, so it was asked already
    audited = city.read("audit", where={"action": "apply_proposal"})
    assert audited.empty
    apply.click()  # accepted
    page.locator(".citygrid-planner-ok").wait_for(timeout=20000)
    assert fix_id in asked[1]
    audited = city.read("audit", where={"action": "apply_proposal"})
    assert len(audited) == 1
    assert audited["actor"].iloc[0] == "admin"
    assert audited["feature_code"].iloc[0] in rest
