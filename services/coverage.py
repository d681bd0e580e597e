"""Coverage gaps: every place where nobody is responsible (不放过一个死角).

:func:`analyse_coverage` reads a city from the store and finds

- uncovered land: the jurisdiction minus the union of all grid cells,
  split into real gaps and slivers (smaller than ``min_area_m2`` or
  narrower than ``min_width_m``);
- overlaps: every pair of cells sharing area, and cells reaching outside
  the jurisdiction;
- invalid tiling edges: where neighbouring cells almost but not quite
  share an edge (``shapely.coverage_invalid_edges`` with ``min_width_m``
  as the gap width);
- no one responsible: cells, streets, alleys and points with no unit or
  no head (grid manager for cells), or naming a unit or person that does
  not exist; streets and alleys partly outside every cell; points outside
  every cell;
- not looked at: points and alleys with no inspection in the
  ``stale_days`` days up to ``as_of``;
- blind spots: clusters of problems (at least ``cluster_k`` within
  ``cluster_r_m`` metres) whose centre is more than ``far_m`` metres from
  every point;
- a summary per sub-district: the share of land covered and the count of
  each finding.

Each finding is a GeoDataFrame in EPSG:4326 shaped by its declaration in
:mod:`citygrid.layers.gap_layers`; areas, lengths and distances are
measured in the city's metric CRS (:func:`citygrid.gis.metric.metric_crs`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from pyproj import CRS

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.gis import coverage as geo
from citygrid.gis.formats import check_target
from citygrid.gis.geometry import promote_to_multi
from citygrid.gis.metric import metric_crs as choose_metric_crs
from citygrid.i18n import translate
from citygrid.layers.gap_layers import GAP_SUMMARY
from citygrid.layers.io import write_layers_file
from citygrid.layers.registry import Layer, get_layer
from citygrid.layers.store import STORAGE_CRS, Store

FEATURE_HEADS = {
    "grids": "manager_code",
    "streets": "head_code",
    "alleys": "head_code",
    "points": "head_code",
}
"""The field naming each feature's head (a grid cell's grid manager)."""

SUMMARY_LEVELS = ("subdistrict", "community", "district", "city")
"""Jurisdiction levels the summary is made per: the first one loaded."""


@dataclass(frozen=True)
class CoverageOptions:
    """Thresholds of the coverage analysis.

    Attributes
    ----------
    min_area_m2
        Uncovered pieces smaller than this (m²) are slivers.
    min_width_m
        Uncovered pieces narrower than this (m) are slivers; also the gap
        width under which cell edges count as invalid.
    stale_days
        Points and alleys with no inspection in this many days up to
        ``as_of`` (inclusive) are reported as not looked at.
    as_of
        The day the analysis looks back from (default: today).
    problem_days
        Blind spots are sought among the problems reported in this many
        days up to ``as_of`` (inclusive).
    cluster_k, cluster_r_m
        A problem cluster needs at least ``cluster_k`` problems within
        ``cluster_r_m`` metres.
    far_m
        Problems more than ``far_m`` metres from every point are lonely;
        a cluster of lonely problems whose centre is that far from every
        point too is a blind spot.
    outside_tolerance_m
        A street or alley counts as outside the cells when more than this
        many metres of it are outside every cell.
    """

    min_area_m2: float = 10.0
    min_width_m: float = 1.0
    stale_days: int = 30
    as_of: date | None = None
    problem_days: int = 90
    cluster_k: int = 5
    cluster_r_m: float = 50.0
    far_m: float = 100.0
    outside_tolerance_m: float = 1.0

    @classmethod
    def parse(cls, names: Mapping[str, str] | None = None, **raw: Any) -> CoverageOptions:
        """Build options from user input (strings or numbers), refusing bad values.

        Keys are the attribute names; ``None`` values keep the defaults.
        ``names`` maps attribute names to what the user typed (``--min-area``)
        for the error messages.

        Raises
        ------
        BadInput
            A value is not a number (or a whole number where one is
            needed), is negative or zero where it must be positive, or
            ``as_of`` is not a date YYYY-MM-DD.
        """
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise BadInput("Unknown coverage options: {names}.", names=", ".join(sorted(unknown)))
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if value is None:
                continue
            shown = (names or {}).get(name, name)
            if name == "as_of":
                values[name] = parse_day(value, option=shown)
            elif name in ("stale_days", "problem_days", "cluster_k"):
                values[name] = _number(shown, value, _UNITS[name], whole=True, least=1)
            elif name == "cluster_r_m":
                values[name] = _number(shown, value, _UNITS[name], positive=True)
            else:
                values[name] = _number(shown, value, _UNITS[name])
        return cls(**values)


def parse_day(value: Any, *, option: str) -> date:
    """A date from a ``date``, ``datetime`` or ``YYYY-MM-DD`` string, else :class:`BadInput`."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise BadInput(
            "{option} must be a date written YYYY-MM-DD (like 2026-05-31), not {value!r}.",
            option=option,
            value=str(value),
        ) from None


