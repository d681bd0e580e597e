"""The demo city: deterministic, placed in Changsha, and planting what it says it plants."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal

from citygrid.config import Config
from citygrid.errors import BadInput, Conflict
from citygrid.i18n import language
from citygrid.layers.base_layers import POINT_TYPES
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.services.cycle.calendar import WorkingCalendar
from citygrid.services.cycle.deadlines import deadlines_of
from citygrid.services.demo import (
    DEMO_LAYERS,
    check_as_of,
    generate_demo,
    last_day,
    load_demo,
    planted_defects,
    reference_date,
)

METRIC = "EPSG:32649"


@cache
def _demo(seed: int = 0) -> dict[str, pd.DataFrame]:
    return generate_demo("small", seed)


def _copy(name: str) -> pd.DataFrame:
    return _demo()[name].copy()


def _metric(name: str) -> gpd.GeoDataFrame:
    return _copy(name).to_crs(METRIC)


def _is_chinese(values: pd.Series) -> bool:
    return bool(values.str.contains(r"[\u4e00-\u9fff]", regex=True).all())


def test_same_seed_gives_identical_data_and_another_seed_does_not() -> None:
    again = generate_demo("small", 0)
    for name in DEMO_LAYERS:
        if get_layer(name).has_geometry:
            assert_geodataframe_equal(again[name], _demo()[name])
        else:
            assert_frame_equal(again[name], _demo()[name])
    other = _demo(1)
    assert not other["grids"].geometry.geom_equals(_demo()["grids"].geometry).all()
    assert reference_date(1) < reference_date(0)
    assert other["problems"]["reported_at"].max() < pd.Timestamp(reference_date(1))
    assert_frame_equal(other["catalogue"], _demo()["catalogue"])


def test_every_layer_has_its_fields_required_values_and_unique_codes() -> None:
    for name in DEMO_LAYERS:
        layer = get_layer(name)
        frame = _demo()[name]
        expected = list(layer.field_names) + (["geometry"] if layer.has_geometry else [])
        assert list(frame.columns) == expected, name
        for field in layer.required_fields():
            assert frame[field.name].notna().all(), (name, field.name)
        assert frame["code"].is_unique, name
        for field in layer.fields:
            if field.choices:
                assert set(frame[field.name].dropna()) <= set(field.choice_values()), field.name
        if layer.has_geometry:
            assert frame.crs.to_epsg() == 4326
            assert frame.geometry.is_valid.all(), name


def test_placed_at_changsha_in_wgs84() -> None:
    minx, miny, maxx, maxy = _demo()["jurisdictions"].total_bounds
    assert 112.9 < minx < 112.98 < maxx < 113.06
    assert 28.13 < miny < 28.20 < maxy < 28.27
    city = _copy("jurisdictions").query("level == 'city'")
    assert city["name"].tolist() == ["长沙市"]
    assert city.geometry.iloc[0].contains(shapely.Point(112.98, 28.20))


def test_jurisdictions_nest_with_administrative_codes_and_tile_their_parents() -> None:
    jur = _metric("jurisdictions")
    assert jur["code"].str.fullmatch(r"\d{12}").all()
    assert set(jur["level"]) == {"city", "district", "subdistrict", "community"}
    assert jur["parent_code"].dropna().isin(jur["code"]).all()
    assert jur.loc[jur["level"] == "city", "parent_code"].isna().all()
    by_code = jur.set_index("code")
    for level, parent_level in (
        ("district", "city"),
        ("subdistrict", "district"),
        ("community", "subdistrict"),
    ):
        children = jur[jur["level"] == level]
        assert (by_code.loc[children["parent_code"], "level"] == parent_level).all()
        for parent, group in children.groupby("parent_code"):
            union = shapely.union_all(group.geometry.to_numpy())
            assert union.symmetric_difference(by_code.at[parent, "geometry"]).area < 1.0
            assert group.area.sum() == pytest.approx(union.area, rel=1e-9)
    assert _is_chinese(jur["name"])


def test_cells_are_about_ten_thousand_square_metres_with_unit_grid_codes() -> None:
    grids = _metric("grids")
    assert 45 <= len(grids) <= 55
    assert grids.area.median() == pytest.approx(10_000, rel=0.2)
    # 6-digit county + 3 sub-district + 3 community + 2-digit sequence
    assert grids["code"].str.fullmatch(r"\d{14}").all()
    assert (grids["code"].str[:12] == grids["community_code"]).all()
    assert (grids["community_code"].str[:9] + "000" == grids["subdistrict_code"]).all()
    assert _is_chinese(grids["name"])


def test_planted_gaps_slivers_and_overlaps_are_exactly_those_in_the_cells() -> None:
    planted = planted_defects("small", 0)
    grids = _metric("grids")
    city = _metric("jurisdictions").query("level == 'city'").geometry.iloc[0]
    assert not set(planted.removed_cells) & set(grids["code"])
    covered = shapely.union_all(grids.geometry.to_numpy())
    uncovered = city.difference(covered)
    gaps = [d for d in planted.coverage if d.kind in ("gap", "sliver_gap")]
    assert uncovered.area == pytest.approx(sum(d.area_m2 for d in gaps), rel=1e-3)
    overlaps = [d for d in planted.coverage if d.kind in ("overlap", "sliver_overlap")]
    assert grids.area.sum() - covered.area == pytest.approx(
        sum(d.area_m2 for d in overlaps), rel=1e-3
    )
    assert {d.kind for d in planted.coverage} == {"gap", "sliver_gap", "overlap", "sliver_overlap"}
    wgs = gpd.GeoSeries([d.geometry for d in gaps], crs="EPSG:4326").to_crs(METRIC)
    assert wgs.intersection(uncovered).area.sum() == pytest.approx(uncovered.area, rel=1e-3)
    for defect in overlaps:
        pair = grids.set_index("code").loc[list(defect.cells)]
        shared = pair.geometry.iloc[0].intersection(pair.geometry.iloc[1]).area
        assert shared == pytest.approx(defect.area_m2, rel=1e-3)


def test_features_planted_without_unit_or_head_are_those_with_empty_fields() -> None:
    planted = planted_defects("small", 0)
    for layer, fields in planted.unassigned.items():
        frame = _demo()[layer]
        for field, codes in fields.items():
            assert codes, (layer, field)
            empty = set(frame.loc[frame[field].isna(), "code"])
            if layer == "points" and field == "head_code":
                assert empty == set(codes) | set(fields["unit_code"])
            else:
                assert empty == set(codes), (layer, field)


def test_points_outside_cells_and_never_inspected_are_as_planted() -> None:
    planted = planted_defects("small", 0)
    points, grids = _copy("points"), _copy("grids")
    hits = shapely.STRtree(grids.geometry.to_numpy()).query(
        points.geometry.to_numpy(), predicate="intersects"
    )[0]
    outside = set(points["code"]) - set(points["code"].to_numpy()[hits])
    assert outside == set(planted.points_outside_cells)
    assert outside
    quiet = set(planted.uninspected_points)
    assert quiet
    assert not quiet & set(_demo()["inspections"]["point_code"])
    problems = _demo()["problems"]
    # Routed by the real router, a citizen's report may fall in a quiet point's zone; no
    # inspection found anything there.
    assert problems.loc[problems["point_code"].isin(quiet), "inspection_code"].isna().all()


def test_streets_alleys_and_points_carry_chinese_names_and_realistic_sizes() -> None:
    streets, alleys = _metric("streets"), _metric("alleys")
    assert set(streets["road_class"]) == {"main", "secondary", "branch"}
    assert set(alleys["road_class"]) == {"alley"}
    assert streets.length.between(200, 800).all()
    assert alleys.length.between(30, 200).all()
    assert streets["name"].str.contains("大道|路|街").all()
    assert alleys["name"].str.contains("巷|里|弄").all()
    points = _copy("points")
    assert set(points["point_type"]) == {c.value for c in POINT_TYPES}
    assert _is_chinese(points["name"])
    assert _is_chinese(points["address"])
    assert points["radius_m"].gt(0).all()


def test_units_and_people_back_every_assignment() -> None:
    units, people = _copy("units"), _copy("people")
    assert set(units["kind"]) == {"department", "subdistrict", "community", "enterprise"}
    assert units["name"].str.contains("城管|市场监督|住房|交通|教育|卫生").sum() >= 6
    assert units["contact"].notna().all()
    assert units["phone"].str.fullmatch(r"0731-8\d{7}").all()
    assert people["phone"].str.fullmatch(r"1\d{10}").all()
    assert {"grid_manager", "street_head", "alley_head", "point_head", "inspector"} <= set(
        people["role"]
    )
    assert people["unit_code"].isin(units["code"]).all()
    for layer, head in (
        ("grids", "manager_code"),
        ("streets", "head_code"),
        ("alleys", "head_code"),
        ("points", "head_code"),
    ):
        frame = _demo()[layer]
        assert frame["unit_code"].dropna().isin(units["code"]).all(), layer
        assert frame[head].dropna().isin(people["code"]).all(), layer


def test_catalogue_is_a_chinese_hierarchy_with_weights_and_a_negative_list() -> None:
    cat = _copy("catalogue")
    leaves = cat[cat["level"] == "standard"]
    assert 40 <= len(leaves) <= 80
    assert cat["parent_code"].dropna().isin(cat["code"]).all()
    parents = cat.set_index("code").loc[cat["parent_code"].dropna()]
    assert (cat["parent_code"].dropna().to_numpy() == parents.index.to_numpy()).all()
    assert all(
        c.startswith(p)
        for c, p in cat.dropna(subset="parent_code")[["code", "parent_code"]].to_numpy()
    )
    assert leaves["weight"].gt(0).all()
    assert leaves["rectify_days"].gt(0).all()
    assert leaves["negative_list"].sum() >= 3
    assert leaves["urgent_hours"].notna().sum() >= 2
    assert _is_chinese(cat["name"])


def test_problems_span_24_months_to_the_reference_date_with_consistent_statuses() -> None:
    problems = _copy("problems")
    end = pd.Timestamp(reference_date(0))
    assert end == pd.Timestamp("2026-07-01")
    assert problems["reported_at"].min() >= end - pd.DateOffset(months=24)
    assert problems["reported_at"].max() < end
    assert set(problems["status"]) == {"open", "dispatched", "rectified", "closed", "reopened"}
    closed = problems["status"] == "closed"
    assert problems.loc[closed, "closed_at"].notna().all()
    assert (problems.loc[closed, "closed_at"] <= end).all()
    assert problems.loc[~closed, "closed_at"].isna().all()
    calendar = WorkingCalendar(Config().working_hours)
    expected = deadlines_of(_copy("standards"), calendar, problems).dt.floor("s")
    assert (problems["deadline"].to_numpy() == expected.to_numpy()).all()
    first = _copy("standards").drop_duplicates("catalogue_code").set_index("catalogue_code")
    add = {
        "urgent_hours": calendar.add_wall_hours,
        "working_hours": calendar.add_working_hours,
        "working_days": calendar.add_working_days,
    }
    sample = problems.sample(60, random_state=0)
    for code, reported, deadline in sample[["catalogue_code", "reported_at", "deadline"]].values:
        unit, value = first.loc[code, ["limit_unit", "limit_value"]]
        expected_one = add[unit](pd.Timestamp(reported).to_pydatetime(), float(value))
        assert pd.Timestamp(deadline) == pd.Timestamp(expected_one).floor("s")
    overdue = problems["status"].isin(["open", "dispatched", "reopened"]) & (
        problems["deadline"] < end
    )
    assert overdue.sum() >= 10


def test_problems_are_routed_to_their_point_or_cell() -> None:
    problems, points, grids = _copy("problems"), _copy("points"), _copy("grids")
    point = points.set_index("code")
    by_point = problems[problems["routed_by"] == "point"]
    assert (
        by_point["unit_code"].to_numpy() == point.loc[by_point["point_code"], "unit_code"]
    ).all()
    by_grid = problems[problems["routed_by"] == "grid"]
    assert len(by_grid)
    cell = grids.set_index("code")
    assert (by_grid["unit_code"].to_numpy() == cell.loc[by_grid["grid_code"], "unit_code"]).all()
    in_cell = problems[problems["grid_code"].notna()]
    contains = shapely.intersects(
        cell.loc[in_cell["grid_code"]].geometry.to_numpy(), in_cell.geometry.to_numpy()
    )
    assert contains.all()
    assert set(problems["routed_by"]) >= {"point", "grid", "outside"}
    assert problems.loc[problems["routed_by"] == "outside", "unit_code"].isna().all()


def test_inspections_hold_the_problems_they_found() -> None:
    problems, inspections = _copy("problems"), _copy("inspections")
    found = problems["inspection_code"].dropna()
    assert found.isin(inspections["code"]).all()
    counts = found.value_counts().reindex(inspections["code"], fill_value=0)
    assert (counts.to_numpy() == inspections["problems_found"].to_numpy()).all()
    assert (inspections["problems_found"] == 0).sum() > 0
    assert problems.loc[problems["source"] == "citizen", "inspection_code"].isna().all()


def _cluster_problems(cluster, problems: pd.DataFrame) -> pd.DataFrame:
    centre = gpd.GeoSeries([shapely.Point(cluster.centre)], crs="EPSG:4326").to_crs(METRIC)
    metric = problems.to_crs(METRIC)
    return problems[metric.distance(centre.iloc[0]) <= cluster.radius_m + 30]


def test_planted_clusters_grow_fade_persist_and_recur_where_they_say() -> None:
    planted = planted_defects("small", 0)
    problems = _copy("problems")
    assert {c.kind for c in planted.clusters} == {"growing", "fading", "persistent", "recurring"}
    start = pd.Timestamp(planted.reference_date) - pd.DateOffset(months=24)
    first_half = problems["reported_at"] < start + pd.DateOffset(months=12)
    city_area = _metric("jurisdictions").query("level == 'city'").area.iloc[0]
    background = (len(problems) - sum(c.problems for c in planted.clusters)) / city_area
    for cluster in planted.clusters:
        near = _cluster_problems(cluster, problems)
        early = int(first_half.loc[near.index].sum())
        late = len(near) - early
        expected = background * np.pi * (cluster.radius_m + 30) ** 2
        assert len(near) > expected + 0.8 * cluster.problems, cluster.kind
        if cluster.kind == "growing":
            assert late - early > 0.5 * cluster.problems
        elif cluster.kind == "fading":
            assert early - late > 0.5 * cluster.problems
        elif cluster.kind == "persistent":
            assert abs(late - early) < 0.25 * len(near)
        else:
            same = problems[
                (problems["point_code"] == cluster.point_code)
                & (problems["catalogue_code"] == cluster.catalogue_code)
            ]
            assert len(same) >= cluster.problems
            assert same["recurrence"].max() >= cluster.problems - 1
            assert same["reported_at"].dt.to_period("M").nunique() == 24


def test_bad_size_and_seed_are_refused_with_a_message() -> None:
    with pytest.raises(BadInput, match="Unknown demo size 'huge'; use one of: small, city"):
        generate_demo("huge")
    with pytest.raises(BadInput, match="whole number, 0 or more"):
        generate_demo("small", -1)
    with pytest.raises(BadInput):
        planted_defects("small", 1.5)  # type: ignore[arg-type]
    with language("zh_CN"), pytest.raises(BadInput) as err:
        generate_demo("huge")
    assert err.value.message("zh_CN") == "未知的示例规模 'huge'；请使用：small, city。"


def test_load_demo_writes_every_layer_and_reads_back(store: Store) -> None:
    counts = load_demo(store, "small", 0, actor="tester")
    stored = store.counts()
    assert {name: stored[name] for name in DEMO_LAYERS} == counts
    assert counts == {name: len(frame) for name, frame in _demo().items()}
    grids = store.read("grids", bbox=(112.97, 28.19, 112.99, 28.21))
    assert set(grids["code"]) <= set(_demo()["grids"]["code"])
    problem = store.get("problems", "WT00000001")
    assert problem["catalogue_code"] == _demo()["problems"]["catalogue_code"].iloc[0]


def test_load_demo_refuses_a_store_with_data_and_changes_nothing(store: Store) -> None:
    units = _copy("units").iloc[:1]
    store.write("units", units, actor="tester")
    before = store.counts()
    with pytest.raises(Conflict, match="already holds data"):
        load_demo(store, "small", 0, actor="tester")
    assert store.counts() == before


def test_load_demo_replace_replaces_everything(store: Store) -> None:
    odd = _copy("units").iloc[:1].assign(code="ODD", name="临时单位")
    store.write("units", odd, actor="tester")
    counts = load_demo(store, "small", 0, replace=True, actor="tester")
    assert store.read("units", where={"code": "ODD"}).empty
    assert store.count("units") == counts["units"]
    again = load_demo(store, "small", 0, replace=True, actor="tester")
    assert {name: store.count(name) for name in DEMO_LAYERS} == again


def test_session_demo_fixture_holds_the_small_demo(demo_store: Store) -> None:
    assert demo_store.count("grids") == len(_demo()["grids"])
    assert demo_store.count("problems") == len(_demo()["problems"])


def test_demo_copy_may_be_changed(demo_store_copy: Store, demo_store: Store) -> None:
    demo_store_copy.delete("units", ["BMCG"], actor="tester")
    assert demo_store_copy.read("units", where={"code": "BMCG"}).empty
    assert not demo_store.read("units", where={"code": "BMCG"}).empty


def test_load_demo_reports_progress_up_to_the_total(store: Store) -> None:
    calls: list[tuple[str, int, int]] = []
    load_demo(store, "small", 0, actor="tester", progress=lambda *call: calls.append(call))
    done = [d for _, d, _ in calls]
    assert done == sorted(done)
    assert calls[0] == ("Generating the city", 0, 3)
    assert ("Writing Problems", 13, 14) in calls
    assert calls[-1] == ("Demo city ready", 14, 14)


def test_city_size_geography_meets_its_targets() -> None:
    """The city layout's volumes (its problems are measured by benchmarks/bench_demo.py)."""
    from citygrid.services.demo.city import LAYOUTS, build_city

    city = build_city(LAYOUTS["city"], np.random.default_rng([0, 0]))
    assert 4_900 <= len(city.cells) <= 5_000
    assert 18_000 <= len(city.streets) + len(city.alleys) <= 22_000
    assert len(city.points) == 50_000
    assert LAYOUTS["city"].problems == 1_000_000
    assert city.cells["code"].str.fullmatch(r"\d{15}").all()
    assert city.cells.area.median() == pytest.approx(10_000, rel=0.2)
    assert len(city.removed_cells) == LAYOUTS["city"].removed_cells


