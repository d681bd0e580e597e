"""Create, update and delete one feature of a stored layer, checked and audited.

Each change runs in one transaction through the store, which audits it as
the command line's changes are (who, when, before, after, why): a new
feature as ``write:append`` with the reason ``create CODE``, a change as
``update`` with the fields before and after, a deletion as ``delete``.

What is checked first:

- the layer is stored, editable and served (never the accounts), else
  :class:`ReadOnlyLayer`; problems are reported through intake
  (:func:`~citygrid.services.cycle.intake.report_problem`) and change
  status only through the workflow's transitions
  (:func:`~citygrid.services.cycle.workflow.transition`);
- the principal's role changes the layer and the feature lies in its
  scope, before the change and after it
  (:func:`~citygrid.services.providers.scoping.check_write`);
- the version the client edited is the stored one, else
  :class:`~citygrid.errors.PreconditionFailed` naming who changed it last;
- a deleted feature is referenced by no other feature (a unit still
  holding cells, a person heading a street...).

A change of a responsible feature's unit or head marks it assigned by hand
and takes the open problems linked to it along
(:func:`~citygrid.services.routing.reroute.follow_assignments`), as
``citygrid assign`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from citygrid.errors import (
    BadInput,
    CitygridError,
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ReadOnlyLayer,
)
from citygrid.layers.registry import Layer, all_layers, get_layer
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.context import CityContext
from citygrid.services.features.values import FeatureInput
from citygrid.services.providers.scoping import check_write, scope_filter
from citygrid.services.routing.reroute import follow_assignments

WORKFLOW_FIELDS = {"problems": ("status", "closed_at")}
"""Fields only the workflow's transitions change, by layer."""


def editable_layer(name: str, *, creating: bool = False) -> Layer:
    """The stored, editable, served layer called ``name``.

    Raises
    ------
    NotFound
        No served layer has that name.
    ReadOnlyLayer
        The layer is computed or not editable, or (``creating``) its features
        are made by a service of their own (problems: by reporting them).
    """
    layer = get_layer(name)
    if layer.internal:
        raise NotFound("Unknown layer {name!r}.", name=name)
    if not (layer.stored and layer.editable):
        raise ReadOnlyLayer(
            "Layer {layer} cannot be changed: it is computed or kept by citygrid itself.",
            layer=layer.name,
        )
    if creating and layer.name == "problems":
        raise ReadOnlyLayer(
            "Problems are reported, not created: POST /api/v1/problems a Point Feature with "
            "catalogue_code and description."
        )
    return layer


def create_feature(
    ctx: CityContext, layer_name: str, given: FeatureInput, *, reason: str | None = None
) -> pd.Series:
    """Add one feature to an editable layer; return it as stored (with its version).

    Raises
    ------
    BadInput
        A required field or the geometry is missing, or the key is not given.
    Unauthorized, PermissionDenied
        The role does not change the layer, or the feature would lie outside the scope.
    Conflict
        A feature with that code exists already.
    """
    layer = editable_layer(layer_name, creating=True)
    ctx.principal.check_write(layer)
    key = _key(layer)
    code = given.values.get(key)
    if code is None:
        raise BadInput("Give the new feature's {key} among its properties.", key=key)
    if layer.has_geometry and given.geometry is None:
        raise BadInput("A feature of layer {layer} needs a geometry.", layer=layer.name)
    row = {name: given.values.get(name) for name in layer.field_names}
    frame = _frame(layer, row, given.geometry)
    _check_inside(ctx, layer, frame)
    with ctx.store.transaction() as conn:
        if not ctx.store.read(layer.name, where={key: code}, columns=[key], conn=conn).empty:
            raise Conflict(
                "Layer {layer} has a feature {code} already; change it (PATCH) or give "
                "another code.",
                layer=layer.name,
                code=str(code),
            )
        ctx.store.write(
            layer.name, frame, actor=ctx.actor, reason=reason or f"create {code}", conn=conn
        )
        return ctx.store.get(layer.name, str(code), conn=conn)


