"""The holidays file: a year the calendar package lacks (2027, made up here) becomes known,
a listed day overrides the package, and bad files are refused naming the row."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from citygrid.config import Config
from citygrid.errors import BadInput, OutsideCalendar
from citygrid.services.cycle.calendar import WorkingCalendar, known_years
from citygrid.services.cycle.holidays import load_holidays

# Made up for the mechanism: the Spring Festival of 2027 off from Saturday 6 to Friday 12
# February, with Sunday 14 and Saturday 20 February worked instead; New Year's Day off.
DAYS_2027 = [
    ("2027-01-01", "holiday", "元旦"),
    *((f"2027-02-{d:02d}", "holiday", "春节") for d in range(6, 13)),
    ("2027-02-14", "workday", "春节调休上班"),
    ("2027-02-20", "workday", "春节调休上班"),
]


def csv_file(folder: Path, rows: list[tuple[str, str, str]], name: str = "holidays.csv") -> Path:
    path = folder / name
    lines = ["date,kind,name", *(",".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def json_file(folder: Path, rows: list[tuple[str, str, str]]) -> Path:
    path = folder / "holidays.json"
    path.write_text(
        json.dumps([{"date": d, "kind": k, "name": n} for d, k, n in rows], ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_package_does_not_know_2027_and_the_error_names_the_setting() -> None:
    assert known_years()[1] == 2026, "chinesecalendar learnt 2027: the test stays valid anyway"
    with pytest.raises(OutsideCalendar, match="CITYGRID_HOLIDAYS") as refused:
        WorkingCalendar().add_working_days(at("2026-12-31T10:00"), 2)
    assert "2027" in str(refused.value)


@pytest.mark.parametrize("write", [csv_file, json_file])
def test_a_2027_file_makes_the_year_known(tmp_path: Path, write: object) -> None:
    days = load_holidays(write(tmp_path, DAYS_2027))  # type: ignore[operator]
    assert [d.name for d in days][:2] == ["元旦", "春节"]
    calendar = WorkingCalendar(days=days)
    assert calendar.years == (known_years()[0], 2027)
    assert not calendar.is_working_day(date(2027, 2, 8))  # a Monday of the festival
    assert calendar.is_working_day(date(2027, 2, 14))  # a Sunday worked
    assert calendar.is_working_day(date(2027, 3, 1))  # an unlisted Monday
    assert not calendar.is_working_day(date(2027, 3, 6))  # an unlisted Saturday
    # From Thursday 31 December 2026: 5.5 h that day, New Year's Day and the weekend off,
    # 7 h on Monday 4 January, the last 1.5 h on Tuesday.
    assert calendar.add_working_days(at("2026-12-31T10:00"), 2) == at("2027-01-05T10:00")
    # Reported on the Friday before the festival: due on the Sunday worked after it.
    assert calendar.add_working_days(at("2027-02-05T10:00"), 1) == at("2027-02-14T10:00")
    starts = np.array([at("2026-12-31T10:00"), at("2027-02-05T10:00")], dtype="datetime64[us]")
    got = calendar.add_working_hours_array(starts, [14, 7])
    assert got.tolist() == [at("2027-01-05T10:00"), at("2027-02-14T10:00")]
    with pytest.raises(OutsideCalendar, match=r"knows the years .* to 2027, not 2028"):
        calendar.add_working_days(at("2027-12-31T10:00"), 2)


def test_a_listed_day_overrides_the_package(tmp_path: Path) -> None:
    days = load_holidays(csv_file(tmp_path, [("2026-03-09", "holiday", "本市停工日")]))
    calendar = WorkingCalendar(days=days)
    assert WorkingCalendar().is_working_day(date(2026, 3, 9))
    assert not calendar.is_working_day(date(2026, 3, 9))
    assert WorkingCalendar().add_working_days(at("2026-03-06T10:00"), 1) == at("2026-03-09T10:00")
    assert calendar.add_working_days(at("2026-03-06T10:00"), 1) == at("2026-03-10T10:00")
    starts = np.array([at("2026-03-06T10:00")], dtype="datetime64[us]")
    assert calendar.add_working_hours_array(starts, 7).tolist() == [at("2026-03-10T10:00")]
    assert calendar.years == known_years()


def test_the_context_reads_the_file_named_by_the_setting(tmp_path: Path) -> None:
    path = csv_file(tmp_path, DAYS_2027)
    config = Config.from_env({"CITYGRID_HOLIDAYS": str(path)})
    assert config.holidays_file == str(path)
    assert Config.from_env({}).holidays_file is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("2027-02-30", "holiday", "春节")], r"Row 2 .*'2027-02-30' is not a date"),
        ([("2027/02/06", "holiday", "春节")], r"Row 2 .*is not a date"),
        ([("2027-02-06", "holiday", "春节"), ("2027-02-07", "假", "春节")], r"Row 3 .*'假'"),
        (
            [("2027-02-06", "holiday", "春节"), ("2027-02-06", "workday", "春节")],
            r"Row 3 .* gives 2027-02-06 again \(first at row 2\)",
        ),
    ],
)
def test_bad_rows_are_refused_naming_the_row(
    tmp_path: Path, rows: list[tuple[str, str, str]], message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        load_holidays(csv_file(tmp_path, rows))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("holidays.txt", b"date,kind,name\n", r"must end in \.csv or \.json"),
        ("no_kind.csv", "date,name\n2027-02-06,春节\n".encode(), "lacks kind"),
        ("gbk.csv", "date,kind,name\n2027-02-06,holiday,春节\n".encode("gbk"), "not UTF-8"),
        ("broken.json", b'[{"date": "2027-02-06"', "not valid JSON"),
        ("flat.json", b'{"2027-02-06": "holiday"}', "list of objects"),
        ("off.json", b'[{"date": "2027-02-06", "kind": "off"}]', r"Row 1 .*'off'"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadInput, match=message):
        load_holidays(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="does not exist"):
        load_holidays(tmp_path / "none.csv")


def test_a_year_left_out_between_known_ones_is_refused(tmp_path: Path) -> None:
    days = load_holidays(csv_file(tmp_path, [("2028-01-01", "holiday", "元旦")]))
    with pytest.raises(BadInput, match=r"lists days of 2028, but .* knows 2027"):
        WorkingCalendar(days=days)


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = csv_file(tmp_path, DAYS_2027[:1])
    assert len(load_holidays(path)) == 1
    csv_file(tmp_path, DAYS_2027)
    assert len(load_holidays(path)) == len(DAYS_2027)
