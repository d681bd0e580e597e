"""Providers: one interface, found by layer name, to every collection (see :mod:`.base`).

``provider_for(name)`` gives a :class:`StoredLayerProvider` for a layer
with a table, a :class:`ComputedLayerProvider` for a layer an analysis
computes. The web, the OGC API, Open311 and the map reach features only
through these.
"""

from __future__ import annotations

from citygrid.errors import BadInput, NotFound
from citygrid.layers.registry import Layer, all_layers, get_layer
from citygrid.services.analysis import analysis_for_layer
from citygrid.services.context import CityContext
from citygrid.services.providers.base import (
    Collection,
    FeaturePage,
    FeatureQuery,
    Provider,
)
from citygrid.services.providers.computed import ComputedLayerProvider
from citygrid.services.providers.filters import FieldFilter, Range
from citygrid.services.providers.scoping import may_read
from citygrid.services.providers.stored import StoredLayerProvider

__all__ = [
    "Collection",
    "ComputedLayerProvider",
    "FeaturePage",
    "FeatureQuery",
    "FieldFilter",
    "Provider",
    "Range",
    "StoredLayerProvider",
    "collections",
    "may_read",
    "provider_for",
]


def provider_for(layer_name: str) -> Provider:
    """The provider of the layer called ``layer_name``.

    Raises
    ------
    NotFound
        No layer has that name, or the layer is internal (accounts).
    BadInput
        The layer is computed but no analysis produces it.
    """
    layer = get_layer(layer_name)
    if layer.internal:
        raise NotFound("Unknown layer {name!r}.", name=layer_name)
    if layer.stored:
        return StoredLayerProvider(layer)
    analysis = analysis_for_layer(layer.name)
    if analysis is None:
        raise BadInput(
            "Layer {layer} is computed, and no analysis that serves it is installed; "
            "compute it on the command line (`citygrid --help` lists the analyses).",
            layer=layer.name,
        )
    return ComputedLayerProvider(layer, analysis)


def collections(ctx: CityContext | None = None) -> list[Collection]:
    """Every layer of the registry as a collection, stored ones first; with ``ctx``,
    only those its principal may read.

    A computed layer carries its analysis and parameters when an analysis
    that produces it is installed, else neither (it cannot be served yet).
    """
    served = [layer for layer in all_layers() if not layer.internal]
    if ctx is not None:
        served = [layer for layer in served if may_read(ctx, layer)]
    return [_collection(layer) for layer in served]


def _collection(layer: Layer) -> Collection:
    if layer.stored:
        return Collection(layer)
    analysis = analysis_for_layer(layer.name)
    if analysis is None:
        return Collection(layer)
    return Collection(layer, analysis.name, analysis.params)
