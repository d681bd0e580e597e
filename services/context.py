"""The city context: what every service needs, built once per command or request.

A :class:`CityContext` carries the store, the config, the actor written to
the audit log and the clock, and works out once, by one rule, the city's
metric CRS, extent and working calendar. Services take a context instead of reading globals
or working these out again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from pyproj import CRS

from citygrid.config import Config
from citygrid.gis.metric import metric_crs
from citygrid.layers.store import Store
from citygrid.services.accounts.principal import SYSTEM, Principal
from citygrid.services.cycle.calendar import WorkingCalendar
from citygrid.services.cycle.holidays import load_holidays

Bbox = tuple[float, float, float, float]

EXTENT_LAYERS = ("jurisdictions", "grids")
"""Layers whose extent is the city's, the first one holding features wins."""


@dataclass
class CityContext:
    """The store, config, actor and clock of one command or request.

    Attributes
    ----------
    store
        The open store.
    config
        The frozen configuration.
    actor
        The name written to the audit log for changes (default: ``config.actor``).
    now
        The moment the command or request started (local time, naive), so one
        command sees one "now" for deadlines and overdue counts.
    principal
        Who the command or request acts for: the command line is
        :data:`~citygrid.services.accounts.principal.SYSTEM`; the web sets the
        signed-in user or an anonymous visitor, whose role and scope every
        provider applies.
    """

    store: Store
    config: Config
    actor: str = ""
    now: datetime = field(default_factory=datetime.now)
    principal: Principal = SYSTEM

    def __post_init__(self) -> None:
        if not self.actor:
            self.actor = self.config.actor

    @cached_property
    def extent(self) -> Bbox | None:
        """``(minx, miny, maxx, maxy)`` of the city in EPSG:4326, ``None`` when empty."""
        for layer in EXTENT_LAYERS:
            bounds = self.store.extent(layer)
            if bounds is not None:
                return bounds
        return None

    @cached_property
    def calendar(self) -> WorkingCalendar:
        """The working calendar: China's working days, with ``config.holidays_file``'s days
        over them, and ``config.working_hours``."""
        path = self.config.holidays_file
        return WorkingCalendar(self.config.working_hours, load_holidays(path) if path else ())

    @cached_property
    def metric_crs(self) -> CRS:
        """The CRS in metres for areas and distances.

        ``config.metric_crs`` when set, else the UTM zone of the city's
        centre (see :func:`citygrid.gis.metric.metric_crs`).
        """
        return metric_crs(self.extent, self.config.metric_crs)
