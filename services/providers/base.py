"""The one interface through which the web and the APIs reach every collection.

In the manner of pygeoapi's providers: a :class:`Provider` serves one
layer of the registry, whether it is stored (read through the store) or
computed (an analysis run with typed parameters). Callers build a
:class:`FeatureQuery` with :meth:`Provider.query` from the text a user
sent, then ask for a :class:`FeaturePage` with :meth:`Provider.features`
or one feature with :meth:`Provider.feature`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from citygrid.errors import BadInput
from citygrid.layers.registry import Layer
from citygrid.params import Bbox, Params
from citygrid.services.context import CityContext
from citygrid.services.providers.filters import FieldFilter, parse_filters, parse_sortby


@dataclass(frozen=True)
class FeatureQuery:
    """What to read from a collection.

    Attributes
    ----------
    bbox
        ``(minx, miny, maxx, maxy)`` in EPSG:4326 degrees: features
        intersecting it; ``None`` for all.
    filters
        Field filters, all of which a feature must pass.
    limit
        At most this many features in the page.
    after
        Continue after this position: the ``next`` of the previous page.
    params
        The analysis parameters (computed layers only; ``None`` for the defaults).
    sortby
        Fields to order by, each with whether it sorts descending (missing
        values last); ties keep the layer's order.
    offset
        Page by position instead of by ``after``: skip this many matching
        features; the page then always says how many match (``matched``).
    fields
        The fields the caller needs (the key always comes too); a provider
        may leave the others out. ``None`` for every field.
    """

    bbox: Bbox | None = None
    filters: tuple[FieldFilter, ...] = ()
    limit: int = 1000
    after: int | None = None
    params: Params | None = None
    sortby: tuple[tuple[str, bool], ...] = ()
    offset: int | None = None
    fields: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FeaturePage:
    """One page of features.

    Attributes
    ----------
    frame
        The features, shaped as the layer declares (a GeoDataFrame in
        EPSG:4326 for spatial layers).
    truncated
        More features match than the page holds.
    next
        Pass as :attr:`FeatureQuery.after` to get the following page;
        ``None`` when there is none.
    matched
        How many features match in all, when known.
    parameters
        The analysis parameters used, given and chosen (computed layers), JSON-ready.
    """

    frame: pd.DataFrame
    truncated: bool
    next: int | None = None
    matched: int | None = None
    parameters: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Collection:
    """What a provider serves: the layer declaration and, if computed, its parameters.

    Attributes
    ----------
    layer
        The registry's declaration.
    analysis
        Name of the analysis computing it, ``None`` for a stored layer.
    params
        The analysis's parameter set, ``None`` for a stored layer.
    """

    layer: Layer
    analysis: str | None = None
    params: type[Params] | None = field(default=None)

    def parameters_schema(self) -> dict[str, Any] | None:
        """The JSON schema of the analysis parameters, ``None`` for a stored layer."""
        return None if self.params is None else self.params.json_schema()


class Provider(ABC):
    """Access to the features of one layer; see the module docstring."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer

    @abstractmethod
    def describe(self) -> Collection:
        """The layer declaration and, for computed layers, the parameters."""

    @abstractmethod
    def count(self, ctx: CityContext) -> int | None:
        """How many features the layer holds; ``None`` when only a run can tell."""

    @abstractmethod
    def extent(self, ctx: CityContext) -> Bbox | None:
        """``(minx, miny, maxx, maxy)`` of the features in EPSG:4326; ``None`` when
        empty, without geometry, or known only after a run."""

    @abstractmethod
    def features(self, ctx: CityContext, query: FeatureQuery) -> FeaturePage:
        """The features matching ``query``, the first ``query.limit`` of them, in a stable order.

        Raises
        ------
        BadInput
            The query does not fit the layer (a bbox on a layer without geometry).
        """

    @abstractmethod
    def feature(
        self, ctx: CityContext, code: str, query: FeatureQuery | None = None
    ) -> pd.DataFrame:
        """The one-row frame of the feature ``code`` (its fid for layers without a key).

        ``query.params`` chooses the analysis parameters of a computed layer.

        Raises
        ------
        NotFound
            No such feature.
        """

    def kept_whole(self, ctx: CityContext, query: FeatureQuery) -> pd.DataFrame | None:
        """Every feature the principal may see, with ``query.fields``, as the provider keeps
        them in memory to answer requests around a view (made now when missing: slow);
        ``None`` when it keeps none (the default)."""
        return None

    def answer_key(self, ctx: CityContext, query: FeatureQuery) -> Hashable:
        """What the features ``query`` finds depend on beyond the query and the principal,
        for caches of answers: the store's ``data_version`` (a computed layer's result
        key adds the day and what its parameters depend on)."""
        return ctx.store.data_version()

    def query(
        self,
        texts: Mapping[str, Sequence[str]],
        *,
        bbox: Bbox | None = None,
        limit: int = 1000,
        after: int | None = None,
        sortby: str | None = None,
        offset: int | None = None,
    ) -> FeatureQuery:
        """Build a :class:`FeatureQuery` from what a user typed.

        Parameters
        ----------
        texts
            Field filters (a field's name or zh/en label -> the values, any
            of which matches) and, for a computed layer, its analysis
            parameters (name -> one value). Paging is given apart.
        bbox, limit, after, offset
            Already checked paging and area (EPSG:4326 degrees).
        sortby
            Fields to order by, comma-separated, each by name or zh/en label,
            ``-`` before one for descending (:func:`~.filters.parse_sortby`).

        Raises
        ------
        BadInput
            An unknown name, a bad value, or a bbox on a layer without geometry.
        """
        if bbox is not None and not self.layer.has_geometry:
            raise BadInput(
                "Layer {layer} has no geometry, so it cannot be filtered by bbox; leave bbox out.",
                layer=self.layer.name,
            )
        names = self._parameter_names()
        params = self._params({k: v for k, v in texts.items() if k in names})
        filters = parse_filters(
            self.layer, {k: v for k, v in texts.items() if k not in names}, names
        )
        order = parse_sortby(self.layer, sortby) if sortby is not None else ()
        return FeatureQuery(bbox, filters, limit, after, params, order, offset)

    def _parameter_names(self) -> tuple[str, ...]:
        params = self.describe().params
        return () if params is None else tuple(spec.name for spec in params.specs())

    def _params(self, texts: Mapping[str, Sequence[str]]) -> Params | None:
        params = self.describe().params
        return None if params is None else params.from_text(texts)
