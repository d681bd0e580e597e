"""Fishnets, hexagons and H3 cells, and counting points in them exactly."""

from __future__ import annotations

import math

import geopandas as gpd
import h3
import numpy as np
import pytest
import shapely

from citygrid.errors import BadInput
from citygrid.gis.binning import cell_index, count_points, fishnet, h3_cells, hexagons

METRIC = 32650


@pytest.fixture
def area() -> gpd.GeoSeries:
    """A 2 km disc in UTM 50N (Beijing), the shape of a small jurisdiction."""
    return gpd.GeoSeries([shapely.Point(450_000, 4_420_000).buffer(2_000)], crs=METRIC)


@pytest.fixture
def points() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.uniform((447_900, 4_417_900), (452_100, 4_422_100), (4_000, 2))


def _brute_force(cells: gpd.GeoDataFrame, xy: np.ndarray) -> np.ndarray:
    """Count with a plain spatial join (no point lies on an edge in these data)."""
    pts = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=cells.crs)
    joined = gpd.sjoin(pts, cells, predicate="within")
    return np.bincount(joined["index_right"].to_numpy(), minlength=len(cells))


def test_fishnet_covers_the_area_with_squares(area: gpd.GeoSeries) -> None:
    cells = fishnet(area, 250)
    assert cells.crs.to_epsg() == METRIC
    assert np.allclose(cells.area, 250 * 250)
    assert cells.union_all().covers(area.iloc[0])
    # squares whose corner region misses the disc are dropped
    assert len(cells) < 16 * 16
    assert cells["cell_id"].is_unique


def test_fishnet_counts_match_a_spatial_join(area: gpd.GeoSeries, points: np.ndarray) -> None:
    cells = fishnet(area, 250)
    counts = count_points(cells, points)
    assert np.array_equal(counts, _brute_force(cells, points))
    assert counts.sum() < len(points)  # points outside every cell are not counted


def test_points_on_shared_edges_count_once(area: gpd.GeoSeries) -> None:
    cells = fishnet(area, 500)
    minx, miny = cells.attrs["fishnet"][:2]
    corner = (minx + 1000, miny + 1000)  # a corner shared by four squares
    edge = (minx + 1000, miny + 1250)  # an edge shared by two squares
    counts = count_points(cells, np.array([corner, edge]))
    assert counts.sum() == 2
    polygons = cells.copy()
    polygons.attrs = {}  # plain polygons: counted through the STRtree
    generic = count_points(polygons, np.array([corner, edge]))
    assert generic.sum() == 2
    # each route puts a point on a shared edge where its docstring says:
    bounds = cells.bounds.to_numpy()
    north_east = [
        int(np.flatnonzero((bounds[:, 0] == x) & (bounds[:, 1] == y0))[0])
        for x, y0 in ((corner[0], corner[1]), (edge[0], miny + 1000))
    ]
    first_covering = [
        int(np.flatnonzero(polygons.covers(shapely.Point(xy)))[0]) for xy in (corner, edge)
    ]
    assert first_covering != north_east  # the two rules differ for these points
    assert cell_index(cells, np.array([corner, edge])).tolist() == north_east
    assert cell_index(polygons, np.array([corner, edge])).tolist() == first_covering


def test_count_points_accepts_geoseries_in_another_crs(
    area: gpd.GeoSeries, points: np.ndarray
) -> None:
    cells = fishnet(area, 250)
    lonlat = gpd.GeoSeries(shapely.points(points), crs=METRIC).to_crs(4326)
    assert np.array_equal(count_points(cells, lonlat), count_points(cells, points))


def test_weights_are_summed(area: gpd.GeoSeries) -> None:
    cells = fishnet(area, 1000)
    xy = np.array([[450_100.0, 4_420_100.0]] * 3)
    counts = count_points(cells, xy, weights=np.array([1.0, 2.5, 0.5]))
    assert counts.sum() == pytest.approx(4.0)
    assert counts.max() == pytest.approx(4.0)


def test_hexagons_have_the_stated_size(area: gpd.GeoSeries, points: np.ndarray) -> None:
    cells = hexagons(area, 300)
    assert np.allclose(cells.area, math.sqrt(3) / 2 * 300**2)
    assert cells.union_all().covers(area.iloc[0])
    assert cells["cell_id"].is_unique
    # side-by-side neighbours are 300 m apart
    centres = shapely.get_coordinates(cells.centroid.to_numpy())
    d = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    assert np.isclose(np.where(d > 1, d, np.inf).min(), 300)
    counts = count_points(cells, points)
    assert np.array_equal(counts, _brute_force(cells, points))


