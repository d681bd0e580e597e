"""Hot spots of problems: where they cluster beyond chance (Getis-Ord Gi* with FDR).

The analysis in four steps, each a function the web map can call too:

1. :func:`problem_query` checks the user's filters (dates, category,
   statuses, unit) and :func:`read_problems` reads the matching problems;
2. :func:`parse_cells` and :func:`make_cells` choose the cells (the city's
   grids, or a fishnet, hexagons or H3 cells over the jurisdiction in the
   city's metric CRS);
3. :func:`default_cell_size` and :func:`default_distance_band` fill in
   what the user left out, the way ArcGIS's Optimized Hot Spot Analysis
   does (cell size from the points' spacing, distance band at the first
   peak of incremental spatial autocorrelation);
4. :func:`prepare` counts problems per cell and builds the neighbours;
   :func:`hot_spot_frame` runs Gi* and shapes the ``hotspots`` layer.

:func:`run_hot_spots` does it all against a store and returns the
``hotspots`` layer (EPSG:4326) with the chosen parameters in
``frame.attrs["parameters"]``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy import sparse
from scipy.spatial import cKDTree

from citygrid.config import Config
from citygrid.errors import BadInput, NotFound
from citygrid.gis import binning
from citygrid.gis.geometry import promote_to_multi
from citygrid.gis.metric import metric_crs
from citygrid.layers.base_layers import PROBLEM_STATUSES
from citygrid.layers.store import Store
from citygrid.services.gistar import gi_star
from citygrid.services.weights import (
    WeightsSpec,
    build_weights,
    centroids_xy,
)

TARGET_CELLS = 10_000
"""Default cell size aims at no more than this many cells over the area's bounds."""

MEAN_COUNT = 5
"""Default cell size aims at least at this many problems per cell on average."""

MAX_MEAN_NEIGHBOURS = 120
"""Incremental spatial autocorrelation tries no band giving more neighbours on average."""

_CELLS = re.compile(r"^(grids)$|^(fishnet|hex)(?::(\d+(?:\.\d+)?))?$|^(h3):(\d+)$")
_NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


# -- filters ----------------------------------------------------------------


