"""The map page and the HTML error page, through Flask's test client."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import geopandas as gpd
import jinja2.ext
import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_accounts import add_user, signed_in_client

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.i18n import _catalogue
from citygrid.layers.store import Store
from citygrid.web import geojson, map_page
from citygrid.web.app import create_app
from citygrid.web.map_page import load_min_zoom
from citygrid.web.params import MAX_LIMIT
from citygrid.web.state import EXTENSION

TEMPLATES = Path(create_app.__code__.co_filename).parent / "templates"


def _page(client: FlaskClient, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)


def test_map_page_loads_only_local_assets(client: FlaskClient) -> None:
    html = _page(client)
    urls = _asset_urls(html)
    assert "/static/vendor/leaflet/leaflet.js" in urls
    assert "/static/vendor/leaflet/leaflet.css" in urls
    assert "/static/js/citygrid-map.js" in urls
    assert all(url.startswith(("/", "data:")) for url in urls), urls
    assert "cdn" not in html.lower()
    assert "jquery" not in html.lower()
    for url in urls:
        if url.startswith("/static/"):
            with client.get(url) as asset:
                assert asset.status_code == 200, url


def test_map_page_has_one_layer_per_spatial_layer(zh_client: FlaskClient) -> None:
    html = _page(zh_client)
    assert '<html lang="zh-CN">' in html
    for title in ("辖区", "网格", "街道", "背街小巷", "点位", "检查记录"):
        assert f"{json.dumps(title)} : bbox_geo_json_" in html, title
    for name in ("jurisdictions", "grids", "streets", "alleys", "points"):
        assert f'"url": "/api/layers/{name}/features"' in html
    # problems come from the map's own endpoint (citygrid.web.map_problems), off at first
    assert f"{json.dumps('问题')} : problems_layer_" in html
    assert '"url": "/api/map/problems"' in html
    assert not re.findall(r"(problems_layer_\w+)\.addTo\(", html)
    assert "people" not in re.findall(r'"name": "(\w+)", "pane"', html)
    # jurisdictions ... points are added to the map at once; problems and inspections are not
    added = set(re.findall(r"(bbox_geo_json_\w+)\.addTo\(", html))
    shown = {
        name
        for var, name in re.findall(r'var (bbox_geo_json_\w+) = .*?"name": "(\w+)"', html)
        if var in added
    }
    assert shown == {"jurisdictions", "grids", "streets", "alleys", "points"}
    assert "L.citygrid.legend(" in html
    assert f'"heading": {json.dumps("图例")}' in html


def test_map_page_fits_the_data_extent(client: FlaskClient) -> None:
    html = _page(client)
    (bounds,) = re.findall(r"fitBounds\(\s*(\[\[.*?\]\])", html)
    (south, west), (north, east) = json.loads(bounds)
    assert (west, south, east, north) == pytest.approx((120.60, 31.30, 120.64, 31.32), abs=1e-4)


def test_map_page_in_english(client: FlaskClient) -> None:
    html = _page(client, "/map?lang=en")
    assert '<html lang="en">' in html
    assert '"Grid cells" : bbox_geo_json_' in html
    assert "Grid management map" in html
    assert "citygrid_lang=en" in client.get("/?lang=en").headers["Set-Cookie"]
    assert '"Grid cells" : bbox_geo_json_' in _page(client, "/")


def test_map_page_without_base_tiles_by_default(client: FlaskClient) -> None:
    html = _page(client)
    assert "L.tileLayer" not in html


@pytest.mark.parametrize(
    ("tiles", "host"),
    [("osm", "tile.openstreetmap.org"), ("amap", "autonavi.com"), ("tianditu", "tianditu.gov.cn")],
)
@pytest.mark.usefixtures("admin")
def test_base_tiles_from_config(city: Store, tiles: str, host: str) -> None:
    config = Config(database_url=city.url, tiles=tiles, tianditu_key="k", secret_key="test")
    client = signed_in_client(create_app(config, city).test_client())
    html = _page(client, "/?lang=en")
    assert "L.tileLayer" in html
    assert host in html
    gcj02_note = "AMap tiles are in GCJ-02" in html
    assert gcj02_note is (tiles == "amap")


@pytest.mark.parametrize(
    ("tiles", "key", "fragment"),
    [("google", None, "Unknown base tiles 'google'"), ("tianditu", None, "need a key")],
)
def test_bad_tiles_config_is_refused(
    city: Store, tiles: str, key: str | None, fragment: str
) -> None:
    with pytest.raises(BadInput, match=fragment):
        create_app(Config(database_url=city.url, tiles=tiles, tianditu_key=key), city)


def test_empty_store_shows_how_to_load_data(store: Store) -> None:
    add_user(store)
    app = create_app(Config(database_url=store.url, secret_key="test"), store)
    client = signed_in_client(app.test_client())
    html = _page(client, "/?lang=en")
    assert "Run `citygrid demo`" in html
    assert "fitBounds" not in html
    zh = _page(client, "/?lang=zh_CN")
    assert "运行 `citygrid demo`" in zh


def test_html_error_page_in_the_request_language(zh_client: FlaskClient) -> None:
    response = zh_client.get("/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert "错误 404" in text
    assert "/nowhere 处没有内容" in text
    english = zh_client.get("/nowhere?lang=en").get_data(as_text=True)
    assert "There is nothing at /nowhere" in english


def test_template_messages_have_chinese_translations() -> None:
    catalogue = _catalogue("zh_CN")
    found = []
    for path in TEMPLATES.glob("*.html"):
        with path.open("rb") as handle:
            found += [
                message[0] if isinstance(message, tuple) else message
                for _line, _func, message, _comments in jinja2.ext.babel_extract(
                    handle, ("_",), [], {}
                )
            ]
    assert "Grid management map" in found
    missing = [message for message in found if message not in catalogue]
    assert not missing


@pytest.mark.usefixtures("admin")
def test_app_factory_builds_independent_apps(city: Store) -> None:
    first = create_app(Config(database_url=city.url, language="en", secret_key="a"), city)
    second = create_app(Config(database_url=city.url, secret_key="b"), city)
    assert isinstance(first, Flask)
    assert first is not second
    assert '<html lang="en">' in _page(signed_in_client(first.test_client()))
    assert '<html lang="zh-CN">' in _page(signed_in_client(second.test_client()))


def test_app_opens_the_configured_database(database_url: str) -> None:
    app = create_app(Config(database_url=database_url, secret_key="test"))
    try:
        assert app.test_client().get("/api/health").status_code == 200
    finally:
        app.extensions[EXTENSION].store.close()


def test_big_layers_load_only_when_zoomed_in() -> None:
    city = (112.90, 28.10, 112.95, 28.20)  # about 5 km x 11 km
    assert load_min_zoom(MAX_LIMIT, city) is None
    assert load_min_zoom(10, None) is None
    points = load_min_zoom(50_000, city)
    problems = load_min_zoom(1_000_000, city)
    assert points is not None
    assert problems is not None
    assert 10 <= points < problems <= 19
    # 16 times the features need the view's area a 16th: two zoom levels more
    assert load_min_zoom(16 * 50_000, city) == points + 2


def test_the_page_asks_to_zoom_in_for_big_layers(city: Store, client: FlaskClient) -> None:
    xs = np.linspace(120.601, 120.639, MAX_LIMIT + 1)
    many = gpd.GeoDataFrame(
        {
            "code": [f"X{i:05d}" for i in range(len(xs))],
            "name": "巡查点",
            "point_type": "small_business",
        },
        geometry=gpd.points_from_xy(xs, np.full(len(xs), 31.31)),
        crs="EPSG:4326",
    )
    city.write("points", many)
    options = {
        name: zoom
        for zoom, name in re.findall(
            r'"loadMinZoom": (\w+), "messages": .*?"name": "(\w+)"', _page(client)
        )
    }
    assert options["grids"] == "null"
    assert options["points"] != "null"
    assert int(options["points"]) == load_min_zoom(MAX_LIMIT + 7, (120.60, 31.30, 120.64, 31.32))


def test_the_map_page_readies_the_layers_it_loads_around_its_view(
    client: FlaskClient, city: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(map_page, "MAX_LIMIT", 3)  # six points: loaded around the view
    html = _page(client)
    for thread in threading.enumerate():
        if thread.name == "citygrid-prepare":
            thread.join(timeout=60)
    options = re.search(r'"name": "points",.*?"properties": (\[[^\]]*\])', html)
    assert options is not None
    properties = ",".join(json.loads(options.group(1)))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("read or serialised again")

    monkeypatch.setattr(city, "read", refuse)
    monkeypatch.setattr(geojson, "feature_texts", refuse)
    url = f"/api/layers/points/features?bbox=120.60,31.30,120.62,31.32&properties={properties}"
    body = client.get(url).get_json()
    assert [f["id"] for f in body["features"]] == ["P01", "P02", "P03"]  # 平江街道's, from
    assert body["features"][1]["properties"]["name"] == "平江公厕"  # what the page readied
