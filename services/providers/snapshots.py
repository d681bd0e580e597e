"""Whole stored layers kept in memory, for the map's requests around its view.

The map asks for the streets, alleys and points around its view on every
pan and zoom: each time a bounding-box read of the store (R*Tree or GiST)
of a few thousand features, a few tens of milliseconds. A
:class:`LayerSnapshot` holds every feature of a layer (the fields asked
for) with an STRtree of their geometries, so such a request becomes a tree
query and a selection of rows.

A snapshot belongs to one version of its layer
(:meth:`~citygrid.layers.store.Store.data_version` of the layer) and is
used only while the layer is at that version: reporting a problem leaves
the points' snapshot current, assigning a point's unit does not. It is
built in a background thread on first demand; the request that found none
is answered by the store, so no request waits for a build. Layers of more
than :data:`MAX_FEATURES` features (the problems of a city) get none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from citygrid.layers.registry import Layer
from citygrid.layers.store import Store
from citygrid.params import Bbox
from citygrid.services.providers.cache import ResultCache

MAX_FEATURES = 200_000
"""Layers with more features than this are read from the store, never kept whole."""

SNAPSHOTS = ResultCache(entries=8)
"""The snapshots of every store: a few layers, each with the fields the map asks for."""


@dataclass(frozen=True)
class LayerSnapshot:
    """Every feature of a layer at one version, in fid order, with a tree of its geometries."""

    frame: pd.DataFrame
    tree: shapely.STRtree

    def in_bbox(self, bbox: Bbox, limit: int) -> tuple[pd.DataFrame, bool]:
        """The first ``limit`` features (fid order) that intersect ``bbox``, and whether
        more do."""
        found = np.sort(self.tree.query(shapely.box(*bbox), predicate="intersects"))
        return self.frame.iloc[found[:limit]], len(found) > limit


def layer_snapshot(
    store: Store, layer: Layer, columns: Sequence[str] | None, *, wait: bool = False
) -> LayerSnapshot | None:
    """The snapshot of ``layer`` with ``columns`` (``None``: every field) at the layer's
    current version; ``None`` when the layer is too large, or while it is being built in
    the background (unless ``wait``: then it is built now)."""
    version = store.data_version(layer.name)
    key = (layer.name, None if columns is None else tuple(columns), version)
    get = SNAPSHOTS.get if wait else SNAPSHOTS.get_soon
    snapshot: LayerSnapshot | None = get(store, key, lambda: _build(store, layer, columns, version))
    return snapshot


def _build(
    store: Store, layer: Layer, columns: Sequence[str] | None, version: int
) -> LayerSnapshot | None:
    """Read the whole layer; ``None`` when too large or written meanwhile (the version
    read after the features is the one asked for only if no commit wrote between)."""
    if store.count(layer.name) > MAX_FEATURES:
        return None
    frame = store.read(layer.name, columns=None if columns is None else list(columns))
    if store.data_version(layer.name) != version:
        return None
    frame = frame.reset_index(drop=True)
    return LayerSnapshot(frame, shapely.STRtree(frame.geometry.to_numpy()))
