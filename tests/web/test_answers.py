"""Kept answers of the map's endpoints: ETags, 304s, fields on request, and staleness.

Through Flask's test client on the small city, SQLite and PostGIS.
"""

from __future__ import annotations

import pandas as pd
from flask import Flask
from flask.testing import FlaskClient
from web_city import EXTENT, WEST

from citygrid.layers.store import Store
from citygrid.web.answers import AnswerCache
from citygrid.web.api import ApiResponse
from citygrid.web.feature_texts import FeatureTexts
from citygrid.web.geojson import COORDINATE_DECIMALS

BBOX = ",".join(str(v) for v in EXTENT)
GRIDS = f"/api/layers/grids/features?bbox={BBOX}&limit=100"


def test_an_answer_carries_an_etag_and_a_304_when_unchanged(client: FlaskClient) -> None:
    first = client.get(GRIDS)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get(GRIDS, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get(GRIDS, headers={"If-None-Match": '"other"'}).data == first.data


def test_a_write_makes_the_kept_answer_stale(client: FlaskClient, city: Store) -> None:
    first = client.get(GRIDS)
    code = first.get_json()["features"][0]["id"]
    city.update("grids", pd.DataFrame([{"code": code, "name": "新网格名"}]), actor="test")
    after = client.get(GRIDS, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    names = {f["id"]: f["properties"]["name"] for f in after.get_json()["features"]}
    assert names[code] == "新网格名"


def test_problems_on_the_map_carry_an_etag(client: FlaskClient) -> None:
    url = f"/api/map/problems?bbox={BBOX}&zoom=12"
    first = client.get(url)
    assert first.status_code == 200
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_properties_names_the_fields_served(client: FlaskClient) -> None:
    body = client.get(f"{GRIDS}&properties=name,code").get_json()
    assert body["features"]
    for feature in body["features"]:
        assert list(feature["properties"]) == ["code", "name"]  # the layer's order
        ring = feature["geometry"]["coordinates"][0][0]
        assert all(round(v, COORDINATE_DECIMALS) == v for point in ring for v in point)


def test_properties_refuses_unknown_fields(client: FlaskClient) -> None:
    response = client.get(f"{GRIDS}&properties=code,colour")
    assert response.status_code == 400
    body = response.get_json()
    assert "colour" in body["message"]
    assert body["details"]["unknown"] == "colour"


def test_answers_are_kept_per_principal(app: Flask, client: FlaskClient) -> None:
    client.get(GRIDS)
    anonymous = app.test_client().get(GRIDS)
    assert anonymous.status_code == 401


def test_the_cache_keeps_within_its_budget() -> None:
    cache = AnswerCache(max_bytes=1000)
    computed: list[str] = []

    def body(key: str, size: int = 240) -> ApiResponse:
        computed.append(key)
        return ApiResponse(200, {"Content-Type": "text/plain"}, b"x" * size)

    for key in ("a", "b", "c", "d"):
        cache.answer(key, None, lambda key=key: body(key))
    cache.answer("a", None, lambda: body("a"))  # kept, and now the newest: b is the oldest
    cache.answer("e", None, lambda: body("e"))  # 1200 bytes: b leaves
    cache.answer("b", None, lambda: body("b"))
    assert computed == ["a", "b", "c", "d", "e", "b"]
    cache.answer("big", None, lambda: body("big", 300))  # over a quarter: served, not kept
    cache.answer("big", None, lambda: body("big", 300))
    assert computed[-2:] == ["big", "big"]
    refused = cache.answer("f", None, lambda: ApiResponse(400, {}, b"no"))
    assert refused.status == 400
    assert "ETag" not in refused.headers


def test_a_view_beside_the_last_sees_an_edit_made_between(client: FlaskClient, city: Store) -> None:
    first = client.get(GRIDS).get_json()["features"]
    code = first[0]["id"]
    city.update("grids", pd.DataFrame([{"code": code, "name": "新网格名"}]), actor="test")
    west = ",".join(str(v) for v in WEST)
    beside = client.get(f"/api/layers/grids/features?bbox={west}&limit=100").get_json()
    names = {f["id"]: f["properties"]["name"] for f in beside["features"]}
    assert names[code] == "新网格名"  # its kept text belongs to the older version
    unchanged = {f["id"]: f for f in first if f["id"] != code and f["id"] in names}
    assert unchanged
    for feature in beside["features"]:
        if feature["id"] in unchanged:
            assert feature["properties"] == unchanged[feature["id"]]["properties"]


def test_feature_texts_are_made_once_per_feature_and_key() -> None:
    texts = FeatureTexts(max_texts=5)
    made: list[int] = []

    def serialise(frame: pd.DataFrame) -> list[str]:
        made.extend(frame["fid"])
        return [
            f'{{"fid":{fid},"name":"{name}"}}'
            for fid, name in zip(frame["fid"], frame["name"], strict=True)
        ]

    first = pd.DataFrame({"fid": [1, 2, 3], "name": ["甲", "乙", "丙"]})
    beside = pd.DataFrame({"fid": [3, 4], "name": ["丙", "丁"]})
    assert texts.texts("v1", first, serialise) == serialise(first)
    made.clear()
    assert texts.texts("v1", beside, serialise) == [
        '{"fid":3,"name":"丙"}',
        '{"fid":4,"name":"丁"}',
    ]
    assert made == [4]  # 3 was kept
    texts.texts("v2", beside, serialise)  # another version: made again; six texts in all,
    assert made == [4, 3, 4]  # so v1's four, the least recently used, leave
    texts.texts("v2", beside.rename(columns={"name": "title"}).assign(name="丙"), serialise)
    assert made == [4, 3, 4, 3, 4]  # other columns (fields withheld or added): other texts
    made.clear()
    texts.texts("v2", beside, serialise)
    assert made == []
    texts.texts("v1", first, serialise)
    assert made == [1, 2, 3]
