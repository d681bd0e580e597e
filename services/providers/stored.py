"""The provider of a stored layer: reads through the store, filters in SQL."""

from __future__ import annotations

from typing import Any

import pandas as pd
import shapely

from citygrid.errors import BadInput, NotFound
from citygrid.layers.registry import INT64_RANGE, Field
from citygrid.params import Bbox, parse_int
from citygrid.services.context import CityContext
from citygrid.services.providers.base import Collection, FeaturePage, FeatureQuery, Provider
from citygrid.services.providers.filters import sql_condition


class StoredLayerProvider(Provider):
    """Features of a layer with a table in the store, in fid order."""

    def describe(self) -> Collection:
        """The layer declaration (no parameters)."""
        return Collection(self.layer)

    def count(self, ctx: CityContext) -> int:
        """The number of stored features."""
        return ctx.store.count(self.layer.name)

    def extent(self, ctx: CityContext) -> Bbox | None:
        """The stored features' extent (EPSG:4326), ``None`` when empty or without geometry."""
        return ctx.store.extent(self.layer.name) if self.layer.has_geometry else None

    def features(self, ctx: CityContext, query: FeatureQuery) -> FeaturePage:
        """The first ``query.limit`` matching features after ``query.after`` (a fid).

        Filters, the bbox's bounding-box test and the limit run in SQL, so
        a bbox over a city of a million problems reads ``limit + 1`` rows;
        the bbox is then applied exactly (shapely) on the rows read.
        ``truncated`` counts bounding-box candidates: it may say more
        features match when the extra ones only touch the bbox's corner.
        """
        store = ctx.store
        table = store.table(self.layer.name)
        conditions = [sql_condition(table, found) for found in query.filters]
        if query.bbox is not None:
            conditions.append(store.backend.bbox_filter(table, query.bbox))
        if query.after is not None:
            conditions.append(table.c.fid > query.after)
        frame = store.read(self.layer.name, filters=conditions, limit=query.limit + 1)
        truncated = len(frame) > query.limit
        frame = frame.iloc[: query.limit]
        following = int(frame["fid"].iloc[-1]) if truncated else None
        if query.bbox is not None:
            frame = frame[frame.intersects(shapely.box(*query.bbox))]
        matched = len(frame) if not truncated and query.after is None else None
        return FeaturePage(frame, truncated, following, matched)

    def feature(
        self, ctx: CityContext, code: str, query: FeatureQuery | None = None
    ) -> pd.DataFrame:
        """The feature whose key is ``code`` (its fid, ASCII digits, for layers without a key)."""
        key = self.layer.key
        try:
            value = _key_value(self.layer.field(key), code) if key else _fid(code)
        except (BadInput, ValueError):
            value = None
        frame = (
            ctx.store.read(self.layer.name, where={key or "fid": value}, limit=1)
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
        return frame


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
