"""Problems, cells and neighbours made ready for Gi* (shared by hot spots and emerging).

:func:`prepare` tallies the problems a
:class:`~citygrid.services.hotspots.params.CellParams` selects in cells, makes the
cells and the weights in the city's metric CRS and records what it chose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
from pyproj import CRS
from scipy import sparse

from citygrid.services.context import CityContext
from citygrid.services.hotspots.band import neighbours_for
from citygrid.services.hotspots.cells import make_cells
from citygrid.services.hotspots.params import CellParams, CellsSpec
from citygrid.services.hotspots.tallies import (
    Tallies,
    grid_tallies,
    point_tallies,
    read_points,
    span,
)


@dataclass
class HotSpotSetup:
    """Problems tallied in cells, and the neighbours, ready for Gi* (all in the metric CRS).

    Attributes
    ----------
    tallies
        Groups of problems, each in one cell (see
        :class:`~citygrid.services.hotspots.tallies.Tallies`).
    cells
        The cells, with ``cell_id``.
    neighbours
        Binary neighbour matrix (no diagonal).
    crs
        The metric CRS.
    chosen
        What was chosen or found (cell size, distance band, counts...), JSON-ready.
    """

    tallies: Tallies
    cells: gpd.GeoDataFrame
    neighbours: sparse.csr_matrix
    crs: CRS
    chosen: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> np.ndarray:
        """Problems (or their summed weights) per cell."""
        inside = self.tallies.cell_of >= 0
        return np.bincount(
            self.tallies.cell_of[inside],
            weights=self.tallies.values[inside],
            minlength=len(self.cells),
        )


def prepare(ctx: CityContext, params: CellParams, *, monthly: bool = False) -> HotSpotSetup:
    """Tally the problems in cells and build the weights, filling in defaults.

    On the city's grids problems are counted by a GROUP BY on the cell they
    were routed to (:func:`~citygrid.services.hotspots.tallies.grid_tallies`);
    in other cells they are read as coordinates and placed. Cells default to
    a fishnet sized by
    :func:`~citygrid.services.hotspots.cells.default_cell_size`, weights to
    a distance band from
    :func:`~citygrid.services.hotspots.band.default_distance_band`; no
    more cells than the config's ``max_cells`` are made; everything is
    measured in ``ctx.metric_crs``. ``monthly`` keeps each group's month.
    """
    store = ctx.store
    crs = ctx.metric_crs
    spec = params.cells_spec() or CellsSpec("fishnet")
    if spec.kind == "grids":
        cell_frame, used = make_cells(store, spec, crs, np.zeros((0, 2)))
        tallies, (n_problems, first, last) = grid_tallies(ctx, params, cell_frame, monthly=monthly)
    else:
        n_problems, first, last = span(ctx, params)
        points = read_points(ctx, params, monthly=monthly)
        cell_frame, used = make_cells(store, spec, crs, points.xy, max_cells=ctx.config.max_cells)
        tallies = point_tallies(store, params, points, cell_frame)
    setup = HotSpotSetup(tallies, cell_frame, sparse.csr_matrix((0, 0)), crs)
    weights = params.weights_spec()
    neighbours, weights_used, profile = neighbours_for(cell_frame, setup.counts(), weights)
    setup.neighbours = neighbours
    setup.chosen = {
        "cells": str(used),
        "cell_size_m": used.size if used.kind in ("fishnet", "hex") else None,
        "n_cells": len(cell_frame),
        "weights": str(weights_used),
        "weights_default": weights is None,
        "cells_default": params.cells_spec() is None,
        "moran_profile": [[round(d, 1), round(z, 3)] for d, z in profile],
        "n_problems": n_problems,
        "first_reported": first.isoformat(),
        "last_reported": last.isoformat(),
        "problems_outside_cells": int(tallies.problems[tallies.cell_of < 0].sum()),
        "metric_crs": crs.to_string(),
    }
    return setup