def _number(
    shown: str,
    value: Any,
    unit: str,
    *,
    whole: bool = False,
    positive: bool = False,
    least: int = 0,
) -> float | int:
    """``value`` as a finite number (whole if ``whole``), at least ``least`` (above 0 if
    ``positive``), else :class:`BadInput` naming the option as ``shown``."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or (whole and not number.is_integer()):
        message = (
            "{option} must be a whole number of {unit}, not {value!r}."
            if whole
            else "{option} must be a number of {unit}, not {value!r}."
        )
        raise BadInput(message, option=shown, unit=translate(unit), value=text)
    if positive and number <= 0:
        raise BadInput(
            "{option} must be more than 0 {unit}, not {value}.",
            option=shown,
            unit=translate(unit),
            value=text,
        )
    if number < least:
        raise BadInput(
            "{option} must be at least {least} {unit}, not {value}.",
            option=shown,
            least=least,
            unit=translate(unit),
            value=text,
        )
    return int(number) if whole else number


_UNITS = {
    "min_area_m2": "square metres",
    "min_width_m": "metres",
    "stale_days": "days",
    "problem_days": "days",
    "cluster_k": "problems",
    "cluster_r_m": "metres",
    "far_m": "metres",
    "outside_tolerance_m": "metres",
}
"""The unit of each numeric option (an English message id, translated when shown)."""


@dataclass
class CoverageReport:
    """What :func:`analyse_coverage` found.

    Attributes
    ----------
    findings
        Layer name (``gap_uncovered``, ``gap_slivers``...) to its
        GeoDataFrame in EPSG:4326, in the order of
        :data:`~citygrid.layers.gap_layers.FINDING_LAYERS`.
    summary
        The ``gap_summary`` layer: one row per sub-district (and one row
        with no code for findings outside every sub-district, if any).
    cells
        The grid cells analysed (``code``, ``version``, geometry in
        EPSG:4326), for proposing fixes.
    metric_crs
        The CRS in metres every measure was taken in.
    as_of
        The day the analysis looked back from.
    options
        The thresholds used.
    """

    findings: dict[str, gpd.GeoDataFrame]
    summary: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    metric_crs: CRS
    as_of: date
    options: CoverageOptions

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Every layer to write: the findings, then the summary."""
        return {**self.findings, GAP_SUMMARY.name: self.summary}

    def totals(self) -> dict[str, float]:
        """The summary's figures added up over the whole city."""
        numbers = self.summary.drop(columns=["code", "name", "geometry"])
        totals = {name: float(numbers[name].sum()) for name in numbers.columns}
        area = totals["area_m2"]
        totals["covered_share"] = totals["covered_m2"] / area if area else 0.0
        return totals


