"""The REST API under /api/v1 through Flask's test client: reads, paging, edits with
ETag and If-Match, the problem workflow as actions, and the OpenAPI document.

On SQLite and PostGIS, on web_city.py's small city with its administrator.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from v1_client import add_catalogue, point
from web_accounts import bearer

from citygrid.layers.store import Store

POINTS = "/api/v1/points"


@pytest.fixture
def api(app: Any, city: Store) -> tuple[FlaskClient, dict[str, str]]:
    """A test client and the administrator's bearer header (English messages); the
    catalogue holds C01 (the problems' item) for reports."""
    add_catalogue(city)
    client = app.test_client()
    client.set_cookie("citygrid_lang", "en")
    return client, bearer(city)


def _error(response: Any, status: int, fragment: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"]
    assert body["status"] == status
    assert fragment in body["message"], body["message"]
    return body


def test_list_pages_with_links_and_number_matched(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    first = client.get("/api/v1/problems?limit=2&sortby=-reported_at", headers=auth).get_json()
    assert [f["id"] for f in first["features"]] == ["Q05", "Q04"]
    assert first["numberMatched"] == 5
    assert first["numberReturned"] == 2
    rels = {link["rel"]: link["href"] for link in first["links"]}
    assert "prev" not in rels
    assert "offset=2" in rels["next"]
    second = client.get(rels["next"], headers=auth).get_json()
    assert [f["id"] for f in second["features"]] == ["Q03", "Q02"]
    back = {link["rel"]: link["href"] for link in second["links"]}["prev"]
    assert "offset=0" in back
    last = client.get("/api/v1/problems?limit=2&offset=4&sortby=-reported_at", headers=auth)
    assert [f["id"] for f in last.get_json()["features"]] == ["Q01"]
    assert "next" not in {link["rel"] for link in last.get_json()["links"]}


def test_filters_bbox_and_labels(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    body = client.get("/api/v1/problems?status=open&status=已结案", headers=auth).get_json()
    assert sorted(f["id"] for f in body["features"]) == ["Q01", "Q02", "Q03", "Q05"]
    boxed = client.get("/api/v1/problems?bbox=120.60,31.30,120.615,31.31", headers=auth)
    assert sorted(f["id"] for f in boxed.get_json()["features"]) == ["Q01", "Q02"]
    assert boxed.get_json()["numberMatched"] == 2
    assert boxed.headers["Content-Type"].startswith("application/geo+json")


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("colour=red", "no field 'colour'"),
        ("limit=0", "limit=0"),
        ("offset=-1", "offset=-1"),
        ("offset=abc", "offset=abc"),
        ("sortby=height", "sortby='height'"),
        ("bbox=1,2,3", "bbox=1,2,3"),
        ("status=lost", "'lost' is not a value of status"),
        ("reported_at=yesterday", "reported_at"),
    ],
)
def test_bad_queries_are_400(api: tuple[FlaskClient, dict], query: str, fragment: str) -> None:
    client, auth = api
    _error(client.get(f"/api/v1/problems?{query}", headers=auth), 400, fragment)


def test_errors_speak_chinese_by_default(app: Any, city: Store) -> None:
    client = app.test_client()
    body = client.get("/api/v1/problems?colour=red", headers=bearer(city)).get_json()
    assert body["error"] == "bad_input"
    assert "colour" in body["message"]
    assert "图层" in body["message"]


def test_one_feature_with_its_etag_and_404(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    response = client.get(f"{POINTS}/P01", headers=auth)
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.get_json()["properties"]["name"] == "观前农贸市场"
    _error(client.get(f"{POINTS}/P99", headers=auth), 404, "P99")
    _error(client.get("/api/v1/roads", headers=auth), 404, "roads")
    _error(client.get(f"{POINTS}/P01?x=1", headers=auth), 400, "x")


def test_create_update_delete_with_etags(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    created = client.post(POINTS, headers=auth, json=point("P90", address="人民路 1 号"))
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["Location"] == f"{POINTS}/P90"
    assert created.headers["ETag"] == '"1"'
    _error(client.post(POINTS, headers=auth, json=point("P90")), 409, "P90")

    change = {"type": "Feature", "properties": {"name": "新名字"}}
    _error(client.patch(f"{POINTS}/P90", headers=auth, json=change), 428, "If-Match")
    _error(
        client.patch(f"{POINTS}/P90", headers={**auth, "If-Match": "v1"}, json=change),
        400,
        "If-Match",
    )
    patched = client.patch(f"{POINTS}/P90", headers={**auth, "If-Match": '"1"'}, json=change)
    assert patched.status_code == 200
    assert patched.headers["ETag"] == '"2"'
    assert patched.get_json()["properties"]["address"] == "人民路 1 号"  # kept by PATCH
    stale = client.patch(f"{POINTS}/P90", headers={**auth, "If-Match": '"1"'}, json=change)
    body = _error(stale, 412, "was changed by admin")
    assert body["details"]["version"] == 2

    replaced = client.put(
        f"{POINTS}/P90", headers={**auth, "If-Match": 'W/"2"'}, json=point("P90", 120.606)
    )
    assert replaced.status_code == 200
    assert replaced.get_json()["properties"]["address"] is None  # cleared by PUT
    assert replaced.get_json()["geometry"]["coordinates"] == [120.606, 31.305]

    _error(client.delete(f"{POINTS}/P90", headers=auth), 428, "If-Match")
    _error(client.delete(f"{POINTS}/P90", headers={**auth, "If-Match": '"2"'}), 412, "version 3")
    assert client.delete(f"{POINTS}/P90", headers={**auth, "If-Match": '"3"'}).status_code == 204
    _error(client.get(f"{POINTS}/P90", headers=auth), 404, "P90")

    audit = client.get("/api/v1/audit?layer=points&sortby=at", headers=auth).get_json()
    actions = [f["properties"]["action"] for f in audit["features"]]
    assert actions[-4:] == ["write:append", "update", "update", "delete"]
    assert {f["properties"]["actor"] for f in audit["features"][-4:]} == {"admin"}


def test_a_feature_still_named_is_not_deleted(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    _error(client.delete("/api/v1/units/U_PJ", headers={**auth, "If-Match": '"1"'}), 409, "grids")
    assert client.get("/api/v1/units/U_PJ", headers=auth).status_code == 200


def test_read_only_layers_refuse_changes(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    _error(client.post("/api/v1/audit", headers=auth, json=point("x")), 405, "audit")
    _error(client.post("/api/v1/problems_by_grid", headers=auth, json=point("x")), 404, "")


BAD_BODIES = [
    (b"{not json", 400, "not JSON"),
    (b'{"type": "Feature", "properties": {"x": NaN}}', 400, "not JSON"),
    (b"[1, 2]", 400, "GeoJSON Feature"),
    (json.dumps({"type": "Feature", "properties": [1]}).encode(), 400, "properties"),
    (json.dumps({**point("P91"), "style": 1}).encode(), 400, "style"),
    (json.dumps(point("P91", colour="red")).encode(), 400, "no field 'colour'"),
    (json.dumps(point("P91", point_type="castle")).encode(), 400, "'castle'"),
    (json.dumps(point("P91", radius_m="far")).encode(), 400, "radius_m"),
    (json.dumps(point("P91", radius_m=True)).encode(), 400, "radius_m"),
    (json.dumps(point("P91", name={"a": 1})).encode(), 400, "name"),
    (json.dumps(point("P91", name="a\x00b")).encode(), 400, "NUL"),
    (
        json.dumps({**point("P91"), "geometry": {"type": "Point", "coordinates": ["a"]}}).encode(),
        400,
        "coordinates",
    ),
    (
        json.dumps(
            {**point("P91"), "geometry": {"type": "Point", "coordinates": [500, 31]}}
        ).encode(),
        400,
        "longitude",
    ),
    (
        json.dumps(
            {**point("P91"), "crs": {"type": "name", "properties": {"name": "EPSG:999999"}}}
        ).encode(),
        400,
        "EPSG:999999",
    ),
    (json.dumps({**point("P91"), "geometry": None}).encode(), 400, "geometry"),
    (
        json.dumps({"type": "Feature", "geometry": None, "properties": {"code": "G91"}}).encode(),
        400,
        "geometry",
    ),
]


@pytest.mark.parametrize(("raw", "status", "fragment"), BAD_BODIES)
def test_bad_bodies_are_4xx_and_change_nothing(
    api: tuple[FlaskClient, dict], raw: bytes, status: int, fragment: str
) -> None:
    client, auth = api
    before = client.get(POINTS, headers=auth).get_json()["numberMatched"]
    response = client.post(POINTS, headers={**auth, "Content-Type": "application/json"}, data=raw)
    _error(response, status, fragment)
    assert client.get(POINTS, headers=auth).get_json()["numberMatched"] == before


def test_wrong_geometry_type_and_oversized_body(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    line = {**point("P92"), "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}
    grid = {"type": "Feature", "geometry": line["geometry"], "properties": {"code": "G92"}}
    _error(client.post("/api/v1/grids", headers=auth, json=grid), 400, "Polygon or MultiPolygon")
    huge = point("P93", address="长" * 600_000)
    _error(client.post(POINTS, headers=auth, json=huge), 413, "bytes")
    assert client.get(f"{POINTS}/P93", headers=auth).status_code == 404


def test_a_projected_crs_is_taken(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    feature = point("P94", 557_000.0, 3_464_000.0)
    feature["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}}
    response = client.post(POINTS, headers=auth, json=feature)
    assert response.status_code == 201, response.get_data(as_text=True)
    x, y = response.get_json()["geometry"]["coordinates"]
    assert 119 < x < 122
    assert 31 < y < 32


def test_sql_and_script_text_is_stored_as_text(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    nasty = "<script>alert('x')</script>'; DROP TABLE points; --"
    response = client.post(POINTS, headers=auth, json=point("P95", name=nasty, address=nasty))
    assert response.status_code == 201
    back = client.get(f"{POINTS}/P95", headers=auth)
    assert back.get_json()["properties"]["name"] == nasty
    assert "<script>" not in back.get_data(as_text=True).replace(nasty, "")
    assert back.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(POINTS, headers=auth).get_json()["numberMatched"] == 7


def test_problems_move_through_the_workflow(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    report = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [120.606, 31.306]},
        "properties": {"catalogue_code": "C01", "description": "井盖缺失", "reporter": "市民"},
    }
    created = client.post("/api/v1/problems", headers=auth, json=report)
    assert created.status_code == 201, created.get_data(as_text=True)
    problem = created.get_json()
    code = problem["id"]
    assert problem["properties"]["status"] == "reported"
    assert problem["properties"]["grid_code"] == "G01"
    actions = f"/api/v1/problems/{code}/actions"
    _error(client.post(f"{actions}/dispatch", headers=auth), 409, "reported")
    opened = client.post(f"{actions}/register", headers=auth, json={"note": "立案"})
    assert opened.status_code == 200, opened.get_data(as_text=True)
    assert opened.get_json()["properties"]["status"] == "open"
    _error(
        client.post(f"{actions}/dispatch", headers={**auth, "If-Match": '"1"'}),
        412,
        "was changed by admin",
    )
    etag = opened.headers["ETag"]
    sent = client.post(f"{actions}/dispatch", headers={**auth, "If-Match": etag})
    assert sent.get_json()["properties"]["status"] == "dispatched"
    _error(client.post(f"{actions}/rectify", headers=auth, json={}), 400, "rectify")
    _error(client.post(f"{actions}/rectify", headers=auth, json={"memo": "x"}), 400, "memo")
    fixed = client.post(f"{actions}/rectify", headers=auth, json={"note": "已补装井盖"})
    assert fixed.get_json()["properties"]["status"] == "rectified"
    closed = client.post(f"{actions}/close", headers=auth)
    assert closed.get_json()["properties"]["status"] == "closed"
    assert closed.get_json()["properties"]["closed_at"]
    _error(client.post(f"{actions}/rework", headers=auth, json={"note": "x"}), 409, "closed")
    _error(client.post(f"{actions}/fly", headers=auth), 400, "'fly'")
    _error(client.post("/api/v1/problems/WT99/actions/register", headers=auth), 404, "WT99")
    status = {"type": "Feature", "properties": {"status": "open"}}
    _error(
        client.patch(
            f"/api/v1/problems/{code}",
            headers={**auth, "If-Match": closed.headers["ETag"]},
            json=status,
        ),
        409,
        "workflow",
    )


def test_a_report_refuses_what_routing_sets(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    report = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [120.606, 31.306]},
        "properties": {"catalogue_code": "C01", "description": "x", "status": "closed"},
    }
    _error(client.post("/api/v1/problems", headers=auth, json=report), 400, "status")
    report["properties"] = {"catalogue_code": "C99", "description": "x"}
    _error(client.post("/api/v1/problems", headers=auth, json=report), 400, "C99")


def test_the_openapi_document_follows_the_registry(api: tuple[FlaskClient, dict]) -> None:
    client, auth = api
    doc = client.get("/api/v1/openapi.json", headers=auth).get_json()
    assert doc["openapi"].startswith("3.0")
    schemas = doc["components"]["schemas"]
    status = schemas["ProblemsProperties"]["properties"]["status"]
    assert set(status["enum"]) >= {"reported", "open", "closed"}
    assert "Personal data" in schemas["ProblemsProperties"]["properties"]["reporter"]["description"]
    assert "name" in schemas["PointsCreate"]["properties"]["properties"]["required"]
    assert set(doc["components"]["securitySchemes"]) == {"bearerAuth", "cookieAuth"}
    assert "post" in doc["paths"]["/api/v1/problems/{code}/actions/{transition}"]
    assert "delete" in doc["paths"]["/api/v1/points/{code}"]
    assert "post" not in doc["paths"]["/api/v1/audit"]
    hotspots = {p["name"] for p in doc["paths"]["/api/v1/hotspots"]["get"]["parameters"]}
    assert {"cells", "weights", "since", "bbox", "limit", "offset"} <= hotspots


def test_the_document_lists_only_what_the_caller_reads(app: Any, city: Store) -> None:
    anonymous = app.test_client().get("/api/v1/openapi.json").get_json()
    assert list(anonymous["paths"]) == ["/api/v1"]


def test_the_docs_page_loads_its_assets_from_the_app(api: tuple[FlaskClient, dict]) -> None:
    client, _auth = api
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for asset in (
        "vendor/swagger-ui/swagger-ui-bundle.js",
        "vendor/swagger-ui/swagger-ui.css",
        "js/citygrid-api-docs.js",
    ):
        with client.get(f"/static/{asset}") as response:
            assert response.status_code == 200


def test_computed_layers_are_read_only_with_their_parameters(
    api: tuple[FlaskClient, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    from problem_counts import LAYER, install

    install(monkeypatch)
    client, auth = api
    body = client.get(f"/api/v1/{LAYER}?min_count=1&sortby=-problems&limit=2", headers=auth)
    assert body.status_code == 200, body.get_data(as_text=True)
    page = body.get_json()
    assert page["parameters"]["min_count"] == 1
    counts = [f["properties"]["problems"] for f in page["features"]]
    assert counts == sorted(counts, reverse=True)
    assert page["numberMatched"] >= page["numberReturned"]
    _error(client.get(f"/api/v1/{LAYER}?min_count=-5", headers=auth), 400, "min_count")
    _error(client.post(f"/api/v1/{LAYER}", headers=auth, json=point("x")), 405, LAYER)
    doc = client.get("/api/v1/openapi.json", headers=auth).get_json()
    names = {p["name"] for p in doc["paths"][f"/api/v1/{LAYER}"]["get"]["parameters"]}
    assert {"min_count", "since", "status"} <= names
    assert "post" not in doc["paths"][f"/api/v1/{LAYER}"]
