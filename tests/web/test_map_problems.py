"""The map's problem endpoints: counts per cell by scope, problems with names, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from map_problems_city import add_problems
from web_accounts import add_user, signed_in_client

from citygrid.layers.store import Store
from citygrid.web.map_api import people_time

CITY_BBOX = "120.59,31.29,120.65,31.33"


@pytest.fixture
def problems_city(city: Store) -> Store:
    add_problems(city)
    return city


def _client(app: Flask, city: Store, role: str, scope: str) -> FlaskClient:
    add_user(city, role, role, scope=scope)
    client = app.test_client()
    client.set_cookie("citygrid_lang", "en")
    return signed_in_client(client, role)


def _get(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _counts(body: Any) -> dict[str, tuple[int, int]]:
    assert body["aggregated"] is True
    return {
        f["properties"]["grid_code"]: (f["properties"]["count"], f["properties"]["overdue"])
        for f in body["features"]
    }


def test_low_zoom_counts_per_cell_with_problems_in_no_cell_apart(
    problems_city: Store, client: FlaskClient
) -> None:
    body = _get(client, f"/api/map/problems?bbox={CITY_BBOX}&zoom=12")
    assert _counts(body) == {"G01": (2, 1), "G05": (1, 0)}
    assert body["withoutCell"] == 6  # Q14 and the five problems of the base city
    assert body["total"] == 9
    g01 = next(f for f in body["features"] if f["properties"]["grid_code"] == "G01")
    lon, lat = g01["geometry"]["coordinates"]
    assert 120.60 < lon < 120.61
    assert 31.30 < lat < 31.31
    assert g01["properties"]["name"] == "姑苏第1网格"


def test_a_grid_manager_counts_only_their_cells(problems_city: Store, app: Flask) -> None:
    client = _client(app, problems_city, "grid_manager", "grid:G05")
    body = _get(client, f"/api/map/problems?bbox={CITY_BBOX}&zoom=12")
    assert _counts(body) == {"G05": (1, 0)}
    assert body["withoutCell"] == 0


def test_a_unit_handler_counts_their_units_problems(problems_city: Store, app: Flask) -> None:
    client = _client(app, problems_city, "unit_handler", "unit:U_CL")
    body = _get(client, f"/api/map/problems?bbox={CITY_BBOX}&zoom=12")
    assert _counts(body) == {}
    assert body["withoutCell"] == 2  # the base city's two problems east of 120.62


def test_counts_over_an_empty_bbox_are_empty(problems_city: Store, client: FlaskClient) -> None:
    body = _get(client, "/api/map/problems?bbox=100,20,100.1,20.1&zoom=10")
    assert body["features"] == []
    assert body["total"] == 0
    assert body["withoutCell"] == 0


def test_high_zoom_serves_problems_with_names_for_people(
    problems_city: Store, client: FlaskClient
) -> None:
    body = _get(client, "/api/map/problems?bbox=120.604,31.304,120.607,31.307&zoom=17")
    assert body["aggregated"] is False
    found = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert set(found) == {"Q01", "Q11", "Q12"}
    q11 = found["Q11"]
    assert q11["catalogue_name"] == "暴露垃圾"
    assert q11["unit_name"] == "平江街道办事处"
    assert q11["head_name"] == "李网格"
    assert q11["point_name"] == "观前农贸市场"
    assert q11["status_label"] == "open"
    assert q11["overdue"] is True
    assert q11["days_overdue"] == 10
    assert found["Q12"]["overdue"] is False
    assert found["Q12"]["days_overdue"] is None


def test_a_role_without_personal_data_gets_no_phone(problems_city: Store, app: Flask) -> None:
    client = _client(app, problems_city, "unit_handler", "unit:U_PJ")
    body = _get(client, "/api/map/problems?bbox=120.604,31.304,120.607,31.307&zoom=17")
    assert body["features"]
    assert all(
        "head_phone" not in f["properties"] or f["properties"]["head_phone"] is None
        for f in body["features"]
    )


def test_dates_are_formatted_for_people() -> None:
    from datetime import datetime

    when = datetime(2024, 7, 6, 18, 50, 1)
    assert people_time(when, "zh_CN") == "2024年7月6日 18:50"
    assert people_time(when, "en") == "6 Jul 2024 18:50"
    assert people_time(None, "en") is None


@pytest.mark.parametrize(
    "query",
    [
        "zoom=12",
        "bbox=a,b,c,d&zoom=12",
        "bbox=120.7,31.3,120.6,31.4&zoom=12",
        "bbox=-200,0,0,10&zoom=12",
        f"bbox={CITY_BBOX}",
        f"bbox={CITY_BBOX}&zoom=x",
        f"bbox={CITY_BBOX}&zoom=-1",
        f"bbox={CITY_BBOX}&zoom=99",
        f"bbox={CITY_BBOX}&zoom=12&zoom=13",
    ],
)
def test_bad_bbox_or_zoom_is_a_400(problems_city: Store, client: FlaskClient, query: str) -> None:
    body = _get(client, f"/api/map/problems?{query}", 400)
    assert body["message"]


def test_anonymous_callers_get_401(problems_city: Store, app: Flask) -> None:
    anonymous = app.test_client()
    assert anonymous.get(f"/api/map/problems?bbox={CITY_BBOX}&zoom=12").status_code == 401
    assert anonymous.get("/api/who?lon=120.605&lat=31.305").status_code == 401


def test_who_answers_with_the_chain_and_names(problems_city: Store, client: FlaskClient) -> None:
    body = _get(client, "/api/who?lon=120.605&lat=31.305")
    names = {link["layer"]: link["name"] for link in body["chain"]}
    assert names["points"] == "观前农贸市场"
    assert names["grids"] == "姑苏第1网格"
    assert names["jurisdictions"] == "平江街道"
    assert body["unit"]["name"] == "平江街道办事处"


def test_who_withholds_personal_fields_from_roles_without_them(
    problems_city: Store, app: Flask
) -> None:
    client = _client(app, problems_city, "viewer", "")
    text = client.get("/api/who?lon=120.635&lat=31.318").get_data(as_text=True)
    assert "赵点长" in text  # P05's head, by name
    assert '"phone"' not in text
    assert '"contact"' not in text


def test_who_outside_the_city_is_an_answer(problems_city: Store, client: FlaskClient) -> None:
    body = _get(client, "/api/who?lon=121.5&lat=31.2")
    assert body["routed_by"] == "outside"
    assert body["outside"]["name"] in ("平江街道", "沧浪街道")


@pytest.mark.parametrize(
    "query", ["lon=120.6", "lat=31.3", "lon=abc&lat=31.3", "lon=200&lat=31.3", "lon=120&lat=-91"]
)
def test_bad_lon_lat_is_a_400(problems_city: Store, client: FlaskClient, query: str) -> None:
    body = _get(client, f"/api/who?{query}", 400)
    assert body["message"]


def test_overdue_counts_follow_the_clock_without_a_write(problems_city: Store) -> None:
    """Counts are kept per data version, yet a problem falling due later counts as overdue
    then (Q13 in G05 is due in 30 days)."""
    from datetime import datetime, timedelta

    from citygrid.config import Config
    from citygrid.services.context import CityContext
    from citygrid.services.problems.filters import ProblemFilters
    from citygrid.services.problems.summary import counts_per_cell

    minx, miny, maxx, maxy = (float(v) for v in CITY_BBOX.split(","))

    def overdue(now: datetime) -> dict[str, int]:
        ctx = CityContext(problems_city, Config(), now=now)
        counts = counts_per_cell(ctx, (minx, miny, maxx, maxy), ProblemFilters())
        return dict(zip(counts.cells["grid_code"], counts.cells["overdue"].tolist(), strict=True))

    today = datetime.now()
    assert overdue(today) == {"G01": 1, "G05": 0}
    assert overdue(today + timedelta(days=31)) == {"G01": 1, "G05": 1}


def test_counting_ahead_of_the_map_skips_who_may_not_read_problems(problems_city: Store) -> None:
    from citygrid.config import Config
    from citygrid.services.accounts.principal import anonymous
    from citygrid.services.context import CityContext
    from citygrid.services.problems.summary import warm_counts

    warm_counts(CityContext(problems_city, Config(), principal=anonymous()))  # no error


@pytest.mark.parametrize(
    ("role", "scope", "shown"),
    [
        ("grid_manager", "grid:G05", True),
        ("unit_handler", "unit:U_PJ", True),
        ("planner", "", False),
    ],
)
def test_the_problems_layer_is_on_at_the_start_for_those_who_work_on_problems(
    problems_city: Store, app: Flask, role: str, scope: str, shown: bool
) -> None:
    import re

    client = _client(app, problems_city, role, scope)
    page = client.get("/").get_data(as_text=True)
    assert "L.citygrid.problemsLayer(" in page
    assert bool(re.search(r"problems_layer_\w+\.addTo\(map_\w+\)", page)) is shown


def test_the_administrator_opens_on_the_inventory(client: FlaskClient) -> None:
    import re

    page = client.get("/").get_data(as_text=True)
    assert re.search(r"bbox_geo_json_\w+\.addTo\(map_\w+\)", page)
    assert "L.citygrid.problemsLayer(" in page
    assert not re.search(r"problems_layer_\w+\.addTo\(map_\w+\)", page)