@dataclass
class _City:
    """The stored layers an analysis needs, in EPSG:4326."""

    jurisdictions: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    lines: dict[str, gpd.GeoDataFrame]
    points: gpd.GeoDataFrame
    unit_codes: set[str]
    people_codes: set[str]
    problems: gpd.GeoDataFrame
    metric_crs: CRS


def analyse_coverage(
    store: Store, config: Config, options: CoverageOptions | None = None
) -> CoverageReport:
    """Find every place where nobody is responsible.

    Parameters
    ----------
    store
        The city's store (jurisdictions must be loaded).
    config
        Supplies the metric CRS (``config.metric_crs``, else the UTM zone
        of the jurisdictions).
    options
        Thresholds; defaults as in :class:`CoverageOptions`.

    Returns
    -------
    CoverageReport
        Each finding as a GeoDataFrame in EPSG:4326, and the summary.

    Raises
    ------
    BadInput
        No jurisdictions are loaded.
    """
    options = options or CoverageOptions()
    as_of = options.as_of or date.today()
    city = _read_city(store, config, as_of, options.problem_days)
    crs = city.metric_crs
    grids = city.grids
    territory = geo.union_cells(
        geo.make_valid_polygons(city.jurisdictions.geometry.to_numpy()), valid_coverage=False
    )
    cells_m = grids.set_geometry(
        geo.to_metric(grids.geometry.to_numpy(), STORAGE_CRS, crs), crs=crs
    )
    edges = geo.invalid_edges(cells_m, key="code", gap_width_m=options.min_width_m)
    covered = geo.union_cells(grids.geometry.to_numpy(), valid_coverage=edges.empty)
    uncovered = geo.uncovered_land(
        territory,
        covered,
        crs=STORAGE_CRS,
        metric_crs=crs,
        min_area_m2=options.min_area_m2,
        min_width_m=options.min_width_m,
    )
    overlaps = geo.overlapping_pairs(
        grids, key="code", metric_crs=crs, candidates=grids["code"].isin(edges["code"]).to_numpy()
    )
    outside = geo.outside_parts(grids, territory, key="code", metric_crs=crs)
    areas = _summary_areas(city.jurisdictions)
    area_geoms = areas.geometry.to_numpy()
    area_codes = np.append(areas["code"].to_numpy(dtype=object), None)

    def subdistrict(geoms: np.ndarray) -> np.ndarray:
        return area_codes[geo.locate(geoms, area_geoms)]

    def cell_finding(layer_name: str, cells: gpd.GeoDataFrame, prefix: str) -> gpd.GeoDataFrame:
        """A finding per grid cell, placed in the sub-district of the whole cell."""
        located_by = grids.set_index("code").geometry.reindex(cells["code"]).to_numpy()
        frame = cells.rename(columns={"code": "feature_code"})
        return _finding(layer_name, frame, prefix, subdistrict, located_by)

    findings = {
        "gap_uncovered": _finding(
            "gap_uncovered", uncovered[~uncovered["sliver"]], "GAP", subdistrict
        ),
        "gap_slivers": _finding("gap_slivers", uncovered[uncovered["sliver"]], "SLV", subdistrict),
        "gap_overlaps": _finding("gap_overlaps", overlaps, "OVL", subdistrict),
        "gap_outside": cell_finding("gap_outside", outside, "OUT"),
        "gap_invalid_edges": cell_finding("gap_invalid_edges", edges, "EDG"),
        "gap_unassigned": _finding(
            "gap_unassigned", _unassigned(city, covered, options), "UNA", subdistrict
        ),
        "gap_stale": _finding("gap_stale", _stale(store, city, as_of, options), "STL", subdistrict),
        "gap_blind_spots": _finding(
            "gap_blind_spots", _blind_spots(city, options), "BLS", subdistrict
        ),
    }
    summary = _summary(areas, findings, territory, covered, crs)
    return CoverageReport(
        findings=findings,
        summary=summary,
        cells=grids[["code", "version", "geometry"]],
        metric_crs=crs,
        as_of=as_of,
        options=options,
    )


