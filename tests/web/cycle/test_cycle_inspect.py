"""The inspector's form with each role: reporting with a place and photos, recording a
round, and every bad input refused with its message and nothing stored."""

from __future__ import annotations

import html as markup
import io
import re

import pytest
from cycle_city import as_user, counts
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from web_accounts import csrf_token
from werkzeug.test import TestResponse
from workflow_city import IN_G01

from citygrid.layers.store import Store

IN_G03 = (112.9925, 28.1950)
"""A place in cell G03, outside the inspector's scope (G01)."""


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(buffer, "JPEG")
    return buffer.getvalue()


def send(client: FlaskClient, path: str, data: dict, files: list | None = None) -> TestResponse:
    page = client.get("/inspect").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), **data}
    if files is not None:
        form["photos"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(path, data=form, content_type="multipart/form-data")


def report(where: tuple[float, float] = IN_G01, **fields: str) -> dict:
    return {
        "catalogue_code": "C01",
        "lon": str(where[0] + 0.0042),
        "lat": str(where[1]),
        "description": "路边有垃圾",
        **fields,
    }


def test_the_inspector_sees_items_and_the_places_of_their_scope(app: Flask) -> None:
    html = as_user(app, "inspector").get("/inspect").get_data(as_text=True)
    assert 'value="C01">C01 乱扔垃圾' in html
    assert 'value="H01">H01 暴露垃圾' in html
    assert 'value="H"' not in html  # a heading is not an item
    assert "五一广场" in html  # D01, in G01
    assert "太平街" not in html  # A01, in G03
    assert 'action="/inspect/round"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert 'data-bbox="[112.97, 28.19, 112.98, 28.2]"' in html


def test_a_grid_manager_reports_but_records_no_rounds(app: Flask) -> None:
    html = as_user(app, "manager").get("/inspect").get_data(as_text=True)
    assert 'action="/inspect/report"' in html
    assert 'action="/inspect/round"' not in html


@pytest.mark.parametrize("name", ["handler", "viewer", "planner"])
def test_roles_that_do_not_report_are_refused(app: Flask, name: str) -> None:
    response = as_user(app, name).get("/inspect")
    assert response.status_code == 403
    assert "may not report problems" in response.get_data(as_text=True)


def test_a_visitor_is_sent_to_sign_in(app: Flask) -> None:
    response = app.test_client().get("/inspect")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_report_with_photos_becomes_a_problem(app: Flask, city: Store) -> None:
    before = counts(city)
    client = as_user(app, "inspector")
    response = send(client, "/inspect/report", report(), [(jpeg(), "垃圾.jpg")])
    assert response.status_code == 302
    code = re.search(r"reported=(WT\d+)", response.headers["Location"]).group(1)
    problem = city.get("problems", code)
    assert problem["status"] == "reported"
    assert problem["catalogue_code"] == "C01"
    assert problem["reporter"] == "inspector"
    assert counts(city) == {**before, "problems": before["problems"] + 1, "photos": 1}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f">{code}</a>" in page


def test_a_report_at_a_place_inspected_records_the_inspection(app: Flask, city: Store) -> None:
    before = counts(city)
    client = as_user(app, "inspector")
    data = report(place="D01", kind="unannounced")
    response = send(client, "/inspect/report", data, [(jpeg(), "a.jpg")])
    assert response.status_code == 302
    code = re.search(r"reported=(WT\d+)", response.headers["Location"]).group(1)
    problem = city.get("problems", code)
    inspection = city.get("inspections", problem["inspection_code"])
    assert inspection["point_code"] == "D01"
    assert inspection["result"] == "problems"
    assert inspection["kind"] == "unannounced"
    assert problem["source"] == "unannounced"
    assert counts(city) == {
        "problems": before["problems"] + 1,
        "inspections": before["inspections"] + 1,
        "photos": 1,
    }


def test_a_round_records_the_places_found_clean(app: Flask, city: Store) -> None:
    before = counts(city)
    client = as_user(app, "inspector")
    page = client.get("/inspect").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "kind": "routine", "places": ["D01", "S01"]}
    response = client.post("/inspect/round", data=form)
    assert response.status_code == 302
    assert "clean=2" in response.headers["Location"]
    rows = city.read("inspections", where={"point_code": "D01"})
    assert list(rows["result"]) == ["clean"]
    assert counts(city)["inspections"] == before["inspections"] + 2
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 places found clean" in done


@pytest.mark.parametrize(
    ("path", "data", "files", "status", "words"),
    [
        ("/inspect/report", report(lon=""), None, 400, "Tap the map"),
        ("/inspect/report", report(lat="北纬"), None, 400, "lat"),
        ("/inspect/report", report(catalogue_code="C99"), None, 400, "no catalogue item C99"),
        ("/inspect/report", report(catalogue_code="H"), None, 400, "is a heading"),
        ("/inspect/report", report(where=IN_G03), None, 403, "outside your scope"),
        ("/inspect/report", report(), [(b"GIF89a-not", "x.jpg")], 400, "x.jpg is not an image"),
        (
            "/inspect/report",
            report(place="D01"),
            [(jpeg(), "a.jpg"), (b"<html>", "b.png")],
            400,
            "b.png is not an image",
        ),
        ("/inspect/report", report(place="A01"), None, 403, "outside"),
        ("/inspect/report", report(place="D01", kind="夜查"), None, 400, "夜查"),
        ("/inspect/round", {"kind": "routine"}, None, 400, "Tick the places you checked"),
        ("/inspect/round", {"kind": "routine", "places": "A01"}, None, 403, "outside"),
        ("/inspect/round", {"kind": "routine", "places": "ZZ9"}, None, 400, "ZZ9"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    app: Flask, city: Store, path: str, data: dict, files: list | None, status: int, words: str
) -> None:
    before = counts(city)
    response = send(as_user(app, "inspector"), path, data, files)
    assert response.status_code == status
    html = markup.unescape(response.get_data(as_text=True))
    assert words in html
    assert 'role="alert"' in html
    assert counts(city) == before


def test_a_form_without_its_csrf_token_is_refused(app: Flask, city: Store) -> None:
    before = counts(city)
    response = as_user(app, "inspector").post("/inspect/report", data=report())
    assert response.status_code == 400
    assert counts(city) == before


def test_a_second_report_of_an_open_problem_is_merged_into_it(
    app: Flask, city: Store, cycle: dict[str, str]
) -> None:  # the page says so, and its timeline names the step
    before = counts(city)
    client = as_user(app, "inspector")
    data = report(catalogue_code="C02", description="又见摆摊")
    data.update(lon=str(IN_G01[0]), lat=str(IN_G01[1]))  # where the open problem is
    response = send(client, "/inspect/report", data)
    assert response.status_code == 302
    assert f"reported={cycle['open']}" in response.headers["Location"]
    assert counts(city)["problems"] == before["problems"]
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Already reported and still open: your report was added to problem" in done
    page = client.get(f"/problems/{cycle['open']}").get_data(as_text=True)
    assert "duplicate report merged" in page
    assert "又见摆摊" in page
