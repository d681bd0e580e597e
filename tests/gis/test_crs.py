"""CRS parsing and the GCJ-02 / BD-09 offsets, checked against published reference pairs
and against their own inverses."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod

from citygrid.errors import BadInput
from citygrid.gis.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_storage,
    gauss_kruger_crs,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    parse_crs,
    same_crs,
    to_storage,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from citygrid.i18n import language

GEOD = Geod(ellps="WGS84")


def _metres(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    return GEOD.inv(lon_a, lat_a, lon_b, lat_b)[2]


@pytest.fixture
def china_points() -> tuple[np.ndarray, np.ndarray]:
    """20,000 random points spread over eastern and western China."""
    rng = np.random.default_rng(7)
    return rng.uniform(75.0, 134.0, 20_000), rng.uniform(18.0, 53.0, 20_000)


@pytest.mark.parametrize(
    ("text", "epsg", "offset"),
    [
        ("wgs84", 4326, None),
        ("WGS84", 4326, None),
        ("cgcs2000", 4490, None),
        ("gcj02", 4326, "gcj02"),
        ("GCJ-02", 4326, "gcj02"),
        ("bd09", 4326, "bd09"),
        ("4547", 4547, None),
        ("EPSG:32650", 32650, None),
        ("epsg:4490", 4490, None),
    ],
)
def test_parse_names_and_codes(text: str, epsg: int, offset: str | None) -> None:
    spec = parse_crs(text)
    assert spec.crs.to_epsg() == epsg
    assert spec.offset == offset


def test_parse_wkt_and_proj_strings() -> None:
    wkt = CRS.from_epsg(4547).to_wkt()
    assert parse_crs(wkt).crs.to_epsg() == 4547
    proj = "+proj=utm +zone=50 +datum=WGS84 +units=m +no_defs"
    assert parse_crs(proj).crs.is_projected
    assert parse_crs(CRS.from_epsg(3857)).crs.to_epsg() == 3857


@pytest.mark.parametrize("text", ["EPSG:999999", "mars", "gcj03", ""])
def test_unknown_crs_is_bad_input(text: str) -> None:
    with pytest.raises(BadInput, match=r"Unknown CRS"):
        parse_crs(text)


def test_unknown_crs_message_in_chinese() -> None:
    with pytest.raises(BadInput) as caught:
        parse_crs("mars")
    with language("zh_CN"):
        assert "未知的坐标系" in caught.value.message()


def test_cgcs2000_counts_as_storage_crs() -> None:
    assert same_crs(CRS.from_epsg(4490), CRS.from_epsg(4326))
    assert not same_crs(CRS.from_epsg(4547), CRS.from_epsg(4326))
    assert not same_crs(None, CRS.from_epsg(4326))


def test_gcj02_offset_is_hundreds_of_metres_in_china(china_points) -> None:
    lon, lat = china_points
    shifted = wgs84_to_gcj02(lon, lat)
    distance = _metres(lon, lat, *shifted)
    assert distance.min() > 10.0
    assert np.median(distance) > 100.0
    assert distance.max() < 1_000.0


def test_gcj02_round_trip_under_a_metre(china_points) -> None:
    lon, lat = china_points
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert _metres(lon, lat, *back).max() < 0.01
    forward_of_inverse = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert _metres(lon, lat, *forward_of_inverse).max() < 0.01


def test_bd09_round_trips_under_a_metre(china_points) -> None:
    lon, lat = china_points
    assert _metres(lon, lat, *bd09_to_wgs84(*wgs84_to_bd09(lon, lat))).max() < 0.01
    assert _metres(lon, lat, *bd09_to_gcj02(*gcj02_to_bd09(lon, lat))).max() < 0.01
    # BD-09 is GCJ-02 plus Baidu's own offset of roughly a kilometre.
    gap = _metres(*wgs84_to_gcj02(lon, lat), *wgs84_to_bd09(lon, lat))
    assert 300.0 < np.median(gap) < 1_500.0


# Published reference pairs (lon, lat in degrees), copied from public test suites:
# - googollee/eviltransform, python/test.py, TESTS (wgsLat, wgsLng, gcjLat, gcjLng),
#   asserted there to 6 decimal places: Shanghai, Shenzhen, Beijing;
# - wandergis/coordtransform, test/app.js "//result" comments, input (116.404, 39.915);
# - hujiulong/gcoord, test/unit/crs/GCJ02.spec.js, "GCJ02 to BD09", (123, 45) given to 8 decimals.
WGS84_GCJ02 = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
]
GCJ02_BD09 = [
    ((116.404, 39.915), (116.41036949371029, 39.92133699351021)),
    ((123.0, 45.0), (123.00636499, 45.00636899)),
]
# wandergis/coordtransform's bd09togcj02(116.404, 39.915): Baidu's closed-form inverse,
# itself an approximation of the exact inverse computed here.
BD09_GCJ02 = [((116.404, 39.915), (116.39762729119315, 39.90865673957631))]
EXACT = 1e-7  # degrees, about 1 cm: the forward formulas agree to the last digits published
APPROXIMATE = 1e-6  # degrees, about 0.1 m: a published closed-form inverse vs the exact one


@pytest.mark.parametrize(
    ("pairs", "forward", "inverse", "tolerance"),
    [
        (WGS84_GCJ02, wgs84_to_gcj02, gcj02_to_wgs84, EXACT),
        (GCJ02_BD09, gcj02_to_bd09, bd09_to_gcj02, EXACT),
        (BD09_GCJ02, bd09_to_gcj02, gcj02_to_bd09, APPROXIMATE),
    ],
    ids=["wgs84-gcj02", "gcj02-bd09", "bd09-gcj02"],
)
def test_offsets_match_published_pairs(pairs, forward, inverse, tolerance) -> None:
    source, target = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    got = np.column_stack(forward(source[:, 0], source[:, 1]))
    assert np.abs(got - target).max() < tolerance
    back = np.column_stack(inverse(target[:, 0], target[:, 1]))
    assert np.abs(back - source).max() < tolerance


def test_no_offset_outside_china() -> None:
    lon = np.array([2.35, -74.0, 139.69, 100.5])  # Paris, New York, Tokyo, Bangkok-ish west
    lat = np.array([48.85, 40.7, 35.69, 60.0])
    assert not in_china(lon, lat).any()
    for convert in (wgs84_to_gcj02, gcj02_to_wgs84, wgs84_to_bd09, bd09_to_wgs84):
        out_lon, out_lat = convert(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)


def test_geoseries_to_and_from_gcj02_moves_every_vertex() -> None:
    polygon = shapely.box(116.38, 39.90, 116.42, 39.93)
    line = shapely.LineString([(121.47, 31.23), (121.50, 31.24)])
    wgs = gpd.GeoSeries([polygon, line], crs="EPSG:4326")
    spec = parse_crs("gcj02")
    gcj = from_storage(wgs, spec)
    expected_lon, expected_lat = wgs84_to_gcj02(*shapely.get_coordinates(wgs.to_numpy()).T)
    np.testing.assert_allclose(
        shapely.get_coordinates(gcj.to_numpy()), np.column_stack([expected_lon, expected_lat])
    )
    back = to_storage(gcj, spec)
    assert back.crs.to_epsg() == 4326
    assert shapely.equals_exact(back.to_numpy(), wgs.to_numpy(), tolerance=1e-8).all()


def test_to_storage_reprojects_a_projected_crs() -> None:
    projected = gpd.GeoSeries([shapely.Point(500_000, 4_420_000)], crs="EPSG:32650")
    stored = to_storage(projected)
    assert stored.crs.to_epsg() == 4326
    assert stored.x.iloc[0] == pytest.approx(117.0, abs=1e-6)
    assert stored.y.iloc[0] == pytest.approx(39.93, abs=0.01)
    again = from_storage(stored, parse_crs("EPSG:32650"))
    assert again.x.iloc[0] == pytest.approx(500_000, abs=1e-3)


@pytest.mark.parametrize(
    ("lon", "epsg"), [(75.0, 4534), (114.2, 4547), (116.4, 4548), (135.0, 4554)]
)
def test_gauss_kruger_zone(lon: float, epsg: int) -> None:
    crs = gauss_kruger_crs(lon)
    assert crs.to_epsg() == epsg
    assert crs.is_projected


def test_gauss_kruger_outside_china() -> None:
    with pytest.raises(BadInput, match=r"UTM"):
        gauss_kruger_crs(2.35)
