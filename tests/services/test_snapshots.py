"""Stored layers kept whole in memory answer requests around a view as the store does.

On SQLite and PostGIS. Once a layer's snapshot is built, a request around a view
reads nothing from the store (its reads are made to fail to show it); a write to
the layer is seen by the very next request; a write to another layer keeps the
snapshot; a principal with a scope, a filtered request and a layer too large to
keep are read from the store.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.providers import FeatureQuery, Provider, provider_for
from citygrid.services.providers import snapshots as snapshots_module

CELLS = ("G1", "G2", "G3", "G4", "G5")


def _city(store: Store) -> CityContext:
    """Five cells in a row, 0.01° wide, named in Chinese."""
    boxes = [shapely.box(120.60 + 0.01 * i, 31.30, 120.61 + 0.01 * i, 31.31) for i in range(5)]
    names = ["观前", "平江", "拙政", "山塘", "石路"]
    store.write("grids", gpd.GeoDataFrame({"code": CELLS, "name": names}, geometry=boxes, crs=4326))
    return CityContext(store, Config(database_url=store.url))


def _meeting(store: Store, bbox: tuple[float, float, float, float]) -> list[str]:
    """The codes of the cells meeting ``bbox`` in fid order, read from the store."""
    frame = store.read("grids")
    return frame[frame.intersects(shapely.box(*bbox))]["code"].tolist()


def _no_reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the store was read")

    monkeypatch.setattr(store, "read", refuse)


BBOXES = [
    (120.615, 31.302, 120.625, 31.308),  # inside G2 and G3
    (120.62, 31.31, 120.63, 31.32),  # touches G3's and G4's top edges
    (120.50, 31.30, 120.60, 31.31),  # touches G1's west edge
    (121.0, 31.0, 121.1, 31.1),  # nothing there
    (120.0, 31.0, 121.0, 32.0),  # every cell
]


@pytest.mark.parametrize("limit", [2, 10])
def test_a_snapshot_answers_as_the_store_does(
    store: Store, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    ctx = _city(store)
    provider = provider_for("grids")
    meeting = {bbox: _meeting(store, bbox) for bbox in BBOXES}
    whole = provider.kept_whole(ctx, FeatureQuery(fields=("name",)))
    assert whole is not None
    assert whole["code"].tolist() == list(CELLS)
    _no_reads(store, monkeypatch)
    for bbox in BBOXES:
        query = provider.query({}, bbox=bbox, limit=limit)
        page = provider.features(ctx, replace(query, fields=("name",)))
        assert page.frame["code"].tolist() == meeting[bbox][:limit], bbox
        more = len(meeting[bbox]) > limit
        assert page.truncated is more
        assert page.matched == (None if more else len(meeting[bbox]))
        assert page.next == (int(page.frame["fid"].iloc[-1]) if more else None)
        assert "name" in page.frame.columns


@pytest.fixture
def kept(store: Store) -> tuple[CityContext, Provider, FeatureQuery]:
    """The five cells with their snapshot built, and a request around a view of them all."""
    ctx = _city(store)
    provider = provider_for("grids")
    query = provider.query({}, bbox=(120.60, 31.30, 120.65, 31.31))
    assert provider.kept_whole(ctx, query) is not None
    return ctx, provider, query


def test_a_write_to_the_layer_is_seen_by_the_next_request(
    store: Store, monkeypatch: pytest.MonkeyPatch, kept: tuple[CityContext, Provider, FeatureQuery]
) -> None:
    ctx, provider, query = kept
    store.update("grids", pd.DataFrame([{"code": "G2", "name": "新平江"}]), actor="test")
    frame = provider.features(ctx, query).frame
    assert frame.loc[frame["code"] == "G2", "name"].tolist() == ["新平江"]  # the older
    # version's snapshot is not used: the store answers
    assert provider.kept_whole(ctx, query) is not None  # the new version's snapshot
    _no_reads(store, monkeypatch)
    frame = provider.features(ctx, query).frame
    assert frame.loc[frame["code"] == "G2", "name"].tolist() == ["新平江"]


def test_a_write_to_another_layer_keeps_the_snapshot(
    store: Store, monkeypatch: pytest.MonkeyPatch, kept: tuple[CityContext, Provider, FeatureQuery]
) -> None:
    ctx, provider, query = kept
    store.write(
        "problems",
        gpd.GeoDataFrame(
            {
                "code": ["Q1"],
                "catalogue_code": ["C01"],
                "status": ["open"],
                "reported_at": [datetime(2025, 3, 1, 9, 30)],
            },
            geometry=[shapely.Point(120.605, 31.305)],
            crs=4326,
        ),
    )
    _no_reads(store, monkeypatch)
    assert provider.features(ctx, query).frame["code"].tolist() == list(CELLS)


def test_filters_and_layers_too_large_are_read_from_the_store(
    store: Store, monkeypatch: pytest.MonkeyPatch, kept: tuple[CityContext, Provider, FeatureQuery]
) -> None:
    ctx, provider, view = kept
    filtered = provider.query({"name": ["拙政"]}, bbox=view.bbox)
    assert provider.features(ctx, filtered).frame["code"].tolist() == ["G3"]
    monkeypatch.setattr(snapshots_module, "MAX_FEATURES", 4)
    store.update("grids", pd.DataFrame([{"code": "G5", "name": "新石路"}]), actor="test")
    assert provider.kept_whole(ctx, view) is None  # five cells are too many now
    frame = provider.features(ctx, view).frame
    assert frame["name"].tolist()[-1] == "新石路"