@dataclass(frozen=True)
class ProblemQuery:
    """Which problems to analyse.

    Attributes
    ----------
    since, until
        Reported at or after ``since`` and before ``until`` (naive local
        datetimes); ``None`` for open-ended.
    category
        A catalogue code: the problems of this item and every item below it.
    statuses
        Problem statuses to keep; empty for all.
    unit
        Responsible unit code; ``None`` for all.
    """

    since: datetime | None = None
    until: datetime | None = None
    category: str | None = None
    statuses: tuple[str, ...] = ()
    unit: str | None = None

    def describe(self) -> dict[str, Any]:
        """The filters as plain values for metadata (``before`` is ``until``, exclusive)."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "before": self.until.isoformat() if self.until else None,
            "category": self.category,
            "statuses": list(self.statuses),
            "unit": self.unit,
        }


def parse_date(text: str, option: str, *, end: bool = False) -> datetime:
    """Parse ``YYYY-MM-DD`` (or ``YYYY-MM``, or a full ISO datetime) given to ``option``.

    With ``end``, a date without a time means the end of that day (or
    month): the returned instant is the first one after it.
    """
    value = text.strip()
    stamp: pd.Timestamp | None = None
    if re.match(r"^\d{4}-\d{1,2}", value):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            stamp = None
    if stamp is None or pd.isna(stamp):
        raise BadInput(
            "{option} {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-03-31.",
            option=option,
            text=text,
        )
    moment = stamp.tz_localize(None) if stamp.tzinfo else stamp
    if end and re.fullmatch(r"\d{4}-\d{1,2}", value):
        return (moment + pd.offsets.MonthBegin(1)).to_pydatetime()
    if end and re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value):
        return (moment + timedelta(days=1)).to_pydatetime()
    return moment.to_pydatetime()


def problem_query(
    *,
    since: str | None = None,
    until: str | None = None,
    category: str | None = None,
    statuses: tuple[str, ...] | list[str] = (),
    unit: str | None = None,
) -> ProblemQuery:
    """Check the user's filters and build a :class:`ProblemQuery`.

    ``until`` is inclusive: ``--until 2024-03-31`` keeps the whole day.

    Raises
    ------
    BadInput
        A date that does not parse, ``since`` after ``until``, or an
        unknown status.
    """
    start = parse_date(since, "--since") if since else None
    stop = parse_date(until, "--until", end=True) if until else None
    if start is not None and stop is not None and start >= stop:
        raise BadInput(
            "--since {since} is after --until {until}; swap them or widen the range.",
            since=since,
            until=until,
        )
    known = tuple(choice.value for choice in PROBLEM_STATUSES)
    wanted = tuple(dict.fromkeys(s.strip() for s in statuses if s.strip()))
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise BadInput(
            "Unknown problem status {status}; use one of: {known}.",
            status=", ".join(unknown),
            known=", ".join(known),
        )
    return ProblemQuery(start, stop, category or None, wanted, unit or None)


def _category_codes(store: Store, category: str) -> list[str]:
    """The catalogue code and every code below it; NotFound for an unknown one."""
    catalogue = store.read("catalogue", columns=["code", "parent_code"])
    if category not in set(catalogue["code"]):
        raise NotFound(
            "Unknown category {code!r}: no catalogue item has this code; list the catalogue "
            "with `citygrid layers` and give an item code.",
            code=category,
        )
    codes = {category}
    frontier = {category}
    while frontier:
        frontier = set(catalogue.loc[catalogue["parent_code"].isin(frontier), "code"]) - codes
        codes |= frontier
    return sorted(codes)


def read_problems(store: Store, query: ProblemQuery) -> gpd.GeoDataFrame:
    """Problems matching a query, EPSG:4326, with ``reported_at`` and ``catalogue_code``.

    Raises
    ------
    NotFound
        The category or unit does not exist.
    BadInput
        No problem matches (the message repeats the filters).
    """
    where: dict[str, Any] = {}
    if query.category:
        where["catalogue_code"] = _category_codes(store, query.category)
    if query.unit:
        if store.read("units", where={"code": query.unit}, columns=["code"]).empty:
            raise NotFound(
                "Unknown unit {code!r}; give the code of a responsible unit.", code=query.unit
            )
        where["unit_code"] = query.unit
    if query.statuses:
        where["status"] = list(query.statuses)
    table = store.table("problems")
    filters = []
    if query.since is not None:
        filters.append(table.c.reported_at >= query.since)
    if query.until is not None:
        filters.append(table.c.reported_at < query.until)
    problems = store.read(
        "problems",
        where=where,
        filters=filters,
        columns=["reported_at", "catalogue_code"],
        order_by=None,
    )
    keep = problems.geometry.notna() & ~problems.geometry.is_empty
    problems = problems[keep].reset_index(drop=True)
    if problems.empty:
        described = query.describe()
        raise BadInput(
            "No problems match: reported from {since} and before {before}, category "
            "{category}, statuses {statuses}, unit {unit}; widen the dates or drop a filter.",
            since=described["since"] or "-",
            before=described["before"] or "-",
            category=query.category or "-",
            statuses=",".join(query.statuses) or "-",
            unit=query.unit or "-",
        )
    return problems


# -- cells ------------------------------------------------------------------


@dataclass(frozen=True)
class CellsSpec:
    """Which cells to count in: ``grids``, ``fishnet``/``hex`` (size in metres,
    ``None`` for the default) or ``h3`` (resolution)."""

    kind: str
    size: float | None = None

    def __str__(self) -> str:
        return self.kind if self.size is None else f"{self.kind}:{self.size:g}"


def parse_cells(text: str) -> CellsSpec:
    """Parse ``grids``, ``fishnet[:SIZE_M]``, ``hex[:SIZE_M]`` or ``h3:RES``."""
    match = _CELLS.match(text.strip().lower())
    if match is None:
        raise BadInput(
            "Cells {text!r} are not understood; give grids, fishnet:SIZE_M (e.g. fishnet:250), "
            "hex:SIZE_M or h3:RES (e.g. h3:9).",
            text=text,
        )
    if match.group(1):
        return CellsSpec("grids")
    if match.group(2):
        size = float(match.group(3)) if match.group(3) else None
        if size is not None and size <= 0:
            raise BadInput(
                "The cell size {size} m is not a positive number of metres; give one such as 250.",
                size=size,
            )
        return CellsSpec(match.group(2), size)
    return CellsSpec("h3", float(match.group(5)))


def city_area(store: Store, crs: CRS) -> gpd.GeoSeries:
    """The jurisdiction (or, without one, the union of the grids) in ``crs``."""
    for layer in ("jurisdictions", "grids"):
        frame = store.read(layer, columns=["code"])
        if not frame.empty:
            return gpd.GeoSeries([shapely.union_all(frame.geometry.to_numpy())], crs=4326).to_crs(
                crs
            )
    raise BadInput(
        "There is no jurisdiction or grid to put cells over; import the jurisdictions first."
    )


def _nice(value: float) -> float:
    """Round up to 1, 2, 2.5 or 5 times a power of ten."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in _NICE_STEPS if step * power >= value * (1 - 1e-12))


