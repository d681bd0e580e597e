"""The working calendar: China's working days and the city's working hours.

A working day is a weekday that is not a statutory holiday, or a weekend
day the State Council made a working day to make up for a holiday (调休上班,
for example Sunday 26 January and Saturday 8 February 2025 around the
Spring Festival). The days come from the ``chinesecalendar`` package
(module ``chinese_calendar``); the working hours of a working day from
:attr:`citygrid.config.Config.working_hours` (08:30-12:00 and 14:00-17:30,
7 hours, by default). All times are naive local times (Beijing time).

Time limits are counted three ways:

- urgent hours, on the wall clock (:meth:`WorkingCalendar.add_wall_hours`);
- working hours, counting only the working hours of working days
  (:meth:`WorkingCalendar.add_working_hours`): nights, lunch breaks,
  weekends and holidays do not count;
- working days, as that many working days' worth of working hours
  (:meth:`WorkingCalendar.add_working_days`; 1 working day = 7 working
  hours by default). Reported during working hours, a problem given 1
  working day is due at the same clock time on the next working day;
  reported at night or on a holiday, at the end of the next working day.

A deadline is the first moment its working time has run out: a limit
that runs out as a morning ends is due at 12:00, not at 14:00 (so a
problem reported at 14:00 with 1 working day is due at 12:00 on the next
working day; no working time lies between the two).

Years the calendar does not know
--------------------------------
``chinesecalendar`` carries each year once the State Council has
published its holidays (1.11 knows 2004 to 2026). The holidays file
(``CITYGRID_HOLIDAYS``, :mod:`citygrid.services.cycle.holidays`) adds
days to it or overrides them: a year the file lists becomes known, its
unlisted days working from Monday to Friday. The known years must run
without a gap, so a file for 2028 needs 2027 too. A date outside the
known years raises :class:`~citygrid.errors.OutsideCalendar`, naming the
years known and the setting, rather than falling back to weekends only:
such a fallback would put a Spring Festival deadline a week early without
anyone noticing, and a warning is lost in a web request or a million-row
computation, while an error says at once what to supply.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import cache, cached_property
from math import isfinite

import chinese_calendar
import numpy as np
import numpy.typing as npt
import pandas as pd

from citygrid.config import DEFAULT_WORKING_HOURS, working_periods
from citygrid.errors import BadInput, OutsideCalendar
from citygrid.services.cycle.holidays import HolidayDay

_MINUTE_US = 60_000_000
_HOUR_US = 3_600_000_000


@cache
def known_years() -> tuple[int, int]:
    """The first and last year whose holidays and working days ``chinesecalendar`` knows."""
    years = [day.year for day in chinese_calendar.constants.holidays]
    return min(years), max(years)


def _outside(year: int, first: int, last: int) -> OutsideCalendar:
    return OutsideCalendar(
        "The working calendar knows the years {first} to {last}, not {year}: China publishes "
        "each year's holidays late in the year before. List {year}'s holidays and adjusted "
        "working days in a holidays file (CSV or JSON of date, kind holiday or workday, and "
        "name; see the README) named by CITYGRID_HOLIDAYS, or upgrade the calendar "
        "(pip install -U chinesecalendar) once it carries {year}.",
        first=first,
        last=last,
        year=year,
    )


@cache
def _package_table() -> npt.NDArray[np.bool_]:
    """For each day of :func:`known_years`, whether ``chinesecalendar`` makes it a working day."""
    first, last = known_years()
    days = pd.date_range(f"{first}-01-01", f"{last}-12-31", freq="D")
    return np.fromiter((chinese_calendar.is_workday(d.date()) for d in days), bool, len(days))


def _years_with(days: Sequence[HolidayDay]) -> tuple[int, int]:
    """The known years with those of ``days`` added; refused when they leave a gap."""
    first, last = known_years()
    listed = sorted({d.day.year for d in days} - set(range(first, last + 1)))
    for year in listed:
        if year == last + 1:
            last = year
        elif year == first - 1:
            first = year
    apart = [y for y in listed if not first <= y <= last]
    if apart:
        year = apart[0]
        missing = last + 1 if year > last else first - 1
        raise BadInput(
            "The holidays file lists days of {year}, but neither the calendar nor the file "
            "knows {missing}, which lies between; list {missing}'s holidays and adjusted "
            "working days too.",
            year=year,
            missing=missing,
        )
    return first, last


def _hours_to_add(hours: float) -> float:
    if not (isfinite(hours) and hours >= 0):
        raise BadInput(
            "A time limit is a number of hours or days, 0 or more, not {hours!r}.", hours=hours
        )
    return hours


class WorkingCalendar:
    """Working days and working hours, for deadlines and overdue counts.

    Parameters
    ----------
    working_hours
        The working periods of a working day as ``(start, end)`` ``HH:MM``
        pairs (:attr:`citygrid.config.Config.working_hours`).
    days
        Days of the holidays file (:func:`~citygrid.services.cycle.holidays.load_holidays`)
        that extend or override ``chinesecalendar``.

    Raises
    ------
    BadInput
        The working hours are not periods in order, or the days leave a
        year unknown between known ones.
    """

    def __init__(
        self,
        working_hours: tuple[tuple[str, str], ...] = DEFAULT_WORKING_HOURS,
        days: Sequence[HolidayDay] = (),
    ):
        self.periods = working_periods(working_hours)
        """The working periods as ``(start, end)`` minutes after midnight."""
        self.years = _years_with(days)
        """The first and last year known (the package's, extended by the holidays file)."""
        self._listed = {d.day: d.working for d in days}

    def _outside(self, year: int) -> OutsideCalendar:
        return _outside(year, *self.years)

    @cached_property
    def _day_table(self) -> tuple[np.datetime64, npt.NDArray[np.bool_]]:
        """The first day of the known years, and whether each day from it is a working day."""
        first, last = self.years
        start = np.datetime64(f"{first}-01-01", "D")
        days = np.arange(start, np.datetime64(f"{last + 1}-01-01", "D"))
        flags = ((days.astype(np.int64) + 3) % 7) < 5  # 1970-01-01 was a Thursday
        package = _package_table()
        offset = (date(known_years()[0], 1, 1) - date(first, 1, 1)).days
        flags[offset : offset + len(package)] = package
        for day, working in self._listed.items():
            flags[(day - date(first, 1, 1)).days] = working
        return start, flags

    @property
    def day_hours(self) -> float:
        """Working hours in one working day (7.0 by default)."""
        return sum(end - start for start, end in self.periods) / 60

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day: a weekday that is no holiday, or a weekend day
        made a working day (调休上班).

        Raises
        ------
        OutsideCalendar
            ``day`` lies outside :attr:`years`.
        """
        day = day.date() if isinstance(day, datetime) else day
        if day in self._listed:
            return self._listed[day]
        first, last = known_years()
        if first <= day.year <= last:
            return bool(chinese_calendar.is_workday(day))
        if self.years[0] <= day.year <= self.years[1]:
            return day.weekday() < 5
        raise self._outside(day.year)

    @staticmethod
    def add_wall_hours(start: datetime, hours: float) -> datetime:
        """``start`` plus ``hours`` on the wall clock (urgent limits count nights and holidays)."""
        return start + timedelta(hours=_hours_to_add(hours))

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` working hours after ``start``.

        Only the working hours of working days count; the result is the first
        moment the hours have run out (a period's end rather than the next
        one's start). ``start`` may lie outside working hours: counting starts
        at the next working period.

        Raises
        ------
        BadInput
            ``hours`` is negative or not a number.
        OutsideCalendar
            The count reaches a year the calendar does not know.
        """
        remaining = timedelta(hours=_hours_to_add(hours))
        day = start.date()
        while remaining:
            for begin, end in self._periods_on(day):
                begin = max(begin, start)
                if begin < end:
                    if remaining <= end - begin:
                        return begin + remaining
                    remaining -= end - begin
            day += timedelta(days=1)
        return start

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """The moment ``days`` working days after ``start``: ``days`` times
        :attr:`day_hours` working hours (:meth:`add_working_hours`)."""
        return self.add_working_hours(start, _hours_to_add(days) * self.day_hours)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b``; negative when ``b`` is before ``a``.

        Raises
        ------
        OutsideCalendar
            A day between them lies in a year the calendar does not know.
        """
        if b < a:
            return -self.working_time_between(b, a)
        total = timedelta()
        day = a.date()
        while day <= b.date():
            for begin, end in self._periods_on(day):
                low, high = max(begin, a), min(end, b)
                if low < high:
                    total += high - low
            day += timedelta(days=1)
        return total

    def _periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working periods of ``day`` as datetimes (none on a day off)."""
        if not self.is_working_day(day):
            return []
        midnight = datetime.combine(day, time())
        return [
            (midnight + timedelta(minutes=start), midnight + timedelta(minutes=end))
            for start, end in self.periods
        ]

    def add_working_hours_array(
        self, starts: npt.ArrayLike, hours: npt.ArrayLike
    ) -> npt.NDArray[np.datetime64]:
        """:meth:`add_working_hours` for many starts at once (a million in well under a second).

        Each time is placed on one axis of working time: the working
        microseconds from the first known day to it (a cumulative sum per
        day plus the working part of its day). Adding is then a sum, and
        the way back a binary search among the working days and the periods.

        Parameters
        ----------
        starts
            Local times (anything numpy reads as ``datetime64``); ``NaT``
            gives ``NaT``.
        hours
            Working hours to add, one number or one per start, each 0 or more.

        Returns
        -------
        numpy.ndarray
            ``datetime64[us]`` deadlines, one per start.

        Raises
        ------
        BadInput
            An hour count is negative or not a number.
        OutsideCalendar
            A start or a result lies outside :attr:`years`.
        """
        start = np.asarray(starts, dtype="datetime64[us]").ravel()
        add = np.broadcast_to(np.asarray(hours, dtype=float), start.shape)
        if not (np.isfinite(add) & (add >= 0)).all():
            bad = add[~(np.isfinite(add) & (add >= 0))][0]
            _hours_to_add(float(bad))
        out = start.copy()
        todo = ~np.isnat(start) & (add > 0)
        if todo.any():
            out[todo] = self._add_us(start[todo], np.round(add[todo] * _HOUR_US).astype(np.int64))
        return out

    def working_hours_between_array(
        self, starts: npt.ArrayLike, ends: npt.ArrayLike
    ) -> npt.NDArray[np.float64]:
        """:meth:`working_time_between` for many pairs at once, in working hours.

        Parameters
        ----------
        starts, ends
            Local times (anything numpy reads as ``datetime64``), one each
            per pair, or one of them a single time; ``NaT`` gives ``NaN``.

        Returns
        -------
        numpy.ndarray
            Working hours from each start to its end, negative when the end
            comes first.

        Raises
        ------
        OutsideCalendar
            A time lies outside :func:`known_years`.
        """
        a, b = np.broadcast_arrays(
            np.asarray(starts, dtype="datetime64[us]").ravel(),
            np.asarray(ends, dtype="datetime64[us]").ravel(),
        )
        out = np.full(a.shape, np.nan)
        known = ~(np.isnat(a) | np.isnat(b))
        if known.any():
            late = self._position_us(b[known]) - self._position_us(a[known])
            out[known] = late / _HOUR_US
        return out

    def _position_us(self, times: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
        """Working microseconds from the first known day to each of ``times``."""
        first, flags = self._day_table
        starts_us = np.array([s for s, _ in self.periods], dtype=np.int64) * _MINUTE_US
        lengths_us = np.array([e - s for s, e in self.periods], dtype=np.int64) * _MINUTE_US
        before = np.concatenate([[0], np.cumsum(flags.astype(np.int64) * int(lengths_us.sum()))])
        midnight = times.astype("datetime64[D]")
        day = (midnight - first).astype(np.int64)
        if day.min() < 0 or day.max() >= len(flags):
            outside = midnight[(day < 0) | (day >= len(flags))][0]
            raise self._outside(int(str(outside)[:4]))
        clock = (times - midnight).astype(np.int64)
        within = np.clip(clock[:, None] - starts_us, 0, lengths_us).sum(axis=1)
        return before[day] + np.where(flags[day], within, 0)

    def _add_us(
        self, start: npt.NDArray[np.datetime64], add: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.datetime64]:
        first, flags = self._day_table
        starts_us = np.array([s for s, _ in self.periods], dtype=np.int64) * _MINUTE_US
        lengths_us = np.array([e - s for s, e in self.periods], dtype=np.int64) * _MINUTE_US
        day_us = int(lengths_us.sum())
        before = np.concatenate([[0], np.cumsum(flags.astype(np.int64) * day_us)])
        target = self._position_us(start) + add

        working = np.flatnonzero(flags)
        j = np.searchsorted(before[working], target, side="left") - 1
        rest = target - before[working][j]
        if (rest > day_us).any():
            raise self._outside(self.years[1] + 1)
        ends = np.cumsum(lengths_us)
        k = np.searchsorted(ends, rest, side="left")
        clock_out = starts_us[k] + rest - (ends[k] - lengths_us[k])
        return (
            first + working[j].astype("timedelta64[D]") + clock_out.astype("timedelta64[us]")
        ).astype("datetime64[us]")
