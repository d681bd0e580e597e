"""Proposed fixes for coverage gaps, and applying a reviewed proposal.

:func:`propose_fixes` turns a :class:`~citygrid.services.coverage.CoverageReport`
into the ``gap_proposals`` layer, one row per fix:

- ``add_area``: each gap or sliver goes to the neighbouring cell sharing
  the longest stretch of its boundary (rule ``longest_shared_edge``);
  a piece no cell touches gets no proposal (it needs a new cell);
- ``remove_area``: each overlap is cut from the cell with the larger code,
  so the cell with the smaller code keeps it (rule ``smaller_code_keeps``:
  predictable, and the same answer whichever order the cells were drawn
  in); each part of a cell outside the jurisdiction is cut from it (rule
  ``outside_jurisdiction``);
- ``set_field``: each feature with no unit (or an unknown one) gets the
  unit auto-assign would give it
  (:func:`citygrid.services.responsibility.auto_assign`, its rule named),
  with the heads auto-assign would clear.

Every row records the ``version`` of the feature it changes. Planners
review the file (delete rows they reject) and
:func:`~citygrid.services.coverage.apply.apply_proposal` applies the rest
in one transaction, audited, refusing the whole file if
any feature changed since the proposal was made. Pieces are computed on
the stored EPSG:4326 vertices, so a cell given a gap shares its new edges
exactly with its neighbours (new vertices appear only where a jurisdiction
boundary crosses a cell edge between its vertices).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from citygrid.gis import coverage as geo
from citygrid.layers.gap_layers import GAP_PROPOSALS
from citygrid.layers.store import STORAGE_CRS
from citygrid.services.analysis import Analysis, AnalysisResult, register_analysis
from citygrid.services.context import CityContext
from citygrid.services.coverage.analysis import CoverageReport, analyse_coverage
from citygrid.services.coverage.findings import shaped_as
from citygrid.services.coverage.params import CoverageParams
from citygrid.services.responsibility import auto_assign

_FIXED_BY_AUTO_ASSIGN = ("no_unit", "unknown_unit")


def propose_fixes(ctx: CityContext, report: CoverageReport) -> gpd.GeoDataFrame:
    """The fixes for a coverage report, as the ``gap_proposals`` layer.

    Parameters
    ----------
    ctx
        The city the report was made from (auto-assign reads it, as a dry
        run naming ``ctx.actor``: nothing is written).
    report
        What :func:`~citygrid.services.coverage.analysis.analyse_coverage` found.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per fix in EPSG:4326: area pieces for ``add_area`` and
        ``remove_area``, the feature's geometry for ``set_field``.
    """
    parts = [
        _gap_fixes(report),
        _cut_fixes(report, "gap_overlaps", "code_b", "smaller_code_keeps"),
        _cut_fixes(report, "gap_outside", "feature_code", "outside_jurisdiction"),
        _unit_fixes(ctx, report),
    ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return shaped_as(GAP_PROPOSALS, gpd.GeoDataFrame(geometry=[], crs=STORAGE_CRS))
    fixes = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=STORAGE_CRS)
    width = max(4, len(str(len(fixes))))
    ids = [f"FIX-{i + 1:0{width}d}" for i in range(len(fixes))]
    return shaped_as(GAP_PROPOSALS, fixes, {"id": ids})


def _gap_fixes(report: CoverageReport) -> pd.DataFrame:
    """Each gap and sliver added to the neighbour sharing its longest edge."""
    pieces = pd.concat(
        [report.findings["gap_uncovered"], report.findings["gap_slivers"]], ignore_index=True
    )
    cells = report.cells
    chosen, _ = geo.longest_shared_edge(
        pieces.geometry.to_numpy(), cells, metric_crs=report.metric_crs
    )
    found = chosen >= 0
    target = cells.iloc[chosen[found]]
    return pd.DataFrame(
        {
            "action": "add_area",
            "layer": "grids",
            "feature_code": target["code"].to_numpy(),
            "version": target["version"].to_numpy(),
            "area_m2": pieces.loc[found, "area_m2"].to_numpy(),
            "rule": "longest_shared_edge",
            "finding_id": pieces.loc[found, "id"].to_numpy(),
            "geometry": pieces.geometry.to_numpy()[found],
        }
    )


def _cut_fixes(report: CoverageReport, finding: str, code_column: str, rule: str) -> pd.DataFrame:
    """Each piece of a finding cut from the cell named in ``code_column``."""
    rows = report.findings[finding]
    version = report.cells.set_index("code")["version"]
    return pd.DataFrame(
        {
            "action": "remove_area",
            "layer": "grids",
            "feature_code": rows[code_column].to_numpy(),
            "version": rows[code_column].map(version).to_numpy(),
            "area_m2": rows["area_m2"].to_numpy(),
            "rule": rule,
            "finding_id": rows["id"].to_numpy(),
            "geometry": rows.geometry.to_numpy(),
        }
    )


def _unit_fixes(ctx: CityContext, report: CoverageReport) -> pd.DataFrame:
    """What auto-assign would set on the features found with no (known) unit."""
    unassigned = report.findings["gap_unassigned"]
    flagged = unassigned[unassigned["reason"].isin(_FIXED_BY_AUTO_ASSIGN)]
    flagged = flagged.drop_duplicates(["layer", "feature_code"]).rename(
        columns={"feature_code": "code", "id": "finding_id"}
    )
    if flagged.empty:
        return pd.DataFrame()
    changes = auto_assign(ctx, dry_run=True)
    merged = changes.merge(
        flagged[["layer", "code", "finding_id", "version", "geometry"]], on=["layer", "code"]
    )
    return pd.DataFrame(
        {
            "action": "set_field",
            "layer": merged["layer"].to_numpy(),
            "feature_code": merged["code"].to_numpy(),
            "field": merged["field"].to_numpy(),
            "before": _text(merged["before"]),
            "after": _text(merged["after"]),
            "version": merged["version"].to_numpy(),
            "rule": merged["rule"].to_numpy(),
            "finding_id": merged["finding_id"].to_numpy(),
            "geometry": merged["geometry"].to_numpy(),
        }
    )


def _text(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), None).to_numpy()


def run_proposals(ctx: CityContext, params: CoverageParams) -> AnalysisResult:
    """The ``gap_proposals`` layer (EPSG:4326) for the gaps found with ``params``."""
    report = analyse_coverage(ctx, params)
    result = report.result()
    return AnalysisResult({GAP_PROPOSALS.name: propose_fixes(ctx, report)}, params, result.chosen)


PROPOSALS = register_analysis(
    Analysis("gap_proposals", CoverageParams, (GAP_PROPOSALS.name,), run_proposals)
)
