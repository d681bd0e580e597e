"""The inbox and a problem's page with each role, over Flask's test client, and every bad
input refused with a message and nothing changed."""

from __future__ import annotations

import html as markup
import io
from datetime import datetime, timedelta

import geopandas as gpd
import pytest
import shapely
from cycle_city import as_user, snapshot
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from web_accounts import csrf_token, signed_in_client
from werkzeug.test import TestResponse
from workflow_city import IN_G01

from citygrid.layers.store import Store


def codes_on(html: str, cycle: dict[str, str]) -> set[str]:
    return {status for status, code in cycle.items() if f">{code}</a>" in html}


INBOXES = {
    "admin": {"reported", "open", "dispatched", "rectified", "reopened", "wy"},
    "handler": {"dispatched", "reopened"},
    "other": {"wy"},
    "manager": {"reported", "open", "rectified", "reopened"},
    "inspector": {"rectified"},
    "viewer": {"reported", "open", "dispatched", "rectified", "reopened", "wy"},
    "planner": {"reported", "open", "dispatched", "rectified", "reopened", "wy"},
}


@pytest.mark.parametrize("name", list(INBOXES))
def test_each_role_sees_what_it_must_handle_in_its_scope(
    app: Flask, cycle: dict[str, str], name: str
) -> None:
    response = as_user(app, name).get("/inbox")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert codes_on(html, cycle) == INBOXES[name]
    if INBOXES[name] - {"wy"}:
        assert "占道经营" in html  # the item's name, not its code
        assert "五一一网格" in html  # the place: cell G01's name
        assert "working days overdue" in html  # reported in 2025, due long ago
        assert 'class="citygrid-overdue"' in html


def test_the_inbox_sorts_by_deadline_and_filters(app: Flask, cycle: dict[str, str]) -> None:
    client = as_user(app, "admin")
    html = client.get("/inbox").get_data(as_text=True)
    order = sorted(
        (html.index(f">{code}</a>"), status) for status, code in cycle.items() if status != "closed"
    )
    # The reported one has no deadline yet: last. The rest share a deadline: by report time.
    assert order[-1][1] == "reported"
    only = client.get("/inbox?status=rectified").get_data(as_text=True)
    assert codes_on(only, cycle) == {"rectified"}
    closed = client.get("/inbox?status=已结案").get_data(as_text=True)
    assert codes_on(closed, cycle) == {"closed"}
    late = client.get("/inbox?overdue=1").get_data(as_text=True)
    assert codes_on(late, cycle) == INBOXES["admin"] - {"reported"}


def test_the_inbox_pages(app: Flask, city: Store, cycle: dict[str, str]) -> None:
    soon = datetime.now().replace(microsecond=0) + timedelta(days=60)
    rows = [
        {
            "code": f"WT9{i:07d}",
            "catalogue_code": "C02",
            "status": "dispatched",
            "reported_at": soon - timedelta(days=1),
            "deadline": soon + timedelta(hours=i),
            "unit_code": "U_CG",
            "grid_code": "G01",
        }
        for i in range(25)
    ]
    city.write(
        "problems",
        gpd.GeoDataFrame(rows, geometry=[shapely.Point(IN_G01)] * 25, crs="EPSG:4326"),
    )
    client = as_user(app, "handler")
    first = client.get("/inbox").get_data(as_text=True)
    assert "27 problems" in first
    assert "Page 1 of 2" in first
    assert codes_on(first, cycle) == {"dispatched", "reopened"}  # overdue ones first
    assert "WT90000017</a>" in first
    assert "WT90000018</a>" not in first
    second = client.get("/inbox?page=2").get_data(as_text=True)
    assert "WT90000018</a>" in second
    assert "WT90000024</a>" in second
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("status=done", "'done' is not a value of status"),
        ("page=0", "Page 0 does not exist"),
        ("page=x", "page='x' is not valid; use a whole number from 1"),
        ("overdue=maybe", "overdue='maybe' is not valid; use 1 or 0"),
    ],
)
def test_bad_inbox_queries_are_400_with_a_message(app: Flask, query: str, words: str) -> None:
    response = as_user(app, "handler").get(f"/inbox?{query}")
    assert response.status_code == 400
    assert words in markup.unescape(response.get_data(as_text=True))


def test_pages_send_visitors_to_sign_in(app: Flask, cycle: dict[str, str]) -> None:
    for path in ("/inbox", f"/problems/{cycle['open']}"):
        response = app.test_client().get(path)
        assert response.status_code == 302
        assert "/login?next=" in response.headers["Location"]


