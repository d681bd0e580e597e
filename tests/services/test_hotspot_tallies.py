"""Problems per grid cell by GROUP BY equal the point-in-cell count, on both backends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hotspot_city import build_city

from citygrid.config import Config
from citygrid.gis import binning
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.hotspots.cells import make_cells
from citygrid.services.hotspots.params import CellsSpec, EmergingParams, HotSpotParams
from citygrid.services.hotspots.query import metric_xy
from citygrid.services.hotspots.setup import prepare
from citygrid.services.routing.reroute import route_problems


@pytest.fixture
def routed(store: Store) -> CityContext:
    """The hot-spot city with its open problems routed (closed ones keep no cell), one
    problem routed to a cell since removed, and one far outside every cell."""
    build_city(store)
    ctx = CityContext(store, Config())
    route_problems(ctx, statuses=("open",), dry_run=False)
    table = store.table("problems")
    with store.transaction() as conn:
        conn.execute(sa.update(table).where(table.c.code == "P00001").values(grid_code="GONE"))
    return ctx


def _point_counts(ctx: CityContext) -> tuple[np.ndarray, np.ndarray]:
    """Today's count: every problem read and placed in the cells by geometry."""
    problems = ctx.store.read("problems", columns=["reported_at"])
    xy = metric_xy(problems, ctx.metric_crs)
    cells, _ = make_cells(ctx.store, CellsSpec("grids"), ctx.metric_crs, xy)
    cell_of = binning.cell_index(cells, xy)
    month = pd.PeriodIndex(problems["reported_at"], freq="M")
    return cell_of, (month - month.min()).map(lambda d: d.n).to_numpy()


def test_grid_counts_by_group_by_equal_points_in_cells(routed: CityContext) -> None:
    grouped = routed.store.count_by("problems", ["grid_code"])
    assert {"GONE", None} <= set(grouped["grid_code"])  # both kinds of stray are there
    assert len(grouped) > 10  # and most problems are counted where they were routed
    setup = prepare(routed, HotSpotParams(cells="grids"))
    cell_of, _ = _point_counts(routed)
    inside = cell_of >= 0
    expected = np.bincount(cell_of[inside], minlength=len(setup.cells))
    np.testing.assert_array_equal(setup.counts(), expected)
    assert setup.chosen["n_problems"] == len(cell_of)
    assert setup.chosen["problems_outside_cells"] == int((~inside).sum())
    assert setup.tallies.problems.sum() == len(cell_of)


def test_monthly_grid_counts_equal_points_in_cells(routed: CityContext) -> None:
    setup = prepare(routed, EmergingParams(cells="grids"), monthly=True)
    tallies = setup.tallies
    assert tallies.reported_at is not None
    cell_of, month = _point_counts(routed)
    first = pd.Period(tallies.reported_at.min(), freq="M")
    got_month = (pd.PeriodIndex(tallies.reported_at, freq="M") - first).map(lambda d: d.n)
    t = int(month.max()) + 1
    n = len(setup.cells)
    inside = tallies.cell_of >= 0
    got = np.bincount(
        tallies.cell_of[inside] * t + got_month.to_numpy()[inside],
        weights=tallies.values[inside],
        minlength=n * t,
    )
    keep = cell_of >= 0
    want = np.bincount(cell_of[keep] * t + month[keep], minlength=n * t)
    np.testing.assert_array_equal(got, want)


def test_deduction_weights_on_grids_equal_points_in_cells(routed: CityContext) -> None:
    by_group = prepare(routed, HotSpotParams(cells="grids", weight_by="deduction")).counts()
    problems = routed.store.read("problems", columns=["catalogue_code"])
    xy = metric_xy(problems, routed.metric_crs)
    cells, _ = make_cells(routed.store, CellsSpec("grids"), routed.metric_crs, xy)
    cell_of = binning.cell_index(cells, xy)
    weights = np.where(problems["catalogue_code"] == "S1.1.1", 2.0, 1.0)
    inside = cell_of >= 0
    expected = np.bincount(cell_of[inside], weights=weights[inside], minlength=len(cells))
    np.testing.assert_allclose(by_group, expected)


def test_hot_spots_on_grids_count_with_the_maps_counts(routed: CityContext) -> None:
    """Once the map has counted the problems per cell (its first page), hot spots on grid
    cells with the same filters read no problem row again, and count the same; a write
    counts again."""
    from citygrid.services.problems.summary import warm_counts

    expected = prepare(routed, HotSpotParams(cells="grids")).counts()
    store = routed.store
    warm_counts(CityContext(store, Config()))
    grouped: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if "GROUP BY" in statement.upper():
            grouped.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        setup = prepare(CityContext(store, Config()), HotSpotParams(cells="grids"))
        assert grouped == []
        np.testing.assert_array_equal(setup.counts(), expected)
        unrouted = pd.DataFrame({"code": ["P00002"], "grid_code": [None]})
        store.update("problems", unrouted, actor="test")
        again = prepare(CityContext(store, Config()), HotSpotParams(cells="grids"))
        assert len(grouped) == 1
        assert again.chosen["n_problems"] == setup.chosen["n_problems"]
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