AS_OF = date(2026, 11, 18)


@cache
def _as_of() -> dict[str, pd.DataFrame]:
    return generate_demo("small", 0, as_of=AS_OF)


def test_a_demo_as_of_a_day_ends_there_with_open_problems_in_and_past_their_deadline() -> None:
    frames = _as_of()
    problems, inspections = frames["problems"], frames["inspections"]
    end = pd.Timestamp(AS_OF)
    assert reference_date(0, AS_OF) == datetime(2026, 11, 18)
    assert planted_defects("small", 0, as_of=AS_OF).reference_date == datetime(2026, 11, 18)
    assert problems["reported_at"].max() < end
    assert problems["reported_at"].max() > end - pd.Timedelta(days=2)
    assert problems["reported_at"].min() >= end - pd.DateOffset(months=24)
    assert inspections["inspected_at"].max() < end
    open_ = problems[problems["status"] != "closed"]
    within = (open_["deadline"] >= end).sum()
    overdue = (open_["deadline"] < end).sum()
    assert within >= 5
    assert overdue >= 50
    assert (problems.loc[problems["status"] == "closed", "closed_at"] <= end).all()


def test_a_demo_as_of_a_day_has_points_inspected_and_found_clean_in_its_last_weeks() -> None:
    frames = _as_of()
    inspections, points = frames["inspections"], frames["points"]
    recent = inspections[inspections["inspected_at"] >= pd.Timestamp(AS_OF - timedelta(days=14))]
    assert recent["point_code"].nunique() >= len(points) // 5
    assert (recent["result"] == "clean").sum() >= len(points) // 5
    assert {"clean", "problems"} == set(inspections["result"])
    assert (inspections["result"] == "clean").eq(inspections["problems_found"] == 0).all()
    never = set(planted_defects("small", 0, as_of=AS_OF).uninspected_points)
    assert never.isdisjoint(set(inspections["point_code"]))