def default_cell_size(
    xy: np.ndarray, bounds: tuple[float, float, float, float], *, target_cells: int = TARGET_CELLS
) -> float:
    """Cell size in metres from the points' spacing (in the spirit of Optimized Hot Spot
    Analysis; the rule is citygrid's own).

    Rule: the largest of (a) the mean distance from each distinct problem
    location to its nearest neighbour, (b) the side of a square that cuts
    the bounds into ``target_cells`` cells and (c) the side of a square that
    would hold :data:`MEAN_COUNT` problems if they were spread evenly over
    the bounds, rounded up to 1, 2, 2.5 or 5 times a power of ten. (a)
    keeps cells from being finer than the points; (b) keeps dense data from
    making millions of cells; (c) keeps problems found again and again at
    the same few places from leaving most cells empty.
    """
    minx, miny, maxx, maxy = bounds
    area = max((maxx - minx) * (maxy - miny), 1.0)
    extent_side = math.sqrt(area / target_cells)
    count_side = math.sqrt(area * MEAN_COUNT / max(len(xy), 1))
    unique = np.unique(np.round(xy, 3), axis=0)
    spacing = 0.0
    if len(unique) >= 2:
        distances, _ = cKDTree(unique).query(unique, k=2)
        spacing = float(distances[:, 1].mean())
    return _nice(max(spacing, extent_side, count_side, 1.0))


def make_cells(
    store: Store, spec: CellsSpec, crs: CRS, xy: np.ndarray, *, max_cells: int = binning.MAX_CELLS
) -> tuple[gpd.GeoDataFrame, CellsSpec]:
    """Cells in ``crs`` (metres) with a ``cell_id``; the spec with its size filled in.

    ``xy`` are the problems in ``crs``, used for the default cell size.
    """
    if spec.kind == "grids":
        grids = store.read("grids", columns=["code", "name"])
        if grids.empty:
            raise BadInput(
                "There are no grid cells to count in; import grids or use --cells fishnet."
            )
        cells = grids.to_crs(crs).rename(columns={"code": "cell_id"})
        return cells[["cell_id", "name", "geometry"]].reset_index(drop=True), spec
    area = city_area(store, crs)
    if spec.kind == "h3":
        return binning.h3_cells(area, int(spec.size or 0), max_cells=max_cells), spec
    size = spec.size or default_cell_size(xy, area.total_bounds)
    make = binning.fishnet if spec.kind == "fishnet" else binning.hexagons
    return make(area, size, max_cells=max_cells), CellsSpec(spec.kind, size)


# -- the distance band ------------------------------------------------------


