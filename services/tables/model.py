"""A table as people read it: labelled columns, values as text, and which columns may go.

Commands and reports build a :class:`Table` once; the terminal
(:mod:`citygrid.cli.tables`) and the files (:mod:`.files`) render it.
Columns keep their keys, so a file can hold real dates and numbers while
the terminal shows dates as ``2024-07-06 18:50``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

DATE_TIME = "%Y-%m-%d %H:%M"
"""How a moment is shown to people."""


@dataclass(frozen=True)
class Column:
    """One column: the frame's ``key``, its ``label``, and when it may be left out.

    ``drop`` 0 means never left out; a narrow terminal leaves out the
    column with the highest ``drop`` first (ties: the rightmost first).
    """

    key: str
    label: str
    drop: int = 0


@dataclass(frozen=True)
class Table:
    """A titled frame and its columns, in the order shown."""

    title: str
    frame: pd.DataFrame
    columns: tuple[Column, ...]

    def labelled(self) -> pd.DataFrame:
        """The frame's columns in order, headed by their labels (values as they are)."""
        keys = [c.key for c in self.columns]
        return pd.DataFrame(self.frame[keys]).set_axis([c.label for c in self.columns], axis=1)

    def texts(self, limit: int | None = None) -> list[list[str]]:
        """Each row's values as people read them (the first ``limit`` rows)."""
        rows = self.frame if limit is None else self.frame.head(limit)
        keys = [c.key for c in self.columns]
        return [[text(v) for v in row] for row in rows[keys].itertuples(index=False)]

    def without(self, keys: Sequence[str]) -> Table:
        """The table without the columns ``keys``."""
        return Table(self.title, self.frame, tuple(c for c in self.columns if c.key not in keys))


def text(value: Any) -> str:
    """A value as people read it: blank when missing, a moment to the minute, floats trimmed."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float) and pd.isna(value):
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATE_TIME)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if value is pd.NA:
        return ""
    return str(value)
