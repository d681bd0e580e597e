"""The provider of a computed layer: runs its analysis, caches the result, filters it.

The analysis runs with the typed parameters of the query
(:meth:`Params.from_text`); its result is cached under the analysis, the
parameters' :meth:`~citygrid.params.Params.cache_key`, the store's
:meth:`data_version`, what problem filters depend on beyond their values
(:meth:`~citygrid.services.problems.filters.ProblemFilters.context_key`)
and the day (analyses whose reference day defaults to today, such as
"not inspected for N days", change at midnight), so the
second identical request is answered from memory and any committed write
to the data makes the next request compute again. Field filters, the
bbox and paging then apply to the result.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import shapely

from citygrid.errors import NotFound
from citygrid.layers.registry import Layer
from citygrid.params import Params
from citygrid.services.analysis import Analysis, AnalysisResult
from citygrid.services.context import CityContext
from citygrid.services.problems.filters import ProblemFilters
from citygrid.services.providers.base import Collection, FeaturePage, FeatureQuery, Provider
from citygrid.services.providers.cache import ResultCache
from citygrid.services.providers.filters import frame_mask, sort_frame
from citygrid.services.providers.scoping import scope_filter, withhold_personal

RESULTS = ResultCache()
"""The results of every computed provider, shared by all of them."""


def _context_key(ctx: CityContext, params: Params) -> tuple[Any, ...]:
    """What of the request the result depends on beyond the parameters' values: the
    caller's scope for "my cells", the minute for "overdue" (problem filters only)."""
    if isinstance(params, ProblemFilters):
        return params.context_key(str(ctx.principal.scope), ctx.now)
    return ()


class ComputedLayerProvider(Provider):
    """Features of a layer an analysis computes; see the module docstring.

    Parameters
    ----------
    layer
        The derived layer.
    analysis
        The analysis that produces it (among its other layers).
    """

    def __init__(self, layer: Layer, analysis: Analysis) -> None:
        super().__init__(layer)
        self.analysis = analysis

    def describe(self) -> Collection:
        """The layer declaration, the analysis and its parameter set."""
        return Collection(self.layer, self.analysis.name, self.analysis.params)

    def count(self, ctx: CityContext) -> None:
        """``None``: how many features there are depends on the parameters."""
        return None

    def extent(self, ctx: CityContext) -> None:
        """``None``: the extent depends on the parameters."""
        return None

    def answer_key(self, ctx: CityContext, query: FeatureQuery) -> tuple[Any, ...]:
        """The key of the analysis result for ``query.params``: the analysis, the parameters,
        the data version, the day and what the parameters depend on in the request."""
        params = self._analysis_params(query)
        return (
            self.analysis.name,
            type(params),
            params.cache_key(),
            ctx.store.data_version(),
            ctx.now.date(),
            _context_key(ctx, params),
        )

    def result(self, ctx: CityContext, query: FeatureQuery) -> AnalysisResult:
        """The analysis result for ``query.params`` (the defaults when ``None``), cached."""
        params = self._analysis_params(query)
        key = self.answer_key(ctx, query)
        result: AnalysisResult = RESULTS.get(ctx.store, key, lambda: self.analysis.run(ctx, params))
        return result

    def _analysis_params(self, query: FeatureQuery) -> Params:
        return query.params if query.params is not None else self.analysis.params()

    def features(self, ctx: CityContext, query: FeatureQuery) -> FeaturePage:
        """The matching features of the result, ``query.limit`` of them from position ``after``.

        Features keep the analysis's order; ``matched`` counts every match.
        """
        found = scope_filter(ctx, self.layer)
        result = self.result(ctx, query)
        frame = result.layers[self.layer.name]
        keep = frame_mask(frame, query.filters) & found.mask(frame).to_numpy(dtype=bool)
        if query.bbox is not None:
            keep &= frame.intersects(shapely.box(*query.bbox)).to_numpy(dtype=bool)
        matching = sort_frame(frame[keep], query.sortby)
        start = query.offset if query.offset is not None else (query.after or 0)
        page = matching.iloc[start : start + query.limit]
        end = start + len(page)
        truncated = end < len(matching)
        return FeaturePage(
            withhold_personal(ctx, self.layer, page),
            truncated,
            end if truncated else None,
            len(matching),
            result.parameters(),
        )

    def feature(
        self, ctx: CityContext, code: str, query: FeatureQuery | None = None
    ) -> pd.DataFrame:
        """The feature whose key (or row number, for layers without a key) is ``code``,
        if it lies within the principal's scope."""
        found = scope_filter(ctx, self.layer)
        frame = self.result(ctx, query or FeatureQuery()).layers[self.layer.name]
        key = self.layer.key
        ids = frame[key].astype(str) if key else pd.Series(range(len(frame))).astype(str)
        match = frame[(ids == code).to_numpy()]
        match = match[found.mask(match).to_numpy(dtype=bool)]
        if match.empty:
            raise NotFound(
                "Layer {layer} has no feature {code!r}; list its features at "
                "/api/layers/{layer}/features.",
                layer=self.layer.name,
                code=code,
            )
        return withhold_personal(ctx, self.layer, match.iloc[:1])