ACTIONS = {
    ("handler", "dispatched"): ["rectify"],
    ("handler", "reopened"): ["rectify"],
    ("manager", "reported"): ["register"],
    ("manager", "open"): ["dispatch"],
    ("manager", "rectified"): ["verify", "rework"],
    ("inspector", "rectified"): ["verify", "rework"],
    ("admin", "reopened"): ["dispatch", "rectify"],
    ("viewer", "open"): [],
    ("planner", "rectified"): [],
    ("handler", "closed"): [],
}


@pytest.mark.parametrize(("name", "status"), list(ACTIONS))
def test_a_problem_page_offers_the_roles_actions(
    app: Flask, cycle: dict[str, str], name: str, status: str
) -> None:
    code = cycle[status]
    response = as_user(app, name).get(f"/problems/{code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    offered = [
        a
        for a in ("register", "dispatch", "rectify", "verify", "rework")
        if f'action="/problems/{code}/{a}"' in html
    ]
    assert offered == ACTIONS[(name, status)]
    assert "占道经营" in html
    assert "城管局" in html
    assert "五一一网格" in html
    assert "Timeline" in html
    assert "人行道上摆摊" in html
    if status != "reported":
        assert "register" in html  # the timeline names its steps


def test_rectify_moves_the_problem_and_grows_the_timeline(
    app: Flask, city: Store, cycle: dict[str, str]
) -> None:
    client = as_user(app, "handler")
    code = cycle["dispatched"]
    page = client.get(f"/problems/{code}").get_data(as_text=True)
    before = page.count("<li>")
    version = str(city.get("problems", code)["version"])
    form = {"csrf_token": csrf_token(page), "note": "摊位已清走", "version": version}
    response = client.post(f"/problems/{code}/rectify", data=form)
    assert response.status_code == 302
    assert city.get("problems", code)["status"] == "rectified"
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert after.count("<li>") == before + 1
    assert "摊位已清走" in after
    assert "Done: rectify and report back." in after


def _refused(
    app: Flask, city: Store, name: str, code: str, action: str, note: str = "好了", **form: str
) -> tuple[int, str]:
    client = as_user(app, name)
    page = client.get("/inbox").get_data(as_text=True)
    before = snapshot(city, code)
    data = {"csrf_token": csrf_token(page), "note": note, **form}
    response = client.post(f"/problems/{code}/{action}", data=data)
    assert snapshot(city, code) == before, "a refused transition changed the problem"
    return response.status_code, markup.unescape(response.get_data(as_text=True))


def test_what_the_workflow_does_not_allow_is_shown_and_changes_nothing(
    app: Flask, city: Store, cycle: dict[str, str]
) -> None:
    status, html = _refused(app, city, "admin", cycle["dispatched"], "verify")
    assert status == 409
    assert "verify and close applies only to problems that are rectified, to verify" in html
    assert 'role="alert"' in html


def test_a_role_that_may_not_is_refused(app: Flask, city: Store, cycle: dict[str, str]) -> None:
    status, html = _refused(app, city, "handler", cycle["reported"], "register")
    assert status == 403
    assert "may not register problems" in html
    status, html = _refused(app, city, "viewer", cycle["dispatched"], "rectify")
    assert status == 403


def test_another_units_problem_is_not_there(app: Flask, city: Store, cycle: dict[str, str]) -> None:
    assert as_user(app, "handler").get(f"/problems/{cycle['wy']}").status_code == 404
    status, _ = _refused(app, city, "handler", cycle["wy"], "rectify")
    assert status in (403, 404)


@pytest.mark.parametrize(
    ("action", "form", "expected", "words"),
    [
        ("rectify", {"note": " "}, 400, "Say what was done"),
        ("rectify", {"version": "1"}, 409, "changed"),
        ("rectify", {"version": "x"}, 400, "is not a whole number"),
        ("rectify", {"note": "长" * 2001}, 400, "at most 2000 characters"),
        ("fix", {}, 400, "'fix' is not a transition"),
    ],
)
def test_bad_forms_are_refused(
    app: Flask,
    city: Store,
    cycle: dict[str, str],
    action: str,
    form: dict[str, str],
    expected: int,
    words: str,
) -> None:
    fields = {"note": "好了", **form}
    note = fields.pop("note")
    status, html = _refused(app, city, "handler", cycle["dispatched"], action, note, **fields)
    assert status == expected
    assert words in html


