"""The provider of a stored layer: reads through the store, filters in SQL."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd
import shapely

from citygrid.errors import BadInput, NotFound
from citygrid.layers.registry import INT64_RANGE, Field
from citygrid.params import Bbox, parse_int
from citygrid.services.context import CityContext
from citygrid.services.providers.base import Collection, FeaturePage, FeatureQuery, Provider
from citygrid.services.providers.filters import sql_condition
from citygrid.services.providers.scoping import ScopeFilter, scope_filter, withhold_personal
from citygrid.services.providers.snapshots import LayerSnapshot, layer_snapshot


class StoredLayerProvider(Provider):
    """Features of a layer with a table in the store, in fid order."""

    def describe(self) -> Collection:
        """The layer declaration (no parameters)."""
        return Collection(self.layer)

    def count(self, ctx: CityContext) -> int:
        """The number of stored features within the principal's scope."""
        found = scope_filter(ctx, self.layer)
        if found.everything:
            return ctx.store.count(self.layer.name)
        return len(self._scoped(ctx, found, columns=[]))

    def extent(self, ctx: CityContext) -> Bbox | None:
        """The extent (EPSG:4326) of the features within the principal's scope, ``None``
        when there are none or the layer has no geometry."""
        if not self.layer.has_geometry:
            return None
        found = scope_filter(ctx, self.layer)
        if found.everything:
            return ctx.store.extent(self.layer.name)
        frame = self._scoped(ctx, found, columns=[])
        return None if frame.empty else tuple(float(v) for v in frame.total_bounds)  # type: ignore[return-value]

    def _scoped(self, ctx: CityContext, found: ScopeFilter, **read: Any) -> pd.DataFrame:
        filters = [*read.pop("filters", ()), *found.conditions(ctx.store.table(self.layer.name))]
        return ctx.store.read(self.layer.name, filters=filters, intersects=found.area, **read)

    def features(self, ctx: CityContext, query: FeatureQuery) -> FeaturePage:
        """The first ``query.limit`` matching features after ``query.after`` (a fid).

        Filters, the bbox's bounding-box test and the limit run in SQL, so
        a bbox over a city of a million problems reads ``limit + 1`` rows;
        the bbox is then applied exactly (shapely) on the rows read.
        ``truncated`` counts bounding-box candidates: it may say more
        features match when the extra ones only touch the bbox's corner.
        A request around a view (a bbox and nothing else) of a layer kept
        whole in memory (:mod:`.snapshots`) is answered from there instead,
        with the same features.
        """
        if query.offset is not None or query.sortby:
            return self._page_by_offset(ctx, query)
        store = ctx.store
        found = scope_filter(ctx, self.layer)
        snapshot = self._snapshot(ctx, found, query)
        if snapshot is not None and query.bbox is not None:
            return self._page_in(ctx, snapshot, query.bbox, query.limit)
        table = store.table(self.layer.name)
        conditions = [sql_condition(table, found) for found in query.filters]
        if query.bbox is not None:
            conditions.append(store.backend.bbox_filter(table, query.bbox))
        if query.after is not None:
            conditions.append(table.c.fid > query.after)
        frame = self._scoped(
            ctx, found, filters=conditions, limit=query.limit + 1, columns=self._columns(query)
        )
        truncated = len(frame) > query.limit
        frame = frame.iloc[: query.limit]
        following = int(frame["fid"].iloc[-1]) if truncated else None
        if query.bbox is not None:
            frame = frame[frame.intersects(shapely.box(*query.bbox))]
        matched = len(frame) if not truncated and query.after is None else None
        return FeaturePage(withhold_personal(ctx, self.layer, frame), truncated, following, matched)

    def answer_key(self, ctx: CityContext, query: FeatureQuery) -> Hashable:
        """The layer's own data version for a principal who sees every feature (nothing
        else changes what they get); the store's when a scope, drawn from other layers,
        narrows the features."""
        if scope_filter(ctx, self.layer).everything:
            return (self.layer.name, ctx.store.data_version(self.layer.name))
        return ctx.store.data_version()

    def kept_whole(self, ctx: CityContext, query: FeatureQuery) -> pd.DataFrame | None:
        """The layer's snapshot (:mod:`.snapshots`) with ``query.fields``, built now when
        missing, as the principal may see it; ``None`` for a principal with a scope, a
        layer without geometry or one too large to keep."""
        if not self._keeps_whole(scope_filter(ctx, self.layer)):
            return None
        snapshot = layer_snapshot(ctx.store, self.layer, self._columns(query), wait=True)
        return None if snapshot is None else withhold_personal(ctx, self.layer, snapshot.frame)

    def _snapshot(
        self, ctx: CityContext, found: ScopeFilter, query: FeatureQuery
    ) -> LayerSnapshot | None:
        """The layer kept whole in memory (:mod:`.snapshots`) for a request around a view
        (a bbox, no filter, the first page, every feature in scope), if it is kept yet."""
        plain = query.bbox is not None and not query.filters and query.after is None
        if not (plain and self._keeps_whole(found)):
            return None
        return layer_snapshot(ctx.store, self.layer, self._columns(query))

    def _keeps_whole(self, found: ScopeFilter) -> bool:
        """Whether the layer is kept whole for the principal of ``found``: they see every
        feature, and the layer has geometries to look them up by."""
        return found.everything and self.layer.has_geometry

    def _page_in(
        self, ctx: CityContext, snapshot: LayerSnapshot, bbox: Bbox, limit: int
    ) -> FeaturePage:
        """The first ``limit`` features of ``snapshot`` in ``bbox``."""
        frame, truncated = snapshot.in_bbox(bbox, limit)
        following = int(frame["fid"].iloc[-1]) if truncated else None
        matched = None if truncated else len(frame)
        return FeaturePage(withhold_personal(ctx, self.layer, frame), truncated, following, matched)

    def _columns(self, query: FeatureQuery) -> list[str] | None:
        """The fields to read for ``query``: those it needs and the key; ``None`` for all."""
        if query.fields is None:
            return None
        wanted = {*query.fields, self.layer.key}
        return [name for name in self.layer.field_names if name in wanted]

    def _page_by_offset(self, ctx: CityContext, query: FeatureQuery) -> FeaturePage:
        """The page ``query.offset`` features into the order ``query.sortby`` (then fid),
        with how many match in all; ``next`` is the offset of the following page."""
        store = ctx.store
        found = scope_filter(ctx, self.layer)
        table = store.table(self.layer.name)
        conditions = [sql_condition(table, found) for found in query.filters]
        conditions += found.conditions(table)
        offset = query.offset or 0
        read: dict[str, Any] = {"filters": conditions, "intersects": found.area}
        if query.bbox is not None:
            read["bbox"] = query.bbox
        frame = store.read(
            self.layer.name,
            limit=query.limit,
            sort=query.sortby,
            offset=offset,
            columns=self._columns(query),
            **read,
        )
        if query.bbox is None and found.area is None:
            matched = store.count(self.layer.name, filters=conditions)
        else:
            matched = len(store.read(self.layer.name, columns=[], **read))
        end = offset + len(frame)
        following = end if end < matched else None
        return FeaturePage(
            withhold_personal(ctx, self.layer, frame), following is not None, following, matched
        )

    def feature(
        self, ctx: CityContext, code: str, query: FeatureQuery | None = None
    ) -> pd.DataFrame:
        """The feature whose key is ``code`` (its fid, ASCII digits, for layers without a key),
        if it lies within the principal's scope."""
        found = scope_filter(ctx, self.layer)
        key = self.layer.key
        try:
            value = _key_value(self.layer.field(key), code) if key else _fid(code)
        except (BadInput, ValueError):
            value = None
        frame = (
            self._scoped(ctx, found, where={key or "fid": value}, limit=1)
            if value is not None
            else None
        )
        if frame is None or frame.empty:
            raise NotFound(
                "Layer {layer} has no feature {code!r}; list its features at "
                "/api/layers/{layer}/features.",
                layer=self.layer.name,
                code=code,
            )
        return withhold_personal(ctx, self.layer, frame)


def _key_value(field: Field, code: str) -> Any:
    """The code as the key field holds it (text as given, anything else parsed)."""
    if "\x00" in code:
        raise ValueError(code)  # no database text holds NUL (PostgreSQL refuses it)
    return code if field.type == "str" else field.parse(code)


def _fid(text: str) -> int:
    """A fid: ASCII digits within 64 bits, else :class:`ValueError`."""
    value = parse_int(text)
    if not 0 < value <= INT64_RANGE[1]:
        raise ValueError(text)
    return value