def moran_z(values: np.ndarray, neighbours: sparse.spmatrix) -> float:
    """Global Moran's I z-score under normality for binary symmetric weights.

    Equals esda's ``Moran(y, w, transformation="B").z_norm``; 0 when the
    values do not vary or no cell has a neighbour.
    """
    y = np.asarray(values, dtype=float)
    w = sparse.csr_matrix(neighbours)
    n = len(y)
    s0 = float(w.sum())
    dev = y - y.mean()
    ss = float(dev @ dev)
    if s0 == 0 or ss == 0 or n < 3:
        return 0.0
    moran = n / s0 * float(dev @ (w @ dev)) / ss
    s1 = 0.5 * float(((w + w.T).power(2)).sum())
    s2 = float(((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2).sum())
    expected = -1.0 / (n - 1)
    variance = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - expected**2
    return (moran - expected) / math.sqrt(variance) if variance > 0 else 0.0


def default_distance_band(
    cells: gpd.GeoDataFrame, counts: np.ndarray, *, steps: int = 10
) -> tuple[float, list[tuple[float, float]]]:
    """Distance band in metres at the first peak of incremental spatial autocorrelation.

    Moran's I z-scores of the counts are computed at ``steps`` distances,
    starting at the distance that gives every cell a neighbour (the largest
    nearest-neighbour distance between centroids) and growing by the mean
    nearest-neighbour distance, leaving out distances at which cells would
    have more than :data:`MAX_MEAN_NEIGHBOURS` neighbours on average
    (estimated from the mean cell area). The band is the first distance
    whose z is higher than both its neighbours' (a peak). Without a peak it
    is the mean distance to the K nearest centroids, K = 5 % of the cells,
    between 3 and 30 (a fallback modelled on Optimized Hot Spot Analysis).

    Returns
    -------
    tuple
        The band in metres, and the ``(distance, z)`` profile.
    """
    xy = centroids_xy(cells)
    n = len(xy)
    if n < 3:
        raise BadInput(
            "Only {n} cells: hot spots need at least 3; use smaller cells or a larger area.", n=n
        )
    tree = cKDTree(xy)
    nearest = tree.query(xy, k=2)[0][:, 1]
    start, step = float(nearest.max()), float(nearest.mean())
    if step <= 0:
        step = start or 1.0
    cell_area = float(np.mean(shapely.area(cells.geometry.to_numpy()))) or step * step
    widest = max(start, math.sqrt(MAX_MEAN_NEIGHBOURS * cell_area / math.pi))
    distances = [d for d in (start + i * step for i in range(steps)) if d <= widest]
    profile = list(zip(distances, moran_profile(xy, counts, distances), strict=True))
    for i in range(1, len(profile) - 1):
        if profile[i][1] > profile[i - 1][1] and profile[i][1] >= profile[i + 1][1]:
            return profile[i][0], profile
    k = int(min(30, max(3, round(0.05 * n)), n - 1))
    fallback = float(tree.query(xy, k=k + 1)[0][:, 1:].mean())
    return fallback, profile


def moran_profile(xy: np.ndarray, values: np.ndarray, distances: list[float]) -> list[float]:
    """Moran's I z-scores (as :func:`moran_z`) of ``values`` under distance bands of increasing
    ``distances`` (metres), from one set of pairs sorted by distance."""
    y = np.asarray(values, dtype=float)
    n = len(y)
    dev = y - y.mean()
    ss = float(dev @ dev)
    if not distances or ss == 0 or n < 3:
        return [0.0] * len(distances)
    pairs = cKDTree(xy).query_pairs(max(distances), output_type="ndarray")
    gaps = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    order = np.argsort(gaps, kind="stable")
    pairs, gaps = pairs[order], gaps[order]
    cross = np.cumsum(dev[pairs[:, 0]] * dev[pairs[:, 1]])
    expected = -1.0 / (n - 1)
    zs = []
    for end in np.searchsorted(gaps, distances, side="right"):
        if end == 0:
            zs.append(0.0)
            continue
        s0 = 2.0 * end  # both directions of every pair, binary weights
        degree = np.bincount(pairs[:end].ravel(), minlength=n).astype(float)
        s1, s2 = 2.0 * s0, float((4.0 * degree**2).sum())
        moran = n / s0 * 2.0 * float(cross[end - 1]) / ss
        variance = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - expected**2
        zs.append(float((moran - expected) / math.sqrt(variance)) if variance > 0 else 0.0)
    return zs


def neighbours_for(
    cells: gpd.GeoDataFrame, counts: np.ndarray, spec: WeightsSpec | None
) -> tuple[sparse.csr_matrix, WeightsSpec, list[tuple[float, float]]]:
    """Neighbour matrix of the cells; a distance band chosen from the counts when ``spec`` is
    ``None``. Returns the matrix, the spec used and the Moran profile (empty when given).

    Raises
    ------
    BadInput
        The weights leave every cell without a neighbour.
    """
    profile: list[tuple[float, float]] = []
    if spec is None:
        band, profile = default_distance_band(cells, counts)
        spec = WeightsSpec("distance", round(band, 1))
    neighbours = build_weights(cells, spec)
    if neighbours.nnz == 0:
        raise BadInput(
            "Weights {weights} leave every cell without a neighbour; choose a larger distance, "
            "knn:K or queen.",
            weights=str(spec),
        )
    return neighbours, spec, profile


# -- the analysis -----------------------------------------------------------


@dataclass
class HotSpotSetup:
    """Problems, cells and neighbours ready for Gi* (all in the metric CRS).

    Attributes
    ----------
    problems
        The problems analysed (EPSG:4326, as read).
    xy
        Their coordinates in ``crs``.
    cell_of
        Position in ``cells`` of each problem's cell (-1 outside every cell).
    cells
        The cells, with ``cell_id``.
    neighbours
        Binary neighbour matrix (no diagonal).
    crs
        The metric CRS.
    values
        What each problem adds to its cell: 1, or its deduction weight.
    parameters
        What was chosen, for metadata and for printing.
    """

    problems: gpd.GeoDataFrame
    xy: np.ndarray
    cell_of: np.ndarray
    cells: gpd.GeoDataFrame
    neighbours: sparse.csr_matrix
    crs: CRS
    values: np.ndarray
    parameters: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> np.ndarray:
        """Problems (or their summed weights) per cell."""
        inside = self.cell_of >= 0
        return np.bincount(
            self.cell_of[inside], weights=self.values[inside], minlength=len(self.cells)
        )


WEIGHT_BY = ("count", "deduction")
"""What a problem adds to its cell: 1, or its catalogue item's deduction weight."""


def problem_values(store: Store, problems: gpd.GeoDataFrame, weight_by: str) -> np.ndarray:
    """1 per problem for ``count``; the catalogue item's deduction weight for ``deduction``
    (items without a weight count 1).

    Raises
    ------
    BadInput
        ``weight_by`` is neither.
    """
    if weight_by not in WEIGHT_BY:
        raise BadInput(
            "Cannot weight problems by {value!r}; use count or deduction.", value=weight_by
        )
    if weight_by == "count":
        return np.ones(len(problems))
    catalogue = store.read("catalogue", columns=["code", "weight"])
    weights = catalogue.set_index("code")["weight"]
    values = problems["catalogue_code"].map(weights).to_numpy(dtype=float)
    return np.where(np.isfinite(values), values, 1.0)


def metric_xy(points: gpd.GeoDataFrame, crs: CRS) -> np.ndarray:
    """``(n, 2)`` coordinates in metres (``crs``) of EPSG:4326 points, projected as arrays
    (no new geometries made)."""
    lonlat = shapely.get_coordinates(points.geometry.to_numpy())
    transformer = Transformer.from_crs(points.crs or 4326, crs, always_xy=True)
    x, y = transformer.transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def prepare(
    store: Store,
    config: Config,
    query: ProblemQuery,
    *,
    cells: CellsSpec | None = None,
    weights: WeightsSpec | None = None,
    weight_by: str = "count",
) -> HotSpotSetup:
    """Read the problems, make the cells and the weights, filling in defaults.

    Parameters
    ----------
    cells
        Default: a fishnet with the size from :func:`default_cell_size`.
    weights
        Default: a distance band from :func:`default_distance_band`.
    weight_by
        ``count`` or ``deduction`` (see :func:`problem_values`).
    """
    problems = read_problems(store, query)
    values = problem_values(store, problems, weight_by)
    crs = metric_crs(store.extent("jurisdictions") or store.extent("grids"), config.metric_crs)
    xy = metric_xy(problems, crs)
    cell_frame, used = make_cells(store, cells or CellsSpec("fishnet"), crs, xy)
    cell_of = binning.cell_index(cell_frame, xy)
    setup = HotSpotSetup(problems, xy, cell_of, cell_frame, sparse.csr_matrix((0, 0)), crs, values)
    neighbours, weights_used, profile = neighbours_for(cell_frame, setup.counts(), weights)
    setup.neighbours = neighbours
    setup.parameters = {
        **query.describe(),
        "cells": str(used),
        "cell_size_m": used.size if used.kind in ("fishnet", "hex") else None,
        "n_cells": len(cell_frame),
        "weights": str(weights_used),
        "weights_default": weights is None,
        "cells_default": cells is None,
        "moran_profile": [[round(d, 1), round(z, 3)] for d, z in profile],
        "n_problems": len(problems),
        "weight_by": weight_by,
        "first_reported": problems["reported_at"].min().isoformat(),
        "last_reported": problems["reported_at"].max().isoformat(),
        "problems_outside_cells": int((cell_of < 0).sum()),
        "metric_crs": crs.to_string(),
    }
    return setup


def hot_spot_frame(
    cells: gpd.GeoDataFrame,
    counts: np.ndarray,
    neighbours: sparse.csr_matrix,
    *,
    permutations: int = 0,
    seed: int | None = None,
    fdr: bool = True,
) -> gpd.GeoDataFrame:
    """Gi* of counts over cells as a frame of the ``hotspots`` layer (in the cells' CRS).

    Columns: ``cell_id``, ``count``, ``gi_zscore``, ``gi_pvalue`` (two-sided,
    analytic), ``gi_psim`` (pseudo p-value, with permutations), ``gi_fdr``
    (the adjusted p-value the bin comes from), ``gi_bin`` (-3..3) and
    ``n_neighbors``.
    """
    result = gi_star(counts, neighbours, permutations=permutations, seed=seed, fdr=fdr)
    columns: dict[str, Any] = {
        "cell_id": cells["cell_id"].astype(str).to_numpy(),
        "count": counts.astype(float),
        "gi_zscore": result.z,
        "gi_pvalue": result.p,
        "gi_psim": result.p_sim if result.p_sim is not None else np.full(len(counts), np.nan),
        "gi_fdr": result.p_fdr,
        "gi_bin": result.bins.astype(np.int64),
        "n_neighbors": result.n_neighbors.astype(np.int64),
    }
    return cell_layer_frame(columns, cells)


def cell_layer_frame(columns: dict[str, Any], cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A cell layer: ``columns`` (one value per cell) on the cells' MultiPolygons.

    The frame keeps the CRS of ``cells``.
    """
    geometry = promote_to_multi(cells.geometry.to_numpy(), "MultiPolygon")
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=cells.crs)


def run_hot_spots(
    store: Store,
    config: Config,
    query: ProblemQuery,
    *,
    cells: CellsSpec | None = None,
    weights: WeightsSpec | None = None,
    permutations: int = 0,
    seed: int | None = None,
    fdr: bool = True,
    weight_by: str = "count",
) -> gpd.GeoDataFrame:
    """The ``hotspots`` layer for the problems a query selects, in EPSG:4326.

    See :func:`prepare` for the defaults and :func:`hot_spot_frame` for the
    columns. ``frame.attrs["parameters"]`` holds every choice made.
    """
    if permutations < 0:
        raise BadInput("--permutations must be 0 or more (e.g. 999), not {n}.", n=permutations)
    setup = prepare(store, config, query, cells=cells, weights=weights, weight_by=weight_by)
    frame = hot_spot_frame(
        setup.cells,
        setup.counts(),
        setup.neighbours,
        permutations=permutations,
        seed=seed,
        fdr=fdr,
    ).to_crs(4326)
    frame.attrs["parameters"] = {
        **setup.parameters,
        "permutations": permutations,
        "seed": seed,
        "fdr": fdr,
        "hot_cells": int((frame["gi_bin"] > 0).sum()),
        "cold_cells": int((frame["gi_bin"] < 0).sum()),
    }
    return frame
