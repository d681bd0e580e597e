"""OGC API Features under /ogc, read by GDAL's OAPIF driver (pyogrio) from a live server,
and checked over plain HTTP for what the standard asks: links, paging, CRS, exceptions."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Transformer
from schemathesis_run import run_schemathesis
from shapely.geometry import shape
from test_serve_cli import running_server
from web_accounts import add_user, bearer

from citygrid.layers.store import Store
from citygrid.services.accounts.users import User
from citygrid.web import ogc_crs


@pytest.fixture
def gdal_token(admin_headers: dict[str, str]) -> Iterator[None]:
    """GDAL sends the administrator's token with every request of the test.

    GDAL_HTTP_HEADERS does not reach the OAPIF driver's requests (it sets
    its own Accept header, which replaces them); GDAL's bearer options do.
    """
    token = admin_headers["Authorization"].removeprefix("Bearer ")
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token})
    yield
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})


@pytest.fixture
def server(city: Store, admin: User, database_url: str) -> Iterator[str]:
    """A ``citygrid serve`` process of the city (GDAL holds the GIL of this one)."""
    with running_server(database_url) as base:
        yield base.rstrip("/")


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, head, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, head, raw = error.code, dict(error.headers), error.read()
        error.close()
    return status, head, json.loads(raw.decode("utf-8"))


def test_gdal_lists_the_collections(server: str, gdal_token: None) -> None:
    names = {name for name, _geometry in pyogrio.list_layers(f"OAPIF:{server}/ogc")}
    assert {"grids", "streets", "alleys", "points", "problems", "inspections"} <= names
    assert "users" not in names
    assert "tokens" not in names


def test_gdal_reads_features_in_a_bbox(server: str, gdal_token: None) -> None:
    streets = pyogrio.read_dataframe(
        f"OAPIF:{server}/ogc", layer="streets", bbox=(120.60, 31.30, 120.64, 31.32)
    )
    assert sorted(streets["name"]) == ["人民路", "干将路"]
    cells = pyogrio.read_dataframe(
        f"OAPIF:{server}/ogc", layer="grids", bbox=(120.600, 31.300, 120.609, 31.309)
    )
    assert list(cells["code"]) == ["G01"]


def test_gdal_pages_past_the_first_page(server: str, gdal_token: None) -> None:
    problems = pyogrio.read_dataframe(f"OAPIF:{server}/ogc", layer="problems", PAGE_SIZE="2")
    assert sorted(problems["code"]) == ["Q01", "Q02", "Q03", "Q04", "Q05"]


def test_gdal_reads_cgcs2000(server: str, gdal_token: None) -> None:
    points = pyogrio.read_dataframe(f"OAPIF:{server}/ogc", layer="points", CRS="EPSG:4490")
    assert points.crs.to_epsg() == 4490
    market = points[points["code"] == "P01"].geometry.iloc[0]
    assert market.x == pytest.approx(120.605)
    assert market.y == pytest.approx(31.305)


def test_gdal_without_a_token_sees_no_collections(live_server: str) -> None:
    status, _head, body = _get(f"{live_server}/ogc/collections")
    assert status == 200
    assert body["collections"] == []


def test_landing_conformance_and_api(live_server: str, admin_headers: dict[str, str]) -> None:
    _status, _head, landing = _get(f"{live_server}/ogc/")
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert rels["service-desc"] == f"{live_server}/ogc/api"
    _status, _head, conformance = _get(rels["conformance"])
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance["conformsTo"]
    status, head, document = _get(rels["service-desc"])
    assert status == 200
    assert head["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert not [p for p in document["paths"] if p.startswith("/collections/")]  # anonymous
    _status, _head, document = _get(rels["service-desc"], admin_headers)
    assert "/collections/grids/items" in document["paths"]
    assert "/collections/problems/items/{featureId}" in document["paths"]


def test_items_pages_with_next_and_prev_links(
    live_server: str, admin_headers: dict[str, str]
) -> None:
    url = f"{live_server}/ogc/collections/problems/items?limit=2"
    seen, pages = [], []
    while url:
        status, _head, page = _get(url, admin_headers)
        assert status == 200
        assert page["numberReturned"] == len(page["features"])
        pages.append(page)
        seen += [f["id"] for f in page["features"]]
        url = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), None)
    assert seen == ["Q01", "Q02", "Q03", "Q04", "Q05"]
    assert len(pages) == 3
    back = next(lk["href"] for lk in pages[2]["links"] if lk["rel"] == "prev")
    _status, _head, previous = _get(back, admin_headers)
    assert [f["id"] for f in previous["features"]] == ["Q03", "Q04"]
    back = next(lk["href"] for lk in previous["links"] if lk["rel"] == "prev")
    _status, _head, first = _get(back, admin_headers)
    assert [f["id"] for f in first["features"]] == ["Q01", "Q02"]


def test_crs_and_bbox_crs_use_latitude_first(
    live_server: str, admin_headers: dict[str, str]
) -> None:
    crs = "http://www.opengis.net/def/crs/EPSG/0/4490"
    status, head, page = _get(
        f"{live_server}/ogc/collections/points/items?crs={crs}&bbox-crs={crs}"
        "&bbox=31.304,120.604,31.306,120.606",
        admin_headers,
    )
    assert status == 200
    assert head["Content-Crs"] == f"<{crs}>"
    (feature,) = page["features"]
    assert feature["id"] == "P01"
    assert shape(feature["geometry"]).coords[0] == pytest.approx((31.305, 120.605))


def test_datetime_and_property_filters(live_server: str, admin_headers: dict[str, str]) -> None:
    base = f"{live_server}/ogc/collections/problems/items"
    _status, _head, page = _get(f"{base}?datetime=2025-03-02/2025-03-03", admin_headers)
    assert [f["id"] for f in page["features"]] == ["Q01", "Q02"]
    _status, _head, page = _get(f"{base}?datetime=2025-03-02T02:00:00Z", admin_headers)
    assert [f["id"] for f in page["features"]] == ["Q01"]  # 10:00 in China
    _status, _head, page = _get(f"{base}?status=open&datetime=../2025-03-04", admin_headers)
    assert [f["id"] for f in page["features"]] == ["Q01", "Q02"]


def test_single_item_and_queryables(live_server: str, admin_headers: dict[str, str]) -> None:
    status, head, feature = _get(f"{live_server}/ogc/collections/streets/items/S01", admin_headers)
    assert status == 200
    assert feature["properties"]["name"] == "人民路"
    assert head["Content-Type"].startswith("application/geo+json")
    _status, _head, schema = _get(
        f"{live_server}/ogc/collections/problems/queryables", admin_headers
    )
    assert schema["properties"]["status"]["enum"][0] == "reported"


def test_collection_has_extent_and_crs(live_server: str, admin_headers: dict[str, str]) -> None:
    _status, _head, grids = _get(f"{live_server}/ogc/collections/grids", admin_headers)
    assert grids["extent"]["spatial"]["bbox"][0] == pytest.approx([120.60, 31.30, 120.63, 31.32])
    assert "http://www.opengis.net/def/crs/EPSG/0/4490" in grids["crs"]


def test_scoped_token_sees_its_scope_without_personal_fields(
    live_server: str, city: Store, admin: User
) -> None:
    add_user(city, "viewer_pj", role="viewer", scope="unit:U_PJ")
    headers = bearer(city, "viewer_pj")
    _status, _head, page = _get(f"{live_server}/ogc/collections/problems/items", headers)
    assert [f["id"] for f in page["features"]] == ["Q01", "Q02", "Q03"]
    assert all("reporter" not in f["properties"] for f in page["features"])


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/ogc/collections/roads", 404, "NotFound"),
        ("/ogc/collections/users/items", 404, "NotFound"),
        ("/ogc/collections/grids/items/G99", 404, "NotFound"),
        ("/ogc/collections/grids/items?bbox=1,2,3", 400, "InvalidParameterValue"),
        ("/ogc/collections/grids/items?bbox=a,b,c,d", 400, "InvalidParameterValue"),
        ("/ogc/collections/grids/items?limit=0", 400, "InvalidParameterValue"),
        ("/ogc/collections/grids/items?crs=EPSG:3857", 400, "InvalidParameterValue"),
        ("/ogc/collections/grids/items?bbox-crs=urn:x", 400, "InvalidParameterValue"),
        ("/ogc/collections/grids/items?colour=red", 400, "InvalidParameterValue"),
        ("/ogc/collections/grids/items?datetime=2025-01-01", 400, "InvalidParameterValue"),
        ("/ogc/collections/problems/items?datetime=yesterday", 400, "InvalidParameterValue"),
        ("/ogc/collections/problems/items?next=-1", 400, "InvalidParameterValue"),
        ("/ogc/collections/problems/items?prev=x", 400, "InvalidParameterValue"),
        ("/ogc/collections?f=html", 400, "InvalidParameterValue"),
        ("/ogc/nowhere", 404, "NotFound"),
    ],
)
def test_errors_are_ogc_exceptions(
    live_server: str, admin_headers: dict[str, str], path: str, status: int, code: str
) -> None:
    got, head, body = _get(f"{live_server}{path}", {**admin_headers, "Cookie": "citygrid_lang=en"})
    assert (got, body["code"]) == (status, code)
    assert head["Content-Type"].startswith("application/json")
    assert body["description"]


def test_a_bad_token_is_an_ogc_401(live_server: str) -> None:
    status, head, body = _get(
        f"{live_server}/ogc/collections", {"Authorization": "Bearer nonsense"}
    )
    assert (status, body["code"]) == (401, "NotAuthorized")
    assert head["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("target", [ogc_crs.EPSG_4326, ogc_crs.EPSG_4490])
def test_crs_conversion_agrees_with_proj(target: str) -> None:
    points = gpd.GeoDataFrame(
        {"code": ["a", "b"]},
        geometry=[shapely.Point(120.605, 31.305), shapely.LineString([(112.9, 28.1), (113, 28.3)])],
        crs="EPSG:4326",
    )
    moved = ogc_crs.to_crs(points, target)
    proj = Transformer.from_crs("OGC:CRS84", ogc_crs.SUPPORTED[target])
    for before, after in zip(points.geometry, moved.geometry, strict=True):
        x, y = proj.transform(*np.array(before.coords).T)
        assert np.array(after.coords) == pytest.approx(np.column_stack([x, y]), abs=1e-9)
    bbox = (112.9, 28.1, 113.0, 28.3)
    assert ogc_crs.bbox_to_storage(tuple(ogc_crs.bbox_in(bbox, target)), target) == bbox


def test_schemathesis_over_the_ogc_api_document(
    live_server: str, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """Examples and fuzzing over /ogc's own OpenAPI document: no 500, responses as declared.

    The computed collections are left out: each run of an analysis takes seconds.
    """
    run = run_schemathesis(
        f"{live_server.rstrip('/')}/ogc/api",
        admin_headers["Authorization"],
        tmp_path,
        "/collections/(hotspots|emerging_hotspots|density_contours|gap_)",
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert tested is not None
    assert int(tested.group(1)) >= 20  # four operations per stored collection
