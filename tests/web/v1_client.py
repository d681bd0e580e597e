"""Helpers of the /api/v1 tests: tokens per role on the routed small city, features as bodies."""

from __future__ import annotations

from typing import Any

import pandas as pd

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.accounts import tokens, users
from citygrid.services.context import CityContext
from citygrid.services.routing.reroute import route_problems

ACCOUNTS = {
    "admin2": ("admin", None),
    "planner": ("planner", "jurisdiction:320508001"),
    "manager": ("grid_manager", "grid:G01"),
    "handler": ("unit_handler", "unit:U_PJ"),
    "inspector": ("inspector", "grid:G01,G02"),
    "viewer": ("viewer", "grid:G02"),
}
"""Account name -> (role, scope) of the role tests."""


def role_tokens(city: Store) -> dict[str, dict[str, str]]:
    """Route the city's problems, add :data:`ACCOUNTS` and return an
    ``Authorization`` header (English messages) per account name."""
    ctx = CityContext(city, Config(), actor="pytest")
    route_problems(ctx, dry_run=False)
    headers = {}
    for name, (role, scope) in ACCOUNTS.items():
        users.add_user(ctx, name, role, scope=scope)
        token = tokens.issue_token(ctx, name, days=1).token
        headers[name] = {"Authorization": f"Bearer {token}", "Cookie": "citygrid_lang=en"}
    return headers


def point(code: str, x: float = 120.605, y: float = 31.305, **properties: Any) -> dict[str, Any]:
    """A GeoJSON Feature of the points layer."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [x, y]},
        "properties": {"code": code, "name": "新点位", "point_type": "market", **properties},
    }


def add_catalogue(city: Store) -> None:
    """Write the catalogue item C01 (the small city's problems name it) and its standard:
    due in 2 working days."""
    item = {"code": "C01", "name": "暴露垃圾", "level": "standard", "kind": "event"}
    city.write("catalogue", pd.DataFrame([{**item, "rectify_days": 2}]))
    standard = {"code": "C01-1", "catalogue_code": "C01", "condition": "发现即立案"}
    city.write(
        "standards", pd.DataFrame([{**standard, "limit_value": 2, "limit_unit": "working_days"}])
    )
