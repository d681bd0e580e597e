"""The cycle's reports on both backends: the monthly ranking and its publishing, the
performance figures and the ledgers, with the arithmetic checked by hand
(tests/report_city.py) and every bad input refused with nothing written."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from report_city import MONTH, NOW, add_problem, build_report_city

from citygrid.config import Config, parse_ranking_weights
from citygrid.errors import BadInput, Conflict, NotFound
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.cycle.deadlines import overdue_working_days
from citygrid.services.cycle.ledger import ledger
from citygrid.services.cycle.performance import performance
from citygrid.services.cycle.publishing import publish_ranking, published_months
from citygrid.services.cycle.ranking import failed_points, monthly_ranking
from citygrid.services.cycle.report_files import write_report
from citygrid.services.cycle.reports import write_ledger, write_ranking


@pytest.fixture
def city(store: Store) -> Store:
    build_report_city(store)
    return store


def ctx_of(store: Store, **settings: object) -> CityContext:
    config = dataclasses.replace(Config(database_url=store.url, actor="李主任"), **settings)
    return CityContext(store, config, now=NOW)


def by_code(frame: pd.DataFrame) -> dict[str, dict]:
    return {row["code"]: row for row in frame.to_dict("records")}


# -- the monthly ranking -------------------------------------------------------------


def test_points_are_scored_from_deductions_recurrences_overdue_and_rework(city: Store) -> None:
    ranking = monthly_ranking(ctx_of(city), MONTH, "point")
    assert ranking.published_at is None
    rows = by_code(ranking.frame)
    assert list(ranking.frame["code"]) == ["D02", "D01"]
    d01, d02 = rows["D01"], rows["D02"]
    assert (d01["problems"], d01["deductions"], d01["recurrences"]) == (2, 3.5, 1)
    assert (d01["overdue"], d01["rework"], d01["score"], d01["rank"]) == (2, 0, 92.5, 2)
    assert d01["name"] == "五一广场"
    assert (d02["problems"], d02["deductions"], d02["rework"], d02["score"]) == (1, 0.5, 1, 98.5)
    # August: D01 100 (first), D02 97 (second)
    assert (d01["previous_rank"], d01["rank_change"], d01["score_change"]) == (1, -1, -7.5)
    assert (d02["previous_rank"], d02["rank_change"], d02["score_change"]) == (2, 1, 1.5)


def test_ties_share_a_rank_and_every_feature_of_the_level_is_ranked(city: Store) -> None:
    cells = by_code(monthly_ranking(ctx_of(city), MONTH, "cell").frame)
    assert {c: (r["rank"], r["score"]) for c, r in cells.items()} == {
        "G02": (1, 100.0),  # R4: no deduction, not yet due
        "G03": (1, 100.0),  # no problem at all
        "G04": (3, 98.5),
        "G01": (4, 92.5),
    }
    units = monthly_ranking(ctx_of(city), MONTH, "unit").frame
    assert list(units["rank"]) == [1, 1, 3, 4]
    assert units["name"].tolist()[-1] == "城管局"
    streets = monthly_ranking(ctx_of(city), MONTH, "street").frame
    assert set(streets["code"]) == {"S01", "S02"}
    assert (streets["score"] == 100).all()


def test_the_weights_and_the_pass_score_come_from_the_config(city: Store) -> None:
    weights = parse_ranking_weights("base=10,recurrence=0,overdue=0.5")
    ctx = ctx_of(city, ranking_weights=weights, ranking_pass_score=95.0)
    rows = by_code(monthly_ranking(ctx, MONTH, "point").frame)
    assert rows["D01"]["score"] == 10 - 3.5 - 0.5 * 2
    assert rows["D02"]["score"] == 10 - 0.5 - 1
    failed = failed_points(ctx_of(city, ranking_pass_score=95.0), MONTH)
    assert failed["code"].tolist() == ["D01"]
    assert failed_points(ctx_of(city), MONTH).empty  # default pass score 90


@pytest.mark.parametrize("text", ["recurrence", "speed=1", "overdue=-1", "rework=x"])
def test_bad_ranking_weights_are_refused(text: str) -> None:
    with pytest.raises(BadInput, match="CITYGRID_RANKING_WEIGHTS"):
        Config.from_env({"CITYGRID_RANKING_WEIGHTS": text})


def test_a_published_month_stays_as_published_when_later_data_arrives(city: Store) -> None:
    ctx = ctx_of(city)
    before = {level: monthly_ranking(ctx, MONTH, level).frame for level in ("point", "unit")}
    assert published_months(ctx) == []
    counts = publish_ranking(ctx, MONTH)
    assert published_months(ctx) == [MONTH]
    assert counts == {"point": 2, "street": 2, "alley": 1, "cell": 4, "unit": 4}
    add_problem(city, "R9", "D02", "C02", "09-28 09:00")  # reported late, for September
    later = ctx_of(city)
    for level, frame in before.items():
        published = monthly_ranking(later, MONTH, level)
        assert published.published_at == NOW
        assert published.published_by == "李主任"
        pd.testing.assert_frame_equal(published.frame, frame, check_dtype=False)
    # the new problem does count for a ranking computed now (not publishing)
    from citygrid.services.cycle.ranking import computed_rankings

    now = by_code(computed_rankings(later, MONTH, ("point",))["point"].frame)
    assert now["D02"]["problems"] == 2


def test_the_month_after_a_published_one_compares_with_what_was_published(city: Store) -> None:
    publish_ranking(ctx_of(city), MONTH)
    add_problem(city, "R9", "D01", "C02", "09-28 09:00")  # would change September now
    add_problem(city, "R10", "D01", "C01", "10-08 09:00")
    october = by_code(monthly_ranking(ctx_of(city), "2025-10", "point").frame)
    assert october["D01"]["previous_rank"] == 2  # as published, not 2 with a lower score
    assert october["D01"]["score_change"] == pytest.approx(october["D01"]["score"] - 92.5, abs=1e-6)


def test_publishing_twice_or_an_empty_month_is_refused_with_nothing_written(city: Store) -> None:
    ctx = ctx_of(city)
    publish_ranking(ctx, MONTH)
    stored = city.count("rankings")
    with pytest.raises(Conflict, match="published at 2025-10-15 10:00 already"):
        publish_ranking(ctx, MONTH)
    with pytest.raises(BadInput, match="No problem was reported in 2025-03"):
        publish_ranking(ctx, "2025-03")
    assert city.count("rankings") == stored


@pytest.mark.parametrize(
    ("month", "level", "message"),
    [
        ("2025-13", "point", "is not a month"),
        ("九月", "point", "is not a month"),
        ("2025-9-1", "point", "is not a month"),
        ("2025-03", "point", "No problem was reported in 2025-03"),
        (MONTH, "district", "is not a level of the ranking"),
    ],
)
def test_bad_months_and_levels_are_refused(
    city: Store, month: str, level: str, message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        monthly_ranking(ctx_of(city), month, level)


def test_a_ranking_is_written_to_xlsx_csv_and_geopackage(city: Store, tmp_path: Path) -> None:
    ranking = monthly_ranking(ctx_of(city), MONTH, "point")
    sheet = load_workbook(write_ranking(ctx_of(city), ranking, tmp_path / "r.xlsx")).active
    assert sheet is not None
    assert "2025-09" in str(sheet["A1"].value)
    assert [c.value for c in sheet[3]][:4] == [1, "D02", "南门口农贸市场", 98.5]
    table = pd.read_csv(write_ranking(ctx_of(city), ranking, tmp_path / "r.csv"))
    assert table.iloc[1].tolist()[:4] == [2, "D01", "五一广场", 92.5]
    gpkg = pyogrio.read_dataframe(write_ranking(ctx_of(city), ranking, tmp_path / "r.gpkg"))
    assert len(gpkg) == 2


# -- performance figures ---------------------------------------------------------------


def test_performance_figures_per_unit_and_for_the_city(city: Store) -> None:
    figures = performance(ctx_of(city), date(2025, 9, 1), date(2025, 9, 30), "unit")
    rows = by_code(figures.frame)
    assert set(rows) == {"U_CG", "U_SW"}
    cg, sw = rows["U_CG"], rows["U_SW"]
    assert cg["name"] == "城管局"
    assert (cg["due"], cg["closed_on_time"], cg["on_time_closure_rate"]) == (2, 0, 0.0)
    assert (cg["closed"], cg["reworked"], cg["rework_rate"]) == (1, 0, 0.0)
    assert (cg["registered"], cg["registered_on_time"], cg["on_time_registration_rate"]) == (
        2,
        1,
        0.5,
    )
    assert (sw["due"], sw["closed_on_time"], sw["on_time_closure_rate"]) == (1, 1, 1.0)
    assert (sw["closed"], sw["reworked"], sw["rework_rate"]) == (1, 1, 1.0)
    assert sw["on_time_registration_rate"] == 1.0
    total = figures.total
    assert total["on_time_closure_rate"] == pytest.approx(1 / 3)
    assert total["rework_rate"] == 0.5
    assert total["on_time_registration_rate"] == pytest.approx(2 / 3)


def test_performance_per_sub_district_and_cell_and_the_registration_limit(city: Store) -> None:
    by_area = by_code(
        performance(ctx_of(city), date(2025, 9, 1), date(2025, 9, 30), "subdistrict").frame
    )
    assert by_area["430102001"]["name"] == "五一街道"
    assert by_area["430102001"]["due"] == 2
    assert by_area["430102002"]["reworked"] == 1
    cells = by_code(performance(ctx_of(city), date(2025, 9, 1), date(2025, 9, 30), "cell").frame)
    assert set(cells) == {"G01", "G04"}
    # with 21 working hours allowed, R2 (registered 3 working days after) is on time too
    generous = performance(
        ctx_of(city, registration_hours=21.0), date(2025, 9, 1), date(2025, 9, 30)
    )
    assert generous.total["on_time_registration_rate"] == 1.0
    # August: only R0, due and closed on time, registered by nobody
    august = performance(ctx_of(city), date(2025, 8, 1), date(2025, 8, 31))
    assert august.total["on_time_closure_rate"] == 1.0
    assert np.isnan(august.total["on_time_registration_rate"])


@pytest.mark.parametrize(
    ("since", "until", "by", "message"),
    [
        (date(2025, 9, 30), date(2025, 9, 1), "unit", "starts"),
        (date(2025, 9, 1), date(2025, 9, 30), "street", "is not a grouping"),
        (date(2024, 1, 1), date(2024, 1, 31), "unit", "No problem was due"),
    ],
)
def test_bad_periods_and_groupings_are_refused(
    city: Store, since: date, until: date, by: str, message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        performance(ctx_of(city), since, until, by)


# -- ledgers ---------------------------------------------------------------------------


def test_a_units_ledger_lists_its_open_tasks_with_names(city: Store) -> None:
    ctx = ctx_of(city)
    found = ledger(ctx, unit="U_CG")
    assert found.name == "城管局"
    frame = found.frame
    assert frame["code"].tolist() == ["R2"]  # R1 is closed
    row = frame.iloc[0]
    assert (row["place"], row["item"], row["unit"], row["person"]) == (
        "五一广场",
        "乱扔垃圾",
        "城管局",
        "张三",
    )
    assert row["status"] == "open"  # English in the tests; 待处置 in Chinese
    deadline = pd.Timestamp(row["deadline"]).to_pydatetime()
    assert row["overdue_days"] == round(overdue_working_days(ctx, deadline, NOW), 1)
    assert row["overdue_days"] > 15  # National Day (1 to 8 October) does not count


def test_cell_and_sub_district_ledgers(city: Store) -> None:
    cell = ledger(ctx_of(city), cell="G02").frame
    assert cell["code"].tolist() == ["R4"]
    assert cell.iloc[0]["place"] == "五一二网格"  # no point: the cell's name
    assert cell.iloc[0]["overdue_days"] == 0  # not yet due
    west = ledger(ctx_of(city), subdistrict="430102001").frame
    assert west["code"].tolist() == ["R2", "R4"]  # most overdue first


@pytest.mark.parametrize(
    ("given", "error", "message"),
    [
        ({"unit": "U_XX"}, NotFound, "There is no unit U_XX"),
        ({"cell": "G99"}, NotFound, "There is no grid cell G99"),
        ({"subdistrict": "999"}, NotFound, "There is no sub-district 999"),
        ({}, BadInput, "exactly one"),
        ({"unit": "U_CG", "cell": "G01"}, BadInput, "exactly one"),
    ],
)
def test_bad_ledger_scopes_are_refused(city: Store, given: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        ledger(ctx_of(city), **given)


def test_the_ledger_files_xlsx_for_printing_csv_for_excel_and_geopackage(
    city: Store, tmp_path: Path
) -> None:
    ctx = ctx_of(city)
    found = ledger(ctx, subdistrict="430102001")
    book = load_workbook(write_ledger(ctx, found, tmp_path / "台账.xlsx"))
    sheet = book.active
    assert sheet is not None
    assert str(sheet["A1"].value).startswith("Ledger of open tasks: 五一街道")
    assert sheet.freeze_panes == "A3"
    assert [c.value for c in sheet[2]][:3] == ["Problem code", "Place", "Item"]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    deadline = sheet.cell(row=3, column=8)
    assert deadline.is_date
    assert deadline.value == pd.Timestamp("2025-09-10 10:00").to_pydatetime()
    assert sheet.column_dimensions["B"].width >= 10
    csv = write_ledger(ctx, found, tmp_path / "台账.csv")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "五一广场" in csv.read_text(encoding="utf-8-sig")
    layer = pyogrio.read_dataframe(write_ledger(ctx, found, tmp_path / "台账.gpkg"))
    assert len(layer) == 2
    assert layer.geometry.geom_type.tolist() == ["Point", "Point"]


def test_ledger_writing_refuses_and_keeps_what_exists(city: Store, tmp_path: Path) -> None:
    ctx = ctx_of(city)
    found = ledger(ctx, unit="U_CG")
    existing = tmp_path / "ledger.xlsx"
    existing.write_bytes(b"an earlier ledger")
    with pytest.raises(Conflict, match="exists already"):
        write_ledger(ctx, found, existing)
    with pytest.raises(BadInput, match="does not end in"):
        write_ledger(ctx, found, tmp_path / "ledger.pdf")
    empty = ledger(ctx, cell="G03")
    with pytest.raises(BadInput, match="has no open task"):
        write_ledger(ctx, empty, tmp_path / "empty.xlsx", overwrite=True)
    # a write that fails half way (a value no format can hold) leaves the file as it was
    broken = found.frame.assign(place=[1j])
    for name in ("ledger.xlsx", "ledger.gpkg"):
        (tmp_path / name).write_bytes(b"an earlier ledger")
        with pytest.raises(Exception):  # noqa: B017,PT011  (whatever openpyxl or GDAL raises)
            write_report(broken, tmp_path / name, title="t", headers={"place": "p"}, overwrite=True)
        assert (tmp_path / name).read_bytes() == b"an earlier ledger"
    assert not list(tmp_path.glob(".ledger*")), "no staging folder is left behind"
