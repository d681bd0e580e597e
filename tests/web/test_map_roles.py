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
