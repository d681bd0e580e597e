"""The problem filters on every endpoint the map uses: what they select, and bad values.

The problems of :mod:`map_problems_city` (Q11 open and overdue in G01, Q12
closed in G01, Q13 dispatched in G05, Q14 open in no cell; all reported on
2025-02-27, unit U_PJ, sub-district unset, G01 and G05 in 320508001) and the
base city's five problems (Q01..Q05, March 2025, in no cell; Q03 closed).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from map_problems_city import add_problems
from web_accounts import add_user, signed_in_client

from citygrid.layers.store import Store
from citygrid.services.problems.filters import FILTER_NAMES

CITY_BBOX = "120.59,31.29,120.65,31.33"
PROBLEMS = f"/api/map/problems?bbox={CITY_BBOX}"


@pytest.fixture
def problems_city(city: Store) -> Store:
    add_problems(city)
    return city


def _get(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert isinstance(body, dict)
    return body


def _codes(client: FlaskClient, query: str) -> set[str]:
    body = _get(client, f"{PROBLEMS}&zoom=17&{query}")
    assert body["aggregated"] is False
    return {f["properties"]["code"] for f in body["features"]}


def test_each_filter_selects_problems_in_sql(problems_city: Store, client: FlaskClient) -> None:
    everything = _codes(client, "")
    assert {"Q11", "Q12", "Q13", "Q14"} <= everything
    assert _codes(client, "statuses=closed") == {"Q03", "Q12"}
    assert _codes(client, "statuses=open,dispatched") >= {"Q11", "Q13", "Q14"}
    assert "Q12" not in _codes(client, "statuses=open,dispatched")
    assert _codes(client, "overdue=true") == {"Q11"}
    assert _codes(client, "category=C01") == everything
    assert _codes(client, "since=2025-02-27&until=2025-02-27") == {"Q11", "Q12", "Q13", "Q14"}
    assert _codes(client, "since=2025-02-28") == {"Q01", "Q02", "Q03", "Q04", "Q05"}
    assert _codes(client, "unit=U_PJ&statuses=open&category=C01") == {"Q01", "Q02", "Q11", "Q14"}
    assert _codes(client, "subdistrict=320508001") == {"Q11", "Q12", "Q13"}  # by their cells
    assert _codes(client, "subdistrict=320508002") == set()


def test_counts_per_cell_follow_the_filters(problems_city: Store, client: FlaskClient) -> None:
    body = _get(client, f"{PROBLEMS}&zoom=10&statuses=open")
    counts = {f["properties"]["grid_code"]: f["properties"]["count"] for f in body["features"]}
    assert counts == {"G01": 1}
    assert body["total"] == 1 + body["withoutCell"]
    late = _get(client, f"{PROBLEMS}&zoom=10&overdue=1")
    assert late["total"] == 1


def test_my_cells_for_a_grid_manager(problems_city: Store, app: Flask) -> None:
    add_user(problems_city, "gm", "grid_manager", scope="grid:G01")
    client = signed_in_client(app.test_client(), "gm")
    assert _codes(client, "mine=true") == {"Q11", "Q12"}
    body = _get(client, f"{PROBLEMS}&zoom=10&mine=true")
    assert {f["properties"]["grid_code"] for f in body["features"]} == {"G01"}


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("statuses=lost", 400, "Unknown problem status lost"),
        ("since=2025-03-01&until=2025-02-01", 400, "is after until"),
        ("since=2025-13-01", 400, "since"),
        ("until=yesterday", 400, "until"),
        ("since=2025-01-01&since=2025-02-01", 400, "given 2 times"),
        ("overdue=maybe", 400, "overdue"),
        ("unit=U_NONE", 404, "Unknown unit 'U_NONE'"),
        ("subdistrict=999", 404, "Unknown sub-district '999'"),
        ("category=NOPE", 404, "Unknown category 'NOPE'"),
        ("colour=red", 400, "no parameter colour"),
        ("mine=true", 400, "My cells"),  # the administrator's scope is the whole city
    ],
)
def test_bad_filters_are_refused_with_a_clear_message(
    problems_city: Store, client: FlaskClient, query: str, status: int, words: str
) -> None:
    before = problems_city.read("problems", columns=["status"])["status"].tolist()
    for zoom in (10, 17):
        body = _get(client, f"{PROBLEMS}&zoom={zoom}&{query}", status)
        assert words in body["message"], body["message"]
        assert body["status"] == status
    assert problems_city.read("problems", columns=["status"])["status"].tolist() == before


def test_a_bbox_across_the_world_is_refused(problems_city: Store, client: FlaskClient) -> None:
    body = _get(client, "/api/map/problems?bbox=-181,-90,180,90&zoom=2", 400)
    assert "-180..180" in body["message"]


def test_messages_in_chinese(problems_city: Store, client: FlaskClient) -> None:
    client.set_cookie("citygrid_lang", "zh_CN")
    body = _get(client, f"{PROBLEMS}&zoom=10&subdistrict=999", 404)
    assert "未知的镇街" in body["message"]


# -- the analyses follow the same filters -------------------------------------------------


def test_hot_spots_take_the_filters(problems_city: Store, client: FlaskClient) -> None:
    body = _get(client, "/api/layers/hotspots/features?cells=grids&unit=U_PJ&statuses=open")
    assert body["parameters"]["unit"] == "U_PJ"
    assert body["parameters"]["statuses"] == "open"
    assert body["parameters"]["overdue"] is False
    counted = sum(f["properties"]["count"] for f in body["features"])
    assert (
        counted == body["parameters"]["n_problems"] - body["parameters"]["problems_outside_cells"]
    )
    everything = _get(client, "/api/layers/hotspots/features?cells=grids")
    assert everything["parameters"]["n_problems"] > body["parameters"]["n_problems"]


@pytest.mark.parametrize(
    ("layer", "query", "status", "words"),
    [
        ("hotspots", "cells=grids&since=2031-01-01", 400, "No problems match the filters"),
        ("hotspots", "cells=grids&overdue=true&statuses=closed", 400, "No problems match"),
        ("emerging_hotspots", "cells=grids&statuses=nope", 400, "Unknown problem status"),
        ("density_contours", "subdistrict=999", 404, "Unknown sub-district"),
        ("hotspots", "cells=grids&until=2024-01-01&since=2025-01-01", 400, "is after until"),
        ("hotspots", "cells=grids&mine=true", 400, "My cells"),
    ],
)
def test_an_analysis_over_an_empty_or_bad_selection_is_refused(
    problems_city: Store, client: FlaskClient, layer: str, query: str, status: int, words: str
) -> None:
    body = _get(client, f"/api/layers/{layer}/features?{query}", status)
    assert words in body["message"], body["message"]


# -- the page: panel choices, groups, drawing order ----------------------------------------


def _options(html: str, call: str) -> list[dict[str, Any]]:
    found = re.findall(rf"L\.citygrid\.{call}\((\{{.*?\}})\)", html)
    return [json.loads(text) for text in found]


def test_the_page_offers_the_filters_and_draws_outlines_above_cells(
    problems_city: Store, zh_client: FlaskClient
) -> None:
    html = zh_client.get("/map").get_data(as_text=True)
    (panel,) = _options(html, "filterPanel")
    assert panel["names"] == list(FILTER_NAMES)
    assert {c["code"] for c in panel["choices"]["units"]} >= {"U_PJ", "U_CL"}
    assert {c["code"] for c in panel["choices"]["subdistricts"]} == {"320508001", "320508002"}
    assert "closed" in {c["code"] for c in panel["choices"]["statuses"]}
    assert panel["choices"]["mine"] is False  # the administrator sees the whole city
    assert panel["texts"]["overdue"] == "仅超期"
    layers = {o["name"]: o for o in _options(html, "bboxLayer")}
    assert layers["jurisdictions"]["zIndex"] > layers["grids"]["zIndex"]
    assert layers["jurisdictions"]["style"]["fill"] is False
    assert layers["grids"]["label"] == {"field": "code", "minZoom": 16}
    assert layers["points"]["label"] is None
    assert layers["grids"]["group"] == "base"
    (furniture,) = re.findall(r"L\.citygrid\.cartography\(\s*\w+, (\{.*?\})\)", html)
    assert json.loads(furniture)["groups"] == {
        "base": "基础图层",
        "work": "业务图层",
        "analysis": "分析图层",
    }
    assert "L.control.scale" not in html  # folium's imperial bar: the script adds a metric one
    assert "L.citygrid.urlState(" in html
