"""What the map's planner panel shows of one feature: its unit and head by name, and the
units and people a planner picks from.

Everything is read through the providers, so the principal's role and
scope apply: a feature outside the scope, or deleted, is not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from citygrid.errors import PermissionDenied, Unauthorized
from citygrid.layers.registry import Layer
from citygrid.services.context import CityContext
from citygrid.services.providers import FeatureQuery, provider_for
from citygrid.services.providers.scoping import check_write
from citygrid.services.responsibility.layers import (
    assignable_layers,
    head_field,
    responsible_layer,
    unit_field,
)

ALL = 10**9
"""A page size no reference layer reaches: read every feature the principal may read."""


def named(ctx: CityContext, layer_name: str, codes: Sequence[Any]) -> dict[str, str]:
    """Names of the features ``codes`` of a layer with a ``name`` field (code -> name), as far
    as the principal reads them; codes it cannot read are left out."""
    wanted = sorted({str(c) for c in codes if c is not None and not pd.isna(c)})
    if not wanted:
        return {}
    provider = provider_for(layer_name)
    frame = provider.features(ctx, provider.query({"code": wanted}, limit=ALL)).frame
    return dict(zip(frame["code"].astype(str), frame["name"].fillna(frame["code"]), strict=True))


def _ref(code: Any, names: dict[str, str]) -> dict[str, str] | None:
    if code is None or pd.isna(code):
        return None
    return {"code": str(code), "name": names.get(str(code), str(code))}


def feature_panel(ctx: CityContext, layer_name: str, code: str) -> dict[str, Any]:
    """One feature of a responsible layer as the planner panel shows it.

    Returns
    -------
    dict
        ``layer``, ``title`` (the layer's title), ``code``, ``name``,
        ``version``, ``unit`` and ``head`` (``{"code", "name"}`` or
        ``None``), ``has_head`` (whether the layer has a head) and
        ``writable`` (whether the feature lies in the principal's scope,
        where they may change it).

    Raises
    ------
    BadInput
        The layer has no responsible unit.
    Unauthorized, PermissionDenied
        The principal's role does not change the layer.
    NotFound
        No such feature within the principal's scope (or it was deleted).
    """
    layer = responsible_layer(layer_name)
    ctx.principal.check_write(layer)
    row = provider_for(layer.name).feature(ctx, code).iloc[0]
    unit_code = row.get(unit_field(layer.name))
    head_name = head_field(layer.name)
    head_code = row.get(head_name) if head_name else None
    return {
        "layer": layer.name,
        "title": layer.title(),
        "code": str(row["code"]),
        "name": None if pd.isna(row.get("name")) else str(row.get("name")),
        "version": int(row["version"]),
        "unit": _ref(unit_code, named(ctx, "units", [unit_code])),
        "head": _ref(head_code, named(ctx, "people", [head_code])),
        "has_head": head_name is not None,
        "writable": _in_scope(ctx, layer, code),
    }


def _in_scope(ctx: CityContext, layer: Layer, code: str) -> bool:
    try:
        check_write(ctx, layer, [code])
    except PermissionDenied:
        return False
    return True


def assignment_choices(ctx: CityContext) -> dict[str, list[dict[str, str | None]]]:
    """The units and people the principal may pick when assigning, sorted by name.

    Only for principals who change some responsible layer (planners, administrators,
    grid managers for their points).

    Returns
    -------
    dict
        ``units``: ``[{"code", "name"}]``; ``people``: ``[{"code", "name",
        "unit_code"}]`` (a head must belong to the unit assigned).

    Raises
    ------
    Unauthorized, PermissionDenied
        The principal changes no responsible layer.
    """
    check_planner(ctx)
    choices: dict[str, list[dict[str, str | None]]] = {}
    for layer_name, extra in (("units", []), ("people", ["unit_code"])):
        provider = provider_for(layer_name)
        frame = provider.features(ctx, FeatureQuery(limit=ALL)).frame
        frame = frame.assign(name=frame["name"].fillna(frame["code"])).sort_values(["name", "code"])
        columns = ["code", "name", *extra]
        rows = frame[columns].astype(object).where(frame[columns].notna(), None)
        choices[layer_name] = rows.to_dict("records")
    return choices


def changed_layers(ctx: CityContext) -> list[str]:
    """The responsible layers whose responsibility the principal may change (none: no
    planner controls)."""
    if ctx.principal.system:
        return assignable_layers()
    role = ctx.principal.role
    return [] if role is None else [name for name in assignable_layers() if role.may_write(name)]


def check_planner(ctx: CityContext) -> None:
    """Refuse a principal who changes no responsible layer.

    Raises
    ------
    Unauthorized
        Nobody is signed in.
    PermissionDenied
        The role changes no responsible layer.
    """
    if changed_layers(ctx):
        return
    if ctx.principal.role is None:
        raise Unauthorized("Sign in to change who is responsible.")
    raise PermissionDenied(
        "Your role ({role}) does not change who is responsible for cells, streets, alleys "
        "or points.",
        role=ctx.principal.role.label(),
    )