def test_a_form_without_its_csrf_token_is_refused(
    app: Flask, city: Store, cycle: dict[str, str]
) -> None:
    client = as_user(app, "handler")
    code = cycle["dispatched"]
    before = snapshot(city, code)
    response = client.post(f"/problems/{code}/rectify", data={"note": "好了"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert snapshot(city, code) == before


def test_unknown_codes_are_404(app: Flask, city: Store) -> None:
    client = as_user(app, "admin")
    assert client.get("/problems/WT99999999").status_code == 404
    page = client.get("/inbox").get_data(as_text=True)
    response = client.post("/problems/WT99999999/verify", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 404


def test_the_pages_speak_chinese_by_default(app: Flask, cycle: dict[str, str]) -> None:
    client = signed_in_client(app.test_client(), "handler")
    html = client.get("/inbox").get_data(as_text=True)
    assert "待办问题" in html
    assert "已派遣" in html
    assert "个工作日" in html
    page = client.get(f"/problems/{cycle['dispatched']}").get_data(as_text=True)
    assert "整改反馈" in page
    assert "办理经过" in page


def png(colour: str = "red") -> bytes:
    """A small PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
    return buffer.getvalue()


def _rectify_with(client: FlaskClient, code: str, *files: tuple[bytes, str]) -> TestResponse:
    page = client.get(f"/problems/{code}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "note": "已清理，附照片",
        "photos": [(io.BytesIO(content), name) for content, name in files],
    }
    return client.post(f"/problems/{code}/rectify", data=data, content_type="multipart/form-data")


def test_evidence_photos_are_stored_and_served_to_who_may_see_the_problem(
    app: Flask, city: Store, cycle: dict[str, str]
) -> None:
    client = as_user(app, "handler")
    code = cycle["dispatched"]
    response = _rectify_with(client, code, (png(), "现场.png"), (png("blue"), "整改后.png"))
    assert response.status_code == 302
    page = client.get(f"/problems/{code}").get_data(as_text=True)
    assert f'src="/problems/{code}/photos/{code}-01"' in page
    assert f'src="/problems/{code}/photos/{code}-02"' in page
    served = client.get(f"/problems/{code}/photos/{code}-01")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.data == png()
    assert as_user(app, "manager").get(f"/problems/{code}/photos/{code}-02").status_code == 200
    assert as_user(app, "other").get(f"/problems/{code}/photos/{code}-01").status_code == 404
    assert client.get(f"/problems/{code}/photos/{code}-09").status_code == 404
    visitor = app.test_client().get(f"/problems/{code}/photos/{code}-01")
    assert visitor.status_code == 302


def test_a_file_that_is_not_an_image_is_refused_and_changes_nothing(
    app: Flask, city: Store, cycle: dict[str, str]
) -> None:
    client = as_user(app, "handler")
    code = cycle["dispatched"]
    before = snapshot(city, code)
    response = _rectify_with(client, code, (png(), "好.png"), (b"%PDF-1.4 not a photo", "照片.jpg"))
    assert response.status_code == 400
    assert "照片.jpg is not an image" in markup.unescape(response.get_data(as_text=True))
    assert snapshot(city, code) == before
    assert city.read("photos", where={"problem_code": code}).empty


def test_a_dispatch_goes_to_the_unit_chosen(app: Flask, city: Store, cycle: dict[str, str]) -> None:
    client = as_user(app, "manager")
    code = cycle["open"]
    page = client.get(f"/problems/{code}").get_data(as_text=True)
    assert '<option value="U_WY">五一街道办事处</option>' in page
    form = {"csrf_token": csrf_token(page), "note": "转交街道", "unit": "U_WY"}
    assert client.post(f"/problems/{code}/dispatch", data=form).status_code == 302
    problem = city.get("problems", code)
    assert problem["status"] == "dispatched"
    assert problem["unit_code"] == "U_WY"
    assert problem["routed_by"] == "manual"


def test_a_unit_that_does_not_exist_is_refused(
    app: Flask, city: Store, cycle: dict[str, str]
) -> None:
    status, html = _refused(app, city, "manager", cycle["open"], "dispatch", unit="U_NONE")
    assert status == 400
    assert "There is no unit U_NONE" in html
    status, html = _refused(app, city, "handler", cycle["dispatched"], "rectify", unit="U_WY")
    assert status == 400
    assert "belongs to dispatch" in html


def test_register_takes_the_condition_chosen(
    app: Flask, city: Store, cycle: dict[str, str]
) -> None:
    client = as_user(app, "manager")
    code = cycle["reported"]
    page = client.get(f"/problems/{code}").get_data(as_text=True)
    assert '<option value="C02-1">占道经营 (3 working days)</option>' in page
    form = {"csrf_token": csrf_token(page), "note": "立案", "condition": "C02-1"}
    assert client.post(f"/problems/{code}/register", data=form).status_code == 302
    problem = city.get("problems", code)
    assert problem["status"] == "open"
    assert problem["deadline"] is not None


def test_a_condition_the_item_does_not_have_is_refused(
    app: Flask, city: Store, cycle: dict[str, str]
) -> None:
    status, html = _refused(app, city, "manager", cycle["reported"], "register", condition="C01-2")
    assert status == 400
    assert "C01-2" in html