def test_an_inspectors_visits_of_one_kind_on_one_day_make_a_round() -> None:
    inspections = _as_of()["inspections"]
    day = inspections["inspected_at"].dt.floor("D")
    key = inspections["inspector"] + "|" + day.astype(str) + "|" + inspections["kind"]
    assert (key.groupby(inspections["round_code"]).nunique() == 1).all()
    assert (inspections.groupby(key)["round_code"].nunique() == 1).all()
    first = inspections.groupby("round_code")["inspected_at"].min()
    assert first.is_monotonic_increasing
    assert inspections["round_code"].str.fullmatch(r"XC\d{8}").all()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-13-01", "is not a date; write it as YYYY-MM-DD"),
        ("yesterday", "is not a date"),
        ("2026-11-28", "after today"),
        ("2005-06-01", "need the working calendar, which knows 2004"),
        (date(2026, 12, 20), "Give a day from 2006-01-01"),
    ],
)
def test_bad_end_days_are_refused(value: date | str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        check_as_of(value, date(2026, 11, 27) if value != date(2026, 12, 20) else date(2027, 1, 5))


def test_end_days_by_text_or_date() -> None:
    today = date(2026, 11, 27)
    assert check_as_of(" 2026-11-27 ", today) == today
    assert check_as_of(datetime(2025, 3, 1, 9, 0), today) == date(2025, 3, 1)
    assert last_day() <= date(2026, 11, 30)
    with pytest.raises(BadInput, match="working calendar"):
        generate_demo("small", 0, as_of=date(2003, 1, 1))
