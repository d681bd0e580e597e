"""The app on a real HTTP server (werkzeug, 127.0.0.1, a free port), read with urllib."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, Any]:
    """GET ``url``; return the status, the content type and the parsed JSON (or text)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, content_type, raw = (
                response.status,
                response.headers["Content-Type"],
                response.read(),
            )
    except urllib.error.HTTPError as error:
        status, content_type, raw = error.code, error.headers["Content-Type"], error.read()
        error.close()
    text = raw.decode("utf-8")
    return status, content_type, json.loads(text) if "json" in content_type else text


def test_features_over_http(live_server: str, admin_headers: dict[str, str]) -> None:
    status, content_type, body = _get(
        f"{live_server}/api/layers/streets/features?bbox=120.60,31.30,120.64,31.32", admin_headers
    )
    assert status == 200
    assert content_type.startswith("application/geo+json")
    assert sorted(f["properties"]["name"] for f in body["features"]) == ["人民路", "干将路"]
    assert body["features"][0]["geometry"]["type"] == "MultiLineString"


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/api/layers/grids/features?bbox=1,2,3", 400, "bad_input"),
        ("/api/layers/grids/features?bbox=5,2,3,4", 400, "bad_input"),
        ("/api/layers/grids/features?limit=none", 400, "bad_input"),
        ("/api/layers/grids/features?colour=red", 400, "bad_input"),
        ("/api/layers/roads/features", 404, "not_found"),
        ("/api/layers/grids/features/G99", 404, "not_found"),
        ("/api/nowhere", 404, "not_found"),
    ],
)
def test_errors_over_http_are_json(
    live_server: str, admin_headers: dict[str, str], path: str, status: int, error: str
) -> None:
    headers = {"Cookie": "citygrid_lang=en", **admin_headers}
    got_status, content_type, body = _get(f"{live_server}{path}", headers)
    assert got_status == status
    assert content_type.startswith("application/json")
    assert body["error"] == error
    assert body["status"] == status
    assert body["message"]


def test_map_page_and_static_files_over_http(
    live_server: str, admin_headers: dict[str, str]
) -> None:
    status, content_type, html = _get(f"{live_server}/", admin_headers)
    assert status == 200
    assert content_type.startswith("text/html")
    assert "L.citygrid.bboxLayer" in html
    for asset in ("/static/vendor/leaflet/leaflet.js", "/static/js/citygrid-map.js"):
        assert _get(f"{live_server}{asset}")[0] == 200


def test_concurrent_requests_keep_their_own_language(
    live_server: str, admin_headers: dict[str, str]
) -> None:
    def message(lang: str) -> tuple[str, str]:
        body = _get(f"{live_server}/api/layers/roads/features?lang={lang}", admin_headers)[2]
        return lang, body["message"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(message, ["en", "zh_CN"] * 12))
    for lang, text in answers:
        assert text.startswith("Unknown layer" if lang == "en" else "未知图层"), (lang, text)