def update_feature(
    ctx: CityContext,
    layer_name: str,
    code: str,
    given: FeatureInput,
    *,
    version: int,
    replace: bool = False,
    reason: str | None = None,
) -> pd.Series:
    """Change one feature at ``version``; return it as stored after the change.

    Parameters
    ----------
    given
        The fields to set (and the geometry, if sent). With ``replace``
        (an HTTP PUT) every field not given is cleared and a spatial layer
        needs its geometry.
    version
        The version the client edited.

    Raises
    ------
    NotFound
        No such feature (in the principal's scope).
    PreconditionFailed
        ``version`` is not the stored one (naming who changed it last).
    BadInput
        The key given differs from ``code``, a required field is cleared, or
        a replacement lacks its geometry.
    Unauthorized, PermissionDenied
        The role does not change the layer, or the feature lies (or would
        lie) outside the scope.
    Conflict
        A field only the workflow changes (a problem's status).
    """
    layer = editable_layer(layer_name)
    key = _key(layer)
    if given.values.get(key, code) != code:
        raise BadInput(
            "The {key} of a feature cannot change ({code} -> {new}); create a new one.",
            key=key,
            code=code,
            new=str(given.values[key]),
        )
    check_write(ctx, layer, [code])
    with ctx.store.transaction() as conn:
        current = check_version(ctx, layer, code, version, conn)
        values = dict(given.values)
        if replace:
            values = {name: values.get(name) for name in layer.field_names}
            if layer.has_geometry and given.geometry is None:
                raise BadInput(
                    "A replacement (PUT) of a feature of layer {layer} needs its geometry; "
                    "send PATCH to change some fields only.",
                    layer=layer.name,
                )
        values[key] = code
        _check_workflow(layer, current, values)
        _check_required(layer, values)
        after = {name: values.get(name, current.get(name)) for name in layer.field_names}
        geometry = given.geometry if given.geometry is not None else current.get("geometry")
        _check_inside(ctx, layer, _frame(layer, after, geometry))
        changes = _frame(layer, {**values, "version": version}, given.geometry)
        if given.geometry is None and "geometry" in changes.columns:
            changes = pd.DataFrame(changes.drop(columns="geometry"))
        _mark_by_hand(layer, current, values, changes)
        log = ctx.store.update(layer.name, changes, actor=ctx.actor, reason=reason, conn=conn)
        if not log.empty and layer.responsibility is not None and _reassigned(layer, log):
            follow_assignments(ctx, {layer.name: [code]}, reason=reason, conn=conn)
        return ctx.store.get(layer.name, code, conn=conn)


def delete_feature(
    ctx: CityContext, layer_name: str, code: str, *, version: int, reason: str | None = None
) -> None:
    """Delete one feature at ``version``.

    Raises
    ------
    NotFound, PreconditionFailed, Unauthorized, PermissionDenied
        As :func:`update_feature`.
    Conflict
        Other features still name it (they are listed); nothing is deleted.
    """
    layer = editable_layer(layer_name)
    check_write(ctx, layer, [code])
    with ctx.store.transaction() as conn:
        check_version(ctx, layer, code, version, conn)
        _check_unreferenced(ctx, layer, code, conn)
        ctx.store.delete(layer.name, [code], actor=ctx.actor, reason=reason, conn=conn)


def check_version(
    ctx: CityContext, layer: Layer, code: str, version: int, conn: sa.Connection | None = None
) -> pd.Series:
    """The feature ``code`` as stored, if it is still at ``version``.

    Raises
    ------
    NotFound
        No such feature.
    PreconditionFailed
        Its version is another; the message names who changed it last and when.
    """
    key = _key(layer)
    found = ctx.store.read(layer.name, where={key: code}, conn=conn)
    if found.empty:
        raise NotFound("Layer {layer} has no feature {code!r}.", layer=layer.name, code=code)
    current = found.iloc[0]
    stored = int(current["version"])
    if stored != version:
        history = ctx.store.history(layer.name, code, conn=conn)
        last = history.iloc[-1] if not history.empty else None
        raise PreconditionFailed(
            "{layer} {code} was changed by {actor} at {at} (now version {version}, you "
            "edited version {expected}). Read it again and make your change on the new version.",
            layer=layer.name,
            code=code,
            actor=str(last["actor"]) if last is not None else "?",
            at=str(last["at"]) if last is not None else "?",
            version=stored,
            expected=version,
        )
    return current


