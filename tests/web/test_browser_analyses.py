"""The analysis layers in Debian's Chromium (Playwright) against a real server.

Over the city with problems planted in its north-east (``analysis_city``):
signed in, the user ticks the hot-spot layer in the "analyses" group of
the layer control; it draws cells in the hot-spot colours, red in the
north-east; the legend speaks Chinese; choosing grid cells in the
parameters panel redraws the layer on the 64 cells with the planted
cluster's nine cells hot and shows the chosen parameters; a cell size over
the cap shows the API's message in the panel and leaves the map as it
was. No Content-Security-Policy violation and no console error on the way
(but the refused request's own 400). A screenshot goes to ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import test_browser_csp
from analysis_city import build_hot_spot_city
from test_browser import _paths, _wait_for_paths

from citygrid.layers.hotspot_layers import GI_BIN_COLOURS
from citygrid.layers.store import Store

pytestmark = pytest.mark.browser

HOT = GI_BIN_COLOURS["3"]

open_csp_page = test_browser_csp.open_page
"""Opens a signed-in page that reports CSP violations (see :mod:`test_browser_csp`)."""

FILLS = """
layer => Array.from(document.querySelectorAll(`.leaflet-citygrid-${layer}-pane path`)).map(
    path => {
        const box = path.getBBox();
        return [path.getAttribute("fill"), box.x + box.width / 2, box.y + box.height / 2];
    })
"""


@pytest.fixture
def city(store: Store) -> Store:
    """The hot-spot city instead of the web tests' usual one."""
    return build_hot_spot_city(store)


@pytest.fixture
def browser_page(open_csp_page: Any, live_server: str) -> tuple[Any, list[str]]:
    """A signed-in Playwright page (zh-CN) on the map and the console's error messages
    from then on (the opener checks for page errors)."""
    page, _refusals = open_csp_page(f"{live_server}/")
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    return page, console


def _fills(page: Any) -> list[tuple[str, float, float]]:
    return [tuple(item) for item in page.evaluate(FILLS, "hotspots")]


def _apply(page: Any, cells: str) -> None:
    panel = page.locator(".citygrid-analyses")
    panel.locator("input[name=cells]").fill(cells)
    panel.get_by_role("button", name="应用").click()


def test_hot_spots_on_the_map(browser_page: tuple[Any, list[str]], tmp_path: Path) -> None:
    page, console = browser_page
    _wait_for_paths(page, "grids")
    control = page.locator(".leaflet-control-layers")
    assert "分析图层" in control.locator(".citygrid-layer-group-analysis").inner_text()
    assert _paths(page, "hotspots") == 0  # off until ticked
    assert not page.locator(".citygrid-analyses").is_visible()

    # Ticked: the default cells (a fishnet sized from the data), hot in the north-east.
    control.get_by_text("问题热点 (Gi*)", exact=True).click()
    _wait_for_paths(page, "hotspots")
    fills = _fills(page)
    hot = [(x, y) for fill, x, y in fills if fill == HOT]
    assert hot, {fill for fill, _, _ in fills}
    legend = page.locator(".citygrid-analysis-legend")
    legend.get_by_text("单元: fishnet:", exact=False).wait_for(timeout=20000)
    text = legend.inner_text()
    assert "热点 (99% 置信度)" in text
    assert "冷点 (99% 置信度)" in text
    assert "不显著" in text

    # Grid cells: the layer is drawn again on the 64 cells, the planted nine hot.
    panel = page.locator(".citygrid-analyses")
    assert "分析参数" in panel.inner_text()
    _apply(page, "grids")
    legend.get_by_text("单元: grids", exact=False).wait_for(timeout=20000)
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-citygrid-hotspots-pane path').length === 64"
    )
    fills = _fills(page)
    hot = [(x, y) for fill, x, y in fills if fill == HOT]
    assert len(hot) == 9
    others = [(x, y) for fill, x, y in fills if fill != HOT]
    # North-east on the screen: right of and above the other cells on average.
    assert min(x for x, _ in hot) > sum(x for x, _ in others) / len(others)
    assert max(y for _, y in hot) < sum(y for _, y in others) / len(others)
    assert "视野内 64 处" in legend.inner_text()
    page.screenshot(path=str(tmp_path / "hotspots-zh.png"))
    assert page.evaluate("() => window.citygridCsp") == []
    assert console == []

    # Over the cap: the panel shows the API's message; the map keeps the grid cells.
    _apply(page, "fishnet:1")
    error = panel.locator(".citygrid-analysis-error")
    error.wait_for(state="visible", timeout=20000)
    assert "fishnet:5" in error.inner_text()
    assert len(_fills(page)) == 64
    assert "单元: grids" in legend.inner_text()
    assert page.evaluate("() => window.citygridCsp") == []
    assert [m for m in console if "400" not in m] == []


def test_trends_and_gaps_on_the_map(browser_page: tuple[Any, list[str]]) -> None:
    page, console = browser_page
    _wait_for_paths(page, "grids")
    control = page.locator(".leaflet-control-layers")
    control.get_by_text("时空热点趋势", exact=True).click()
    _wait_for_paths(page, "emerging_hotspots")
    control.get_by_text("覆盖情况汇总", exact=True).click()
    _wait_for_paths(page, "gap_summary")
    legend = page.locator(".citygrid-analysis-legend")
    trends = legend.locator("[data-layer=emerging_hotspots]")
    trends.get_by_text("单元: fishnet:", exact=False).wait_for(timeout=20000)
    for term in ("新增热点", "连续热点", "加强热点", "零星热点", "历史冷点", "无显著模式"):
        assert term in trends.inner_text()
    summary = legend.locator("[data-layer=gap_summary]")
    summary.get_by_text("视野内 1 处").wait_for(timeout=20000)
    # The panel follows the layer ticked last; its analysis has parameters of its own.
    panel = page.locator(".citygrid-analyses")
    assert "覆盖情况汇总" in panel.inner_text()
    assert panel.locator("input[name=stale_days]").count() == 1
    control.get_by_text("覆盖情况汇总", exact=True).click()
    assert not summary.is_visible()
    assert "时空热点趋势" in panel.inner_text()  # back to the layer still on
    assert panel.locator("input[name=time_window]").count() == 1
    assert page.evaluate("() => window.citygridCsp") == []
    assert console == []
