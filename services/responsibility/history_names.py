"""A feature's audit history as people read it: who by name, when, what changed, with the
names of the units and people a change names.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from citygrid.i18n import _
from citygrid.layers.registry import get_layer
from citygrid.services.context import CityContext
from citygrid.services.responsibility.history import feature_history
from citygrid.services.responsibility.panel import check_planner, named

_ACTIONS = {
    "assign": "Assigned by hand",
    "auto_assign": "Assigned automatically",
    "apply_proposal": "Coverage proposal applied",
    "reroute": "Rerouted",
    "correct_location": "Location corrected",
    "insert": "Added",
    "update": "Updated",
    "delete": "Deleted",
}
_SKIPPED = {"version", "updated_at", "geometry"}


def action_label(action: str) -> str:
    """An audit action (``assign``...) in the current language; unknown ones as they are."""
    return _(_ACTIONS[action]) if action in _ACTIONS else action


def when(at: Any) -> str:
    """A time as people write it: ``2026-11-27 21:30``."""
    stamp = pd.Timestamp(at)
    return "" if pd.isna(stamp) else stamp.strftime("%Y-%m-%d %H:%M")


def described_history(ctx: CityContext, layer_name: str, code: str) -> list[dict[str, Any]]:
    """The audit entries of one feature, newest first, for the planner panel.

    Returns
    -------
    list of dict
        ``at`` (``YYYY-MM-DD HH:MM``), ``actor`` (``{"user", "name"}``: the
        user name and their full name), ``action`` and ``action_label``,
        ``reason`` and ``changes``: ``[{"field", "label", "before", "after"}]``
        with unit and person codes shown as ``name (code)`` and choices by
        their labels.

    Raises
    ------
    Unauthorized, PermissionDenied
        The principal changes no responsible layer.
    NotFound
        The feature does not exist and never did.
    """
    check_planner(ctx)
    layer = get_layer(layer_name)
    ctx.principal.check_read(layer)
    history = feature_history(ctx, layer.name, code)
    fields = {f.name: f for f in layer.fields}
    referenced: dict[str, set[str]] = {}
    for before, after in zip(history["before"], history["after"], strict=True):
        for name in {*before, *after} & fields.keys():
            target = fields[name].references
            if target is not None:
                values = {before.get(name), after.get(name)} - {None}
                referenced.setdefault(target, set()).update(map(str, values))
    names = {target: named(ctx, target, sorted(codes)) for target, codes in referenced.items()}
    people = _full_names(ctx, set(history["actor"].dropna()))
    entries = []
    for row in history.iloc[::-1].itertuples(index=False):
        changes = []
        for name in sorted({*row.before, *row.after} - _SKIPPED):
            field = fields.get(name)
            target = field.references if field is not None else None
            if field is not None and field.choices:  # a choice by its label
                show = {c.value: c.label() for c in field.choices}
            else:  # a unit or person as "name (code)"
                show = {
                    code: f"{name} ({code})" for code, name in names.get(target or "", {}).items()
                }
            changes.append(
                {
                    "field": name,
                    "label": field.label() if field is not None else name,
                    "before": _shown(row.before.get(name), show),
                    "after": _shown(row.after.get(name), show),
                }
            )
        entries.append(
            {
                "at": when(row.at),
                "actor": {"user": row.actor, "name": people.get(row.actor, row.actor)},
                "action": row.action,
                "action_label": action_label(row.action),
                "reason": row.reason if isinstance(row.reason, str) else None,
                "changes": changes,
            }
        )
    return entries


def _shown(value: Any, shown: dict[str, str]) -> str | None:
    """A value as people read it (see :func:`described_history`)."""
    return None if value is None else shown.get(str(value), str(value))


def _full_names(ctx: CityContext, users: set[str]) -> dict[str, str]:
    """User name -> full name of the users who made changes (the user name when none)."""
    if not users:
        return {}
    rows = ctx.store.read("users", where={"code": sorted(users)}, columns=["code", "name"])
    return {
        str(user): str(full) if isinstance(full, str) and full else str(user)
        for user, full in zip(rows["code"], rows["name"], strict=True)
    }
