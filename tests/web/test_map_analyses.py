"""The analysis layers of the map page and the API calls their parameters panel makes.

On SQLite and PostGIS, over a city with a cluster of problems in its
north-east (``analysis_city``): the page offers the analysis layers with
their parameters and Chinese legends; the features API answers the
chosen parameters, refuses bad values with 400 and a message, and refuses
a cell size that would make more cells than the configured cap, naming
the smallest size allowed.
"""

from __future__ import annotations

import json
import re

import pytest
from analysis_city import HOT_CELLS, build_hot_spot_city
from flask.testing import FlaskClient
from web_accounts import signed_in_client

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.hotspots.cells import lattice_count, smallest_size
from citygrid.web.app import create_app

HOTSPOTS = "/api/layers/hotspots/features"


@pytest.fixture
def city(store: Store) -> Store:
    """The hot-spot city instead of the web tests' usual one."""
    return build_hot_spot_city(store)


def _analysis_options(html: str) -> dict[str, dict]:
    """The options of every ``L.citygrid.analysisLayer`` on the page, by layer name."""
    found = re.findall(r"L\.citygrid\.analysisLayer\((\{.*?\})\);\n", html)
    options = [json.loads(text) for text in found]
    return {option["name"]: option for option in options}


def test_the_map_offers_the_analysis_layers_with_parameters(zh_client: FlaskClient) -> None:
    html = zh_client.get("/map").get_data(as_text=True)
    assert "js/citygrid-analyses.js" in html
    assert "css/citygrid-analyses.css" in html
    layers = _analysis_options(html)
    assert {"hotspots", "emerging_hotspots", "density_contours", "gap_uncovered"} <= set(layers)
    hot = layers["hotspots"]
    assert hot["analysis"] == "hotspots"
    assert hot["url"] == "/api/layers/hotspots/features"
    labels = {v["value"]: (v["label"], v["color"]) for v in hot["categories"]["values"]}
    assert labels["3"] == ("热点 (99% 置信度)", "#d62f27")
    assert labels["-3"] == ("冷点 (99% 置信度)", "#4575b5")
    fields = {f["name"]: f for f in hot["parameters"]}
    assert fields["cells"]["label"] == "单元"
    assert "grids" in fields["cells"]["suggestions"]
    assert "since" not in fields  # the problem filters come from the filter panel
    assert hot["filtered"] is True
    assert layers["gap_uncovered"]["filtered"] is False
    assert fields["weight_by"]["choices"] == ["count", "deduction"]
    assert fields["permutations"]["minimum"] == 0
    emerging = {v["value"]: v for v in layers["emerging_hotspots"]["categories"]["values"]}
    assert emerging["consecutive_hot"]["label"] == "连续热点"
    assert _lightness(emerging["consecutive_hot"]["color"]) <= _lightness(
        emerging["sporadic_hot"]["color"]
    )
    assert layers["density_contours"]["kind"] == "polygon"
    assert "gap_uncovered" in layers
    assert layers["gap_invalid_edges"]["kind"] == "line"
    for name in ("static/js/citygrid-analyses.js", "static/css/citygrid-analyses.css"):
        response = zh_client.get(f"/{name}")
        assert response.status_code == 200
        response.close()


def test_the_map_in_english_labels_the_analyses_in_english(client: FlaskClient) -> None:
    layers = _analysis_options(client.get("/map").get_data(as_text=True))
    hot = layers["hotspots"]
    assert hot["title"] == "Problem hot spots (Gi*)"
    assert hot["categories"]["values"][0]["label"] == "Hot spot, 99% confidence"
    fields = {f["name"]: f for f in hot["parameters"]}
    assert fields["cells"]["label"] == "Cells"
    assert fields["weight_by"]["help"] == (
        "What a problem adds to its cell: 1, or its catalogue deduction weight."
    )


def _lightness(colour: str) -> int:
    return sum(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def test_hot_spots_mark_the_planted_cluster(client: FlaskClient) -> None:
    body = client.get(f"{HOTSPOTS}?cells=grids").get_json()
    bins = {f["properties"]["cell_id"]: f["properties"]["gi_bin"] for f in body["features"]}
    assert {cell for cell, b in bins.items() if b == 3} == set(HOT_CELLS)
    assert body["parameters"]["cells"] == "grids"
    assert body["parameters"]["since"] is None


def test_parameters_change_the_answer(client: FlaskClient) -> None:
    body = client.get(f"{HOTSPOTS}?cells=fishnet:500&since=2024-03-01").get_json()
    assert body["parameters"]["cells"] == "fishnet:500"
    assert body["parameters"]["since"] == "2024-03-01"
    assert body["numberMatched"] == 25  # 2 000 m and a little: 5 x 5 cells
    emerging = client.get("/api/layers/emerging_hotspots/features?cells=grids").get_json()
    assert emerging["numberMatched"] == 64
    assert {f["properties"]["pattern"] for f in emerging["features"]} >= {"none"}


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("cells=squares", "squares"),
        ("cells=fishnet:0", "0"),
        ("since=2024-13-01", "since"),
        ("since=2024-05-01&until=2024-04-01", "until"),
        ("permutations=-1", "permutations"),
        ("weight_by=area", "weight_by"),
        ("fdr=perhaps", "fdr"),
        ("cells=grids&cells=h3:9", "cells"),
    ],
)
def test_bad_parameters_are_refused_with_a_message(
    client: FlaskClient, query: str, named: str
) -> None:
    response = client.get(f"{HOTSPOTS}?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "bad_input"
    assert named in body["message"]


def test_too_fine_cells_are_refused_naming_the_smallest_size(client: FlaskClient) -> None:
    response = client.get(f"{HOTSPOTS}?cells=fishnet:1")
    assert response.status_code == 400
    body = response.get_json()
    assert body["details"]["limit"] == 200_000
    assert body["details"]["smallest"] == 5
    assert "the smallest size allowed here is fishnet:5" in body["message"]
    hexagons = client.get("/api/layers/emerging_hotspots/features?cells=hex:2").get_json()
    assert "hex:5" in hexagons["message"]


def test_the_cap_is_a_setting(city: Store, admin: object) -> None:
    app = create_app(Config(database_url=city.url, secret_key="test", max_cells=100), city)
    client = signed_in_client(app.test_client())
    refused = client.get(f"{HOTSPOTS}?cells=fishnet:100")
    assert refused.status_code == 400
    smallest = refused.get_json()["details"]["smallest"]
    assert smallest == 201  # 2 000 m across: 201 m makes 10 x 10 cells
    assert client.get(f"{HOTSPOTS}?cells=fishnet:{smallest}").status_code == 200
    assert client.get(f"{HOTSPOTS}?cells=fishnet:{smallest - 1}").status_code == 400


def test_smallest_size_is_the_smallest_allowed() -> None:
    bounds = (0.0, 0.0, 12_345.0, 6_789.0)
    for kind in ("fishnet", "hex"):
        size = smallest_size(kind, bounds, 10_000)
        assert lattice_count(kind, bounds, size) <= 10_000 < lattice_count(kind, bounds, size - 1)


def test_the_cap_comes_from_the_environment() -> None:
    assert Config.from_env({}).max_cells == 200_000
    assert Config.from_env({"CITYGRID_MAX_CELLS": "5000"}).max_cells == 5000
