"""The JSON API through Flask's test client, on SQLite and PostGIS."""

from __future__ import annotations

import geopandas as gpd
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from web_city import EXTENT, WEST

from citygrid.config import Config
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.web.app import create_app
from citygrid.web.params import MAX_LIMIT


def _bbox(box: tuple[float, float, float, float]) -> str:
    return ",".join(str(v) for v in box)


def _codes(body: dict) -> list[str]:
    return sorted(feature["id"] for feature in body["features"])


def test_health(client: FlaskClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["schema"]
    assert body["database"] in ("sqlite", "postgresql")


def test_layers_lists_the_registry_with_counts(client: FlaskClient) -> None:
    response = client.get("/api/layers?lang=en")
    assert response.status_code == 200
    layers = {layer["name"]: layer for layer in response.get_json()["layers"]}
    grids = layers["grids"]
    assert grids["count"] == 6
    assert grids["title"] == "Grid cells"
    assert grids["titles"] == {"zh_CN": "网格", "en": "Grid cells"}
    assert grids["geometry_type"] == "MultiPolygon"
    assert grids["style"] == dict(get_layer("grids").style)
    assert grids["popup"] == list(get_layer("grids").popup)
    code = next(f for f in grids["fields"] if f["name"] == "code")
    assert code["labels"] == {"zh_CN": "网格编码", "en": "grid code"}
    assert layers["points"]["count"] == 6
    assert layers["people"]["geometry_type"] is None
    point_type = next(f for f in layers["points"]["fields"] if f["name"] == "point_type")
    labels = {c["value"]: c["labels"] for c in point_type["choices"]}
    assert labels["market"] == {"zh_CN": "农贸市场", "en": "farmers' market"}


def test_layers_in_chinese_by_default(zh_client: FlaskClient) -> None:
    layers = {layer["name"]: layer for layer in zh_client.get("/api/layers").get_json()["layers"]}
    assert layers["grids"]["title"] == "网格"
    status = next(f for f in layers["problems"]["fields"] if f["name"] == "status")
    assert status["label"] == "状态"
    assert {c["value"]: c["label"] for c in status["choices"]}["open"] == "待处置"


def test_features_by_bbox_are_geojson_in_4326(client: FlaskClient) -> None:
    response = client.get(f"/api/layers/grids/features?bbox={_bbox(WEST)}")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    # G03 and G06 touch the western sub-district's eastern edge, so they intersect it.
    assert _codes(body) == ["G01", "G02", "G03", "G04", "G05", "G06"]
    inside = client.get("/api/layers/grids/features?bbox=120.601,31.301,120.609,31.309")
    assert _codes(inside.get_json()) == ["G01"]
    feature = inside.get_json()["features"][0]
    assert feature["geometry"]["type"] == "MultiPolygon"
    ring = feature["geometry"]["coordinates"][0][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    assert (min(xs), min(ys), max(xs), max(ys)) == pytest.approx((120.60, 31.30, 120.61, 31.31))
    assert feature["properties"]["name"] == "姑苏第1网格"
    assert feature["properties"]["version"] == 1
    assert body["numberReturned"] == body["numberMatched"] == 6
    assert body["truncated"] is False


def test_features_outside_the_city_are_empty(client: FlaskClient) -> None:
    body = client.get("/api/layers/points/features?bbox=100,20,101,21").get_json()
    assert body["features"] == []
    assert body["numberMatched"] == 0


def test_codes_of_any_text_are_ids_and_never_markup(city: Store, client: FlaskClient) -> None:
    codes = ["<b>&amp;</b>", "第1\n行", 'q"/\\', "\u2028"]
    units = [{"code": code, "name": "单位", "kind": "department"} for code in codes]
    city.write("units", gpd.GeoDataFrame(units, geometry=[None] * len(units), crs="EPSG:4326"))
    response = client.get("/api/layers/units/features?properties=code&limit=1000")
    text = response.get_data(as_text=True)
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    found = {f["id"]: f["properties"]["code"] for f in response.get_json()["features"]}
    assert {code: found[code] for code in codes} == {code: code for code in codes}


def test_points_may_be_polygons_and_times_are_iso(client: FlaskClient) -> None:
    point = client.get("/api/layers/points/features/P04").get_json()
    assert point["type"] == "Feature"
    assert point["id"] == "P04"
    assert point["geometry"]["type"] == "Polygon"
    assert point["properties"]["point_type"] == "residential"
    problems = client.get("/api/layers/problems/features?bbox=" + _bbox(EXTENT)).get_json()
    assert problems["features"][0]["properties"]["reported_at"] == "2025-03-02T10:00:00"
    assert problems["features"][0]["properties"]["deadline"] is None


def test_limit_truncates_and_says_so(client: FlaskClient) -> None:
    body = client.get("/api/layers/points/features?limit=2").get_json()
    assert body["numberReturned"] == 2
    assert body["truncated"] is True
    assert "numberMatched" not in body
    exact = client.get("/api/layers/points/features?limit=6").get_json()
    assert exact["truncated"] is False
    assert exact["numberMatched"] == 6


def test_limit_above_the_maximum_is_lowered(client: FlaskClient) -> None:
    body = client.get(f"/api/layers/points/features?limit={MAX_LIMIT * 10}").get_json()
    assert body["limit"] == MAX_LIMIT
    assert body["numberReturned"] == 6


def test_field_filters(client: FlaskClient) -> None:
    open_ = client.get("/api/layers/problems/features?status=open").get_json()
    assert _codes(open_) == ["Q01", "Q02", "Q05"]
    several = client.get("/api/layers/problems/features?status=closed&status=dispatched")
    assert _codes(several.get_json()) == ["Q03", "Q04"]
    combined = client.get(
        f"/api/layers/problems/features?status=open&bbox={_bbox(WEST)}&unit_code=U_PJ"
    )
    assert _codes(combined.get_json()) == ["Q01", "Q02"]
    by_label = client.get("/api/layers/points/features?点位类型=market").get_json()
    assert _codes(by_label) == ["P01"]


def test_layer_without_geometry(client: FlaskClient) -> None:
    body = client.get("/api/layers/people/features?role=grid_manager").get_json()
    assert _codes(body) == ["P_LI"]
    assert body["features"][0]["geometry"] is None


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("bbox=1,2,3", "is not four numbers"),
        ("bbox=a,b,c,d", "is not four numbers"),
        ("bbox=1,2,3,4,5", "is not four numbers"),
        ("bbox=1,2,nan,4", "is not four numbers"),
        ("bbox=", "is not four numbers"),
        ("bbox=121,31,120,32", "minimum greater than its maximum"),
        ("bbox=120,32,121,31", "minimum greater than its maximum"),
        ("bbox=-200,31,120,32", "outside longitude"),
        ("bbox=120,31,121,95", "outside longitude"),
        ("bbox=120,31,121,32&bbox=120,31,121,32", "was given 2 times"),
        ("limit=0", "not a positive whole number"),
        ("limit=-5", "not a positive whole number"),
        ("limit=ten", "not a positive whole number"),
        ("limit=2.5", "not a positive whole number"),
        ("colour=red", "has no field 'colour'"),
        ("status=lost", "'lost' is not a value of status"),
        ("recurrence=many", "'many' is not a int for recurrence"),
        ("recurrence=9223372036854775808", "is not a int for recurrence"),
        ("recurrence=²", "is not a int for recurrence"),
        ("recurrence=１２", "is not a int for recurrence"),
        ("reported_at=yesterday", "is not a datetime for reported_at"),
        ("reported_at=2025-03-05/2025-03-01", "starts after it ends"),
        ("reported_at=../..", "is not a time range"),
        ("reported_at=2025-03-01/2025-03-02/2025-03-03", "is not a time range"),
        ("next=-1", "is not a page position"),
        ("next=²", "is not a page position"),
        ("limit=²", "not a positive whole number"),
    ],
)
def test_bad_query_strings_are_400(client: FlaskClient, query: str, fragment: str) -> None:
    response = client.get(f"/api/layers/problems/features?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == 400
    assert body["error"] == "bad_input"
    assert fragment in body["message"]
    assert set(body) == {"error", "status", "message", "details"}


def test_bbox_on_a_layer_without_geometry_is_400(client: FlaskClient) -> None:
    response = client.get("/api/layers/people/features?bbox=120,31,121,32")
    assert response.status_code == 400
    assert "has no geometry" in response.get_json()["message"]


def test_unknown_layer_and_feature_are_404(client: FlaskClient) -> None:
    response = client.get("/api/layers/roads/features")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "not_found"
    assert "Unknown layer 'roads'" in body["message"]
    assert "grids" in body["details"]["known"]
    missing = client.get("/api/layers/grids/features/G99")
    assert missing.status_code == 404
    assert "has no feature 'G99'" in missing.get_json()["message"]
    assert client.get("/api/layers/audit/features/abc").status_code == 404


def test_unknown_route_and_method_are_json(client: FlaskClient) -> None:
    response = client.get("/api/nowhere")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    post = client.post("/api/layers")
    assert post.status_code == 405
    assert post.get_json()["error"] == "method_not_allowed"
    assert "GET" in post.get_json()["message"]


def test_errors_come_in_chinese_by_default(zh_client: FlaskClient) -> None:
    response = zh_client.get("/api/layers/problems/features?limit=0")
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("limit=0 不是正整数")
    unknown = zh_client.get("/api/layers/roads/features").get_json()
    assert unknown["message"].startswith("未知图层")


def test_language_is_zh_by_default_then_query_then_cookie(zh_client: FlaskClient) -> None:
    browser_in_english = {"Accept-Language": "en-GB,en"}
    default = zh_client.get("/api/layers/roads/features", headers=browser_in_english)
    assert default.get_json()["message"].startswith("未知图层")
    asked = zh_client.get("/api/layers/roads/features?lang=en")
    assert asked.get_json()["message"].startswith("Unknown layer")
    remembered = zh_client.get("/api/layers/roads/features")
    assert remembered.get_json()["message"].startswith("Unknown layer")
    back = zh_client.get("/api/layers/roads/features?lang=zh_CN")
    assert back.get_json()["message"].startswith("未知图层")


def test_unexpected_failure_is_500_without_internals(city: Store, client: FlaskClient) -> None:
    with city.transaction() as conn:
        conn.exec_driver_sql("ALTER TABLE grids RENAME TO grids_gone")
    response = client.get("/api/layers/grids/features?lang=en")
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"] == "internal"
    assert body["status"] == 500
    text = response.get_data(as_text=True)
    for leak in ("Traceback", "grids_gone", "sqlalchemy", "SELECT", "File "):
        assert leak not in text


def test_unexpected_failure_on_a_page_is_an_html_500(city: Store, client: FlaskClient) -> None:
    with city.transaction() as conn:
        # The map page reads the layers' extents: from the table on PostGIS, from its
        # R*Tree on SQLite.
        for table in ("jurisdictions", "rtree_jurisdictions"):
            if sa.inspect(conn).has_table(table):
                conn.exec_driver_sql(f"ALTER TABLE {table} RENAME TO {table}_gone")
    page = client.get("/?lang=en")
    assert page.status_code == 500
    assert page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "Something went wrong on the server" in text
    assert "Traceback" not in text
    assert "jurisdictions_gone" not in text


def test_health_reports_a_missing_schema_as_503(city: Store) -> None:
    app = create_app(Config(database_url=city.url, secret_key="test"), city)
    with city.transaction() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")
    response = app.test_client().get("/api/health?lang=en")
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"] == "schema"
    assert "citygrid init" in body["message"]