# -- reading ------------------------------------------------------------------


def _read_city(store: Store, config: Config, as_of: date, problem_days: int) -> _City:
    jurisdictions = store.read("jurisdictions")
    if jurisdictions.empty:
        raise BadInput(
            "No jurisdictions are loaded in {url}, so there is no land to check. Import the "
            "jurisdiction boundaries (city, districts, sub-districts) first, or build the demo "
            "city with `citygrid demo`.",
            url=store.url,
        )
    crs = choose_metric_crs(store.extent("jurisdictions"), config.metric_crs)
    grids = store.read("grids", columns=["code", "name", "unit_code", "manager_code"])
    grids = grids.set_geometry(geo.make_valid_polygons(grids.geometry.to_numpy()), crs=STORAGE_CRS)
    feature_columns = ["code", "name", "unit_code", "head_code"]
    problems_table = store.table("problems")
    return _City(
        jurisdictions=jurisdictions,
        grids=grids,
        lines={name: store.read(name, columns=feature_columns) for name in ("streets", "alleys")},
        points=store.read("points", columns=feature_columns),
        unit_codes=set(store.read("units", columns=["code"])["code"]),
        people_codes=set(store.read("people", columns=["code"])["code"]),
        problems=store.read(
            "problems",
            columns=[],
            filters=[
                _by_end_of(problems_table.c.reported_at, as_of),
                _from_start_of(problems_table.c.reported_at, as_of, problem_days),
            ],
        ),
        metric_crs=crs,
    )


def _day_end(day: date) -> datetime:
    """Midnight at the end of ``day``: everything before it happened by that day."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time())


def _by_end_of(column: sa.Column, day: date) -> sa.ColumnElement[bool]:
    """``column`` falls on or before ``day`` (before the midnight that ends it)."""
    return column < _day_end(day)


def _from_start_of(column: sa.Column, day: date, days: int) -> sa.ColumnElement[bool]:
    """``column`` falls in the ``days`` days ending with ``day`` (or later)."""
    return column >= _day_end(day) - timedelta(days=days)


def _summary_areas(jurisdictions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The jurisdictions the summary is made per: sub-districts, else the finest level loaded."""
    for level in SUMMARY_LEVELS:
        chosen = jurisdictions[jurisdictions["level"] == level]
        if not chosen.empty:
            return chosen.reset_index(drop=True)
    return jurisdictions.reset_index(drop=True)


# -- findings -----------------------------------------------------------------


