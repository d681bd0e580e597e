"""The coverage summary: per sub-district, the land covered and each finding counted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from citygrid.gis import coverage as geo
from citygrid.layers.gap_layers import GAP_SUMMARY
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.coverage.findings import shaped_as

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


def summarise(
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
        geoms = np.append(geoms, None)  # type: ignore[call-overload]  # numpy stubs: None as a value
    summary = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=STORAGE_CRS))
    return shaped_as(GAP_SUMMARY, summary)


_NOWHERE = "\0nowhere"


def _tally(frame: pd.DataFrame, summed: str | None) -> pd.Series:
    """Count (or sum ``summed`` of) a finding's rows per sub-district code."""
    by = frame["subdistrict_code"].fillna(_NOWHERE).astype(str)
    if summed is None:
        return by.value_counts()
    return frame[summed].groupby(by).sum()
