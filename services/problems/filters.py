"""Which problems a view or an analysis reads: the one filter spec of the problem picture.

:class:`ProblemFilters` is declared once with :func:`citygrid.params.param`
and used everywhere problems are selected: the map's problem layer and its
counts (``/api/map/problems``), the analyses (hot spots, emerging hot
spots, density: their parameter sets derive from it), the dashboard and
the CLI. The web reads it from a query string with
:meth:`~citygrid.params.Params.from_text`; the SQL it stands for is built by
:func:`citygrid.services.problems.selection.problem_conditions`.

Query parameters (every one optional):

``since``, ``until``
    Reported on or after / on or before these days (``YYYY-MM-DD``).
``category``
    A catalogue code: a section selects every item below it.
``statuses``
    Statuses separated by commas (``open,dispatched``).
``overdue``
    ``true``: only problems whose deadline has passed and that are not closed.
``unit``
    A responsible unit's code.
``subdistrict``
    A sub-district's (镇街) code.
``mine``
    ``true``: only the cells of the caller's scope ("my cells" of a grid manager).

This module stays light (no pandas, no SQLAlchemy) so the CLI can build
its options from it without slowing start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar

from citygrid.errors import BadInput
from citygrid.layers.base_layers import PROBLEM_STATUSES
from citygrid.params import Params, param

FILTER_NAMES = (
    "since",
    "until",
    "category",
    "statuses",
    "overdue",
    "unit",
    "subdistrict",
    "mine",
)
"""The query parameters of :class:`ProblemFilters`, in the order a panel shows them."""


def parse_statuses(text: str) -> str:
    """Problem statuses separated by commas, checked and written back without blanks.

    Raises
    ------
    BadInput
        An unknown status.
    """
    known = tuple(choice.value for choice in PROBLEM_STATUSES)
    wanted = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise BadInput(
            "Unknown problem status {status}; use one of: {known}.",
            status=", ".join(unknown),
            known=", ".join(known),
            param="statuses",
        )
    return ",".join(wanted)


@dataclass(frozen=True)
class ParsedParams(Params):
    """Runs each ``str`` parameter's own parser on values given from code too."""

    def __post_init__(self) -> None:
        super().__post_init__()
        for spec in self.specs():
            value = getattr(self, spec.name)
            if spec.parser is not None and value is not None:
                object.__setattr__(self, spec.name, spec.parser(value))


@dataclass(frozen=True)
class ProblemFilters(ParsedParams):
    """Which problems to read (every field optional); see the module docstring."""

    name: ClassVar[str] = "problems"

    since: date | None = param(
        "date", "起始日期", "Since", "Problems reported on or after this day (YYYY-MM-DD)."
    )
    until: date | None = param(
        "date", "截止日期", "Until", "Problems reported on or before this day (YYYY-MM-DD)."
    )
    category: str | None = param(
        "str", "类别", "Category", "Catalogue item code (and the items below it)."
    )
    statuses: str | None = param(
        "str",
        "状态",
        "Statuses",
        "Problem statuses, separated by commas.",
        flag="--status",
        parser=parse_statuses,
    )
    unit: str | None = param("str", "责任单位", "Unit", "Responsible unit code.")
    overdue: bool = param(
        "bool",
        "仅超期",
        "Overdue only",
        "Only problems past their deadline and not closed.",
        default=False,
    )
    subdistrict: str | None = param("str", "镇街", "Sub-district", "Sub-district code.")
    mine: bool = param(
        "bool",
        "我的网格",
        "My cells",
        "Only the grid cells of your scope (a grid manager's cells).",
        default=False,
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.since is not None and self.until is not None and self.since > self.until:
            raise BadInput(
                "Parameter since ({since}) is after until ({until}); swap them or widen the range.",
                since=self.since.isoformat(),
                until=self.until.isoformat(),
                param="since",
            )

    def start(self) -> datetime | None:
        """The first instant kept (midnight starting ``since``), naive local time."""
        return datetime.combine(self.since, time.min) if self.since else None

    def stop(self) -> datetime | None:
        """The first instant no longer kept (midnight ending ``until``), naive local time."""
        return datetime.combine(self.until + timedelta(days=1), time.min) if self.until else None

    def status_list(self) -> list[str]:
        """The statuses kept, empty for all."""
        return self.statuses.split(",") if self.statuses else []

    def filters(self) -> ProblemFilters:
        """Only the filters (a derived parameter set's analysis parameters left out)."""
        return ProblemFilters(**{name: getattr(self, name) for name in FILTER_NAMES})

    def given(self) -> dict[str, Any]:
        """The filters set to something other than their default, JSON-ready (for messages
        and links)."""
        values = self.filters().as_dict()
        defaults = ProblemFilters().as_dict()
        return {k: v for k, v in values.items() if v != defaults[k]}

    def context_key(self, scope: str, now: datetime) -> tuple[Any, ...]:
        """What a cached result selected by these filters depends on beyond their values:
        the caller's ``scope`` with ``mine``, the minute ``now`` with ``overdue``."""
        return (
            scope if self.mine else None,
            now.replace(second=0, microsecond=0) if self.overdue else None,
        )
