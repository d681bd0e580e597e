"""The periods reports cover: a month (``YYYY-MM``) or dates from ... until ..., checked.

Times are naive local times, as stored; a period runs from its first
moment up to, not including, its ``stop`` (the first moment after it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from citygrid.errors import BadInput

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


@dataclass(frozen=True)
class Month:
    """One calendar month.

    Attributes
    ----------
    year, month
        The month (``month`` 1 to 12).
    """

    year: int
    month: int

    @property
    def start(self) -> datetime:
        """Its first moment (local time)."""
        return datetime(self.year, self.month, 1)

    @property
    def stop(self) -> datetime:
        """The first moment of the next month."""
        return self.next().start

    def next(self) -> Month:
        """The month after."""
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        """The month before."""
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(text: str | Month) -> Month:
    """The month written ``YYYY-MM`` (``2026-03``).

    Raises
    ------
    BadInput
        The text is not a month so written.
    """
    if isinstance(text, Month):
        return text
    found = _MONTH.match(str(text))
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
        raise BadInput(
            "{text!r} is not a month: write it YYYY-MM, for example 2026-03.", text=str(text)
        )
    return Month(int(found.group(1)), int(found.group(2)))


def period(since: date, until: date) -> tuple[datetime, datetime]:
    """The moments from the start of day ``since`` up to the end of day ``until``.

    Raises
    ------
    BadInput
        ``since`` comes after ``until``.
    """
    if since > until:
        raise BadInput(
            "The period starts ({since}) after it ends ({until}); give --since on or before "
            "--until.",
            since=since.isoformat(),
            until=until.isoformat(),
        )
    start = datetime.combine(since, datetime.min.time())
    return start, datetime.combine(until, datetime.min.time()) + timedelta(days=1)