def _finding(
    layer_name: str,
    frame: gpd.GeoDataFrame,
    prefix: str,
    subdistrict: Callable[[np.ndarray], np.ndarray],
    located_by: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Shape ``frame`` as its declared layer: ids, sub-district, the declared fields, EPSG:4326.

    The sub-district is the one holding the representative point of
    ``located_by`` (EPSG:4326 geometries, one per row), by default of the
    finding's own geometry.
    """
    frame = frame.reset_index(drop=True).to_crs(STORAGE_CRS)
    width = max(4, len(str(len(frame))))
    columns = {
        "id": [f"{prefix}-{i + 1:0{width}d}" for i in range(len(frame))],
        "subdistrict_code": subdistrict(
            frame.geometry.to_numpy() if located_by is None else located_by
        ),
    }
    return shaped_as(get_layer(layer_name), frame, columns)


def shaped_as(
    layer: Layer, frame: gpd.GeoDataFrame, extra: Mapping[str, Any] | None = None
) -> gpd.GeoDataFrame:
    """A GeoDataFrame with exactly the declared fields of ``layer`` (typed) and its geometry.

    Columns come from ``frame`` and ``extra`` (which wins); declared fields
    found in neither are empty. Multi layers get multi geometries.
    """
    data = {**{c: frame[c] for c in frame.columns if c != frame.geometry.name}, **(extra or {})}
    columns: dict[str, Any] = {}
    for f in layer.fields:
        values = data.get(f.name, [None] * len(frame))
        columns[f.name] = _typed(np.asarray(values, dtype=object), f.type)
    geoms = frame.geometry.to_numpy()
    if layer.geometry_type and layer.geometry_type.startswith("Multi"):
        geoms = promote_to_multi(geoms, layer.geometry_type)
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(geoms, crs=frame.crs))


def _typed(values: np.ndarray, kind: str) -> pd.Series:
    """A column of the declared type; text stays ``object`` with ``None`` for missing."""
    series = pd.Series(values, dtype=object)
    if kind == "float":
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if kind == "int":
        return pd.to_numeric(series, errors="coerce").astype("Int64")
    if kind in ("datetime", "date"):
        return pd.to_datetime(series)
    if kind == "bool":
        return series.astype("boolean")
    return series.where(series.notna(), None)


def _unassigned(city: _City, covered: Any, options: CoverageOptions) -> gpd.GeoDataFrame:
    """Features with no unit or head, naming unknown ones, or outside every cell.

    One row per feature and reason, layer by layer (cells, streets, alleys,
    points) and reason by reason within a layer.
    """
    features = {"grids": city.grids, **city.lines, "points": city.points}
    found = []
    for layer_name, frame in features.items():
        checks = _responsibility_gaps(city, layer_name, frame)
        geoms = frame.geometry.to_numpy()
        outside_m = np.full(len(frame), np.nan)
        if layer_name in city.lines:
            outside_m = geo.length_outside(
                geoms, covered, crs=STORAGE_CRS, metric_crs=city.metric_crs
            )
            checks.append(("outside_cells", None, outside_m > options.outside_tolerance_m))
        elif layer_name == "points":
            checks.append(("outside_cells", None, geo.outside_all(geoms, covered)))
        found.append(_flagged(layer_name, frame, checks, outside_m))
    return pd.concat(found, ignore_index=True)


def _responsibility_gaps(
    city: _City, layer_name: str, frame: gpd.GeoDataFrame
) -> list[tuple[str, str | None, np.ndarray]]:
    """``(reason, field, mask)`` for missing and unknown units and heads of one layer."""
    head = FEATURE_HEADS[layer_name]
    result: list[tuple[str, str | None, np.ndarray]] = []
    for field_name, known, missing_reason, unknown_reason in (
        ("unit_code", city.unit_codes, "no_unit", "unknown_unit"),
        (head, city.people_codes, "no_head", "unknown_head"),
    ):
        values = frame[field_name]
        blank = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
        result.append((missing_reason, field_name, blank))
        result.append((unknown_reason, field_name, ~blank & ~values.isin(known).to_numpy()))
    return result


def _flagged(
    layer_name: str,
    frame: gpd.GeoDataFrame,
    checks: list[tuple[str, str | None, np.ndarray]],
    outside_m: np.ndarray,
) -> gpd.GeoDataFrame:
    """The rows of ``frame`` each check flags, with the reason and the field's value."""
    index = [np.flatnonzero(mask) for _, _, mask in checks]
    rows = np.concatenate(index)
    values = [
        frame[field_name].to_numpy(dtype=object)[i] if field_name else np.full(len(i), None)
        for (_, field_name, _), i in zip(checks, index, strict=True)
    ]
    reasons = np.repeat([reason for reason, _, _ in checks], [len(i) for i in index])
    return gpd.GeoDataFrame(
        {
            "layer": layer_name,
            "feature_code": frame["code"].to_numpy(dtype=object)[rows],
            "name": frame["name"].to_numpy(dtype=object)[rows],
            "reason": reasons,
            "field": np.repeat(
                np.array([f for _, f, _ in checks], dtype=object), [len(i) for i in index]
            ),
            "value": np.concatenate(values),
            "outside_m": np.where(reasons == "outside_cells", outside_m[rows], np.nan),
            "version": frame["version"].to_numpy()[rows],
        },
        geometry=frame.geometry.to_numpy()[rows],
        crs=STORAGE_CRS,
    )


def _stale(store: Store, city: _City, as_of: date, options: CoverageOptions) -> gpd.GeoDataFrame:
    """Points and alleys with no inspection in the ``stale_days`` days up to ``as_of``."""
    end = _day_end(as_of)
    since = end - timedelta(days=options.stale_days)
    found = []
    for layer_name, frame, link in (
        ("points", city.points, "point_code"),
        ("alleys", city.lines["alleys"], "alley_code"),
    ):
        last = _last_inspections(store, link, as_of)
        last_at = pd.Series(last.reindex(frame["code"].to_numpy()).to_numpy(), index=frame.index)
        stale = (last_at.isna() | (last_at < since)).to_numpy()
        rows = frame[stale]
        last_rows = last_at[stale]
        found.append(
            gpd.GeoDataFrame(
                {
                    "layer": layer_name,
                    "feature_code": rows["code"].to_numpy(),
                    "name": rows["name"].to_numpy(),
                    "unit_code": rows["unit_code"].to_numpy(),
                    "head_code": rows["head_code"].to_numpy(),
                    "last_inspected_at": last_rows.to_numpy(),
                    "days_since": (
                        pd.Timestamp(as_of) - last_rows.dt.normalize()
                    ).dt.days.to_numpy(),
                },
                geometry=rows.geometry.to_numpy(),
                crs=STORAGE_CRS,
            )
        )
    return pd.concat(found, ignore_index=True)


def _last_inspections(store: Store, link: str, as_of: date) -> pd.Series:
    """Code -> time of the last inspection on or before ``as_of``, grouped in SQL."""
    table = store.table("inspections")
    last = sa.type_coerce(sa.func.max(table.c.inspected_at), sa.String)  # parsed by pandas
    stmt = (
        sa.select(table.c[link], last)
        .where(table.c[link].is_not(None), _by_end_of(table.c.inspected_at, as_of))
        .group_by(table.c[link])
    )
    with store.transaction() as conn:
        rows = conn.execute(stmt).all()
    codes, times = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [])
    at = pd.to_datetime(pd.Series(times, dtype=object).astype(str), format="ISO8601")
    return pd.Series(at.to_numpy(dtype="datetime64[ns]"), index=codes)


