"""What a responsible unit holds, and deleting a unit that holds nothing."""

from __future__ import annotations

from citygrid.errors import Conflict
from citygrid.layers.base_layers import OPEN_STATUSES
from citygrid.services.context import CityContext
from citygrid.services.responsibility.layers import unit_holding_fields


def unit_holdings(ctx: CityContext, unit: str) -> dict[str, list[str]]:
    """Codes of what a unit holds: features, people, sub-units and open problems."""
    store = ctx.store
    held = {
        layer: sorted(store.read(layer, where={field: unit}, columns=["code"])["code"])
        for layer, field in unit_holding_fields()
    }
    problems = store.read(
        "problems", where={"unit_code": unit, "status": list(OPEN_STATUSES)}, columns=["code"]
    )
    held["problems"] = sorted(problems["code"])
    return {layer: codes for layer, codes in held.items() if codes}


def delete_unit(ctx: CityContext, unit: str, *, reason: str | None = None) -> None:
    """Delete a unit that holds nothing (``ctx.actor`` is written to the audit log).

    Raises
    ------
    NotFound
        There is no such unit.
    Conflict
        The unit still holds features, people, sub-units or open problems;
        the message lists them and nothing is deleted.
    """
    ctx.store.get("units", unit)
    held = unit_holdings(ctx, unit)
    if held:
        listing = "; ".join(
            f"{layer}: {', '.join(codes[:10])}"
            + (f" (+{len(codes) - 10})" if len(codes) > 10 else "")
            for layer, codes in held.items()
        )
        raise Conflict(
            "Unit {unit} still holds {holdings}. Assign them to another unit first, then delete "
            "it again; nothing was deleted.",
            unit=unit,
            holdings=listing,
            held=held,
        )
    ctx.store.delete("units", [unit], actor=ctx.actor, reason=reason)
