"""A principal's scope as part of every read and write of a layer.

:func:`scope_filter` turns the principal's role and scope into what a
query of one layer must add: equality filters (``grid_code IN cells``,
``unit_code = unit``) and an area the features must meet (the scope's
cells, for streets, alleys, points and inspections, which hold no cell
code). Stored providers put both into the SQL of their read; computed
providers apply them to the analysis result. :func:`withhold_personal`
drops personal fields for roles that may not see them, and
:func:`check_write` refuses changes outside the principal's role or scope.

How a layer falls inside a scope is declared on the layer
(:class:`~citygrid.layers.registry.Access`); a computed layer with a
geometry is matched by location.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from citygrid.errors import NotFound, PermissionDenied, Unauthorized
from citygrid.layers.registry import Layer
from citygrid.services.accounts.scope import Scope
from citygrid.services.context import CityContext
from citygrid.services.providers.cache import ResultCache

_AREAS = ResultCache(entries=64)


@dataclass(frozen=True)
class ScopeFilter:
    """What a read of one layer adds to stay inside a scope.

    Attributes
    ----------
    where
        Field -> the values one of which a feature must hold.
    area
        A geometry (EPSG:4326) the features must meet, or ``None``.
    """

    where: Mapping[str, Sequence[str]] = field(default_factory=dict)
    area: shapely.Geometry | None = None

    def conditions(self, table: sa.Table) -> list[sa.ColumnElement[bool]]:
        """The filter's field values as SQL conditions on the layer's ``table``."""
        return [table.c[name].in_(list(values)) for name, values in self.where.items()]

    @property
    def everything(self) -> bool:
        """Whether the filter keeps every feature."""
        return not self.where and self.area is None

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """Which rows of an in-memory frame (a computed result) the filter keeps."""
        keep = pd.Series(True, index=frame.index)
        for name, values in self.where.items():
            held = frame[name] if name in frame.columns else pd.Series(None, index=frame.index)
            keep &= held.isin(list(values))
        if self.area is not None:
            keep &= inside_area(frame.geometry.to_numpy(), self.area)
        return keep


SLIVER_SHARE = 0.001
"""A polygon is in a scope when more than this share of its area is inside."""


def inside_area(geometries: np.ndarray, area: shapely.Geometry) -> np.ndarray:
    """Which geometries lie partly inside ``area``: polygons by more than a sliver (a
    :data:`SLIVER_SHARE` of their area), lines and points by more than touching it.

    A cell beside the scope shares an edge with it; in degrees, rounding makes
    such neighbours seem to overlap it by a hair, so polygons are weighed by
    the area they share, not by the topology alone.
    """
    meets = shapely.intersects(geometries, area) & ~shapely.touches(geometries, area)
    polygons = meets & np.isin(shapely.get_type_id(geometries), _POLYGON_TYPES)
    shared = shapely.area(shapely.intersection(geometries[polygons], area))
    meets[polygons] = shared > SLIVER_SHARE * shapely.area(geometries[polygons])
    return meets


_POLYGON_TYPES = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def scope_filter(ctx: CityContext, layer: Layer) -> ScopeFilter:
    """What a read of ``layer`` for ``ctx.principal`` must add to its query.

    Raises
    ------
    Unauthorized, PermissionDenied
        The principal may not read the layer at all, or the layer cannot be
        limited to the principal's scope (such layers are for users who see
        the whole city).
    """
    principal = ctx.principal
    principal.check_read(layer)
    if principal.city_wide or layer.access.shared:
        return ScopeFilter()
    scope = principal.scope
    access = layer.access
    if scope.kind == "unit" and access.unit_field:
        return ScopeFilter(where={access.unit_field: scope.codes})
    if scope.kind in ("grid", "jurisdiction"):
        if access.grid_field:
            return ScopeFilter(where={access.grid_field: scope_cells(ctx, scope)})
        if access.located or (not layer.stored and layer.has_geometry):
            area = scope_area(ctx, scope)
            if area.is_empty:  # a scope whose cells are gone: nothing is inside
                return ScopeFilter(where={layer.key or "fid": ()})
            return ScopeFilter(area=area)
    raise PermissionDenied(
        "Layer {layer} cannot be limited to your scope ({scope}); only users who see the "
        "whole city read it.",
        layer=layer.name,
        scope=str(scope),
    )


def may_read(ctx: CityContext, layer: Layer) -> bool:
    """Whether ``ctx.principal`` reads any of ``layer`` (:func:`scope_filter` does not refuse)."""
    try:
        scope_filter(ctx, layer)
    except (Unauthorized, PermissionDenied):
        return False
    return True


def withhold_personal(ctx: CityContext, layer: Layer, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the layer's personal fields, unless the principal may see them."""
    if ctx.principal.personal:
        return frame
    personal = [f.name for f in layer.fields if f.personal and f.name in frame.columns]
    return frame.drop(columns=personal) if personal else frame