def _blind_spots(city: _City, options: CoverageOptions) -> gpd.GeoDataFrame:
    """Problem clusters far from every point, with their centres in longitude/latitude."""
    crs = city.metric_crs
    problems_m = geo.to_metric(city.problems.geometry.to_numpy(), STORAGE_CRS, crs)
    points_m = city.points.set_geometry(
        geo.to_metric(city.points.geometry.to_numpy(), STORAGE_CRS, crs), crs=crs
    )
    spots = geo.blind_spots(
        problems_m,
        points_m,
        key="code",
        k=options.cluster_k,
        radius_m=options.cluster_r_m,
        far_m=options.far_m,
    )
    centres = gpd.GeoSeries(gpd.points_from_xy(spots["center_x"], spots["center_y"]), crs=crs)
    centres = centres.to_crs(STORAGE_CRS)
    return spots.assign(center_x=centres.x.to_numpy(), center_y=centres.y.to_numpy())


# -- summary ------------------------------------------------------------------

_COUNTED = {
    "gaps": ("gap_uncovered", None),
    "gap_area_m2": ("gap_uncovered", "area_m2"),
    "slivers": ("gap_slivers", None),
    "overlaps": ("gap_overlaps", None),
    "overlap_area_m2": ("gap_overlaps", "area_m2"),
    "outside": ("gap_outside", None),
    "invalid_edges": ("gap_invalid_edges", None),
    "unassigned": ("gap_unassigned", None),
    "stale": ("gap_stale", None),
    "blind_spots": ("gap_blind_spots", None),
}
"""Summary column -> (finding layer, summed field or ``None`` for a count)."""


