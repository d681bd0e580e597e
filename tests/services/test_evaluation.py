"""The simulated evaluation, checked against cases worked by hand."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from evaluation_city import DAY, MARKET, build_city, inspect, problem

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.evaluation.compare import compare, read_findings
from citygrid.services.evaluation.plans import Plan, PlanType, read_plan
from citygrid.services.evaluation.priorities import fix_first
from citygrid.services.evaluation.simulate import evaluate


@pytest.fixture
def city(store: Store) -> CityContext:
    """The evaluation city (:mod:`evaluation_city`) on both backends, seen on its day."""
    build_city(store)
    return CityContext(store, Config(database_url=store.url), now=DAY)


def _plan(count: int, draw: str = "random", weight_field: str | None = None) -> Plan:
    return Plan("test", (PlanType(MARKET, count, draw, weight_field),), detection=1.0)


def test_a_city_with_no_problem_scores_full_marks(city: CityContext) -> None:
    result = evaluate(city, _plan(2), DAY, runs=200, seed=1)
    assert result.score == 100.0
    assert (result.low, result.high) == (100.0, 100.0)
    assert result.found.empty


def test_one_known_open_problem_at_the_only_place_visited(city: CityContext) -> None:
    # every market visited (4 of 4); one open 暴露垃圾 (weight 2) seen surely:
    # the four places lose 2 points between them, the score is 100 - 2 / 4
    problem(city.store, "WT1", "P1", "S1.1", "open", DAY - timedelta(hours=1))
    result = evaluate(city, _plan(4), DAY, runs=100, seed=1)
    assert result.score == pytest.approx(99.5)
    assert (result.low, result.high) == pytest.approx((99.5, 99.5))
    first = fix_first(city, result)
    assert first.loc[0, "code"] == "WT1"
    assert first.loc[0, "item"] == "暴露垃圾"
    assert first.loc[0, "place"] == "菜市场一"
    assert first.loc[0, "unit"] == "市场监管所"
    assert first.loc[0, "points"] == pytest.approx(0.5)


def test_half_the_time_the_place_with_the_problem_is_drawn(city: CityContext) -> None:
    # one market of four visited at random: P1 is drawn a quarter of the time,
    # then loses 2; expected score 100 - 0.25 * 2 = 99.5
    problem(city.store, "WT1", "P1", "S1.1", "open", DAY - timedelta(hours=1))
    result = evaluate(city, _plan(1), DAY, runs=8000, seed=3)
    assert result.score == pytest.approx(99.5, abs=0.05)
    visited = result.places.set_index("code")["visited"]
    assert visited["P1"] == pytest.approx(0.25, abs=0.02)
    assert fix_first(city, result).loc[0, "points"] == pytest.approx(0.5, abs=0.04)


def test_unreported_problems_from_history_and_time_since_inspection(city: CityContext) -> None:
    # P4 last inspected a year ago and had one 暴露垃圾 (closed) 100 days ago; the
    # type's rate is 1 problem per 4 places per year, so
    # r = (1 + 90 / (4 * 365)) / (365 + 90) per day, λ = r * 365
    inspect(city.store, ["P4"], DAY - timedelta(days=400))
    city.store.delete("inspections", ["XP4" + f"{DAY:%j}"], actor="test")
    problem(
        city.store,
        "WT9",
        "P4",
        "S1.1",
        "closed",
        DAY - timedelta(days=100),
        closed=DAY - timedelta(days=99),
    )
    result = evaluate(city, _plan(4), DAY, runs=4000, seed=5)
    place = result.places.set_index("code").loc["P4"]
    rate = (1 + 90 / (4 * 365)) / (365 + 90)
    assert place["hidden"] == pytest.approx(rate * 365)
    assert place["expected"] == pytest.approx(rate * 365 * 2.0)  # all of its history is S1.1
    others = result.places.set_index("code").loc[["P1", "P2", "P3"], "expected"]
    assert (others == 0).all()  # inspected today: nothing has had time to appear
    assert result.score == pytest.approx(100 - place["expected"] / 4, abs=0.05)
    assert result.low < result.score <= result.high == 100.0


def test_stratified_draws_follow_the_sub_districts(city: CityContext) -> None:
    # 3 of the 4 markets, stratified: the west has 3 (quota 2.25), the east 1
    # (quota 0.75): 2 + 1, so the east's only market is visited every time
    result = evaluate(city, _plan(3, "stratified"), DAY, runs=300, seed=2)
    visited = result.places.set_index("code")["visited"]
    assert visited["P4"] == 1.0
    assert visited[["P1", "P2", "P3"]].sum() == pytest.approx(2.0)


def test_weighted_draws_favour_the_heavy_place(city: CityContext) -> None:
    result = evaluate(city, _plan(1, "weighted", "radius_m"), DAY, runs=300, seed=2)
    assert result.places.set_index("code").loc["P1", "visited"] > 0.99


def test_more_places_asked_than_the_city_has(city: CityContext) -> None:
    result = evaluate(city, _plan(9), DAY, runs=10, seed=1)
    assert result.notes == ("market: 9 > 4",)
    assert (result.places["visited"] == 1.0).all()


def test_bad_runs_and_weight_fields(city: CityContext) -> None:
    with pytest.raises(BadInput, match="between 1 and"):
        evaluate(city, _plan(1), DAY, runs=0)
    with pytest.raises(BadInput, match="not a number"):
        evaluate(city, _plan(1, "weighted", "name"), DAY, runs=10)
    plan = Plan("x", (PlanType("station", 2),))
    with pytest.raises(BadInput, match="no place"):
        evaluate(city, plan, DAY, runs=10)


# -- plan files -------------------------------------------------------------------


def test_plans_from_csv_in_gbk_xlsx_and_json(tmp_path: Path) -> None:
    csv_file = tmp_path / "方案.csv"
    csv_file.write_bytes(
        "point_type,count,draw,weight_field,items\n农贸市场,5,stratified,,S1.1|S1.2\n"
        "back_alley,8,random,,\n".encode("gbk")
    )
    plan = read_plan(csv_file)
    assert plan.types[0] == PlanType(MARKET, 5, "stratified", None, ("S1.1", "S1.2"))
    assert plan.places == 13
    json_file = tmp_path / "plan.json"
    json_file.write_text(
        json.dumps(
            {
                "name": "国测",
                "base": 100,
                "detection": 0.8,
                "types": [{"point_type": "station", "count": 3, "items": ["S1"]}],
            }
        ),
        encoding="utf-8",
    )
    plan = read_plan(json_file)
    assert (plan.name, plan.detection, plan.types[0].items) == ("国测", 0.8, ("S1",))
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["point_type", "count"])
    book.active.append(["school", 2])
    book.save(tmp_path / "plan.xlsx")
    assert read_plan(tmp_path / "plan.xlsx").types == (PlanType("school", 2),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("point_type,count\nspaceport,3\n", "no point type 'spaceport'"),
        ("point_type,count\nmarket,0\n", "whole number"),
        ("point_type,count\nmarket,2.5\n", "whole number"),
        ("point_type,count,draw\nmarket,2,lottery\n", "no draw 'lottery'"),
        ("point_type,count,draw\nmarket,2,weighted\n", "weight_field"),
        ("point_type,count\nmarket,2\nmarket,3\n", "listed twice"),
        ("point_type,count,colour\nmarket,2,red\n", "columns"),
        ("type\nmarket\n", "columns"),
        ("", "empty"),
    ],
)
def test_bad_plan_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput, match=message):
        read_plan(path)


def test_bad_plan_paths_and_json(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="does not exist"):
        read_plan(tmp_path / "none.csv")
    (tmp_path / "plan.txt").write_text("x", encoding="utf-8")
    with pytest.raises(BadInput, match=r"\.csv, \.xlsx or \.json"):
        read_plan(tmp_path / "plan.txt")
    (tmp_path / "plan.json").write_text("{", encoding="utf-8")
    with pytest.raises(BadInput, match="not valid JSON"):
        read_plan(tmp_path / "plan.json")
    (tmp_path / "plan.json").write_text(
        '{"detection": 2, "types": [{"point_type": "market", "count": 1}]}', encoding="utf-8"
    )
    with pytest.raises(BadInput, match="detection"):
        read_plan(tmp_path / "plan.json")


# -- after the visit ---------------------------------------------------------------


def test_findings_against_the_prediction(city: CityContext, tmp_path: Path) -> None:
    problem(city.store, "WT1", "P1", "S1.1", "open", DAY - timedelta(hours=1))
    path = tmp_path / "实际测评.csv"
    path.write_bytes("place,item,deduction\n菜市场一,暴露垃圾,2\nP2,,0\n".encode("gbk"))
    findings = read_findings(city, path)
    assert findings["point_code"].tolist() == ["P1", "P2"]
    assert findings["catalogue_code"].tolist() == ["S1.1", None]
    plan = Plan("test", (PlanType(MARKET, 2),))  # detection 0.9
    result = compare(city, plan, DAY, findings)
    by_place = result.places.set_index("point_code")
    assert by_place.loc["P1", "predicted"] == pytest.approx(1.8)
    assert by_place.loc["P1", "actual"] == 2.0
    assert by_place.loc["P2", "predicted"] == 0.0
    assert result.mean_absolute_error == pytest.approx(0.1)
    assert result.predicted_score == pytest.approx(99.1)
    assert result.actual_score == pytest.approx(99.0)
    item = result.items.set_index("catalogue_code").loc["S1.1"]
    assert (item["predicted"], item["actual"]) == pytest.approx((1.8, 2.0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("place,item,deduction\n菜市场九,,1\n", "菜市场九"),
        ("place,item,deduction\nP1,不存在的条目,1\n", "不存在的条目"),
        ("place,item,deduction\nP1,S1.1,-1\n", "0 or more"),
        ("place,item,deduction\nP1,S1.1,两分\n", "0 or more"),
        ("where,what\nP1,S1.1\n", "needs the columns"),
    ],
)
def test_bad_findings(city: CityContext, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "findings.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput, match=message):
        read_findings(city, path)
