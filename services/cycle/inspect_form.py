"""What an inspector's form offers: the catalogue's items, the places to check, the area.

Read through the providers, so the principal's scope applies: an
inspector of two cells is offered the points, streets and alleys of those
cells, and the map opens on them. Reporting and recording are the intake's
and the inspections' (:func:`~citygrid.services.cycle.intake.report_problem`,
:func:`~citygrid.services.cycle.inspections.record_round`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from citygrid.layers.base_layers import INSPECTION_KINDS
from citygrid.params import Bbox
from citygrid.services.context import CityContext
from citygrid.services.cycle.inspections import place_fields
from citygrid.services.cycle.workflow import TRANSITIONS, check_role
from citygrid.services.providers import provider_for
from citygrid.services.providers.scoping import scope_area

KIND_CHOICES = INSPECTION_KINDS
"""The kinds of inspection the form offers, with their zh and en labels."""

MAX_PLACES = 500
"""Places offered at most per layer (a form is no place for a whole city's points)."""


@dataclass(frozen=True)
class InspectView:
    """The inspector's form's choices.

    Attributes
    ----------
    items
        The catalogue items a problem may be reported as (``code``, ``name``;
        the leaves, not the headings), by code.
    places
        Points, streets and alleys in the principal's scope: ``layer``,
        ``code``, ``name`` and the geometry (EPSG:4326), by layer and name.
    bbox
        Where the map opens: the scope's area, else the city's extent.
    records_rounds
        Whether the principal records inspection rounds (else only reports problems).
    """

    items: pd.DataFrame
    places: gpd.GeoDataFrame
    bbox: Bbox | None
    records_rounds: bool


def inspect_view(ctx: CityContext) -> InspectView:
    """The items, places and area of the inspector's form for ``ctx.principal``.

    Raises
    ------
    Unauthorized, PermissionDenied
        Nobody signed in, or a role that may not report problems.
    """
    check_role(ctx, TRANSITIONS["report"])
    frames = []
    for layer in place_fields():
        provider = provider_for(layer)
        page = provider.features(ctx, provider.query({}, limit=MAX_PLACES))
        frames.append(page.frame[["code", "name", "geometry"]].assign(layer=layer))
    places = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    places = places.sort_values(["layer", "name"], ignore_index=True)
    principal = ctx.principal
    records = principal.system or (
        principal.role is not None and principal.role.may_write("inspections")
    )
    return InspectView(_items(ctx), places, _bbox(ctx), records)


def _items(ctx: CityContext) -> pd.DataFrame:
    """The catalogue's leaves (``code``, ``name``), by code."""
    catalogue = ctx.store.read("catalogue", columns=["code", "name", "parent_code"])
    leaves = catalogue[~catalogue["code"].isin(catalogue["parent_code"].dropna())]
    return pd.DataFrame(leaves[["code", "name"]]).sort_values("code", ignore_index=True)


def _bbox(ctx: CityContext) -> Bbox | None:
    """The scope's area's bounds for a scoped principal, else the city's extent."""
    principal = ctx.principal
    if not principal.city_wide and principal.scope.kind in ("grid", "jurisdiction"):
        area = scope_area(ctx, principal.scope)
        if not area.is_empty:
            minx, miny, maxx, maxy = area.bounds
            return (minx, miny, maxx, maxy)
    return ctx.extent