def _summary(
    areas: gpd.GeoDataFrame,
    findings: Mapping[str, gpd.GeoDataFrame],
    territory: Any,
    covered: Any,
    crs: CRS,
) -> gpd.GeoDataFrame:
    """One row per summary area: land, land covered and each finding counted.

    Findings located in no summary area are counted in one more row with
    no code and no geometry (only when there are any).
    """
    geoms = geo.make_valid_polygons(areas.geometry.to_numpy())
    area = geo.area_m2(geoms, crs=STORAGE_CRS, metric_crs=crs)
    uncovered = shapely.difference(territory, covered)
    missing = geo.area_m2(shapely.intersection(geoms, uncovered), crs=STORAGE_CRS, metric_crs=crs)
    codes = areas["code"].astype(str).tolist()
    tallies = pd.DataFrame(
        {column: _tally(findings[layer], summed) for column, (layer, summed) in _COUNTED.items()}
    )
    tallies = tallies.reindex([*codes, _NOWHERE]).fillna(0.0)
    rows = pd.DataFrame(
        {
            "code": codes,
            "name": areas["name"].to_numpy(dtype=object),
            "area_m2": area,
            "covered_m2": area - missing,
            "covered_share": np.divide(
                area - missing, area, out=np.zeros(len(area)), where=area > 0
            ),
            **{column: tallies[column].to_numpy()[:-1] for column in _COUNTED},
        }
    )
    nowhere = tallies.loc[_NOWHERE]
    if nowhere.any():
        extra = {"code": None, "name": None, "area_m2": 0.0, "covered_m2": 0.0}
        rows = pd.concat([rows, pd.DataFrame([{**extra, **nowhere.to_dict()}])], ignore_index=True)
        geoms = np.append(geoms, None)
    summary = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=STORAGE_CRS))
    return shaped_as(GAP_SUMMARY, summary)


_NOWHERE = "\0nowhere"


def _tally(frame: pd.DataFrame, summed: str | None) -> pd.Series:
    """Count (or sum ``summed`` of) a finding's rows per sub-district code."""
    by = frame["subdistrict_code"].fillna(_NOWHERE).astype(str)
    if summed is None:
        return by.value_counts()
    return frame[summed].groupby(by).sum()


# -- files ----------------------------------------------------------------------


def write_report(
    layers: Mapping[str, gpd.GeoDataFrame], path: str | Path, *, overwrite: bool = False
) -> Path:
    """Write each layer into one GeoPackage, styled, all in EPSG:4326.

    Parameters
    ----------
    layers
        Layer name to GeoDataFrame (see :meth:`CoverageReport.layers`).
    path
        A ``.gpkg`` path in an existing folder.
    overwrite
        Replace an existing file's layers of these names (other layers
        stay); without it an existing file is refused.

    Returns
    -------
    pathlib.Path
        The file written. It is staged next to ``path`` and moved into
        place, so a failed write leaves any earlier file whole.
    """
    target = check_report_path(path, overwrite=overwrite)
    return write_layers_file(layers, target, overwrite=overwrite)


def check_report_path(path: str | Path, *, overwrite: bool = False) -> Path:
    """Return ``path`` if a report can be written there, else raise :class:`BadInput`."""
    target = Path(path)
    if target.suffix.lower() != ".gpkg":
        raise BadInput(
            "The analysis writes a GeoPackage; give a path ending in .gpkg, not {path}.",
            path=str(target),
        )
    return check_target(target, overwrite=overwrite)


__all__ = [
    "CoverageOptions",
    "CoverageReport",
    "analyse_coverage",
    "check_report_path",
    "parse_day",
    "shaped_as",
    "write_report",
]
