"""Hot spots of problems: where they cluster beyond chance (Getis-Ord Gi* with FDR).

The analysis in four steps, each a function the web map can call too:

1. :func:`~citygrid.services.hotspots.query.read_problems` reads the
   problems the :class:`~citygrid.services.hotspots.params.ProblemFilters` select;
2. :func:`~citygrid.services.hotspots.cells.make_cells` makes the cells (the
   city's grids, or a fishnet, hexagons or H3 cells over the jurisdiction
   in the city's metric CRS);
3. :func:`~citygrid.services.hotspots.cells.default_cell_size` and
   :func:`~citygrid.services.hotspots.band.default_distance_band` fill in
   what the user left out, the way ArcGIS's Optimized Hot Spot Analysis
   does (cell size from the points' spacing, distance band at the first
   peak of incremental spatial autocorrelation);
4. :func:`~citygrid.services.hotspots.setup.prepare` counts problems per
   cell and builds the neighbours; :func:`hot_spot_frame` runs Gi* and
   shapes the ``hotspots`` layer.

:func:`run_hot_spots` does it all in a :class:`CityContext` and returns an
:class:`~citygrid.services.analysis.AnalysisResult` holding the
``hotspots`` layer (EPSG:4326) and every choice made.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
from scipy import sparse

from citygrid.gis.geometry import promote_to_multi
from citygrid.services.analysis import Analysis, AnalysisResult, register_analysis
from citygrid.services.context import CityContext
from citygrid.services.hotspots.gistar import gi_star
from citygrid.services.hotspots.params import HotSpotParams
from citygrid.services.hotspots.setup import prepare


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


def run_hot_spots(ctx: CityContext, params: HotSpotParams) -> AnalysisResult:
    """The ``hotspots`` layer (EPSG:4326) for the problems the parameters select.

    See :func:`~citygrid.services.hotspots.setup.prepare` for the defaults
    and :func:`hot_spot_frame` for the columns; ``result.chosen`` holds
    every choice made. The same store data and parameters give the same
    frame.
    """
    setup = prepare(ctx, params)
    frame = hot_spot_frame(
        setup.cells,
        setup.counts(),
        setup.neighbours,
        permutations=params.permutations,
        seed=params.seed,
        fdr=params.fdr,
    ).to_crs(4326)
    chosen = {
        **setup.chosen,
        "hot_cells": int((frame["gi_bin"] > 0).sum()),
        "cold_cells": int((frame["gi_bin"] < 0).sum()),
    }
    return AnalysisResult({"hotspots": frame}, params, chosen)


HOT_SPOTS = register_analysis(Analysis("hotspots", HotSpotParams, ("hotspots",), run_hot_spots))
