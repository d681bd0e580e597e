"""The working calendar across the Spring Festival and National Day of 2024 and 2025.

Every expected deadline below is worked out by hand from the State Council's
notices (as ``chinesecalendar`` carries them):

- 2024 Spring Festival: off Sat 10 Feb to Sat 17 Feb; Sun 4 Feb and Sun 18 Feb worked.
- 2024 National Day: off Tue 1 Oct to Mon 7 Oct; Sun 29 Sep and Sat 12 Oct worked.
- 2025 Spring Festival: off Tue 28 Jan to Tue 4 Feb; Sun 26 Jan and Sat 8 Feb worked.
- 2025 National Day: off Wed 1 Oct to Wed 8 Oct; Sun 28 Sep and Sat 11 Oct worked.

Working hours are the default 08:30-12:00 and 14:00-17:30 (7 hours a day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citygrid.config import Config, parse_working_hours
from citygrid.errors import BadInput, OutsideCalendar
from citygrid.services.cycle.calendar import WorkingCalendar, known_years

CAL = WorkingCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2024-02-04", True),  # Sunday made a working day
        ("2024-02-09", True),  # Friday before the holiday
        ("2024-02-10", False),
        ("2024-02-16", False),  # a Friday inside the holiday
        ("2024-02-18", True),  # Sunday made a working day
        ("2024-09-29", True),
        ("2024-10-07", False),  # a Monday inside the holiday
        ("2024-10-12", True),  # Saturday made a working day
        ("2024-10-13", False),
        ("2025-01-26", True),
        ("2025-01-27", True),
        ("2025-01-28", False),
        ("2025-02-04", False),
        ("2025-02-05", True),
        ("2025-02-08", True),
        ("2025-02-09", False),
        ("2025-09-27", False),  # an ordinary Saturday
        ("2025-09-28", True),
        ("2025-10-08", False),
        ("2025-10-11", True),
        ("2025-10-12", False),
    ],
)
def test_working_days_follow_the_holidays_and_the_adjusted_weekends(
    day: str, working: bool
) -> None:
    assert CAL.is_working_day(date.fromisoformat(day)) is working


# (start, working days or hours, unit, expected deadline), worked by hand
CASES = [
    # 2025 Spring Festival
    ("2025-01-27T10:00", 1, "days", "2025-02-05T10:00"),  # the holiday does not count
    ("2025-01-25T10:00", 1, "days", "2025-01-26T17:30"),  # Sat off: all of working Sunday
    ("2025-01-24T16:00", 2, "hours", "2025-01-26T09:00"),  # 1.5 h Fri, 0.5 h Sun 26
    ("2025-01-27T16:00", 2, "hours", "2025-02-05T09:00"),  # 1.5 h Mon, 0.5 h after
    ("2025-01-29T09:00", 1, "days", "2025-02-05T17:30"),  # reported in the holiday
    ("2025-02-07T15:00", 3, "days", "2025-02-11T15:00"),  # Sat 8, Mon 10, Tue 11
    # 2024 Spring Festival
    ("2024-02-09T11:00", 1, "days", "2024-02-18T11:00"),  # to working Sunday 18
    ("2024-02-03T09:00", 1, "days", "2024-02-04T17:30"),  # Sat 3 off: all of Sunday 4
    ("2024-02-08T17:00", 1, "hours", "2024-02-09T09:00"),
    # 2024 National Day
    ("2024-09-30T09:00", 2, "days", "2024-10-09T09:00"),  # Tue 8, Wed 9
    ("2024-09-28T10:00", 1, "days", "2024-09-29T17:30"),  # Sat 28 off, Sun 29 worked
    ("2024-10-11T17:00", 1, "hours", "2024-10-12T09:00"),  # to working Saturday 12
    # 2025 National Day
    ("2025-09-27T10:00", 1, "days", "2025-09-28T17:30"),
    ("2025-09-30T15:00", 1, "days", "2025-10-09T15:00"),
    ("2025-09-30T14:00", 1, "days", "2025-10-09T12:00"),  # no working time from 12 to 14
    ("2025-10-10T17:00", 1, "hours", "2025-10-11T09:00"),
    ("2025-09-30T11:00", 0.5, "days", "2025-09-30T16:30"),  # 3.5 h: 1 h, lunch, 2.5 h
    ("2025-09-30T16:00", 0.5, "days", "2025-10-09T10:30"),  # 1.5 h, holiday, 2 h
    # an ordinary week: lunch, evenings, boundaries
    ("2025-03-03T11:00", 2, "hours", "2025-03-03T15:00"),  # the lunch break does not count
    ("2025-03-03T12:30", 1, "hours", "2025-03-03T15:00"),  # reported at lunch
    ("2025-03-03T10:00", 2, "hours", "2025-03-03T12:00"),  # due as the morning ends
    ("2025-03-03T08:30", 1, "days", "2025-03-03T17:30"),  # a whole day the same day
    ("2025-03-03T20:00", 1, "days", "2025-03-04T17:30"),  # reported at night
    ("2025-03-07T10:00", 1, "days", "2025-03-10T10:00"),  # Friday to Monday
    ("2025-03-03T10:00", 0, "hours", "2025-03-03T10:00"),
    ("2025-03-08T10:00", 0, "days", "2025-03-08T10:00"),  # no time: the start itself
]


@pytest.mark.parametrize(("start", "amount", "unit", "expected"), CASES)
def test_hand_worked_deadlines(start: str, amount: float, unit: str, expected: str) -> None:
    add = CAL.add_working_days if unit == "days" else CAL.add_working_hours
    assert add(at(start), amount) == at(expected)


def test_vectorised_deadlines_equal_the_hand_worked_ones() -> None:
    starts = np.array([at(c[0]) for c in CASES], dtype="datetime64[us]")
    hours = [c[1] * (7 if c[2] == "days" else 1) for c in CASES]
    expected = np.array([at(c[3]) for c in CASES], dtype="datetime64[us]")
    assert CAL.add_working_hours_array(starts, hours).tolist() == expected.tolist()


def test_urgent_hours_run_on_the_wall_clock_through_holidays() -> None:
    assert CAL.add_wall_hours(at("2025-01-28T23:00"), 2) == at("2025-01-29T01:00")
    assert CAL.add_wall_hours(at("2024-10-01T10:00"), 24) == at("2024-10-02T10:00")


def test_working_time_between_counts_only_working_hours() -> None:
    assert CAL.working_time_between(at("2025-01-27T17:00"), at("2025-02-05T09:00")) == (
        timedelta(hours=1)
    )
    assert CAL.working_time_between(at("2025-02-05T09:00"), at("2025-01-27T17:00")) == (
        -timedelta(hours=1)
    )
    # Mon 29 Sep 2025 08:30 to Thu 9 Oct 08:30: Sun 28 is before, Mon 29 and Tue 30 count.
    assert CAL.working_time_between(at("2025-09-29T08:30"), at("2025-10-09T08:30")) == (
        timedelta(hours=14)
    )
    assert CAL.working_time_between(at("2025-10-04T10:00"), at("2025-10-05T10:00")) == (timedelta())


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 6, 30)),
    minutes=st.integers(min_value=0, max_value=60 * 7 * 40),
)
def test_vectorised_and_scalar_agree_and_invert(start: datetime, minutes: int) -> None:
    hours = minutes / 60
    scalar = CAL.add_working_hours(start, hours)
    (vector,) = CAL.add_working_hours_array(np.array([start], dtype="datetime64[us]"), hours)
    assert pd.Timestamp(vector).to_pydatetime() == scalar
    if minutes:
        assert CAL.working_time_between(start, scalar) == timedelta(minutes=minutes)


def test_vectorised_deadlines_for_a_column_with_gaps() -> None:
    starts = pd.Series(pd.to_datetime(["2025-01-27 10:00", None, "2025-09-30 14:00"]))
    got = CAL.add_working_hours_array(starts, [7, 7, 0])
    assert got[0] == np.datetime64("2025-02-05T10:00")
    assert np.isnat(got[1])
    assert got[2] == np.datetime64("2025-09-30T14:00")


def test_other_working_hours_from_config() -> None:
    config = Config.from_env({"CITYGRID_WORKING_HOURS": "09:00-12:00, 13:00-18:00"})
    assert config.working_hours == (("09:00", "12:00"), ("13:00", "18:00"))
    calendar = WorkingCalendar(config.working_hours)
    assert calendar.day_hours == 8
    assert calendar.add_working_hours(at("2025-03-03T11:00"), 2) == at("2025-03-03T14:00")
    assert calendar.add_working_days(at("2025-01-27T10:00"), 1) == at("2025-02-05T10:00")
    assert Config.from_env({}).working_hours == (("08:30", "12:00"), ("14:00", "17:30"))


@pytest.mark.parametrize(
    "text",
    ["9-12", "12:00-09:00", "08:00-12:00,11:00-13:00", "24:00-25:00", "08:00", "08:00-12:00,"],
)
def test_bad_working_hours_are_refused(text: str) -> None:
    with pytest.raises(BadInput, match="08:30-12:00,14:00-17:30"):
        parse_working_hours(text)
    with pytest.raises(BadInput, match="Working hours"):
        Config.from_env({"CITYGRID_WORKING_HOURS": text})
    with pytest.raises(BadInput, match="Working hours"):
        Config(working_hours=(("12:00", "09:00"),))


def test_years_the_calendar_does_not_know_are_refused_naming_the_known_ones() -> None:
    first, last = known_years()
    assert first <= 2004
    assert last >= 2026
    beyond = datetime(last + 1, 3, 2, 10)
    message = rf"knows the years {first} to {last}, not {last + 1}.*pip install -U"
    with pytest.raises(OutsideCalendar, match=message):
        CAL.is_working_day(beyond.date())
    with pytest.raises(OutsideCalendar, match=message):
        CAL.add_working_days(beyond, 1)
    with pytest.raises(OutsideCalendar, match=message):  # the count runs into it
        CAL.add_working_days(datetime(last, 12, 31, 10), 2)
    with pytest.raises(OutsideCalendar, match=message):
        CAL.add_working_hours_array(np.array([beyond], dtype="datetime64[us]"), 1)
    with pytest.raises(OutsideCalendar, match=message):
        CAL.add_working_hours_array(np.array([datetime(last, 12, 31, 10)], "datetime64[us]"), 14)
    with pytest.raises(OutsideCalendar, match=rf"not {first - 1}"):
        CAL.add_working_hours_array(np.array([datetime(first - 1, 6, 1)], "datetime64[us]"), 1)
    with pytest.raises(OutsideCalendar):
        CAL.working_time_between(datetime(last, 12, 30), beyond)


@pytest.mark.parametrize("hours", [-1, float("nan"), float("inf")])
def test_negative_or_missing_limits_are_refused(hours: float) -> None:
    with pytest.raises(BadInput, match="0 or more"):
        CAL.add_working_hours(at("2025-03-03T10:00"), hours)
    with pytest.raises(BadInput, match="0 or more"):
        CAL.add_working_hours_array(np.array([at("2025-03-03T10:00")], "datetime64[us]"), hours)