def _key(layer: Layer) -> str:
    if layer.key is None:
        raise ReadOnlyLayer("Layer {layer} has no code to name its features by.", layer=layer.name)
    return layer.key


def _frame(layer: Layer, row: Mapping[str, Any], geometry: Any) -> pd.DataFrame:
    data = pd.DataFrame([dict(row)])
    if not layer.has_geometry or geometry is None:
        return data
    return gpd.GeoDataFrame(data, geometry=[geometry], crs=STORAGE_CRS)


def _check_inside(ctx: CityContext, layer: Layer, frame: pd.DataFrame) -> None:
    """Refuse a feature that would lie outside a scoped principal's scope."""
    if ctx.principal.city_wide:
        return
    found = scope_filter(ctx, layer)
    if found.area is not None and not isinstance(frame, gpd.GeoDataFrame):
        return
    if not bool(found.mask(frame).iloc[0]):
        raise check_outside(ctx, layer, str(frame[_key(layer)].iloc[0]))


def check_outside(ctx: CityContext, layer: Layer, code: str) -> CitygridError:
    """The error for a feature that would lie outside the principal's scope."""
    return PermissionDenied(
        "{code} of layer {layer} would lie outside your scope ({scope}); ask someone "
        "responsible for that place.",
        code=code,
        layer=layer.name,
        scope=str(ctx.principal.scope),
    )


def _check_workflow(layer: Layer, current: pd.Series, values: Mapping[str, Any]) -> None:
    for name in WORKFLOW_FIELDS.get(layer.name, ()):
        if name not in values:
            continue
        now, new = current.get(name), values[name]
        if (pd.isna(now) and new is None) or (not pd.isna(now) and now == new):
            continue
        raise Conflict(
            "The {field} of a {layer} feature changes only through its workflow: POST "
            "/api/v1/{layer}/{code}/actions/<transition> (register, dispatch, rectify, "
            "verify, rework).",
            field=name,
            layer=layer.name,
            code=str(current[_key(layer)]),
        )


def _check_required(layer: Layer, values: Mapping[str, Any]) -> None:
    missing = [
        f.name for f in layer.required_fields() if f.name in values and values[f.name] is None
    ]
    if missing:
        raise BadInput(
            "Layer {layer} needs a value in {fields}.", layer=layer.name, fields=", ".join(missing)
        )


def _duty_fields(layer: Layer) -> tuple[str, ...]:
    duty = layer.responsibility
    if duty is None:
        return ()
    return tuple(f for f in (duty.unit_field, duty.head_field) if f)


def _mark_by_hand(
    layer: Layer, current: pd.Series, values: Mapping[str, Any], changes: pd.DataFrame
) -> None:
    """A unit or head set by hand is kept by auto-assign (``assigned_by = manual``)."""
    if "assigned_by" not in layer.field_names or "assigned_by" in values:
        return
    for name in _duty_fields(layer):
        if name in values and values[name] != (None if pd.isna(current[name]) else current[name]):
            changes["assigned_by"] = "manual"
            return


def _reassigned(layer: Layer, log: pd.DataFrame) -> bool:
    changed = set().union(*(set(after) for after in log["after"]))
    return bool(changed & set(_duty_fields(layer)))


def _check_unreferenced(ctx: CityContext, layer: Layer, code: str, conn: sa.Connection) -> None:
    """Refuse to delete a feature other features name (by a field referencing its layer)."""
    holders: dict[str, list[str]] = {}
    for other in all_layers():
        if not other.stored or other.internal:
            continue
        for field in other.fields:
            if field.references != layer.name:
                continue
            key = other.key or "fid"
            held = ctx.store.read(
                other.name,
                where={field.name: code},
                columns=[] if key == "fid" else [key],
                limit=10,
                conn=conn,
            )
            if not held.empty:
                holders.setdefault(other.name, []).extend(str(v) for v in held[key])
    if holders:
        raise Conflict(
            "{layer} {code} is still named by {holders}; change those first, then delete "
            "it again. Nothing was deleted.",
            layer=layer.name,
            code=code,
            holders="; ".join(
                f"{name}: {', '.join(dict.fromkeys(c))}" for name, c in holders.items()
            ),
        )