def check_write(ctx: CityContext, layer: Layer, codes: Sequence[str]) -> None:
    """Refuse a change to the features ``codes`` of ``layer`` that the principal may not make.

    Raises
    ------
    Unauthorized, PermissionDenied
        Nobody signed in, a role that does not change the layer, or features
        outside the principal's scope (named).
    NotFound
        Some codes name no feature at all (checked for scoped principals only).
    """
    ctx.principal.check_write(layer)
    if ctx.principal.city_wide:
        return  # whether the features exist is the change's own business
    key = layer.key or "fid"
    wanted = list(dict.fromkeys(codes))
    stored = set(ctx.store.read(layer.name, where={key: wanted}, columns=[key])[key])
    missing = [c for c in wanted if c not in stored]
    if missing:
        raise NotFound(
            "Layer {layer} has no features {codes}.", layer=layer.name, codes=", ".join(missing)
        )
    found = scope_filter(ctx, layer)
    inside = ctx.store.read(
        layer.name,
        where={key: wanted},
        filters=found.conditions(ctx.store.table(layer.name)),
        intersects=found.area,
        columns=[key],
    )
    outside = [c for c in wanted if c not in set(inside[key])]
    if outside:
        raise PermissionDenied(
            "{codes} of layer {layer} are outside your scope ({scope}); ask someone "
            "responsible for them.",
            codes=", ".join(outside[:20]),
            layer=layer.name,
            scope=str(ctx.principal.scope),
        )


def scope_cells(ctx: CityContext, scope: Scope) -> tuple[str, ...]:
    """The grid cells of a cell or jurisdiction scope (a jurisdiction's: those of it and
    every jurisdiction below it, by the cells' sub-district and community codes)."""
    if scope.kind == "grid":
        return scope.codes
    key = ("cells", str(scope), ctx.store.data_version())
    return _AREAS.get(ctx.store, key, lambda: _jurisdiction_cells(ctx, scope.codes))


def scope_area(ctx: CityContext, scope: Scope) -> shapely.Geometry:
    """The area of a cell or jurisdiction scope: its cells, and its jurisdictions' land."""
    key = ("area", str(scope), ctx.store.data_version())
    return _AREAS.get(ctx.store, key, lambda: _area(ctx, scope))


def _area(ctx: CityContext, scope: Scope) -> shapely.Geometry:
    cells = ctx.store.read("grids", where={"code": list(scope_cells(ctx, scope))}, columns=[])
    parts = list(cells.geometry)
    if scope.kind == "jurisdiction":
        parts += list(ctx.store.read("jurisdictions", where={"code": list(scope.codes)}).geometry)
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _jurisdiction_cells(ctx: CityContext, codes: Sequence[str]) -> tuple[str, ...]:
    tree = ctx.store.read("jurisdictions", columns=["code", "parent_code"])
    children: dict[str, list[str]] = {}
    for code, parent in zip(tree["code"], tree["parent_code"], strict=True):
        children.setdefault(parent, []).append(code)
    below, todo = set(codes), list(codes)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in below:
                below.add(child)
                todo.append(child)
    grids = ctx.store.read("grids", columns=["code", "subdistrict_code", "community_code"])
    inside = grids["subdistrict_code"].isin(below) | grids["community_code"].isin(below)
    return tuple(grids.loc[inside, "code"])
