"""Layers made when first read: each once, and two different ones at the same time."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd

from citygrid.services.analysis import LazyLayers


def test_two_layers_are_made_at_once() -> None:
    b_started = threading.Event()

    def make(name: str) -> gpd.GeoDataFrame:
        if name == "a":  # waits for b to be under way: one lock for all would never see it
            assert b_started.wait(timeout=10), "b was not made while a was"
        else:
            b_started.set()
        return gpd.GeoDataFrame({"name": [name]})

    layers = LazyLayers(["a", "b"], make)
    with ThreadPoolExecutor(max_workers=2) as pool:
        made = list(pool.map(layers.__getitem__, ["a", "b"]))
    assert [frame["name"].iloc[0] for frame in made] == ["a", "b"]


def test_a_layer_asked_for_by_many_threads_is_made_once() -> None:
    calls: list[str] = []

    def make(name: str) -> gpd.GeoDataFrame:
        calls.append(name)
        return gpd.GeoDataFrame({"name": [name]})

    layers = LazyLayers(["热点"], make)
    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(lambda _: layers["热点"], range(32)))
    assert calls == ["热点"]
    assert all(frame is made[0] for frame in made)
