"""Providers: stored layers through the store, computed layers through a cached analysis.

On SQLite and PostGIS. The computed layer is the test-only
``problem_counts`` (see ``tests/problem_counts.py``), a real computation
over the store registered through the public extension points.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from problem_counts import LAYER, CountParams, install

from citygrid.config import Config
from citygrid.errors import BadInput, NotFound
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.providers import (
    ComputedLayerProvider,
    StoredLayerProvider,
    collections,
    provider_for,
)
from citygrid.services.providers.cache import BACKGROUND_THREAD, ResultCache
from citygrid.services.providers.scoping import inside_area

CELLS = ("G1", "G2", "G3", "G4")


def _city(store: Store) -> CityContext:
    """Four cells in a row, 0.01° wide, and six problems: three in G1, two in G2, one in G4."""
    boxes = [shapely.box(120.60 + 0.01 * i, 31.30, 120.61 + 0.01 * i, 31.31) for i in range(4)]
    store.write(
        "grids",
        gpd.GeoDataFrame({"code": list(CELLS), "name": list(CELLS)}, geometry=boxes, crs=4326),
    )
    xs = [120.601, 120.603, 120.605, 120.612, 120.614, 120.635]
    store.write(
        "problems",
        gpd.GeoDataFrame(
            {
                "code": [f"Q{i}" for i in range(1, 7)],
                "catalogue_code": "C01",
                "status": ["open", "open", "closed", "open", "dispatched", "open"],
                "reported_at": [datetime(2025, 3, i, 9, 30) for i in range(1, 7)],
            },
            geometry=[shapely.Point(x, 31.305) for x in xs],
            crs=4326,
        ),
    )
    return CityContext(store, Config(database_url=store.url))


def _codes(frame: pd.DataFrame, key: str = "code") -> list[str]:
    return sorted(frame[key])


def test_stored_provider_filters_by_name_and_label_as_any_of(store: Store) -> None:
    ctx = _city(store)
    provider = provider_for("problems")
    assert isinstance(provider, StoredLayerProvider)
    assert provider.count(ctx) == 6
    query = provider.query({"code": ["Q1"], "问题编号": ["Q2"], "status": ["待处置"]})
    assert _codes(provider.features(ctx, query).frame) == ["Q1", "Q2"]
    both = provider.query({"status": ["open", "已结案"]})
    assert _codes(provider.features(ctx, both).frame) == ["Q1", "Q2", "Q3", "Q4", "Q6"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-02", ["Q2"]),
        ("2025-03-02T09:30:00", ["Q2"]),
        ("2025-03-02T09:31:00", []),
        ("2025-03-02/2025-03-04", ["Q2", "Q3", "Q4"]),
        ("2025-03-05/..", ["Q5", "Q6"]),
        ("../2025-03-01", ["Q1"]),
        ("/2025-03-01T09:30:00", ["Q1"]),
        ("2025-03-01T10:00:00/2025-03-02T09:30:00", ["Q2"]),
    ],
)
def test_time_filters_take_days_moments_and_ranges(
    store: Store, value: str, expected: list[str]
) -> None:
    ctx = _city(store)
    provider = provider_for("problems")
    page = provider.features(ctx, provider.query({"reported_at": [value]}))
    assert _codes(page.frame) == expected


def test_stored_pages_follow_each_other_without_gaps(store: Store) -> None:
    ctx = _city(store)
    provider = provider_for("problems")
    seen, after = [], None
    while True:
        page = provider.features(ctx, provider.query({}, limit=4, after=after))
        seen += list(page.frame["code"])
        if page.next is None:
            break
        assert page.truncated
        assert page.matched is None
        after = page.next
    assert seen == [f"Q{i}" for i in range(1, 7)]


def test_stored_provider_reads_only_the_fields_asked_for(store: Store) -> None:
    ctx = _city(store)
    provider = provider_for("problems")
    everything = provider.query({}, bbox=(120.60, 31.30, 120.62, 31.31))
    wanted = replace(everything, fields=("status",))
    for query in (wanted, replace(wanted, sortby=(("reported_at", True),), offset=1)):
        frame = provider.features(ctx, query).frame
        assert {"code", "status", "geometry"} <= set(frame.columns)
        assert "reported_at" not in frame.columns
        full = provider.features(ctx, replace(query, fields=None)).frame
        assert frame["status"].tolist() == full["status"].tolist()
        assert "reported_at" in full.columns


def test_stored_feature_by_code_and_by_fid(store: Store) -> None:
    ctx = _city(store)
    assert provider_for("grids").feature(ctx, "G2")["code"].tolist() == ["G2"]
    audit = provider_for("audit")
    assert len(audit.feature(ctx, "1")) == 1
    for code in ("²", "１", "12345678901234567890", "-1", "0", "1.0", ""):
        with pytest.raises(NotFound):
            audit.feature(ctx, code)


def test_computed_provider_runs_the_analysis_once_until_the_data_change(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = install(monkeypatch)
    ctx = _city(store)
    provider = provider_for(LAYER)
    assert isinstance(provider, ComputedLayerProvider)
    assert provider.describe().params is CountParams
    assert provider.count(ctx) is None
    query = provider.query({"status": ["open"], "problems": ["2", "1"]})
    assert query.params == CountParams(status="open")
    page = provider.features(ctx, query)
    assert dict(zip(page.frame["cell_code"], page.frame["problems"], strict=True)) == {
        "G1": 2,
        "G2": 1,
        "G4": 1,
    }
    assert page.matched == 3
    assert page.parameters == {"status": "open", "since": None, "min_count": 0, "cells": "grids"}
    provider.features(ctx, provider.query({"status": ["open"]}))
    assert runs.count == 1
    provider.features(ctx, provider.query({"since": ["2025-03-04"]}))
    assert runs.count == 2
    store.update("grids", pd.DataFrame({"code": ["G1"], "name": ["renamed"]}), actor="test")
    provider.features(ctx, provider.query({"status": ["open"]}))
    assert runs.count == 3


def test_computed_provider_pages_bbox_and_feature(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(monkeypatch)
    ctx = _city(store)
    provider = provider_for(LAYER)
    first = provider.features(ctx, provider.query({}, limit=3))
    assert first.truncated
    assert first.matched == 4
    rest = provider.features(ctx, provider.query({}, limit=3, after=first.next))
    assert list(first.frame["cell_code"]) + list(rest.frame["cell_code"]) == list(CELLS)
    assert rest.next is None
    west = provider.query({}, bbox=(120.600, 31.300, 120.605, 31.305))
    assert list(provider.features(ctx, west).frame["cell_code"]) == ["G1"]
    one = provider.feature(ctx, "G4", provider.query({"min_count": ["1"]}))
    assert one["problems"].tolist() == [1]
    with pytest.raises(NotFound):
        provider.feature(ctx, "G3", provider.query({"min_count": ["1"]}))


@pytest.mark.parametrize(
    ("texts", "names"),
    [
        ({"since": ["yesterday"]}, "since"),
        ({"min_count": ["-1"]}, "min_count"),
        ({"min_count": ["1", "2"]}, "min_count"),
        ({"status": ["lost"]}, "status"),
        ({"colour": ["red"]}, "colour"),
        ({"problems": ["nan"]}, "problems"),
    ],
)
def test_computed_query_errors_name_the_parameter(
    monkeypatch: pytest.MonkeyPatch, texts: dict, names: str
) -> None:
    install(monkeypatch)
    with pytest.raises(BadInput) as error:
        provider_for(LAYER).query(texts)
    assert names in error.value.message("en")


def test_collections_list_parameters_of_computed_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch)
    found = {c.layer.name: c for c in collections()}
    assert found["grids"].parameters_schema() is None
    schema = found[LAYER].parameters_schema()
    assert schema is not None
    assert set(schema["properties"]) == {"status", "since", "min_count"}
    assert found[LAYER].analysis == "problem_counts"


def test_a_computed_layer_without_analysis_is_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch)
    from citygrid.layers.registry import Layer, register

    register(Layer("orphan", "孤立", "orphan", None, (), key=None, stored=False))
    with pytest.raises(BadInput, match="no analysis"):
        provider_for("orphan")


def test_result_cache_computes_once_for_concurrent_callers() -> None:
    cache = ResultCache(entries=2)
    owner = type("Owner", (), {})()
    calls = []

    def compute() -> int:
        calls.append(1)
        time.sleep(0.05)
        return 42

    threads = [threading.Thread(target=lambda: cache.get(owner, "k", compute)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert cache.get(owner, "k", compute) == 42
    cache.get(owner, "a", lambda: 1)
    cache.get(owner, "b", lambda: 2)
    assert cache.get(owner, "k", lambda: 0) == 0  # the oldest entry was dropped


def test_result_cache_computes_soon_in_the_background_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = ResultCache()
    owner = type("Owner", (), {})()
    started, release = threading.Event(), threading.Event()
    calls = []

    def compute() -> str:
        calls.append(1)
        started.set()
        release.wait(10)
        return "城市"

    assert cache.get_soon(owner, "k", compute) is None  # at once, while it is computed
    assert started.wait(10)
    assert cache.get_soon(owner, "k", compute) is None  # no second computation
    release.set()
    deadline = time.monotonic() + 10
    while cache.get_soon(owner, "k", compute) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cache.get_soon(owner, "k", compute) == "城市"
    assert calls == [1]

    def fail() -> None:
        raise RuntimeError("the store is gone")

    assert cache.get_soon(owner, "bad", fail) is None
    for thread in threading.enumerate():
        if thread.name == BACKGROUND_THREAD:
            thread.join(10)
    assert "Could not compute 'bad' in the background" in caplog.text
    assert cache.get(owner, "bad", lambda: "again") == "again"  # nothing was kept


def test_choices_of_number_fields_filter_as_numbers() -> None:
    from citygrid.layers.registry import get_layer
    from citygrid.services.providers.filters import parse_filters

    (found,) = parse_filters(
        get_layer("hotspots"), {"gi_bin": ["3"], "置信度": ["冷点 (99% 置信度)"]}
    )
    assert found.values == (3, -3)


def test_a_scope_holds_what_lies_inside_it_not_what_rounding_makes_touch_it() -> None:
    cell = shapely.box(120.60, 31.30, 120.61, 31.31)
    geometries = np.array(
        [
            shapely.box(120.61 - 1e-12, 31.30, 120.62, 31.31),  # the neighbour, by a hair
            shapely.box(120.605, 31.305, 120.615, 31.315),  # a fishnet cell, a quarter in
            shapely.box(120.61, 31.30, 120.62, 31.31),  # the neighbour, exactly
            shapely.LineString([(120.61, 31.30), (120.61, 31.31)]),  # along the edge
            shapely.LineString([(120.605, 31.305), (120.615, 31.305)]),  # half in
            shapely.Point(120.605, 31.305),
            shapely.Point(120.61, 31.305),  # on the edge
            None,
        ]
    )
    assert inside_area(geometries, cell).tolist() == [
        False,
        True,
        False,
        False,
        True,
        True,
        False,
        False,
    ]
