"""Problems, cells and neighbours made ready for Gi* (shared by hot spots and emerging).

:func:`prepare` reads the problems a
:class:`~citygrid.services.hotspots.params.CellParams` selects, makes the
cells and the weights in the city's metric CRS and records what it chose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
from pyproj import CRS
from scipy import sparse

from citygrid.gis import binning
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.hotspots.band import neighbours_for
from citygrid.services.hotspots.cells import make_cells
from citygrid.services.hotspots.params import CellParams, CellsSpec
from citygrid.services.hotspots.query import metric_xy, read_problems


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
    chosen
        What was chosen or found (cell size, distance band, counts...), JSON-ready.
    """

    problems: gpd.GeoDataFrame
    xy: np.ndarray
    cell_of: np.ndarray
    cells: gpd.GeoDataFrame
    neighbours: sparse.csr_matrix
    crs: CRS
    values: np.ndarray
    chosen: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> np.ndarray:
        """Problems (or their summed weights) per cell."""
        inside = self.cell_of >= 0
        return np.bincount(
            self.cell_of[inside], weights=self.values[inside], minlength=len(self.cells)
        )


def problem_values(store: Store, problems: gpd.GeoDataFrame, weight_by: str) -> np.ndarray:
    """1 per problem for ``count``; the catalogue item's deduction weight for ``deduction``
    (items without a weight count 1).
    """
    if weight_by == "count":
        return np.ones(len(problems))
    catalogue = store.read("catalogue", columns=["code", "weight"])
    weights = catalogue.set_index("code")["weight"]
    values = problems["catalogue_code"].map(weights).to_numpy(dtype=float)
    return np.where(np.isfinite(values), values, 1.0)


def prepare(ctx: CityContext, params: CellParams) -> HotSpotSetup:
    """Read the problems, make the cells and the weights, filling in defaults.

    Cells default to a fishnet sized by
    :func:`~citygrid.services.hotspots.cells.default_cell_size`, weights to
    a distance band from
    :func:`~citygrid.services.hotspots.band.default_distance_band`; no
    more cells than the config's ``max_cells`` are made; everything is
    measured in ``ctx.metric_crs``.
    """
    store = ctx.store
    problems = read_problems(ctx, params)
    values = problem_values(store, problems, params.weight_by)
    crs = ctx.metric_crs
    xy = metric_xy(problems, crs)
    cells = params.cells_spec()
    cell_frame, used = make_cells(
        store, cells or CellsSpec("fishnet"), crs, xy, max_cells=ctx.config.max_cells
    )
    cell_of = binning.cell_index(cell_frame, xy)
    setup = HotSpotSetup(problems, xy, cell_of, cell_frame, sparse.csr_matrix((0, 0)), crs, values)
    weights = params.weights_spec()
    neighbours, weights_used, profile = neighbours_for(cell_frame, setup.counts(), weights)
    setup.neighbours = neighbours
    setup.chosen = {
        "cells": str(used),
        "cell_size_m": used.size if used.kind in ("fishnet", "hex") else None,
        "n_cells": len(cell_frame),
        "weights": str(weights_used),
        "weights_default": weights is None,
        "cells_default": cells is None,
        "moran_profile": [[round(d, 1), round(z, 3)] for d, z in profile],
        "n_problems": len(problems),
        "first_reported": problems["reported_at"].min().isoformat(),
        "last_reported": problems["reported_at"].max().isoformat(),
        "problems_outside_cells": int((cell_of < 0).sum()),
        "metric_crs": crs.to_string(),
    }
    return setup
