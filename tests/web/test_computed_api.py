"""Computed layers on the JSON API: the test-only ``problem_counts`` analysis, cached.

On SQLite and PostGIS; see ``tests/problem_counts.py``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from flask.testing import FlaskClient
from problem_counts import LAYER, Runs, install

from citygrid.layers.store import Store

FEATURES = f"/api/layers/{LAYER}/features"


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    """The test analysis, installed; counts its runs."""
    return install(monkeypatch)


def _counts(body: dict) -> dict[str, int]:
    return {f["id"]: f["properties"]["problems"] for f in body["features"]}


def test_layers_list_the_parameters_of_computed_layers(runs: Runs, client: FlaskClient) -> None:
    layers = {layer["name"]: layer for layer in client.get("/api/layers").get_json()["layers"]}
    computed = layers[LAYER]
    assert computed["count"] is None
    assert computed["analysis"] == "problem_counts"
    schema = computed["parameters"]
    assert schema["type"] == "object"
    assert schema["properties"]["since"] == {
        "type": "string",
        "format": "date",
        "title": "since",
        "description": "Count only problems reported on or after this day.",
    }
    assert schema["properties"]["min_count"]["minimum"] == 0
    assert layers["grids"]["parameters"] is None
    assert layers["grids"]["analysis"] is None


def test_a_computed_layer_is_served_with_its_parameters(runs: Runs, client: FlaskClient) -> None:
    response = client.get(f"{FEATURES}?since=2025-03-03&min_count=1")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    # Problems Q02..Q05 were reported from 3 March on: Q02 in G02, Q03 in G02, Q04 and Q05
    # in the cells east of them (G03 and no cell), see web_city.
    assert _counts(body) == {"G02": 2, "G03": 1}
    assert body["parameters"] == {
        "status": None,
        "since": "2025-03-03",
        "min_count": 1,
        "cells": "grids",
    }
    assert body["numberMatched"] == 2
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert runs.count == 1


def test_the_second_identical_request_is_answered_from_the_cache(
    runs: Runs, client: FlaskClient, city: Store
) -> None:
    first = client.get(f"{FEATURES}?status=open").get_json()
    again = client.get(f"{FEATURES}?status=open&problems=1").get_json()
    assert runs.count == 1
    assert _counts(again) == {k: v for k, v in _counts(first).items() if v == 1}
    city.update("problems", pd.DataFrame({"code": ["Q03"], "status": ["open"]}), actor="test")
    changed = client.get(f"{FEATURES}?status=open").get_json()
    assert runs.count == 2
    assert changed["features"] != first["features"]


def test_a_computed_feature_by_its_key(runs: Runs, client: FlaskClient) -> None:
    feature = client.get(f"{FEATURES}/G02?since=2025-03-03").get_json()
    assert feature["id"] == "G02"
    assert feature["properties"]["problems"] == 2
    missing = client.get(f"{FEATURES}/G99")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("since=yesterday", "Parameter since (since)"),
        ("since=2025-03-03&since=2025-03-04", "The parameter since was given 2 times"),
        ("min_count=-1", "Parameter min_count (minimum count) is -1"),
        ("min_count=９", "Parameter min_count (minimum count): '９' is not valid"),
        ("status=lost", "Parameter status (status): 'lost' is not one of"),
        ("colour=red", "use one of: cell_code, problems, status, since, min_count"),
        ("problems=nan", "'nan' is not a int for problems"),
    ],
)
def test_bad_analysis_parameters_are_400_naming_the_parameter(
    runs: Runs, client: FlaskClient, query: str, fragment: str
) -> None:
    response = client.get(f"{FEATURES}?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_input"
    assert fragment in body["message"]
    assert runs.count == 0