def test_h3_counts_match_h3s_own_index(area: gpd.GeoSeries, points: np.ndarray) -> None:
    cells = h3_cells(area, 8)
    assert cells.crs.to_epsg() == METRIC
    index = cell_index(cells, points)
    lonlat = shapely.get_coordinates(
        gpd.GeoSeries(shapely.points(points), crs=METRIC).to_crs(4326).to_numpy()
    )
    inside = index >= 0
    expected = [h3.latlng_to_cell(lat, lng, 8) for lng, lat in lonlat[inside]]
    assert list(cells["cell_id"].to_numpy()[index[inside]]) == expected


def test_too_many_cells_are_refused_with_the_count(area: gpd.GeoSeries) -> None:
    with pytest.raises(BadInput) as caught:
        fishnet(area, 1, max_cells=100_000)
    assert "16000000 cells" in caught.value.message()
    assert "fishnet:1" in caught.value.message()
    with pytest.raises(BadInput, match="cells over this extent"):
        hexagons(area, 2, max_cells=100_000)
    with pytest.raises(BadInput, match="h3:15"):
        h3_cells(area, 15, max_cells=100_000)


@pytest.mark.parametrize("size", [0, -5, float("nan")])
def test_sizes_must_be_positive(area: gpd.GeoSeries, size: float) -> None:
    with pytest.raises(BadInput, match="not a positive number"):
        fishnet(area, size)


def test_cells_need_a_metric_crs(area: gpd.GeoSeries) -> None:
    with pytest.raises(BadInput, match="projected CRS"):
        fishnet(area.to_crs(4326), 250)


def test_h3_resolution_is_checked(area: gpd.GeoSeries) -> None:
    with pytest.raises(BadInput, match="0 to 15"):
        h3_cells(area, 16)


def test_an_empty_area_is_refused() -> None:
    with pytest.raises(BadInput, match="area to cover"):
        fishnet(gpd.GeoSeries([], crs=METRIC), 100)


def _voronoi_cells(seed: int, rotate: float) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    box = shapely.box(0, 0, 3000, 2000)
    seeds = shapely.multipoints(rng.uniform((0, 0), (3000, 2000), (300, 2)))
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box)), box
    )
    frame = gpd.GeoDataFrame(geometry=cells, crs=METRIC)
    return frame.set_geometry(frame.rotate(rotate, origin=(0, 0)))


@pytest.mark.parametrize(("seed", "rotate"), [(0, 0.0), (1, 17.0), (2, 45.0)])
def test_raster_shortcut_gives_the_same_cells_as_the_strtree(seed: int, rotate: float) -> None:
    cells = _voronoi_cells(seed, rotate)
    rng = np.random.default_rng(seed)
    xy = np.vstack(
        [
            rng.uniform((-800, -500), (3500, 3500), (100_000, 2)),
            # cell corners and points on cell edges, where rounding could bite
            shapely.get_coordinates(cells.geometry.to_numpy()),
            shapely.get_coordinates(
                shapely.line_interpolate_point(cells.boundary.to_numpy(), 0.37, normalized=True)
            ),
        ]
    )
    shortcut = cell_index(cells, xy, raster_from=0)
    tree_only = cell_index(cells, xy, raster_from=len(xy) + 1)
    assert np.array_equal(shortcut, tree_only)
    # and, away from edges, the cells a plain spatial join finds
    interior = rng.uniform((0, 0), (3000, 2000), (20_000, 2))
    index = cell_index(cells, interior, raster_from=0)
    counts = np.bincount(index[index >= 0], minlength=len(cells))
    assert np.array_equal(counts, _brute_force(cells, interior))


def test_h3_over_an_area_in_degrees(area: gpd.GeoSeries) -> None:
    in_metres = h3_cells(area, 8)
    in_degrees = h3_cells(area.to_crs(4326), 8)
    assert in_degrees.crs.to_epsg() == 4326
    assert sorted(in_degrees["cell_id"]) == sorted(in_metres["cell_id"])
