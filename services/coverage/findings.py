"""The findings of the coverage analysis, each shaped as its declared gap layer.

Every function takes the :class:`~citygrid.services.coverage.city.City` read
once and returns a GeoDataFrame in EPSG:4326; lengths and distances are
measured in the city's metric CRS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from citygrid.gis import clusters
from citygrid.gis import coverage as geo
from citygrid.gis.geometry import promote_to_multi
from citygrid.layers.registry import Layer, get_layer, responsible_layers
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.coverage.city import CELL_LAYER, City, day_end
from citygrid.services.coverage.params import CoverageParams
from citygrid.services.cycle.inspections import last_inspected, place_fields
from citygrid.services.responsibility.layers import duty


def finding(
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
        columns[f.name] = _typed(np.asarray(data.get(f.name, [None] * len(frame))), f.type)
    geoms = frame.geometry.to_numpy()
    if layer.geometry_type and layer.geometry_type.startswith("Multi"):
        geoms = promote_to_multi(geoms, layer.geometry_type)
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(geoms, crs=frame.crs))


_KEPT_TYPED = ("float", "int", "datetime", "date")
"""Declared types whose values are converted from the dtype they come in."""


def _typed(values: np.ndarray, kind: str) -> pd.Series:
    """A column of the declared type; text stays ``object`` with ``None`` for missing.

    Numbers and times already of their type are kept as they are, not
    round-tripped through Python objects.
    """
    series = pd.Series(values, dtype=values.dtype if kind in _KEPT_TYPED else object)
    if kind == "float":
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if kind == "int":
        return pd.to_numeric(series, errors="coerce").astype("Int64")
    if kind in ("datetime", "date"):
        return pd.to_datetime(series)
    if kind == "bool":
        return series.astype("boolean")
    return series.where(series.notna(), None)


LINE_TYPES = ("LineString", "MultiLineString")
"""Geometry types measured by the length they have outside every cell."""


def unassigned(city: City, covered: Any, params: CoverageParams) -> gpd.GeoDataFrame:
    """Features with no unit or head, naming unknown ones, or outside every cell.

    One row per feature and reason, layer by layer from the cells down to
    the points (the registry's responsible layers, the routing chain
    reversed) and reason by reason within a layer. Lines are outside when
    more than ``outside_tolerance_m`` of their length lies outside every
    cell; points and polygons when wholly outside.
    """
    found = []
    by_rank = sorted(responsible_layers(), key=lambda lyr: duty(lyr).rank, reverse=True)
    for layer in by_rank:
        frame = city.features[layer.name]
        checks = _responsibility_gaps(city, layer, frame)
        geoms = frame.geometry.to_numpy()
        outside_m = np.full(len(frame), np.nan)
        if layer.geometry_type in LINE_TYPES:
            outside_m = geo.length_outside(
                geoms, covered, crs=STORAGE_CRS, metric_crs=city.metric_crs
            )
            checks.append(("outside_cells", None, outside_m > params.outside_tolerance_m))
        elif layer.name != CELL_LAYER:
            checks.append(("outside_cells", None, geo.outside_all(geoms, covered)))
        found.append(_flagged(layer.name, frame, checks, outside_m))
    return pd.concat(found, ignore_index=True)


def _responsibility_gaps(
    city: City, layer: Layer, frame: gpd.GeoDataFrame
) -> list[tuple[str, str | None, np.ndarray]]:
    """``(reason, field, mask)`` for missing and unknown units and heads of one layer."""
    fields = [(duty(layer).unit_field, city.unit_codes, "no_unit", "unknown_unit")]
    if duty(layer).head_field is not None:
        fields.append((duty(layer).head_field, city.people_codes, "no_head", "unknown_head"))
    result: list[tuple[str, str | None, np.ndarray]] = []
    for field_name, known, missing_reason, unknown_reason in fields:
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


def stale(city: City, as_of: date, params: CoverageParams) -> gpd.GeoDataFrame:
    """Features of the inspected layers (points, streets, alleys) with no inspection in the
    ``stale_days`` days up to ``as_of`` (by
    :func:`~citygrid.services.cycle.inspections.last_inspected`)."""
    end = day_end(as_of)
    since = end - timedelta(days=params.stale_days)
    found = []
    for name in place_fields():
        layer = get_layer(name)
        frame = city.features[name]
        last = last_inspected(city.context(), name, as_of)
        last_at = pd.Series(last.reindex(frame["code"].to_numpy()).to_numpy(), index=frame.index)
        stale = (last_at.isna() | (last_at < since)).to_numpy()
        rows = frame[stale]
        last_rows = last_at[stale]
        found.append(
            gpd.GeoDataFrame(
                {
                    "layer": name,
                    "feature_code": rows["code"].to_numpy(),
                    "name": rows["name"].to_numpy(),
                    "unit_code": rows[duty(layer).unit_field].to_numpy(),
                    "head_code": _values(rows, duty(layer).head_field),
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


def _values(frame: pd.DataFrame, field_name: str | None) -> np.ndarray:
    """A column's values, or no values (``None``) when the layer has no such field."""
    if field_name is None:
        return np.full(len(frame), None, dtype=object)
    return frame[field_name].to_numpy()


def blind_spots(city: City, params: CoverageParams) -> gpd.GeoDataFrame:
    """Problem clusters far from every point, with their centres in longitude/latitude."""
    crs = city.metric_crs
    problems_m = geo.to_metric(city.problems.geometry.to_numpy(), STORAGE_CRS, crs)
    points_m = city.points.set_geometry(
        geo.to_metric(city.points.geometry.to_numpy(), STORAGE_CRS, crs), crs=crs
    )
    spots = clusters.blind_spots(
        problems_m,
        points_m,
        key="code",
        k=params.cluster_k,
        radius_m=params.cluster_r_m,
        far_m=params.far_m,
    )
    centres = gpd.GeoSeries(gpd.points_from_xy(spots["center_x"], spots["center_y"]), crs=crs)
    centres = centres.to_crs(STORAGE_CRS)
    return spots.assign(center_x=centres.x.to_numpy(), center_y=centres.y.to_numpy())
