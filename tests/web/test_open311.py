"""Open311 GeoReport v2 under /open311/v2 over real HTTP: POST then GET in JSON and XML,
a request following its problem through the cycle, and every bad input refused in the
spec's error format with nothing stored."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from georeport import GeoReport
from web_accounts import add_user, bearer
from web_server import serve
from workflow_city import IN_G01, OUTSIDE, as_, build_workflow_city

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.layers.store import Store
from citygrid.services.cycle.workflow import transition
from citygrid.web.app import create_app


@pytest.fixture
def city311(store: Store) -> Store:
    """The workflow city (items C01, C02, C03; heading H) with an administrator."""
    build_workflow_city(store)
    add_user(store)
    return store


def _server(store: Store, **settings: Any) -> Iterator[str]:
    config = Config(database_url=store.url, secret_key="test", **settings)
    yield from (f"{base}/open311/v2" for base in serve(create_app(config, store)))


@pytest.fixture
def open311(city311: Store) -> Iterator[str]:
    """Base URL of the Open311 API of a live server (keys needed)."""
    yield from _server(city311)


@pytest.fixture
def key(city311: Store) -> str:
    """An API token of the administrator, as an api_key."""
    return bearer(city311)["Authorization"].removeprefix("Bearer ")


def _call(
    url: str, form: dict[str, str] | None = None, content_type: str | None = None
) -> tuple[int, str, str]:
    data = None if form is None else urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, headers={"Cookie": "citygrid_lang=en"})
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        error.close()
        return error.code, error.headers["Content-Type"], body


def _json(url: str, form: dict[str, str] | None = None) -> tuple[int, Any]:
    status, content_type, body = _call(url, form)
    assert content_type.startswith("application/json")
    return status, json.loads(body)


def _report(key: str, **fields: str) -> dict[str, str]:
    return {
        "api_key": key,
        "service_code": "C01",
        "long": str(IN_G01[0]),
        "lat": str(IN_G01[1]),
        "description": "路边有人乱扔垃圾",
        "first_name": "王",
        "last_name": "小明",
        **fields,
    }


def _problems(store: Store) -> int:
    return store.count("problems")


def test_post_then_get_in_json(open311: str, key: str, city311: Store) -> None:
    status, posted = _json(f"{open311}/requests.json", _report(key))
    assert status == 201
    code = posted[0]["service_request_id"]
    assert code.startswith("WT")
    assert "城管" in posted[0]["service_notice"]
    status, (request,) = _json(f"{open311}/requests/{code}.json?api_key={key}")
    assert status == 200
    assert request["status"] == "open"
    assert request["service_code"] == "C01"
    assert request["service_name"] == "乱扔垃圾"
    assert request["description"] == "路边有人乱扔垃圾"
    assert request["agency_responsible"] == "城管局"
    assert (request["long"], request["lat"]) == pytest.approx(IN_G01)
    assert request["requested_datetime"].endswith("+08:00")
    assert city311.read("problems", where={"code": code})["source"].iloc[0] == "citizen"
    status, listed = _json(f"{open311}/requests.json?api_key={key}&service_code=C01,C02")
    assert [r["service_request_id"] for r in listed] == [code]
    status, tokens = _json(f"{open311}/tokens/{code}.json?api_key={key}")
    assert tokens == [{"service_request_id": code, "token": code}]


def test_post_then_get_in_xml(open311: str, key: str) -> None:
    status, content_type, body = _call(f"{open311}/requests.xml", _report(key))
    assert status == 201
    assert content_type.startswith("text/xml")
    code = ET.fromstring(body).findtext("request/service_request_id")
    assert code
    status, _type, body = _call(f"{open311}/requests/{code}.xml?api_key={key}")
    root = ET.fromstring(body)
    assert root.tag == "service_requests"
    assert root.findtext("request/status") == "open"
    assert root.findtext("request/agency_responsible") == "城管局"


def test_status_follows_the_problem_through_the_cycle(
    open311: str, key: str, city311: Store
) -> None:
    _status, posted = _json(f"{open311}/requests.json", _report(key))
    code = posted[0]["service_request_id"]

    def state() -> dict[str, Any]:
        return _json(f"{open311}/requests/{code}.json?api_key={key}")[1][0]

    reported = state()
    transition(as_(city311), "register", code, note="属实，立案")
    registered = state()
    assert registered["status"] == "open"
    assert registered["status_notes"] == "open: 属实，立案"
    assert registered["expected_datetime"]
    assert registered["updated_datetime"] >= reported["updated_datetime"]
    transition(as_(city311), "dispatch", code, unit="U_CG")
    assert state()["status_notes"].startswith("dispatched")
    transition(as_(city311), "rectify", code, note="已清理")
    transition(as_(city311), "verify", code, note="核查通过")
    closed = state()
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "closed: 核查通过"
    _status, listed = _json(f"{open311}/requests.json?api_key={key}&status=closed")
    assert [r["service_request_id"] for r in listed] == [code]
    _status, listed = _json(f"{open311}/requests.json?api_key={key}&status=open")
    assert listed == []


def test_services_and_definitions(open311: str) -> None:
    status, services = _json(f"{open311}/services.json")
    assert status == 200
    codes = [s["service_code"] for s in services]
    assert "C01" in codes
    assert "H01" in codes
    assert "H" not in codes  # a heading
    status, definition = _json(f"{open311}/services/C01.json")
    assert definition == {"service_code": "C01", "attributes": []}
    status, _type, body = _call(f"{open311}/services.xml")
    assert ET.fromstring(body).findtext("service/service_code") == codes[0]
    status, discovery = _json(f"{open311}/discovery.json")
    assert discovery["endpoints"][0]["url"] == open311


def test_configured_services_are_the_public_ones(city311: Store, key: str) -> None:
    for base in _server(city311, open311_services=("H",)):
        _status, services = _json(f"{base}/services.json")
        assert [s["service_code"] for s in services] == ["H01"]
        status, errors = _json(f"{base}/requests.json", _report(key))
        assert status == 400
        assert "C01" in errors[0]["description"]
    assert _problems(city311) == 0


def test_anonymous_reports_only_when_allowed(city311: Store, open311: str) -> None:
    anonymous = _report("")
    del anonymous["api_key"]
    status, errors = _json(f"{open311}/requests.json", anonymous)
    assert status == 403
    assert "api_key" in errors[0]["description"]
    assert _problems(city311) == 0
    for base in _server(city311, open311_anonymous=True):
        status, posted = _json(f"{base}/requests.json", anonymous)
        assert status == 201
        code = posted[0]["service_request_id"]
        _status, (request,) = _json(f"{base}/requests/{code}.json")
        assert request["status"] == "open"
    history = city311.history("problems", code)
    assert set(history["actor"]) == {"open311"}


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"service_code": "Z99"}, 400, "no service Z99"),
        ({"service_code": "H"}, 400, "no service H"),
        ({"long": str(OUTSIDE[0]), "lat": str(OUTSIDE[1])}, 400, "outside the city"),
        ({"long": "东经", "lat": "28"}, 400, "numbers"),
        ({"lat": "95"}, 400, "latitude"),
        ({"long": ""}, 400, "service_code, lat and long"),
        ({"api_key": "cg_nonsense"}, 403, "token"),
        ({"description": ""}, 400, "description"),
        ({"colour": "red"}, 400, "colour"),
        ({"attribute[size]": "big"}, 400, "attribute[size]"),
        ({"description": "<script>alert(1)</script>' OR 1=1"}, 201, ""),
    ],
)
def test_bad_posts_are_refused_in_spec_format(
    open311: str, key: str, city311: Store, change: dict[str, str], status: int, words: str
) -> None:
    got, errors = _json(f"{open311}/requests.json", _report(key, **change))
    assert got == status
    if status == 201:  # stored as text, as it was sent
        code = errors[0]["service_request_id"]
        stored = city311.read("problems", where={"code": code})["description"].iloc[0]
        assert stored == change["description"]
        return
    assert errors[0]["code"] == status
    assert words in errors[0]["description"]
    assert _problems(city311) == 0


def test_errors_in_xml_and_bad_bodies(open311: str, key: str, city311: Store) -> None:
    status, content_type, body = _call(f"{open311}/requests.xml", _report(key, service_code="Z"))
    assert status == 400
    assert content_type.startswith("text/xml")
    root = ET.fromstring(body)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "400"
    xml_body = "<request><service_code>C01</service_code>"  # malformed, and not a form
    request = urllib.request.Request(
        f"{open311}/requests.xml",
        data=xml_body.encode(),
        headers={"Content-Type": "text/xml", "Cookie": "citygrid_lang=en"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=30)
    assert raised.value.code == 400
    assert "form-encoded" in ET.fromstring(raised.value.read()).findtext("error/description")
    raised.value.close()
    assert _problems(city311) == 0


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/requests.json?status=pending", 400),
        ("/requests.json?start_date=yesterday", 400),
        ("/requests.json?colour=red", 400),
        ("/requests/WT99999999.json", 404),
        ("/services/Z99.json", 404),
        ("/services.csv", 400),
        ("/requests.json?api_key=cg_bad", 403),
    ],
)
def test_bad_reads_are_refused_in_spec_format(
    open311: str, key: str, path: str, status: int
) -> None:
    separator = "&" if "?" in path else "?"
    url = f"{open311}{path}"
    if "api_key" not in path:
        url += f"{separator}api_key={key}"
    got, errors = _json(url)
    assert got == status
    assert errors[0]["code"] == status


def test_rate_limited_per_key_and_address(city311: Store, key: str) -> None:
    for base in _server(city311, open311_rate="3 per minute"):
        answers = [_call(f"{base}/services.json?api_key={key}")[0] for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        status, errors = _json(f"{base}/requests.json", _report(key))
        assert status == 429
        assert errors[0]["code"] == 429
    assert _problems(city311) == 0


def test_a_viewer_key_may_not_report(city311: Store, open311: str) -> None:
    add_user(city311, "viewer1", role="viewer")
    viewer = bearer(city311, "viewer1")["Authorization"].removeprefix("Bearer ")
    status, errors = _json(f"{open311}/requests.json", _report(viewer))
    assert status == 403
    assert "may not report" in errors[0]["description"]
    assert _problems(city311) == 0


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_a_real_open311_client_reads_what_was_posted(
    city311: Store, key: str, output_format: str
) -> None:
    # georeport (PyPI) only reads, and sends no api_key when it does: anonymous reading on.
    for base in _server(city311, open311_anonymous=True):
        _status, posted = _json(f"{base}/requests.json", _report(key))
        code = posted[0]["service_request_id"]
        client = GeoReport(base, output_format=output_format)
        services = client.get_service_list()
        assert "C01" in [s["service_code"] for s in services]
        assert client.get_service_definition("C01")["service_code"] == "C01"
        request = client.get_service_request(code)
        assert request["service_request_id"] == code
        assert request["agency_responsible"] == "城管局"
        listed = client.get_service_requests(service_code="C01", status="open")
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one is a dict
        assert [r["service_request_id"] for r in listed] == [code]


def test_a_bad_rate_setting_is_refused(city311: Store) -> None:
    config = Config(database_url=city311.url, secret_key="test", open311_rate="often")
    with pytest.raises(BadInput, match="CITYGRID_OPEN311_RATE"):
        create_app(config, city311)
