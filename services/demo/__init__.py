"""The demo city: a deterministic, realistic Changsha (长沙) to try citygrid on.

:func:`generate_demo` builds every stored layer (except the audit log) as
frames; :func:`load_demo` writes them into a store in one transaction;
:func:`planted_defects` says what was planted for the analyses to find.
The same ``size``, ``seed`` and ``as_of`` always give identical data,
including the dates: the 24 months of inspections and problems end at
:func:`reference_date`, the start of the day ``as_of`` when it is given
(``citygrid demo`` gives the day it runs, or ``--as-of``), else a first
of the month derived from the seed (never from today; the tests' demo).
Statuses are as of that moment, deadlines are counted in working time,
and most points were checked in the weeks before it, so on the day the
demo is built some open problems are within their deadline, some are
overdue, and few points are stale.

Sizes (:data:`SIZES`):

``small``
    2 districts, 2 sub-districts, 4 communities, 47 cells (48 drawn, one
    removed), 32 streets, about 160 alleys, 480 points, about 2,800 inspections
    and 3,000 problems; 4 clusters (one of each kind): for tests and the
    README, loads in a second.
``city``
    5 districts, 25 sub-districts, 200 communities, 4,994 cells, 2,030
    streets, about 17,500 alleys, 50,000 points, about 865,000 inspections and
    1,000,000 problems; 12 clusters (three of each kind): for benchmarks.

Cells are about 100 m x 100 m (10,000 m²), warped; unit grid codes are the
12-digit community code plus a 2-digit (small) or 3-digit (city) sequence.
A cluster adds 400 (small) or 4,000 (city) problems at points within one
cell width (100 m) of its centre; a recurring one adds two problems a month
at one point with one catalogue item.

What is planted (see :class:`PlantedDefects`): land no cell covers (a
removed cell, a notched cell), sliver gaps and overlaps about 0.8 m wide,
cells grown a quarter into their neighbour; cells, streets, alleys and
points without a unit or a head; points no cell covers (those in the
removed cells); points nobody ever inspected; and clusters of problems
that grow, fade, persist or recur at one point with one catalogue item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.config import Config
from citygrid.errors import BadInput, Conflict
from citygrid.gis.metric import metric_crs
from citygrid.i18n import _
from citygrid.layers.registry import get_layer, responsible_layers
from citygrid.layers.store import Store
from citygrid.progress import steps
from citygrid.services.cycle.calendar import WorkingCalendar, known_years
from citygrid.services.demo import city as _demo_city
from citygrid.services.demo import people as _demo_people
from citygrid.services.demo import problems as _demo_problems
from citygrid.services.demo.catalogue import catalogue_frame
from citygrid.services.demo.city import LAYOUTS, CoverageDefect
from citygrid.services.demo.problems import Cluster
from citygrid.services.demo.standards import standards_frame
from citygrid.services.routing import RoutingIndex, route_locations, routed_fields

SIZES = tuple(LAYOUTS)
"""The demo sizes, smallest first."""

DEMO_LAYERS = (
    "catalogue",
    "standards",
    "jurisdictions",
    "units",
    "people",
    "grids",
    "streets",
    "alleys",
    "points",
    "inspections",
    "problems",
)
"""The layers the demo fills, in the order they are written (every stored layer but the
audit log and the accounts)."""

CHUNK_ROWS = 100_000
"""Rows per :meth:`Store.write` call when loading (all in one transaction)."""

Progress = Callable[[str, int, int], None]
"""``progress(label, done, total)``: now doing ``label``, ``done`` of ``total`` steps finished
(``total`` grows once generation knows how many writes follow)."""

_GENERATION_STEPS = 3


@dataclass(frozen=True)
class PlantedDefects:
    """What the demo of one size and seed plants for the analyses to find.

    Attributes
    ----------
    size, seed
        The demo these defects belong to.
    reference_date
        The end (exclusive) of the 24 months of problems; statuses are as of it.
    coverage
        Gaps, slivers and overlaps among the grid cells (:class:`CoverageDefect`,
        geometries in EPSG:4326, areas in m²).
    removed_cells
        Codes of the cells left out (their land is a gap; no feature has these codes).
    unassigned
        Per layer (``grids``, ``streets``, ``alleys``, ``points``) and field
        (``unit_code``, ``head_code``, ``manager_code``): codes of the features
        planted without a value. Points without a unit have no head either.
    points_outside_cells
        Codes of points that no grid cell covers.
    uninspected_points
        Codes of points with no inspection and no problem in the 24 months.
    clusters
        The planted problem clusters (:class:`Cluster`): where, what kind,
        and for recurring ones the point and catalogue item.
    """

    size: str
    seed: int
    reference_date: datetime
    coverage: tuple[CoverageDefect, ...]
    removed_cells: tuple[str, ...]
    unassigned: dict[str, dict[str, tuple[str, ...]]]
    points_outside_cells: tuple[str, ...]
    uninspected_points: tuple[str, ...]
    clusters: tuple[Cluster, ...]


def reference_date(seed: int, as_of: date | None = None) -> datetime:
    """The end (exclusive, local time) of the demo's 24 months: midnight starting ``as_of``
    when given, else the first day of a month, July 2026 for seed 0 and one month earlier
    for each further seed, cycling yearly.

    Raises
    ------
    BadInput
        A bad seed, or an ``as_of`` whose 24 months the working calendar does not know.
    """
    check_options(SIZES[0], seed)
    if as_of is not None:
        return datetime.combine(_check_calendar(as_of), time())
    month = np.datetime64("2026-07", "M") - seed % 12
    return pd.Timestamp(month.astype("datetime64[s]")).to_pydatetime()


def check_as_of(value: date | str, today: date) -> date:
    """The day the demo's data ends, from a date or ``YYYY-MM-DD`` text.

    Raises
    ------
    BadInput
        Not a date, a day after ``today``, or a day whose 24 months before it
        the working calendar does not know.
    """
    day = value
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise BadInput(
                "The demo's end date {value!r} is not a date; write it as YYYY-MM-DD, for "
                "example {today}.",
                value=value,
                today=today.isoformat(),
            ) from None
    if isinstance(day, datetime):
        day = day.date()
    assert isinstance(day, date)
    if day > today:
        raise BadInput(
            "The demo's end date {day} is after today ({today}); the demo holds no data "
            "from the future. Give today or an earlier day.",
            day=day.isoformat(),
            today=today.isoformat(),
        )
    return _check_calendar(day)


def last_day() -> date:
    """The latest day the demo may end on: a month before the working calendar's last day,
    so the deadlines of its last problems (7 working days at most) are known."""
    return date(known_years()[1], 12, 31) - timedelta(days=31)


def _check_calendar(day: date) -> date:
    """``day``, refused when the working calendar does not know its 24 months and deadlines."""
    first, last = known_years()
    start = date(first + 2, 1, 1)
    if not start <= day <= last_day():
        raise BadInput(
            "The demo cannot end on {day}: its 24 months and their deadlines need the working "
            "calendar, which knows {first} to {last}. Give a day from {start} to {end}, or "
            "upgrade chinesecalendar (pip install -U chinesecalendar) for later days.",
            day=day.isoformat(),
            first=first,
            last=last,
            start=start.isoformat(),
            end=last_day().isoformat(),
        )
    return day


def planted_defects(
    size: str = "small", seed: int = 0, *, as_of: date | None = None
) -> PlantedDefects:
    """What :func:`generate_demo` plants for ``size`` and ``seed`` (without drawing problems).

    Returns
    -------
    PlantedDefects
        Codes, geometries (EPSG:4326) and clusters, exactly as in the generated data.
    """
    check_options(size, seed)
    city, responsibility, plan = _geography(size, seed)
    points = city.points
    covered = shapely.STRtree(city.cells.geometry.to_numpy()).query(
        points.geometry.to_numpy(), predicate="intersects"
    )[0]
    outside = np.setdiff1d(np.arange(len(points)), covered)
    codes = points["code"].to_numpy()
    return PlantedDefects(
        size=size,
        seed=seed,
        reference_date=reference_date(seed, as_of),
        coverage=tuple(city.defects),
        removed_cells=tuple(city.removed_cells),
        unassigned={
            layer: {field: tuple(values) for field, values in fields.items()}
            for layer, fields in responsibility.missing.items()
        },
        points_outside_cells=tuple(codes[outside].tolist()),
        uninspected_points=tuple(codes[plan.uninspected].tolist()),
        clusters=tuple(plan.clusters),
    )


def generate_demo(
    size: str = "small",
    seed: int = 0,
    *,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> dict[str, pd.DataFrame]:
    """Build the demo city.

    Parameters
    ----------
    size
        ``small`` or ``city`` (:data:`SIZES`).
    seed
        A whole number, 0 or more; the same seed gives identical data.
    as_of
        The data ends at the start of this day (:func:`reference_date`).
    progress
        Told of each generation step (:data:`Progress`).

    Returns
    -------
    dict
        Layer name (:data:`DEMO_LAYERS`) to frame: GeoDataFrames in EPSG:4326
        for spatial layers, DataFrames for tables without geometry (``people``,
        ``catalogue``), each with exactly the layer's fields.

    Raises
    ------
    BadInput
        Unknown size, a seed that is not a whole number 0 or more, or an
        ``as_of`` the working calendar does not know.
    """
    check_options(size, seed)
    end = reference_date(seed, as_of)
    report = progress or (lambda label, done, total: None)
    city, responsibility, plan = _geography(size, seed, report)
    report(_("Drawing inspections and problems"), 2, _GENERATION_STEPS)
    standards = standards_frame(catalogue_frame())
    problems, inspections = _demo_problems.build(
        city,
        responsibility,
        _leaves(),
        plan,
        end,
        np.random.default_rng([seed, 3]),
        standards=standards,
        calendar=WorkingCalendar(Config().working_hours),
    )
    frames = {
        "catalogue": catalogue_frame(),
        "standards": standards,
        "jurisdictions": city.jurisdictions,
        "units": responsibility.units,
        "people": responsibility.people,
        "grids": city.cells,
        "streets": city.streets,
        "alleys": city.alleys,
        "points": city.points,
        "inspections": inspections,
        "problems": problems,
    }
    public = {name: _public(name, frames[name]) for name in DEMO_LAYERS}
    _route(public)
    return public


def _route(frames: dict[str, pd.DataFrame]) -> None:
    """Route the problems with the real router, as ``citygrid route`` would on the loaded city.

    The metric CRS is the city's (the UTM zone of the jurisdictions' centre)
    and the snap distance the default :class:`~citygrid.config.Config`'s.
    """
    jurisdictions = frames["jurisdictions"]
    index = RoutingIndex.from_frames(
        metric_crs(tuple(jurisdictions.total_bounds), None),
        Config().street_snap_m,
        layers={layer.name: frames[layer.name] for layer in responsible_layers()},
        subdistricts=jurisdictions[jurisdictions["level"] == "subdistrict"],
        units=frames["units"],
        people=frames["people"],
    )
    problems = frames["problems"]
    routed = route_locations(index, problems.geometry)
    for field in routed_fields():
        problems[field] = routed[field].to_numpy(dtype=object)


def load_demo(
    store: Store,
    size: str = "small",
    seed: int = 0,
    *,
    replace: bool = False,
    actor: str,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Generate the demo city and write it into ``store`` in one transaction.

    Parameters
    ----------
    store
        An open store with the current schema.
    size, seed, as_of
        As for :func:`generate_demo`.
    replace
        Replace whatever the store holds but the audit log, which keeps its
        history and records the replacement, and the accounts (internal
        layers), which are kept (:mod:`citygrid.services.demo.accounts`
        replaces the demo ones).
    actor
        Who loads it, for the audit log.
    progress
        Told of each generation step and each write (:data:`Progress`);
        without it they are shown through :mod:`citygrid.progress`.

    Returns
    -------
    dict
        Features written per layer.

    Raises
    ------
    Conflict
        The store already holds data (accounts aside) and ``replace`` is False;
        nothing is changed.
    BadInput
        Unknown size, bad seed or ``as_of``; nothing is changed.
    """
    check_options(size, seed)
    held = {
        name: n
        for name, n in store.counts().items()
        if n and name != "audit" and not get_layer(name).internal
    }
    if held and not replace:
        raise Conflict(
            "The database {url} already holds data ({held}). Nothing was changed; run "
            "`citygrid demo --replace` to replace it with the demo city, or choose another "
            "database with --db.",
            url=store.url,
            held=", ".join(f"{name} {n}" for name, n in held.items()),
        )
    with steps(_("Generating the city")) as update:
        report = progress or (lambda label, done, total: update(done, total, label))
        frames = generate_demo(size, seed, as_of=as_of, progress=report)
        chunks = {name: max(1, -(-len(frame) // CHUNK_ROWS)) for name, frame in frames.items()}
        total = _GENERATION_STEPS + sum(chunks.values())
        done = _GENERATION_STEPS
        reason = f"citygrid demo --size {size} --seed {seed}" + (
            f" --as-of {as_of.isoformat()}" if as_of is not None else ""
        )
        with store.transaction() as conn:
            for name, frame in frames.items():
                # Each layer's indexes (and SQLite's R*Tree) are built once, after its chunks.
                writing = _("Writing {layer}").format(layer=get_layer(name).title())
                with store.bulk_load(name, conn):
                    for k in range(chunks[name]):
                        report(writing, done, total)
                        store.write(
                            name,
                            frame.iloc[k * CHUNK_ROWS : (k + 1) * CHUNK_ROWS],
                            mode="replace" if k == 0 else "append",
                            actor=actor,
                            reason=reason,
                            conn=conn,
                        )
                        done += 1
            report(_("Committing"), done, total)
        report(_("Demo city ready"), done, total)
        return {name: len(frame) for name, frame in frames.items()}


def check_options(size: str, seed: int) -> None:
    """Raise :class:`BadInput` unless ``size`` is a demo size and ``seed`` a whole number >= 0."""
    if size not in LAYOUTS:
        raise BadInput(
            "Unknown demo size {size!r}; use one of: {known}.", size=size, known=", ".join(SIZES)
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise BadInput(
            "The demo seed must be a whole number, 0 or more, not {seed!r}; for example 0.",
            seed=seed,
        )


def _geography(
    size: str, seed: int, report: Progress | None = None
) -> tuple[_demo_city.City, _demo_people.Responsibility, _demo_problems.Plan]:
    """City, units and people, and the planted clusters: everything but the problems.

    Each step draws from its own generator (``[seed, step]``), so planting does
    not depend on how many numbers another step drew.
    """
    report = report or (lambda label, done, total: None)
    report(_("Generating the city"), 0, _GENERATION_STEPS)
    city = _demo_city.build_city(LAYOUTS[size], np.random.default_rng([seed, 0]))
    report(_("Assigning units and heads"), 1, _GENERATION_STEPS)
    responsibility = _demo_people.assign(city, np.random.default_rng([seed, 1]))
    plan = _demo_problems.plan(city, _leaves(), np.random.default_rng([seed, 2]))
    return city, responsibility, plan


def _leaves() -> pd.DataFrame:
    catalogue = catalogue_frame()
    return catalogue[catalogue["level"] == "standard"].reset_index(drop=True)


def _public(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the layer's fields (empty where the demo has no value), plus geometry in
    EPSG:4326, with a fresh index."""
    layer = get_layer(name)
    fields = list(layer.field_names)
    frame = frame.assign(**{f: None for f in fields if f not in frame.columns})
    if not layer.has_geometry:
        return pd.DataFrame(frame[fields]).reset_index(drop=True)
    gdf = gpd.GeoDataFrame(frame[[*fields, "geometry"]], geometry="geometry", crs=frame.crs)
    return gdf.to_crs("EPSG:4326").reset_index(drop=True)
