"""Routing a location to who answers for it, alone and in batch; rerouting problems."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from responsibility_city import add_problems, build_city, frame

from citygrid.config import Config
from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.i18n import language
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.responsibility import assign, auto_assign
from citygrid.services.routing import (
    DEFAULT_POINT_RADIUS_M,
    RoutingIndex,
    check_lon_lat,
    route_locations,
    route_point,
)
from citygrid.services.routing.nearby import SegmentBins
from citygrid.services.routing.reroute import correct_location, route_problems

CONFIG = Config()
#: Degrees of longitude per metre at 28.19°N (for offsets in the tests).
LON_PER_M = 1 / (111_320 * np.cos(np.radians(28.19)))


@pytest.fixture
def city(store: Store) -> Store:
    build_city(store)
    return store


def test_a_point_with_a_unit_decides_and_the_chain_lists_every_link(city: Store) -> None:
    assign(CityContext(city, CONFIG, "t"), "points", "D01", unit="U_SW", head="P_WW")
    answer = route_point(CityContext(city, CONFIG), 112.973, 28.192, category="C01")
    assert answer["routed_by"] == "point"
    assert answer["unit"] == {
        "code": "U_SW",
        "name": "商务局",
        "contact": "钱科长",
        "phone": None,
    }
    assert answer["head"]["name"] == "王五"
    assert [(link["rule"], link["code"], link["decides"]) for link in answer["chain"]] == [
        ("point", "D01", True),
        ("grid", "G01", False),
        ("subdistrict", "430102001", False),
    ]
    assert answer["chain"][1]["unit"]["name"] == "城管局"
    assert answer["category"]["name"] == "乱扔垃圾"


def test_a_link_without_a_unit_passes_the_problem_on(city: Store) -> None:
    answer = route_point(CityContext(city, CONFIG), 112.973, 28.192)
    assert answer["routed_by"] == "grid"  # 五一广场 has no unit yet
    assert answer["unit"]["code"] == "U_CG"
    answer = route_point(CityContext(city, CONFIG), 112.9835, 28.1925)  # G02 has no unit
    assert (answer["routed_by"], answer["unit"]["code"]) == ("subdistrict", "U_WY")


def test_point_radius_is_its_own_or_the_default(city: Store) -> None:
    inside = route_point(CityContext(city, CONFIG), 112.973 + 35 * LON_PER_M, 28.192)
    assert inside["chain"][0]["code"] == "D01"  # radius_m 40
    outside = route_point(CityContext(city, CONFIG), 112.973 + 45 * LON_PER_M, 28.192)
    assert outside["chain"][0]["rule"] == "grid"
    city.update("points", pd.DataFrame({"code": ["D01"], "radius_m": [None]}), actor="t")
    near = DEFAULT_POINT_RADIUS_M - 5
    assert route_point(CityContext(city, CONFIG), 112.973 + near * LON_PER_M, 28.192)["chain"][0][
        "code"
    ] == ("D01")


def test_a_polygon_point_holds_what_is_inside_it(city: Store) -> None:
    answer = route_point(CityContext(city, CONFIG), 113.004, 28.193)
    assert answer["chain"][0]["code"] == "D02"
    assert answer["chain"][0]["distance_m"] == 0.0


def test_street_within_snap_distance_then_cell(city: Store) -> None:
    near = route_point(CityContext(city, CONFIG), 112.9855 + 20 * LON_PER_M, 28.195 + 0.001)
    assert (near["routed_by"], near["unit"]["code"], near["head"]["name"]) == (
        "street",
        "U_CG",
        "张三",
    )
    assert near["chain"][0]["distance_m"] == pytest.approx(20, abs=0.5)
    far = route_point(CityContext(city, CONFIG), 112.9855 + 40 * LON_PER_M, 28.1965)
    assert far["chain"][0]["rule"] == "grid"
    wider = route_point(
        CityContext(city, CONFIG.with_(street_snap_m=50)), 112.9855 + 40 * LON_PER_M, 28.1965
    )
    assert wider["chain"][0]["code"] == "S02"


def test_an_alley_answers_after_auto_assign(city: Store) -> None:
    before = route_point(CityContext(city, CONFIG), 112.995, 28.1932)
    assert before["chain"][0]["code"] == "A01"
    assert before["routed_by"] == "subdistrict"
    auto_assign(CityContext(city, CONFIG), dry_run=False)
    after = route_point(CityContext(city, CONFIG), 112.995, 28.1932)
    assert (after["routed_by"], after["unit"]["code"]) == ("alley", "U_PZ")


def test_a_place_without_cells_answers_through_its_subdistrict(city: Store) -> None:
    answer = route_point(CityContext(city, CONFIG), 112.98, 28.205)
    assert answer["routed_by"] == "subdistrict"
    assert [link["rule"] for link in answer["chain"]] == ["subdistrict"]
    assert answer["unit"]["contact"] == "周主任"


def test_outside_answers_with_the_nearest_subdistrict_and_distance(city: Store) -> None:
    answer = route_point(CityContext(city, CONFIG), 113.02, 28.2)
    assert answer["routed_by"] == "outside"
    assert answer["unit"] is None
    outside = answer["outside"]
    assert (outside["nearest_subdistrict"], outside["name"]) == ("430102002", "坡子街街道")
    assert outside["distance_m"] == pytest.approx(0.01 / LON_PER_M, rel=0.01)
    assert outside["unit"]["code"] == "U_PZ"


def test_shared_edges_go_to_the_lowest_code(city: Store) -> None:
    on_cell_edge = route_point(CityContext(city, CONFIG), 112.98, 28.1925)
    assert on_cell_edge["chain"][0]["code"] == "G01"
    on_boundary = route_point(CityContext(city, CONFIG), 112.99, 28.205)
    assert on_boundary["chain"][0]["code"] == "430102001"
    corner = route_point(CityContext(city, CONFIG), 112.99, 28.19)
    assert [link["code"] for link in corner["chain"]] == ["G02", "430102001"]


def test_equal_distance_to_two_streets_picks_the_lowest_code_and_streets_before_alleys(
    city: Store,
) -> None:
    utm = "EPSG:32649"  # the metric CRS the router picks for this city
    x, y = gpd.GeoSeries([shapely.Point(112.995, 28.206)], crs="EPSG:4326").to_crs(utm)[0].coords[0]
    streets = frame(
        [{"code": "S21", "name": "西湖路"}, {"code": "S20", "name": "东湖路"}],
        [
            shapely.LineString([(x - 20, y - 100), (x - 20, y + 100)]),
            shapely.LineString([(x + 20, y - 100), (x + 20, y + 100)]),
        ],
    )
    city.write("streets", streets.set_crs(utm, allow_override=True))
    alley = frame(
        [{"code": "A00", "name": "福寿巷"}],
        [shapely.LineString([(x - 5, y - 20), (x + 5, y - 20)])],
    )
    city.write("alleys", alley.set_crs(utm, allow_override=True))
    answer = route_point(CityContext(city, CONFIG), 112.9950, 28.206)
    assert answer["chain"][0]["code"] == "S20"
    batch = route_locations(
        RoutingIndex.from_store(CityContext(city, CONFIG)),
        gpd.GeoSeries([shapely.Point(112.995, 28.206)]),
    )
    assert batch["street_code"].tolist() == ["S20"]
    assert batch["alley_code"].tolist() == [None]


@pytest.mark.parametrize(
    ("lon", "lat", "crs", "match"),
    [
        ("东经", "28.19", None, "must be numbers"),
        ("112.98", "", None, "must be numbers"),
        ("181", "28.19", None, "not a longitude and latitude"),
        ("112.98", "-91", None, "not a longitude and latitude"),
        ("nan", "28.19", None, "not a longitude and latitude"),
        ("112.98", "28.19", "EPSG:999999", "Unknown CRS"),
    ],
)
def test_bad_coordinates_are_refused(lon: str, lat: str, crs: str | None, match: str) -> None:
    with pytest.raises(BadInput, match=match):
        check_lon_lat(lon, lat, crs)


def test_projected_coordinates_with_crs(city: Store) -> None:
    x, y = (
        gpd.GeoSeries([shapely.Point(112.973, 28.192)], crs="EPSG:4326").to_crs(32649)[0].coords[0]
    )
    answer = route_point(CityContext(city, CONFIG), str(x), str(y), crs="EPSG:32649")
    assert answer["chain"][0]["code"] == "D01"
    assert answer["location"]["lon"] == pytest.approx(112.973)


def test_unknown_category_is_refused_in_both_languages(city: Store) -> None:
    with pytest.raises(NotFound, match="no catalogue item C99") as caught:
        route_point(CityContext(city, CONFIG), 112.973, 28.192, category="C99")
    with language("zh_CN"):
        assert caught.value.message() == "测评体系中没有条目 C99；请使用测评体系中的条目编码。"


def test_batch_agrees_with_single_routing_and_with_a_plain_join(city: Store) -> None:
    auto_assign(CityContext(city, CONFIG), dry_run=False)
    rng = np.random.default_rng(7)
    lon = np.round(rng.uniform(112.965, 113.015, 40), 5)
    lat = np.round(rng.uniform(28.186, 28.214, 40), 5)
    lon[:3], lat[:3] = [112.98, 112.973, 113.02], [28.1925, 28.192, 28.2]  # edge, point, outside
    locations = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    batch = route_locations(RoutingIndex.from_store(CityContext(city, CONFIG)), locations)
    for i in range(len(locations)):
        single = route_point(CityContext(city, CONFIG), lon[i], lat[i])
        assert single["routed_by"] == batch.at[i, "routed_by"], (lon[i], lat[i])
        assert (single["unit"] or {}).get("code") == batch.at[i, "unit_code"]
        chain = {link["layer"]: link["code"] for link in single["chain"]}
        assert chain.get("grids") == batch.at[i, "grid_code"]
    cells = city.read("grids", columns=["code"])
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=locations), cells, predicate="within")
    inside = joined.index[~joined.index.duplicated(keep=False)]
    assert batch.loc[inside, "grid_code"].tolist() == joined.loc[inside, "code"].tolist()
    assert batch.at[2, "routed_by"] == "outside"
    assert batch.at[2, "outside_distance_m"] > 900


def test_route_problems_dry_run_then_apply_keeps_closed_and_manual(city: Store) -> None:
    add_problems(city)
    city.write(
        "problems",
        frame(
            [
                {
                    "code": "W004",
                    "catalogue_code": "C01",
                    "status": "open",
                    "reported_at": pd.Timestamp("2026-11-21"),
                    "unit_code": "U_SW",
                    "routed_by": "manual",
                }
            ],
            [shapely.Point(112.9835, 28.1925)],
        ),
    )
    preview = route_problems(CityContext(city, CONFIG, "t"))
    assert sorted(preview["code"]) == ["W001", "W002"]
    assert city.get("problems", "W001")["unit_code"] is None
    route_problems(CityContext(city, CONFIG, "派遣员"), dry_run=False)
    w002 = city.get("problems", "W002")
    assert (w002["alley_code"], w002["grid_code"], w002["unit_code"]) == ("A01", "G03", "U_PZ")
    assert city.get("problems", "W003")["grid_code"] == "G02"  # closed: untouched
    assert city.get("problems", "W004")["unit_code"] == "U_SW"  # dispatched by hand
    assert route_problems(CityContext(city, CONFIG, "t")).empty


def test_problems_of_a_store_in_memory_are_routed_as_on_a_file(city: Store) -> None:
    memory = Store.open("sqlite://", check_schema=False)
    memory.init()
    build_city(memory)
    add_problems(memory)
    add_problems(city)
    assert not memory.shared_across_threads
    assert city.shared_across_threads
    in_memory = route_problems(CityContext(memory, CONFIG, "t"), dry_run=False)
    stored = route_problems(CityContext(city, CONFIG, "t"), dry_run=False)
    pd.testing.assert_frame_equal(in_memory, stored)
    assert memory.get("problems", "W002")["unit_code"] == "U_PZ"
    memory.close()


def test_a_city_with_no_open_problem_builds_no_routing_index(
    city: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> RoutingIndex:
        raise AssertionError("the routing index was built")

    monkeypatch.setattr(RoutingIndex, "from_store", refuse)
    assert route_problems(CityContext(city, CONFIG, "t"), dry_run=False).empty


def test_correcting_a_location_reroutes_open_problems_only(city: Store) -> None:
    add_problems(city)
    route_problems(CityContext(city, CONFIG, "t"), dry_run=False)
    moved = correct_location(
        CityContext(city, CONFIG, "核查员"), "W001", 112.973, 28.192, version=2
    )
    assert moved["unit_code"].tolist() == ["U_CG"]
    assert city.get("problems", "W001")["grid_code"] == "G01"
    actions = city.history("problems", "W001")["action"].tolist()
    assert actions[-2:] == ["correct_location", "reroute"]
    kept = correct_location(CityContext(city, CONFIG, "核查员"), "W003", 112.973, 28.192)
    assert kept.empty
    assert city.get("problems", "W003")["unit_code"] == "U_WY"
    with pytest.raises(Conflict, match="changed by 核查员"):
        correct_location(CityContext(city, CONFIG, "t"), "W001", 112.98, 28.19, version=2)
    with pytest.raises(BadInput):
        correct_location(CityContext(city, CONFIG, "t"), "W001", 500, 28.19)


def test_segment_bins_find_what_an_strtree_finds_at_the_same_distances() -> None:
    rng = np.random.default_rng(3)
    starts = rng.uniform(0, 1000, (300, 2))
    lines = shapely.linestrings(
        np.stack([starts, starts + rng.uniform(-150, 150, (300, 2))], axis=1)
    )
    lines[:40] = shapely.points(starts[:40])  # points are segments of no length
    locations = rng.uniform(-50, 1050, (5000, 2))
    bins = SegmentBins.build(lines, 30.0)
    assert bins is not None
    loc, feat, dist = bins.query(locations[:, 0], locations[:, 1])
    found = pd.DataFrame({"loc": loc, "feat": feat, "dist": dist}).groupby(["loc", "feat"]).min()
    points = shapely.points(locations)
    t_loc, t_feat = shapely.STRtree(lines).query(points, predicate="dwithin", distance=30.0)
    assert set(found.index) == set(zip(t_loc.tolist(), t_feat.tolist(), strict=True))
    expected = shapely.distance(points[t_loc], lines[t_feat])
    got = found.loc[list(zip(t_loc, t_feat, strict=True)), "dist"].to_numpy()
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_problems_without_a_location_are_left_alone(city: Store) -> None:
    city.write(
        "problems",
        frame(
            [
                {
                    "code": "W009",
                    "catalogue_code": "C01",
                    "status": "open",
                    "reported_at": pd.Timestamp("2026-11-21"),
                }
            ],
            [None],
        ),
    )
    assert route_problems(CityContext(city, CONFIG, "t")).empty


def test_points_of_different_radii_the_nearest_zone_holding_it_wins(city: Store) -> None:
    utm = "EPSG:32649"
    x, y = gpd.GeoSeries([shapely.Point(112.98, 28.207)], crs="EPSG:4326").to_crs(utm)[0].coords[0]
    points = frame(
        [
            {"code": "D10", "name": "小卖部", "point_type": "small_business", "radius_m": 10.0},
            {"code": "D11", "name": "人民公园", "point_type": "park", "radius_m": 250.0},
        ],
        [shapely.Point(x, y), shapely.Point(x + 100, y)],
    )
    city.write("points", points.set_crs(utm, allow_override=True))
    here = gpd.GeoSeries(
        [shapely.Point(x - 5, y), shapely.Point(x - 20, y), shapely.Point(x - 400, y)]
    )
    routed = route_locations(RoutingIndex.from_store(CityContext(city, CONFIG)), here.set_crs(utm))
    assert routed["point_code"].tolist() == ["D10", "D11", None]


def test_closed_problems_are_not_rerouted_even_when_asked(city: Store) -> None:
    add_problems(city)
    with pytest.raises(BadInput, match="Closed problems keep the unit"):
        route_problems(CityContext(city, CONFIG, "t"), statuses=["closed"], dry_run=False)
    assert city.get("problems", "W003")["version"] == 1
