"""The map page shows each role its own layers, and popups without personal data it may not see."""

from __future__ import annotations

from flask import Flask
from web_accounts import add_user, signed_in_client

from citygrid.layers.store import Store


def _map_for(app: Flask, city: Store, name: str, role: str, scope: str) -> str:
    add_user(city, name, role, scope=scope)
    client = app.test_client()
    client.set_cookie("citygrid_lang", "en")
    response = signed_in_client(client, name).get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_unit_handler_gets_no_inspections_and_no_phone_numbers(app: Flask, city: Store) -> None:
    page = _map_for(app, city, "handler", "unit_handler", "unit:U_PJ")
    assert '"Problems"' in page
    assert '"Inspections"' not in page
    assert '"phone"' not in page  # the units' popup leaves the phone out
    assert '"contact"' not in page


def test_a_planner_sees_inspections_and_phone_numbers(app: Flask, city: Store) -> None:
    page = _map_for(app, city, "planner", "planner", "")
    assert '"Inspections"' in page
    assert '"phone"' in page


def test_a_scoped_user_s_map_opens_on_their_scope(app: Flask, city: Store) -> None:
    from web_accounts import context

    from citygrid.services.accounts.principal import Principal
    from citygrid.services.accounts.roles import get_role
    from citygrid.services.accounts.scope import Scope
    from citygrid.services.context import CityContext
    from citygrid.web.map_page import data_extent

    system = context(city)
    whole = data_extent(system)
    principal = Principal("m", get_role("grid_manager"), Scope.parse("grid:G01"))
    scoped = data_extent(CityContext(city, system.config, principal=principal))
    assert whole is not None
    assert scoped is not None
    assert scoped[2] - scoped[0] < whole[2] - whole[0]  # one cell, not the district


def test_a_unit_handler_without_cells_opens_on_the_unit_s_streets(app: Flask, city: Store) -> None:
    from web_accounts import context

    from citygrid.services.accounts.principal import Principal
    from citygrid.services.accounts.roles import get_role
    from citygrid.services.accounts.scope import Scope
    from citygrid.services.context import CityContext
    from citygrid.web.map_page import data_extent

    principal = Principal("u", get_role("unit_handler"), Scope.parse("unit:U_CG"))
    extent = data_extent(CityContext(city, context(city).config, principal=principal))
    assert extent == (120.615, 31.3, 120.615, 31.32)  # street S01, the unit's only feature
