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

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np

from citygrid.gis import coverage as geo
from citygrid.layers.gap_layers import FINDING_LAYERS, GAP_SUMMARY
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.analysis import Analysis, AnalysisResult, LazyLayers, register_analysis
from citygrid.services.context import CityContext
from citygrid.services.coverage.city import City, summary_areas
from citygrid.services.coverage.findings import blind_spots, finding, stale, unassigned
from citygrid.services.coverage.params import CoverageParams
from citygrid.services.coverage.summary import summarise


class CoverageReport:
    """What :func:`analyse_coverage` finds, each finding worked out when first asked for.

    The map asks for one finding at a time: uncovered land needs only the
    jurisdictions and the cells, not the inspections of every point. The
    summary counts every finding, so it makes them all.

    Attributes
    ----------
    findings
        Layer name (``gap_uncovered``, ``gap_slivers``...) to its
        GeoDataFrame in EPSG:4326, in the order of
        :data:`~citygrid.layers.gap_layers.FINDING_LAYERS`.
    city
        The stored layers read (each when first needed).
    metric_crs
        The CRS in metres every measure is taken in.
    as_of
        The day the analysis looks back from.
    params
        The thresholds used.
    """

    def __init__(self, ctx: CityContext, params: CoverageParams) -> None:
        self.params = params
        self.as_of = params.as_of or ctx.now.date()
        self.city = City(ctx, self.as_of, params.problem_days)
        self.metric_crs = self.city.metric_crs
        self.findings = LazyLayers([layer.name for layer in FINDING_LAYERS], self._find)

    @property
    def cells(self) -> gpd.GeoDataFrame:
        """The grid cells analysed (``code``, ``version``, geometry in EPSG:4326)."""
        return self.city.grids[["code", "version", "geometry"]]

    @cached_property
    def summary(self) -> gpd.GeoDataFrame:
        """The ``gap_summary`` layer: one row per sub-district (and one row with no code
        for findings outside every sub-district, if any)."""
        return summarise(self.areas, self.findings, self.territory, self.covered, self.metric_crs)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Every layer to write: the findings, then the summary.

        The findings are made two at a time: much of their work (SQLite's, GEOS's,
        PROJ's) lets go of the GIL. A store in memory is read from this thread only.
        """
        if self.city.context().store.shared_across_threads:
            with ThreadPoolExecutor(max_workers=2) as pool:
                # The costliest (blind spots) first.
                made = [
                    pool.submit(contextvars.copy_context().run, self.findings.__getitem__, name)
                    for name in reversed(list(self.findings))
                ]
                for finding_made in made:
                    finding_made.result()
        return {**self.findings, GAP_SUMMARY.name: self.summary}

    def totals(self) -> dict[str, float]:
        """The summary's figures added up over the whole city."""
        numbers = self.summary.drop(columns=["code", "name", "geometry"])
        totals = {name: float(numbers[name].sum()) for name in numbers.columns}
        area = totals["area_m2"]
        totals["covered_share"] = totals["covered_m2"] / area if area else 0.0
        return totals

    def result(self) -> AnalysisResult:
        """The findings and the summary as an analysis result, with the day and CRS used;
        each layer is worked out when first read."""
        chosen = {"as_of": self.as_of.isoformat(), "metric_crs": self.metric_crs.to_string()}
        names = [*self.findings, GAP_SUMMARY.name]
        layers = LazyLayers(names, self.layers_by_name)
        return AnalysisResult(layers, self.params, chosen)

    def layers_by_name(self, name: str) -> gpd.GeoDataFrame:
        """One finding or the summary."""
        return self.summary if name == GAP_SUMMARY.name else self.findings[name]

    # -- the parts findings share, each worked out once ----------------------------

    @cached_property
    def territory(self) -> Any:
        """The land of every jurisdiction as one polygon (EPSG:4326)."""
        polygons = geo.make_valid_polygons(self.city.jurisdictions.geometry.to_numpy())
        return geo.union_cells(polygons, valid_coverage=False)

    @cached_property
    def edges(self) -> gpd.GeoDataFrame:
        """Where neighbouring cells almost but not quite share an edge."""
        grids, crs = self.city.grids, self.metric_crs
        cells_m = grids.set_geometry(
            geo.to_metric(grids.geometry.to_numpy(), STORAGE_CRS, crs), crs=crs
        )
        return geo.invalid_edges(cells_m, key="code", gap_width_m=self.params.min_width_m)

    @cached_property
    def covered(self) -> Any:
        """The union of every grid cell (EPSG:4326)."""
        return geo.union_cells(self.city.grids.geometry.to_numpy(), valid_coverage=self.edges.empty)

    @cached_property
    def uncovered(self) -> gpd.GeoDataFrame:
        """Land outside every cell, each part flagged ``sliver`` or not."""
        return geo.uncovered_land(
            self.territory,
            self.covered,
            crs=STORAGE_CRS,
            metric_crs=self.metric_crs,
            min_area_m2=self.params.min_area_m2,
            min_width_m=self.params.min_width_m,
        )

    @cached_property
    def areas(self) -> gpd.GeoDataFrame:
        """The jurisdictions findings are counted per (see :func:`summary_areas`)."""
        return summary_areas(self.city.jurisdictions)

    def subdistrict(self, geoms: np.ndarray) -> np.ndarray:
        """The code of the summary area holding each geometry (``None`` for none)."""
        areas = self.areas
        codes = np.append(areas["code"].to_numpy(dtype=object), None)  # type: ignore[call-overload]  # numpy stubs: None as a value
        return codes[geo.locate(geoms, areas.geometry.to_numpy())]

    def _cell_finding(self, name: str, cells: gpd.GeoDataFrame, prefix: str) -> gpd.GeoDataFrame:
        """A finding per grid cell, placed in the sub-district of the whole cell."""
        grids = self.city.grids
        located_by = grids.set_index("code").geometry.reindex(cells["code"]).to_numpy()
        frame = cells.rename(columns={"code": "feature_code"})
        return finding(name, frame, prefix, self.subdistrict, located_by)

    def _find(self, name: str) -> gpd.GeoDataFrame:
        city, params, crs = self.city, self.params, self.metric_crs
        grids = city.grids
        finders: dict[str, Callable[[], gpd.GeoDataFrame]] = {
            "gap_uncovered": lambda: self._placed(name, self._land(sliver=False), "GAP"),
            "gap_slivers": lambda: self._placed(name, self._land(sliver=True), "SLV"),
            "gap_overlaps": lambda: self._placed(
                name,
                geo.overlapping_pairs(
                    grids,
                    key="code",
                    metric_crs=crs,
                    candidates=grids["code"].isin(self.edges["code"]).to_numpy(),
                ),
                "OVL",
            ),
            "gap_outside": lambda: self._cell_finding(
                name, geo.outside_parts(grids, self.territory, key="code", metric_crs=crs), "OUT"
            ),
            "gap_invalid_edges": lambda: self._cell_finding(name, self.edges, "EDG"),
            "gap_unassigned": lambda: self._placed(
                name, unassigned(city, self.covered, params), "UNA"
            ),
            "gap_stale": lambda: self._placed(name, stale(city, self.as_of, params), "STL"),
            "gap_blind_spots": lambda: self._placed(name, blind_spots(city, params), "BLS"),
        }
        return finders[name]()

    def _land(self, *, sliver: bool) -> gpd.GeoDataFrame:
        land = self.uncovered
        return land[land["sliver"].to_numpy(dtype=bool) == sliver]

    def _placed(self, name: str, frame: gpd.GeoDataFrame, prefix: str) -> gpd.GeoDataFrame:
        """``frame`` shaped as the finding ``name``, each row in the sub-district holding it."""
        return finding(name, frame, prefix, self.subdistrict)


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
        Each finding as a GeoDataFrame in EPSG:4326, and the summary, each
        worked out when first read.

    Raises
    ------
    BadInput
        No jurisdictions are loaded.
    """
    return CoverageReport(ctx, params or CoverageParams())


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
