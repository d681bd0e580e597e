"""Inspection rounds on both backends: places found clean and places with problems, the
problems reported through the intake, the last inspection per place, and every bad round
refused with nothing stored."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from workflow_city import NOW, as_, build_workflow_city

from citygrid.errors import BadInput, PermissionDenied, Unauthorized
from citygrid.layers.store import Store
from citygrid.services.cycle.inspections import (
    Check,
    Finding,
    last_inspected,
    parse_kind,
    place_fields,
    record_round,
)

EARLIER = NOW - timedelta(days=3)


@pytest.fixture
def city(store: Store) -> Store:
    build_workflow_city(store)
    return store


def counts(store: Store) -> tuple[int, int]:
    return store.count("inspections"), store.count("problems")


def test_a_round_records_clean_places_and_reports_the_problems_found(city: Store) -> None:
    ctx = as_(city, "inspector", "grid:G01")
    found = record_round(
        ctx,
        "暗访",
        [
            Check("D01", (Finding("C02", "广场边摆摊"), Finding("C03"))),
            Check("S01", notes="路面干净"),
        ],
        inspected_at=EARLIER,
        inspector="巡查员刘洋",
    )
    assert found.code == "XC00000001"
    assert found.kind == "unannounced"
    assert found.clean == 1
    rows = found.inspections
    assert rows["code"].tolist() == ["JC00000001", "JC00000002"]
    assert rows["round_code"].tolist() == ["XC00000001"] * 2
    assert rows["result"].tolist() == ["problems", "clean"]
    assert rows["problems_found"].tolist() == [2, 0]
    assert rows["point_code"].tolist()[0] == "D01"
    assert rows["street_code"].tolist()[1] == "S01"
    assert pd.isna(rows["street_code"].iloc[0])
    assert pd.isna(rows["point_code"].iloc[1])
    assert rows["notes"].tolist()[1] == "路面干净"
    assert (rows["inspected_at"] == EARLIER).all()
    assert (rows["inspector"] == "巡查员刘洋").all()
    problems = [p.problem for p in found.problems]
    assert [p["catalogue_code"] for p in problems] == ["C02", "C03"]
    assert {p["source"] for p in problems} == {"unannounced"}
    assert {p["inspection_code"] for p in problems} == {"JC00000001"}
    assert {p["status"] for p in problems} == {"reported"}
    assert {p["point_code"] for p in problems} == {"D01"}  # at the place, routed to it
    assert {pd.Timestamp(p["reported_at"]) for p in problems} == {pd.Timestamp(EARLIER)}
    assert counts(city) == (2, 2)
    again = record_round(ctx, "routine", [Check("D01")])
    assert again.code == "XC00000002"
    assert again.inspections["code"].tolist() == ["JC00000003"]
    assert again.inspections["inspector"].tolist() == ["inspector1"]


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        ("routine", "inspection"),
        ("third-party", "mock_evaluation"),
        ("第三方测评", "mock_evaluation"),
    ],
)
def test_each_kind_gives_its_problem_source(city: Store, kind: str, source: str) -> None:
    # one city per kind: a second report of C03 at A01 would be merged into the first
    found = record_round(as_(city), kind, [Check("A01", (Finding("C03"),))])
    assert found.problems[0].problem["source"] == source


def test_a_problem_may_be_located_along_a_street(city: Store) -> None:
    found = record_round(
        as_(city), "routine", [Check("S02", (Finding("C02", "摆摊", 112.9855, 28.198),))]
    )
    problem = found.problems[0].problem
    assert problem["geometry"].x == pytest.approx(112.9855)
    assert problem["street_code"] == "S02"


def test_last_inspected_gives_every_place_its_latest_time(city: Store) -> None:
    ctx = as_(city)
    record_round(ctx, "routine", [Check("D01"), Check("S01")], inspected_at=EARLIER)
    record_round(ctx, "routine", [Check("D01")], inspected_at=NOW - timedelta(hours=1))
    points = last_inspected(ctx, "points")
    assert points.index.tolist() == ["D01", "D02"]
    assert points["D01"] == pd.Timestamp(NOW - timedelta(hours=1))
    assert pd.isna(points["D02"])
    before = last_inspected(ctx, "points", as_of=(NOW - timedelta(days=1)).date())
    assert before["D01"] == pd.Timestamp(EARLIER)
    streets = last_inspected(ctx, "streets")
    assert streets["S01"] == pd.Timestamp(EARLIER)
    assert pd.isna(streets["S02"])
    assert last_inspected(ctx, "alleys").isna().all()
    assert set(place_fields()) == {"points", "streets", "alleys"}
    with pytest.raises(BadInput, match="not inspected"):
        last_inspected(ctx, "grids")


def test_stale_findings_include_streets(city: Store) -> None:
    from citygrid.services.coverage.analysis import analyse_coverage
    from citygrid.services.coverage.params import CoverageParams

    ctx = as_(city)
    record_round(ctx, "routine", [Check("D01"), Check("S01")], inspected_at=EARLIER)
    result = analyse_coverage(ctx, CoverageParams(as_of=date(2025, 9, 30)))
    stale = result.findings["gap_stale"]
    assert set(zip(stale["layer"], stale["feature_code"], strict=True)) == {
        ("points", "D02"),
        ("streets", "S02"),
        ("alleys", "A01"),
    }


def test_places_outside_the_inspectors_scope_are_refused(city: Store) -> None:
    ctx = as_(city, "inspector", "grid:G01")
    with pytest.raises(PermissionDenied, match="D02, A01 lie outside your scope") as error:
        record_round(ctx, "routine", [Check("D01"), Check("D02"), Check("A01")])
    assert "grid:G01" in error.value.message()
    assert counts(city) == (0, 0)


@pytest.mark.parametrize("role", ["unit_handler", "viewer", "planner", "grid_manager"])
def test_roles_that_do_not_record_inspections_are_refused(city: Store, role: str) -> None:
    scope = {"unit_handler": "unit:U_CG", "grid_manager": "grid:G01"}.get(role, "")
    with pytest.raises(PermissionDenied, match="does not change layer inspections"):
        record_round(as_(city, role, scope), "routine", [Check("D01")])
    assert counts(city) == (0, 0)


def test_an_anonymous_visitor_is_asked_to_sign_in(city: Store) -> None:
    from citygrid.services.accounts.principal import anonymous
    from citygrid.services.context import CityContext

    ctx = CityContext(city, as_(city).config, now=NOW, principal=anonymous())
    with pytest.raises(Unauthorized):
        record_round(ctx, "routine", [Check("D01")])


@pytest.mark.parametrize(
    ("checks", "options", "message"),
    [
        ([], {}, "at least one place"),
        ([Check("D09"), Check("X1")], {}, "no point, street or alley D09, X1"),
        ([Check("D01"), Check("D01")], {}, "D01 are listed twice"),
        ([Check("D01")], {"kind": "夜查"}, "is not a kind of inspection"),
        ([Check("D01")], {"inspected_at": NOW + timedelta(hours=1)}, "in the future"),
        ([Check("D01"), Check("S01", (Finding("C99"),))], {}, "no catalogue item C99"),
        ([Check("D01", (Finding("H"),))], {}, "is a heading"),
        ([Check("D01", (Finding("C01"),))], {}, "needs a description"),
        ([Check("D01", (Finding("C03", None, "east", 28.1),))], {}, "east"),
    ],
)
def test_bad_rounds_are_refused_with_nothing_stored(
    city: Store, checks: list[Check], options: dict, message: str
) -> None:
    ctx = as_(city)
    record_round(ctx, "routine", [Check("A01", (Finding("C03"),))], inspected_at=EARLIER)
    before = counts(city)
    given = dict(options)
    kind = given.pop("kind", "routine")
    with pytest.raises(BadInput, match=message):
        record_round(ctx, kind, checks, **given)
    assert counts(city) == before


def test_kinds_by_value_and_label() -> None:
    assert parse_kind("日常巡查") == "routine"
    assert parse_kind("third_party") == "third_party"
    assert parse_kind(" unannounced ") == "unannounced"
    with pytest.raises(BadInput, match="routine"):
        parse_kind("")


def test_a_timezone_aware_time_is_taken_as_local(city: Store) -> None:
    from zoneinfo import ZoneInfo

    at = datetime(2025, 9, 29, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    found = record_round(as_(city), "routine", [Check("D01")], inspected_at=at)
    assert found.inspected_at == datetime(2025, 9, 29, 9, 30)


def test_a_problem_located_outside_the_scope_undoes_the_whole_round(city: Store) -> None:
    ctx = as_(city, "inspector", "grid:G01")
    far = Finding("C02", "摆摊", 113.004, 28.193)  # in G04, outside grid:G01
    with pytest.raises(PermissionDenied, match="outside your scope"):
        record_round(ctx, "routine", [Check("S01"), Check("D01", (Finding("C03"), far))])
    assert counts(city) == (0, 0)


def test_a_code_naming_two_places_is_refused(city: Store) -> None:
    import geopandas as gpd
    import shapely

    street = gpd.GeoDataFrame(
        [{"code": "D01", "name": "五一东路", "road_class": "branch"}],
        geometry=[shapely.LineString([(112.971, 28.191), (112.975, 28.191)])],
        crs="EPSG:4326",
    )
    city.write("streets", street)
    with pytest.raises(BadInput, match=r"D01 each name more than one place \(points, streets\)"):
        record_round(as_(city), "routine", [Check("D01")])
    assert counts(city) == (0, 0)
