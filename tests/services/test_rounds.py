"""Inspection rounds on a small city: one street, three toilets, an inspector's cell."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import hotspot_city
import pyogrio
import pytest
import shapely
from round_city import MONDAY, Y, build_city, write

from citygrid.config import Config
from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.evaluation.round_files import write_round
from citygrid.services.evaluation.rounds import plan_round


@pytest.fixture
def city(store: Store) -> CityContext:
    """The round city (:mod:`round_city`) on both backends."""
    return build_city(store)


def test_a_day_visits_all_three_in_order_along_the_street(city: CityContext) -> None:
    planned = plan_round(city, "P1", MONDAY)
    assert sorted(planned.stops["code"]) == ["T1", "T2", "T3"]
    assert planned.start == datetime(2026, 6, 1, 8, 30)
    assert planned.along_streets
    assert planned.left_out == 0
    # out and back along the street: about 2 x 1.45 km
    assert 2800 <= planned.route["metres"].iloc[0] <= 3100
    assert (planned.stops["reasons"].str.contains("due")).all()  # never inspected
    assert planned.stops["arrive"].is_monotonic_increasing


def test_short_hours_take_the_place_at_risk_first(city: CityContext) -> None:
    write(
        city.store,
        "problems",
        {
            "code": ["WT1"],
            "catalogue_code": ["A"],
            "status": ["open"],
            "reported_at": [datetime(2026, 5, 30)],
            "point_code": ["T3"],
        },
        [shapely.Point(120.015, Y)],
    )
    planned = plan_round(city, "P1", MONDAY, hours=0.4)  # 24 minutes: the far one only
    assert planned.stops["code"].tolist() == ["T3"]
    assert planned.left_out == 2
    assert "open_problems" in planned.stops["reasons"].iloc[0]


def test_unannounced_rounds_vary_with_the_draw(city: CityContext) -> None:
    starts = {
        plan_round(city, "P1", MONDAY, hours=1, unannounced=True, seed=s).start for s in range(8)
    }
    assert len(starts) > 1
    again = plan_round(city, "P1", MONDAY, hours=1, unannounced=True, seed=3)
    assert again.start == plan_round(city, "P1", MONDAY, hours=1, unannounced=True, seed=3).start


def test_round_files(city: CityContext, tmp_path: Path) -> None:
    planned = plan_round(city, "P1", MONDAY)
    gpx = write_round(planned, tmp_path / "巡查.gpx")
    assert len(pyogrio.read_dataframe(gpx, layer="waypoints")) == 3
    assert len(pyogrio.read_dataframe(gpx, layer="tracks")) == 1
    gpkg = write_round(planned, tmp_path / "巡查.gpkg")
    stops = pyogrio.read_dataframe(gpkg, layer="round_stops")
    assert stops["name"].tolist() == planned.stops["name"].tolist()
    with pytest.raises(Conflict):
        write_round(planned, gpx)
    with pytest.raises(BadInput, match=r"\.gpkg or \.gpx"):
        write_round(planned, tmp_path / "round.txt")


def test_bad_rounds(city: CityContext) -> None:
    with pytest.raises(NotFound, match="P9"):
        plan_round(city, "P9", MONDAY)
    with pytest.raises(BadInput, match="hours"):
        plan_round(city, "P1", MONDAY, hours=0)
    with pytest.raises(BadInput, match="no cells"):
        plan_round(city, "P2", MONDAY)


def test_places_in_an_emerging_hot_spot_are_due_and_ranked_first(store: Store) -> None:
    """The hot-spot city's north-east cluster is hot every month (persistent): the place
    inside it is flagged and ranked above an equal place in the quiet south-west."""
    hotspot_city.build_city(store)
    x0, y0 = hotspot_city.ORIGIN
    metric = hotspot_city.METRIC
    write(
        store,
        "people",
        {"code": ["I1"], "name": ["巡查员乙"], "role": ["inspector"], "unit_code": ["U1"]},
        None,
    )
    street = gpd.GeoSeries(
        [shapely.LineString([(x0 + 100, y0 + 100), (x0 + 1700, y0 + 1700)])], crs=metric
    ).to_crs(4326)
    write(
        store, "streets", {"code": ["J1"], "name": ["对角路"], "road_class": ["main"]}, list(street)
    )
    places = gpd.GeoSeries(
        shapely.points([(x0 + 125, y0 + 125), (x0 + 1625, y0 + 1625)]), crs=metric
    ).to_crs(4326)
    write(
        store,
        "points",
        {
            "code": ["QUIET", "HOT"],  # the quiet one first: ties would keep it first
            "name": ["安静公厕", "热点公厕"],
            "point_type": ["toilet"] * 2,
            "unit_code": ["U1"] * 2,
        },
        list(places),
    )
    ctx = CityContext(store, Config(database_url=store.url), now=datetime(2024, 7, 1, 8, 0))
    planned = plan_round(ctx, "I1", date(2024, 7, 1), hours=0.55)  # 33 min: the far one only
    assert planned.stops["code"].tolist() == ["HOT"]
    assert "hot_spot" in planned.stops["reasons"].iloc[0]
    both = plan_round(ctx, "I1", date(2024, 7, 1))
    reasons = dict(zip(both.stops["code"], both.stops["reasons"], strict=True))
    assert "hot_spot" not in reasons["QUIET"]
