"""``citygrid who --crs`` takes every CRS spelling import and export take."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from citygrid.cli import main
from citygrid.gis.crs import wgs84_to_bd09, wgs84_to_gcj02
from citygrid.layers.store import Store


def _who(url: str, *args: str) -> dict:
    result = CliRunner().invoke(main, ["--db", url, "--lang", "en", "who", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _a_point(url: str) -> tuple[float, float]:
    """Longitude and latitude (EPSG:4326) inside a demo point's geometry."""
    store = Store.open(url)
    try:
        points = store.read("points", columns=["code"])
    finally:
        store.close()
    inside = points.geometry.iloc[0].representative_point()
    return inside.x, inside.y


def _offset(convert, lon: float, lat: float) -> tuple[str, str]:
    x, y = convert(lon, lat)
    return repr(float(x)), repr(float(y))


@pytest.mark.parametrize(
    ("crs", "to_crs"),
    [
        ("gcj02", lambda lon, lat: _offset(wgs84_to_gcj02, lon, lat)),
        ("GCJ-02", lambda lon, lat: _offset(wgs84_to_gcj02, lon, lat)),
        ("bd09", lambda lon, lat: _offset(wgs84_to_bd09, lon, lat)),
        ("cgcs2000", lambda lon, lat: (repr(lon), repr(lat))),
        ("4547", None),
        ("EPSG:4547", None),
    ],
)
def test_who_routes_a_point_the_same_in_every_crs(demo_url: str, crs: str, to_crs) -> None:
    lon, lat = _a_point(demo_url)
    if to_crs is None:
        projected = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(crs)[0]
        x, y = repr(projected.x), repr(projected.y)
    else:
        x, y = to_crs(lon, lat)
    wgs84 = _who(demo_url, repr(lon), repr(lat))
    other = _who(demo_url, x, y, "--crs", crs)
    assert (x, y) != (repr(lon), repr(lat)) or crs == "cgcs2000"
    assert other["location"]["lon"] == pytest.approx(lon, abs=1e-7)
    assert other["location"]["lat"] == pytest.approx(lat, abs=1e-7)
    assert other["chain"] == wgs84["chain"]
    assert other["chain"][0]["layer"] == "points"
    assert (other["routed_by"], other["unit"]) == (wgs84["routed_by"], wgs84["unit"])


def test_a_gcj02_coordinate_taken_as_wgs84_lands_elsewhere(demo_url: str) -> None:
    """The offset is hundreds of metres: without --crs gcj02 the location is not the same."""
    lon, lat = _a_point(demo_url)
    x, y = _offset(wgs84_to_gcj02, lon, lat)
    unshifted = _who(demo_url, x, y)
    assert unshifted["location"]["lon"] != pytest.approx(lon, abs=1e-4)


@pytest.mark.parametrize("crs", ["gcj03", "EPSG:0", "", "bd09; drop table"])
def test_who_refuses_an_unknown_crs(demo_url: str, crs: str) -> None:
    result = CliRunner().invoke(
        main, ["--db", demo_url, "--lang", "en", "who", "112.98", "28.19", "--crs", crs]
    )
    if crs == "":  # an empty --crs means the default, EPSG:4326
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert "Unknown CRS" in result.output
    assert "Traceback" not in result.output
