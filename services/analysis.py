"""Analyses declared once: their parameters, the layers they produce, how to run them.

An :class:`Analysis` names a computation (hot spots, emerging hot spots,
density, coverage gaps), its :class:`~citygrid.params.Params` dataclass and
the derived layers of the registry it fills. The CLI renders its parameters
as options, the web as query parameters and the OpenAPI document as a
schema; the providers run it for the map and the APIs and cache its
result. Every analysis returns one :class:`AnalysisResult`.

Analyses register themselves from the modules listed in
``_BUILTIN_MODULES``, imported on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from citygrid.declarations import Declarations
from citygrid.errors import NotFound
from citygrid.params import Params
from citygrid.services.context import CityContext

_BUILTIN_MODULES: tuple[str, ...] = (
    "citygrid.services.hotspots.hot_spots",
    "citygrid.services.hotspots.emerging",
    "citygrid.services.hotspots.density",
    "citygrid.services.coverage.analysis",
    "citygrid.services.coverage.proposals",
)


class LazyLayers(Mapping[str, gpd.GeoDataFrame]):
    """Layers each made when first read, then kept.

    An analysis whose layers cost very different amounts (one coverage
    finding against all eight) serves one layer without making the others.
    Thread-safe: each layer is made once however many requests ask for it.

    Parameters
    ----------
    names
        The layers, in the order iteration gives them.
    make
        ``make(name) -> frame``, called at most once per name.
    """

    def __init__(self, names: Sequence[str], make: Callable[[str], gpd.GeoDataFrame]) -> None:
        self._names = tuple(names)
        self._make = make
        self._made: dict[str, gpd.GeoDataFrame] = {}
        self._locks = {name: threading.RLock() for name in self._names}

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        if name not in self._names:
            raise KeyError(name)
        with self._locks[name]:  # one lock a layer: two layers may be made at once
            if name not in self._made:
                self._made[name] = self._make(name)
            return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@dataclass(frozen=True)
class AnalysisResult:
    """What an analysis returns: its layers and the parameters that made them.

    Attributes
    ----------
    layers
        Registry layer name -> frame in EPSG:4326, shaped as the layer declares.
    params
        The parameters as given.
    chosen
        Values the analysis worked out itself (a default cell size, the
        distance band, the metric CRS...), JSON-ready, for the record.
    """

    layers: Mapping[str, gpd.GeoDataFrame]
    params: Params
    chosen: Mapping[str, Any] = field(default_factory=dict)

    @property
    def frame(self) -> gpd.GeoDataFrame:
        """The one layer of a single-layer analysis."""
        (only,) = self.layers.values()
        return only

    def parameters(self) -> dict[str, Any]:
        """The given and the chosen parameters together, JSON-ready."""
        return {**self.params.as_dict(), **self.chosen}


@dataclass(frozen=True)
class Analysis:
    """The declaration of one analysis.

    Attributes
    ----------
    name
        Short name used by the CLI (``citygrid analyse NAME``) and the web.
    params
        Its parameter set.
    layers
        Names of the derived registry layers it produces.
    run
        ``run(context, params) -> AnalysisResult``.
    """

    name: str
    params: type[Params]
    layers: tuple[str, ...]
    run: Callable[[CityContext, Any], AnalysisResult]


ANALYSES: Declarations[Analysis] = Declarations(_BUILTIN_MODULES)
"""Every declared analysis by name."""


def register_analysis(analysis: Analysis) -> Analysis:
    """Add an analysis declaration (a later one with the same name replaces it)."""
    return ANALYSES.add(analysis.name, analysis)


def all_analyses() -> list[Analysis]:
    """Every declared analysis, in declaration order."""
    return ANALYSES.values()


def get_analysis(name: str) -> Analysis:
    """The analysis called ``name``, or :class:`NotFound` listing the known ones."""
    analysis = ANALYSES.get(name)
    if analysis is None:
        raise NotFound(
            "Unknown analysis {name!r}. Known analyses: {known}.",
            name=name,
            known=", ".join(ANALYSES.names()),
        )
    return analysis


def analysis_for_layer(layer_name: str) -> Analysis | None:
    """The analysis that produces the derived layer ``layer_name``, if any."""
    return next((a for a in all_analyses() if layer_name in a.layers), None)
