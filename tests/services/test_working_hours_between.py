"""Working hours between many pairs of times at once agree with the one-pair count,
across the Spring Festival and National Day, nights, weekends and adjusted working days."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from citygrid.errors import OutsideCalendar
from citygrid.services.cycle.calendar import WorkingCalendar


def test_many_pairs_agree_with_one_pair_at_a_time() -> None:
    calendar = WorkingCalendar()
    rng = np.random.default_rng(7)
    base = np.datetime64("2025-01-01T00:00", "s")
    starts = base + rng.integers(0, 300 * 86400, 400).astype("timedelta64[s]")
    ends = starts + rng.integers(-20 * 86400, 40 * 86400, 400).astype("timedelta64[s]")
    many = calendar.working_hours_between_array(starts, ends)
    one = [
        calendar.working_time_between(a.item(), b.item()).total_seconds() / 3600
        for a, b in zip(starts, ends, strict=True)
    ]
    np.testing.assert_allclose(many, one, atol=1e-9)


def test_holidays_and_adjusted_working_days() -> None:
    calendar = WorkingCalendar()
    hours = calendar.working_hours_between_array(
        np.array(["2025-09-30T17:30", "2025-01-27T17:30", "2025-01-24T17:30", "NaT"], "M8[s]"),
        np.array(["2025-10-09T08:30", "2025-02-05T08:30", "2025-01-26T17:30", "NaT"], "M8[s]"),
    )
    # National Day: 1 to 8 October off, so no working time until 9 October opens
    assert hours[0] == 0
    # Spring Festival 2025: 28 January to 4 February off
    assert hours[1] == 0
    # Sunday 26 January 2025 was an adjusted working day: 7 hours
    assert hours[2] == 7
    assert np.isnan(hours[3])


def test_a_year_the_calendar_does_not_know_is_refused() -> None:
    with pytest.raises(OutsideCalendar, match="not 2099"):
        WorkingCalendar().working_hours_between_array(
            np.array([datetime(2025, 1, 2)]), np.array([datetime(2099, 1, 2)])
        )
