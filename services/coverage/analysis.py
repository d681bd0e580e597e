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
- not looked at: points, streets and alleys with no inspection in the
  ``stale_days`` days up to ``as_of``;
- blind spots: clusters of problems (at least ``cluster_k`` within
  ``cluster_r_m`` metres) whose centre is more than ``far_m`` metres from
  every point;
- a summary per sub-district: the share of land covered and the count of
  each finding.

Each finding is a GeoDataFrame in EPSG:4326 shaped by its declaration in
:mod:`citygrid.layers.gap_layers`; areas, lengths and distances are
measured in the city's metric CRS (:attr:`CityContext.metric_crs
<citygrid.services.context.CityContext.metric_crs>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
from pyproj import CRS

from citygrid.gis import coverage as geo
from citygrid.layers.gap_layers import FINDING_LAYERS, GAP_SUMMARY
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.analysis import Analysis, AnalysisResult, register_analysis
from citygrid.services.context import CityContext
from citygrid.services.coverage.city import read_city, summary_areas
from citygrid.services.coverage.findings import blind_spots, finding, stale, unassigned
from citygrid.services.coverage.params import CoverageParams
from citygrid.services.coverage.summary import summarise


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
    params
        The thresholds used.
    """

    findings: dict[str, gpd.GeoDataFrame]
    summary: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    metric_crs: CRS
    as_of: date
    params: CoverageParams

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

    def result(self) -> AnalysisResult:
        """The findings and the summary as an analysis result, with the day and CRS used."""
        chosen = {"as_of": self.as_of.isoformat(), "metric_crs": self.metric_crs.to_string()}
        return AnalysisResult(self.layers(), self.params, chosen)


def analyse_coverage(ctx: CityContext, params: CoverageParams | None = None) -> CoverageReport:
    """Find every place where nobody is responsible.

    Parameters
    ----------
    ctx
        The city (jurisdictions must be loaded); measures are taken in
        ``ctx.metric_crs`` and ``as_of`` defaults to the day of ``ctx.now``.
    params
        Thresholds; defaults as in :class:`CoverageParams`.

    Returns
    -------
    CoverageReport
        Each finding as a GeoDataFrame in EPSG:4326, and the summary.

    Raises
    ------
    BadInput
        No jurisdictions are loaded.
    """
    params = params or CoverageParams()
    as_of = params.as_of or ctx.now.date()
    city = read_city(ctx, as_of, params.problem_days)
    crs = city.metric_crs
    grids = city.grids
    territory = geo.union_cells(
        geo.make_valid_polygons(city.jurisdictions.geometry.to_numpy()), valid_coverage=False
    )
    cells_m = grids.set_geometry(
        geo.to_metric(grids.geometry.to_numpy(), STORAGE_CRS, crs), crs=crs
    )
    edges = geo.invalid_edges(cells_m, key="code", gap_width_m=params.min_width_m)
    covered = geo.union_cells(grids.geometry.to_numpy(), valid_coverage=edges.empty)
    uncovered = geo.uncovered_land(
        territory,
        covered,
        crs=STORAGE_CRS,
        metric_crs=crs,
        min_area_m2=params.min_area_m2,
        min_width_m=params.min_width_m,
    )
    overlaps = geo.overlapping_pairs(
        grids, key="code", metric_crs=crs, candidates=grids["code"].isin(edges["code"]).to_numpy()
    )
    outside = geo.outside_parts(grids, territory, key="code", metric_crs=crs)
    areas = summary_areas(city.jurisdictions)
    area_geoms = areas.geometry.to_numpy()
    area_codes = np.append(areas["code"].to_numpy(dtype=object), None)  # type: ignore[call-overload]  # numpy stubs: None as a value

    def subdistrict(geoms: np.ndarray) -> np.ndarray:
        return area_codes[geo.locate(geoms, area_geoms)]

    def cell_finding(layer_name: str, cells: gpd.GeoDataFrame, prefix: str) -> gpd.GeoDataFrame:
        """A finding per grid cell, placed in the sub-district of the whole cell."""
        located_by = grids.set_index("code").geometry.reindex(cells["code"]).to_numpy()
        frame = cells.rename(columns={"code": "feature_code"})
        return finding(layer_name, frame, prefix, subdistrict, located_by)

    findings = {
        "gap_uncovered": finding(
            "gap_uncovered", uncovered[~uncovered["sliver"]], "GAP", subdistrict
        ),
        "gap_slivers": finding("gap_slivers", uncovered[uncovered["sliver"]], "SLV", subdistrict),
        "gap_overlaps": finding("gap_overlaps", overlaps, "OVL", subdistrict),
        "gap_outside": cell_finding("gap_outside", outside, "OUT"),
        "gap_invalid_edges": cell_finding("gap_invalid_edges", edges, "EDG"),
        "gap_unassigned": finding(
            "gap_unassigned", unassigned(city, covered, params), "UNA", subdistrict
        ),
        "gap_stale": finding("gap_stale", stale(ctx, city, as_of, params), "STL", subdistrict),
        "gap_blind_spots": finding(
            "gap_blind_spots", blind_spots(city, params), "BLS", subdistrict
        ),
    }
    summary = summarise(areas, findings, territory, covered, crs)
    return CoverageReport(
        findings=findings,
        summary=summary,
        cells=grids[["code", "version", "geometry"]],
        metric_crs=crs,
        as_of=as_of,
        params=params,
    )


def run_coverage(ctx: CityContext, params: CoverageParams) -> AnalysisResult:
    """Every gap layer (the findings and the summary, EPSG:4326) as an analysis result."""
    return analyse_coverage(ctx, params).result()


COVERAGE = register_analysis(
    Analysis(
        "gaps",
        CoverageParams,
        (*(layer.name for layer in FINDING_LAYERS), GAP_SUMMARY.name),
        run_coverage,
    )
)
