"""What the registry says about responsibility, in the forms the services need.

Nothing here lists layers: every answer is derived from the
:class:`~citygrid.layers.registry.Responsibility` declarations, so a layer
declared with one is assigned, auto-assigned, routed and counted.
"""

from __future__ import annotations

from citygrid.layers.registry import (
    Layer,
    Responsibility,
    get_layer,
    responsible_layer,
    responsible_layers,
)


def assignable_layers() -> list[str]:
    """Names of the layers a unit can be made responsible for, in chain order."""
    return [layer.name for layer in responsible_layers()]


def head_field(layer_name: str) -> str | None:
    """The field naming the head of a responsible layer's features (a cell's grid manager).

    Raises
    ------
    BadInput
        ``layer_name`` is not a responsible layer (its name, zh or en title).
    """
    return duty(responsible_layer(layer_name)).head_field


def unit_field(layer_name: str) -> str:
    """The field naming the responsible unit of a responsible layer's features."""
    return duty(responsible_layer(layer_name)).unit_field


def duty(layer: Layer) -> Responsibility:
    """The layer's :class:`~citygrid.layers.registry.Responsibility` (it must have one)."""
    assert layer.responsibility is not None, layer.name
    return layer.responsibility


def unit_holding_fields() -> list[tuple[str, str]]:
    """``(layer, field)`` of everything that names a unit as its holder.

    The responsible layers' unit fields, the people's unit and the units'
    parent: what must be moved before a unit can be deleted.
    """
    held = [(layer.name, duty(layer).unit_field) for layer in responsible_layers()]
    return [*held, ("people", "unit_code"), ("units", get_layer("units").field("parent_code").name)]
