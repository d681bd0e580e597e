"""The dashboard page, its JSON figures and its downloads (Flask's test client, pyogrio)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyogrio
import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_accounts import add_user, signed_in_client

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.routing.reroute import route_problems


@pytest.fixture
def routed(city: Store) -> Store:
    """The city with its problems routed to cells, points and units."""
    route_problems(CityContext(city, Config(), actor="pytest"), dry_run=False)
    return city


def _as(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie("citygrid_lang", "en")
    return signed_in_client(client, name)


def test_summary_counts_trend_and_worst(routed: Store, client: FlaskClient) -> None:
    answer = client.get("/api/dashboard/summary")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    problems = routed.read("problems")
    counts = body["counts"]
    assert counts["total"] == len(problems)
    assert counts["closed"] == int((problems["status"] == "closed").sum())
    assert counts["open"] == counts["total"] - counts["closed"]
    assert sum(body["trend"]["reported"]) == len(problems)
    assert body["trend"]["months"] == sorted(body["trend"]["months"])
    cells = body["worst_cells"]
    assert cells
    assert all(c["name"].startswith("姑苏第") for c in cells)
    opened = problems[problems["status"] != "closed"]
    assert sum(c["open"] for c in cells) == int(opened["grid_code"].notna().sum())
    # A filter narrows the figures.
    narrow = client.get("/api/dashboard/summary?statuses=closed").get_json()
    assert narrow["counts"]["open"] == 0
    assert narrow["filters"] == {"statuses": "closed"}


def test_summary_follows_the_scope(app: Flask, routed: Store) -> None:
    add_user(routed, "viewer", "viewer", scope="grid:G02")
    everything = _as(app, "admin").get("/api/dashboard/summary").get_json()
    mine = _as(app, "viewer").get("/api/dashboard/summary").get_json()
    problems = routed.read("problems")
    assert mine["counts"]["total"] == int((problems["grid_code"] == "G02").sum())
    assert mine["counts"]["total"] < everything["counts"]["total"]
    assert {c["code"] for c in mine["worst_cells"]} <= {"G02"}


def test_page_for_signed_in_users_only(app: Flask, routed: Store, client: FlaskClient) -> None:
    page = client.get("/dashboard?statuses=open")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "vendor/uplot/uPlot.iife.min.js" in html
    assert "/api/dashboard/downloads/hotspots.gpkg?statuses=open" in html
    assert "/api/dashboard/downloads/workload.csv" in html
    assert "Statuses: open" in html
    anonymous = app.test_client().get("/dashboard")
    assert anonymous.status_code in (302, 401)
    add_user(routed, "viewer", "viewer", scope="grid:G02")
    viewer_page = _as(app, "viewer").get("/dashboard").get_data(as_text=True)
    assert "workload.csv" not in viewer_page  # the workload is for those who assign
    # Every signed-in user's map links to the dashboard.
    assert 'class="citygrid-dashboard-link" href="/dashboard"' in _as(app, "viewer").get(
        "/map"
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/dashboard/summary?since=yesterday", 400),
        ("/api/dashboard/summary?unit=NOPE", 404),
        ("/api/dashboard/summary?statuses=lost", 400),
        ("/api/dashboard/downloads/nothing.gpkg", 404),
        ("/api/dashboard/downloads/hotspots.docx", 400),
        ("/api/dashboard/downloads/workload.png", 400),
        ("/api/dashboard/downloads/hotspots.gpkg?cells=fishnet:1", 400),
    ],
)
def test_bad_queries(routed: Store, client: FlaskClient, url: str, status: int) -> None:
    answer = client.get(url)
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.get_json()["message"]


def test_workload_is_refused_to_viewers(app: Flask, routed: Store) -> None:
    add_user(routed, "viewer", "viewer", scope="grid:G02")
    answer = _as(app, "viewer").get("/api/dashboard/downloads/workload.csv")
    assert answer.status_code == 403


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp"])
def test_layer_downloads_open_with_pyogrio(
    routed: Store, client: FlaskClient, tmp_path: Path, fmt: str
) -> None:
    for what in ("gap_uncovered", "hotspots"):
        answer = client.get(f"/api/dashboard/downloads/{what}.{fmt}?cells=grids")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert "attachment" in answer.headers["Content-Disposition"]
        if fmt == "shp":
            zipfile.ZipFile(io.BytesIO(answer.data)).extractall(tmp_path / what)
            path = next((tmp_path / what).rglob("*.shp"))
        else:
            path = tmp_path / f"{what}.{fmt}"
            path.write_bytes(answer.data)
        frame = pyogrio.read_dataframe(path)
        assert len(frame) > 0, what


def test_png_and_workload_downloads(routed: Store, client: FlaskClient, tmp_path: Path) -> None:
    png = client.get("/api/dashboard/downloads/hotspots.png?cells=grids")
    assert png.status_code == 200, png.get_data(as_text=True)
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n"
    workload = client.get("/api/dashboard/downloads/workload.gpkg")
    assert workload.status_code == 200, workload.get_data(as_text=True)
    path = tmp_path / "workload.gpkg"
    path.write_bytes(workload.data)
    table = pyogrio.read_dataframe(path)
    assert set(table["unit_code"]) == {"U_PJ", "U_CL", "U_CG"}
