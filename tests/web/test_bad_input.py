"""Issue 11's bad input on the API: each a 4xx with a message, never a 500.

On SQLite and PostGIS. Each case failed before the web parsed through
:meth:`Field.parse` and the providers (a 500, a wrong answer, or a
TypeError in the error handler).
"""

from __future__ import annotations

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient


def _codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_json()
    return sorted(feature["id"] for feature in response.get_json()["features"])


@pytest.mark.parametrize(
    "query",
    [
        "recurrence=9223372036854775808",
        "recurrence=-9223372036854775809",
        "recurrence=99999999999999999999999",
    ],
)
def test_integers_beyond_64_bits_are_400(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/layers/problems/features?{query}")
    assert response.status_code == 400
    assert "is not a int for recurrence" in response.get_json()["message"]


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e999", "１"])
def test_floats_must_be_finite_ascii_numbers(client: FlaskClient, value: str) -> None:
    response = client.get(f"/api/layers/points/features?radius_m={value}")
    assert response.status_code == 400
    assert "is not a float for radius_m" in response.get_json()["message"]


@pytest.mark.parametrize(
    "fid", ["%C2%B2", "%EF%BC%91", "12345678901234567890", "9223372036854775808", "-1", "1.0"]
)
def test_fids_are_ascii_digits_within_64_bits(client: FlaskClient, fid: str) -> None:
    response = client.get(f"/api/layers/audit/features/{fid}")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_a_stored_fid_is_found(client: FlaskClient) -> None:
    response = client.get("/api/layers/audit/features/1")
    assert response.status_code == 200
    assert response.get_json()["id"] == 1


def test_a_field_by_name_and_by_label_means_any_of(client: FlaskClient) -> None:
    both = client.get("/api/layers/points/features?code=P01&点位编码=P02&point%20code=P03")
    assert _codes(both) == ["P01", "P02", "P03"]
    by_labels = client.get("/api/layers/problems/features?状态=待处置&status=closed")
    assert _codes(by_labels) == ["Q01", "Q02", "Q03", "Q05"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-03", ["Q02"]),
        ("2025-03-03T10:00:00", ["Q02"]),
        ("2025-03-03T10:00:01", []),
        ("2025-03-02/2025-03-04", ["Q01", "Q02", "Q03"]),
        ("2025-03-05/..", ["Q04", "Q05"]),
        ("../2025-03-02", ["Q01"]),
    ],
)
def test_times_are_filtered_by_day_moment_or_range(
    client: FlaskClient, value: str, expected: list[str]
) -> None:
    assert _codes(client.get(f"/api/layers/problems/features?reported_at={value}")) == expected
    by_label = client.get(f"/api/layers/problems/features?发现时间={value}")
    assert _codes(by_label) == expected


def test_next_pages_through_a_layer(client: FlaskClient) -> None:
    first = client.get("/api/layers/problems/features?limit=3").get_json()
    assert first["truncated"] is True
    rest = client.get(f"/api/layers/problems/features?limit=3&next={first['next']}").get_json()
    codes = [f["id"] for f in first["features"] + rest["features"]]
    assert codes == ["Q01", "Q02", "Q03", "Q04", "Q05"]
    assert rest["truncated"] is False
    assert "next" not in rest
    assert "numberMatched" not in rest


@pytest.fixture
def aborting_app(app: Flask) -> Flask:
    """The app with routes that fail with a given HTTP status, on the API and on a page."""

    def fail(status: int) -> None:
        abort(status)

    app.add_url_rule("/api/fail/<int:status>", "api_fail", fail)
    app.add_url_rule("/fail/<int:status>", "page_fail", fail)
    return app


@pytest.mark.parametrize("status", [400, 403, 413, 429, 500])
def test_every_http_error_renders_as_json_and_html(aborting_app: Flask, status: int) -> None:
    client = aborting_app.test_client()
    api = client.get(f"/api/fail/{status}?lang=en")
    assert api.status_code == status
    body = api.get_json()
    assert body["status"] == status
    assert body["error"] == "http_error"
    assert body["message"].startswith(f"The request failed with HTTP status {status}")
    page = client.get(f"/fail/{status}?lang=en")
    assert page.status_code == status
    assert page.mimetype == "text/html"
    assert f"HTTP status {status}" in page.get_data(as_text=True)
    zh = client.get(f"/api/fail/{status}?lang=zh_CN").get_json()
    assert str(status) in zh["message"]


def test_nul_characters_are_refused_not_sent_to_the_database(client: FlaskClient) -> None:
    response = client.get("/api/layers/points/features?name=a%00")
    assert response.status_code == 400
    assert "NUL" in response.get_json()["message"]
    assert client.get("/api/layers/points/features/a%00b").status_code == 404
