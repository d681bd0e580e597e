"""Coverage geometry on small hand-made coverages in a metric CRS (EPSG:4547)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from citygrid.gis import clusters
from citygrid.gis import coverage as geo

CRS = "EPSG:4547"
X0, Y0 = 530_000.0, 3_385_000.0


def box(x1: float, y1: float, x2: float, y2: float) -> shapely.Polygon:
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def cells(codes: list[str], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": codes}, geometry=geoms, crs=CRS)


def test_polygon_parts_digs_polygons_out_of_nested_collections() -> None:
    nested = shapely.GeometryCollection(
        [
            shapely.MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)]),
            shapely.LineString([(0, 0), (1, 1)]),
        ]
    )
    parts, index = geo.polygon_parts(np.array([box(5, 5, 6, 6), None, nested], dtype=object))
    assert list(index) == [0, 2, 2]
    assert shapely.area(parts).tolist() == [1.0, 1.0, 1.0]
    merged = geo.polygonal(np.array([shapely.LineString([(0, 0), (1, 1)]), nested], dtype=object))
    assert merged[0] is None
    assert merged[1].geom_type == "MultiPolygon"
    assert merged[1].area == pytest.approx(2.0)


def test_uncovered_land_splits_gaps_from_slivers_by_area_and_by_width() -> None:
    territory = box(0, 0, 300, 100)
    grid = np.array(
        [
            box(0, 0, 99.5, 100),  # 0.5 m x 100 m sliver to the next cell: 50 m², narrow
            shapely.Polygon(
                box(100, 0, 200, 100).exterior.coords,
                [box(150, 50, 152, 52).exterior.coords],  # 2 m x 2 m hole: 4 m², small
            ),
        ],
        dtype=object,
    )
    found = geo.uncovered_land(
        territory,
        geo.union_cells(grid, valid_coverage=False),
        crs=CRS,
        metric_crs=CRS,
        min_area_m2=10.0,
        min_width_m=1.0,
    )
    assert found["area_m2"].tolist() == pytest.approx([10_000.0, 50.0, 4.0])
    assert found["width_m"].tolist() == pytest.approx([100.0, 0.5, 2.0], abs=0.002)
    assert found["sliver"].tolist() == [False, True, True]
    assert found.crs == CRS


def test_widths_of_thin_pieces_by_bisection_match_the_inscribed_circle() -> None:
    thin = np.array(
        [
            shapely.Polygon([(0, 0), (300, 290), (300.6, 290), (0.6, 0)]),  # a diagonal strip
            box(0, 0, 0.8, 200).union(box(0, 0, 200, 0.8)),  # an L of 0.8 m strips
            box(0, 0, 50, 30),
        ],
        dtype=object,
    )
    circle = 2 * shapely.length(shapely.maximum_inscribed_circle(thin, 1e-5))
    bisected = geo.inscribed_width(thin, narrow_below=1.0)
    assert bisected.tolist() == pytest.approx(circle.tolist(), rel=2e-3)
    assert bisected[2] == pytest.approx(30.0, rel=1e-3)


def test_near_any_point_or_polygon() -> None:
    targets = np.array([shapely.Point(X0, Y0), box(1000, 0, 1010, 10)], dtype=object)
    queries = shapely.points([(X0 + 99, Y0), (X0 + 101, Y0), (X0 + 1109, Y0 + 5), (X0 + 1111, Y0)])
    assert clusters.near_any(queries, targets, 100.0).tolist() == [True, False, True, False]
    assert not clusters.near_any(queries, targets[:0], 100.0).any()


def test_hair_thin_pieces_are_noise() -> None:
    territory = box(0, 0, 100, 100)
    grid = np.array([box(0, 0, 100, 99.995)], dtype=object)  # 5 mm short: 0.5 m² but hair-thin
    found = geo.uncovered_land(
        territory, grid[0], crs=CRS, metric_crs=CRS, min_area_m2=1, min_width_m=1
    )
    assert found.empty


def test_invalid_edges_flag_near_misses_and_not_a_clean_tiling() -> None:
    clean = cells(["A", "B"], [box(0, 0, 100, 100), box(100, 0, 200, 100)])
    assert geo.invalid_edges(clean, key="code", gap_width_m=1.0).empty
    near = cells(
        ["A", "B", "C"], [box(0, 0, 99.7, 100), box(100, 0, 200, 100), box(0, 200, 9, 209)]
    )
    edges = geo.invalid_edges(near, key="code", gap_width_m=1.0)
    assert edges["code"].tolist() == ["A", "B"]
    assert edges["length_m"].tolist() == pytest.approx([100.0, 100.0])
    assert geo.invalid_edges(near, key="code", gap_width_m=0.1).empty


@pytest.mark.parametrize("only_candidates", [False, True])
def test_overlapping_pairs_with_shared_areas(only_candidates: bool) -> None:
    grid = cells(
        ["网格3", "网格1", "网格2", "网格4", "网格5"],
        [
            box(90, 0, 200, 100),  # overlaps 网格1 by 10 m x 100 m
            box(0, 0, 100, 100),
            box(0, 100, 100, 200),  # touches 网格1 and 网格3 only
            box(20, 120, 40, 140),  # inside 网格2
            box(0, 100, 100, 200),  # the same as 网格2
        ],
    )
    candidates = None
    if only_candidates:
        edges = geo.invalid_edges(grid, key="code", gap_width_m=0.0)
        candidates = grid["code"].isin(edges["code"]).to_numpy()
    pairs = geo.overlapping_pairs(grid, key="code", metric_crs=CRS, candidates=candidates)
    assert list(zip(pairs["code_a"], pairs["code_b"], strict=True)) == [
        ("网格1", "网格3"),
        ("网格2", "网格4"),
        ("网格2", "网格5"),
        ("网格4", "网格5"),
    ]
    assert pairs["area_m2"].tolist() == pytest.approx([1_000.0, 400.0, 10_000.0, 400.0])
    assert pairs["share_a"].tolist() == pytest.approx([0.1, 0.04, 1.0, 1.0])
    assert pairs["share_b"].tolist() == pytest.approx([1_000 / 11_000, 1.0, 1.0, 0.04])


def test_outside_parts_and_lines_and_points_outside_the_cells() -> None:
    territory = box(0, 0, 200, 100)
    grid = cells(["A", "B"], [box(0, 0, 100, 100), box(100, 0, 230, 100)])
    outside = geo.outside_parts(grid, territory, key="code", metric_crs=CRS)
    assert outside["code"].tolist() == ["B"]
    assert outside["area_m2"].tolist() == pytest.approx([3_000.0])
    assert outside["share"].tolist() == pytest.approx([3_000 / 13_000])
    covered = box(0, 0, 100, 100)
    lines = np.array(
        [
            shapely.LineString([(X0 + 10, Y0 + 50), (X0 + 90, Y0 + 50)]),
            shapely.LineString([(X0 + 50, Y0 + 50), (X0 + 150, Y0 + 50)]),
            shapely.LineString([(X0 + 0, Y0 + 0), (X0 + 100, Y0 + 0)]),  # on the edge
        ],
        dtype=object,
    )
    assert geo.length_outside(lines, covered, crs=CRS, metric_crs=CRS).tolist() == pytest.approx(
        [0.0, 50.0, 0.0]
    )
    points = shapely.points([(X0 + 50, Y0 + 50), (X0 + 150, Y0 + 50), (X0 + 100, Y0 + 20)])
    assert geo.outside_all(points, covered).tolist() == [False, True, False]


def test_locate_by_representative_point() -> None:
    areas = np.array([box(0, 0, 100, 100), box(100, 0, 200, 100)], dtype=object)
    things = np.array(
        [
            box(150, 10, 160, 20),
            shapely.LineString([(X0 + 10, Y0 + 10), (X0 + 20, Y0 + 10)]),
            box(500, 0, 510, 10),
        ],
        dtype=object,
    )
    assert geo.locate(things, areas).tolist() == [1, 0, -1]


def test_longest_shared_edge_picks_the_longer_neighbour() -> None:
    grid = cells(
        ["short", "long", "far"],
        [box(0, 0, 100, 30), box(0, 30, 100, 130), box(500, 500, 600, 600)],
    )
    pieces = np.array(
        [box(100, 20, 110, 130), box(300, 300, 310, 310)], dtype=object
    )  # touches "short" over 10 m and "long" over 100 m; the second touches nothing
    chosen, shared = geo.longest_shared_edge(pieces, grid, metric_crs=CRS)
    assert chosen.tolist() == [1, -1]
    assert shared[0] == pytest.approx(100.0, abs=0.05)


def _reference_clusters(xy: np.ndarray, k: int, radius: float) -> list[set[int]]:
    """Clusters of core points by the textbook rule, pair by pair (small n only)."""
    near = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) <= radius
    core = near.sum(axis=1) >= k
    seen: set[int] = set()
    clusters = []
    for start in np.flatnonzero(core):
        if start in seen:
            continue
        members, todo = set(), [int(start)]
        while todo:
            i = todo.pop()
            if i in members:
                continue
            members.add(i)
            todo += [int(j) for j in np.flatnonzero(near[i] & core) if j not in members]
        seen |= members
        clusters.append(members)
    return clusters


def test_density_clusters_match_the_textbook_rule_on_core_points() -> None:
    rng = np.random.default_rng(7)
    xy = np.vstack(
        [
            rng.normal((0, 0), 8, (40, 2)),
            rng.normal((300, 0), 8, (25, 2)),
            rng.uniform(-500, 800, (60, 2)),
        ]
    )
    labels = clusters.density_clusters(xy, k=5, radius=20.0)
    expected = _reference_clusters(xy, 5, 20.0)
    core = {i for cluster in expected for i in cluster}
    got = {}
    for i in core:
        got.setdefault(int(labels[i]), set()).add(i)
    assert sorted(map(sorted, got.values())) == sorted(map(sorted, expected))
    near_core = [i for i in range(len(xy)) if np.any(np.hypot(*(xy[list(core)] - xy[i]).T) <= 20.0)]
    assert set(np.flatnonzero(labels >= 0)) == set(near_core)
    assert labels.max() == len(expected) - 1


def test_density_clusters_with_too_few_points() -> None:
    assert clusters.density_clusters(np.zeros((3, 2)), k=5, radius=10).tolist() == [-1, -1, -1]


def test_blind_spots_are_clusters_far_from_every_point() -> None:
    far_cluster = [(1000 + dx, 1000 + dy) for dx, dy in [(0, 0), (3, 1), (-2, 2), (1, -3), (2, 2)]]
    near_cluster = [(dx, dy) for dx, dy in [(0, 0), (3, 1), (-2, 2), (1, -3), (2, 2)]]
    interleaved = [xy for pair in zip(far_cluster, near_cluster, strict=True) for xy in pair]
    problems = shapely.points([(X0 + x, Y0 + y) for x, y in interleaved])
    points = gpd.GeoDataFrame(
        {"code": ["点位1", "点位2"]},
        geometry=[box(-5, -5, 5, 5), box(1000, 1200, 1010, 1210)],
        crs=CRS,
    )
    spots = clusters.blind_spots(problems, points, key="code", k=5, radius_m=10, far_m=100)
    assert spots["problems"].tolist() == [5]
    assert spots["nearest_point_code"].tolist() == ["点位2"]
    assert spots["center_x"].iloc[0] == pytest.approx(X0 + 1000.8)
    assert spots["nearest_point_m"].iloc[0] == pytest.approx(1200 - 1000.4)
    assert spots.geometry.iloc[0].contains(shapely.Point(X0 + 1000, Y0 + 1000))
    no_points = points.iloc[:0]
    assert (
        len(clusters.blind_spots(problems, no_points, key="code", k=5, radius_m=10, far_m=100)) == 2
    )


def test_areas_are_measured_in_the_metric_crs() -> None:
    square = gpd.GeoSeries([box(0, 0, 100, 100)], crs=CRS).to_crs("EPSG:4326")
    area = geo.area_m2(square.to_numpy(), crs="EPSG:4326", metric_crs=CRS)
    assert area[0] == pytest.approx(10_000.0, rel=1e-6)


@pytest.mark.parametrize(
    "extra",
    [[], [None], [shapely.Point()], [shapely.Point(112.99, 28.2, 5.0)], [shapely.box(0, 0, 1, 1)]],
    ids=["points", "a missing one", "an empty one", "one in 3-D", "a polygon"],
)
def test_to_metric_projects_as_geopandas_does(extra: list[object]) -> None:
    points = [shapely.Point(112.98, 28.19), shapely.Point(113.01, 28.21)]
    geoms = np.array([*points, *extra], dtype=object)
    got = geo.to_metric(geoms, 4326, 32649)
    expected = gpd.GeoSeries(geoms, crs=4326).to_crs(32649).to_numpy()
    assert len(got) == len(geoms)
    assert all(
        (a is None and b is None) or shapely.equals_exact(a, b, tolerance=1e-6)
        for a, b in zip(got, expected, strict=True)
    )
