"""The hot-spot analysis against a store: filters, cells, defaults, output and bad input."""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from esda.moran import Moran
from hotspot_city import METRIC, ORIGIN, SIDE, build_city
from libpysal.weights import WSP

from citygrid.config import Config
from citygrid.errors import BadInput, NotFound
from citygrid.gis.binning import fishnet
from citygrid.i18n import language
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.services.analysis import AnalysisResult, get_analysis
from citygrid.services.context import CityContext
from citygrid.services.hotspots.band import default_distance_band, moran_profile, moran_z
from citygrid.services.hotspots.cells import default_cell_size
from citygrid.services.hotspots.hot_spots import run_hot_spots
from citygrid.services.hotspots.params import (
    CellsSpec,
    HotSpotParams,
    ProblemFilters,
    parse_cells,
    parse_weights,
)
from citygrid.services.hotspots.query import read_problems
from citygrid.services.hotspots.weights import build_weights

CONFIG = Config()


def hot(store: Store, **values: object) -> AnalysisResult:
    """Hot spots of the store's problems with the parameters given."""
    return run_hot_spots(CityContext(store, CONFIG), HotSpotParams(**values))


@pytest.fixture
def city(store: Store) -> Store:
    build_city(store)
    return store


def _problems_in_metres(store: Store) -> gpd.GeoDataFrame:
    return store.read("problems").to_crs(METRIC)


def test_grids_with_queen_weights(city: Store) -> None:
    result = hot(city, cells="grids", weights="queen")
    frame = result.frame
    layer = get_layer("hotspots")
    assert set(layer.field_names) <= set(frame.columns)
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == SIDE * SIDE
    # counts equal a spatial join of the stored problems into the stored grids
    grids = city.read("grids")
    joined = gpd.sjoin(city.read("problems", columns=["status"]), grids, predicate="within")
    expected = joined.groupby("code").size().reindex(grids["code"], fill_value=0)
    assert frame["count"].tolist() == expected.astype(float).tolist()
    # corner cells have 3 queen neighbours, inner cells 8
    assert sorted(set(frame["n_neighbors"])) == [3, 5, 8]
    # the cluster is in the north-east: the cell holding its centre is hot
    centre = gpd.GeoSeries([shapely.Point(ORIGIN[0] + 1625, ORIGIN[1] + 1625)], crs=METRIC).to_crs(
        4326
    )
    hot_cell = frame[frame.contains(centre.iloc[0])]
    assert hot_cell["gi_bin"].iloc[0] == 3
    assert frame["gi_bin"].between(-3, 3).all()
    parameters = result.parameters()
    assert parameters["cells"] == "grids"
    assert parameters["weights"] == "queen"
    assert parameters["n_problems"] == 600
    assert parameters["problems_outside_cells"] == 0


def test_defaults_choose_cell_size_and_distance_band(city: Store) -> None:
    result = hot(city)
    frame, parameters = result.frame, result.parameters()
    assert parameters["cells_default"]
    assert parameters["weights_default"]
    assert parameters["cells"].startswith("fishnet:")
    assert parameters["cell_size_m"] > 0
    assert parameters["weights"].startswith("distance:")
    # up to 10 distances, fewer when the band would give cells too many neighbours
    assert 3 <= len(parameters["moran_profile"]) <= 10
    assert frame["count"].sum() == 600
    assert (frame["gi_bin"] > 0).any()


def test_filters_select_the_right_problems(city: Store) -> None:
    problems = city.read("problems")
    result = hot(
        city,
        since=date(2024, 2, 1),
        until=date(2024, 3, 31),
        category="S1",
        statuses="open",
        unit="U1",
        cells="grids",
    )
    frame = result.frame
    wanted = problems[
        (problems["reported_at"] >= datetime(2024, 2, 1))
        & (problems["reported_at"] < datetime(2024, 4, 1))
        & (problems["catalogue_code"] == "S1.1.1")  # S1's descendant
        & (problems["status"] == "open")
        & (problems["unit_code"] == "U1")
    ]
    assert 0 < len(wanted) < 600
    assert result.chosen["n_problems"] == len(wanted)
    assert frame["count"].sum() == len(wanted)


def test_date_filters_at_exact_midnight(store: Store) -> None:
    stamps = [
        "2024-01-31 23:59:59",
        "2024-02-01 00:00:00",
        "2024-03-31 23:59:59",
        "2024-04-01 00:00:00",
    ]
    store.write(
        "problems",
        gpd.GeoDataFrame(
            {
                "code": ["M1", "M2", "M3", "M4"],
                "catalogue_code": "S1",
                "status": "open",
                "reported_at": pd.to_datetime(stamps),
            },
            geometry=[shapely.Point(112.98 + i / 1000, 28.2) for i in range(4)],
            crs="EPSG:4326",
        ),
    )
    found = read_problems(
        CityContext(store, CONFIG), ProblemFilters(since=date(2024, 2, 1), until=date(2024, 3, 31))
    )
    assert sorted(found["reported_at"].astype(str)) == [
        "2024-02-01 00:00:00",
        "2024-03-31 23:59:59",
    ]


def test_weighting_by_deduction(city: Store) -> None:
    result = hot(city, cells="grids", weight_by="deduction")
    frame = result.frame
    codes = city.read("problems", columns=["catalogue_code"])["catalogue_code"]
    # S1.1.1 deducts 2 points; S2 has no weight and counts 1
    expected = 2.0 * (codes == "S1.1.1").sum() + (codes == "S2").sum()
    assert frame["count"].sum() == pytest.approx(expected)
    assert result.parameters()["weight_by"] == "deduction"
    with pytest.raises(BadInput, match="weight_by") as caught:
        hot(city, weight_by="price")
    assert caught.value.params["param"] == "weight_by"


def test_permutations_add_pseudo_p_values(city: Store) -> None:
    frame = hot(city, cells="grids", permutations=99, seed=3).frame
    assert frame["gi_psim"].between(0.01, 0.5).all()
    again = hot(city, cells="grids", permutations=99, seed=3).frame
    assert frame["gi_psim"].tolist() == again["gi_psim"].tolist()


def test_hexagons_and_h3(city: Store) -> None:
    hexes = hot(city, cells="hex:300").frame
    assert hexes["count"].sum() == 600
    h3 = hot(city, cells="h3:9", weights="knn:6").frame
    assert h3["count"].sum() == 600
    assert (h3["n_neighbors"] == 6).all()


# -- bad input --------------------------------------------------------------


def test_no_problems_in_the_range(city: Store) -> None:
    with pytest.raises(BadInput) as caught:
        hot(city, since=date(2030, 1, 1))
    assert "No problems match" in caught.value.message()
    assert "2030-01-01" in caught.value.message()


def test_unknown_category_and_unit(city: Store) -> None:
    with pytest.raises(NotFound, match="Unknown category 'X9'"):
        read_problems(CityContext(city, CONFIG), ProblemFilters(category="X9"))
    with pytest.raises(NotFound, match="Unknown unit 'U9'"):
        read_problems(CityContext(city, CONFIG), ProblemFilters(unit="U9"))


def test_weights_leaving_every_cell_isolated(city: Store) -> None:
    with pytest.raises(BadInput, match="without a neighbour"):
        hot(city, cells="grids", weights="distance:10")


def test_a_cell_size_too_small_for_the_extent(city: Store) -> None:
    with pytest.raises(BadInput) as caught:
        hot(city, cells="fishnet:1")
    # 2 km square (a little more after the round trip through EPSG:4326) in 1 m squares
    assert re.search(r"would make 40\d{5} cells", caught.value.message())


def test_message_in_chinese(city: Store) -> None:
    with pytest.raises(BadInput) as caught:
        hot(city, since=date(2030, 1, 1))
    with language("zh_CN"):
        assert "没有符合条件的问题" in caught.value.message()


@pytest.mark.parametrize(
    ("texts", "param", "message"),
    [
        ({"since": "2024-05-01", "until": "2024-02-01"}, "since", "is after until"),
        ({"since": "yesterday"}, "since", "is not valid"),
        ({"until": "2024-13-45"}, "until", "is not valid"),
        ({"statuses": "open,lost"}, "statuses", "Unknown problem status lost"),
        ({"cells": "squares"}, "cells", "not understood"),
        ({"cells": "fishnet:-1"}, "cells", "not understood"),
        ({"weights": "distance:abc"}, "weights", "not understood"),
        ({"weights": "knn:0"}, "weights", "at least 1 neighbour"),
        ({"weight_by": "price"}, "weight_by", "is not one of"),
        ({"permutations": "-1"}, "permutations", "below its minimum"),
        ({"permutations": "NaN"}, "permutations", "is not valid"),
        ({"permutations": "1.5"}, "permutations", "is not valid"),
        ({"seed": "x"}, "seed", "is not valid"),
        ({"fdr": "maybe"}, "fdr", "is not valid"),
    ],
)
def test_bad_hot_spot_parameters_name_the_parameter(
    texts: dict[str, str], param: str, message: str
) -> None:
    with pytest.raises(BadInput, match=message) as caught:
        HotSpotParams.from_text(texts)
    assert caught.value.params["param"] == param


def test_bad_values_from_code_are_refused_too() -> None:
    with pytest.raises(BadInput) as caught:
        HotSpotParams(permutations=-1)
    assert caught.value.params["param"] == "permutations"
    with pytest.raises(BadInput) as caught:
        HotSpotParams(cells="squares")
    assert caught.value.params["param"] == "cells"
    with pytest.raises(BadInput) as caught:
        HotSpotParams(seed="3")  # type: ignore[arg-type]
    assert caught.value.params["param"] == "seed"


def test_unknown_parameter_name() -> None:
    with pytest.raises(BadInput, match="no parameter colour"):
        HotSpotParams.from_text({"colour": "red"})


def test_the_registered_analysis_gives_the_same_frame(city: Store) -> None:
    analysis = get_analysis("hotspots")
    texts = {"cells": "grids", "weights": "queen", "since": "2024-01-01", "statuses": "open"}
    result = analysis.run(CityContext(city, CONFIG), analysis.params.from_text(texts))
    expected = hot(city, cells="grids", weights="queen", since=date(2024, 1, 1), statuses="open")
    pd.testing.assert_frame_equal(result.frame, expected.frame)
    assert result.parameters() == expected.parameters()


@pytest.mark.parametrize("text", ["grid", "fishnet:", "fishnet:-1", "hex:abc", "h3", "h3:x", ""])
def test_bad_cells_syntax(text: str) -> None:
    with pytest.raises(BadInput, match=r"not understood|not a positive"):
        parse_cells(text)


def test_parse_cells_and_dates() -> None:
    assert parse_cells("fishnet:250") == CellsSpec("fishnet", 250.0)
    assert parse_cells("HEX") == CellsSpec("hex", None)
    assert parse_cells("h3:9") == CellsSpec("h3", 9.0)
    assert HotSpotParams.from_text({"cells": "HEX"}).cells == "hex"
    until = ProblemFilters.from_text({"since": "2024-03-31", "until": "2024-03-31T12:00"})
    assert until.start() == datetime(2024, 3, 31)
    assert until.stop() == datetime(2024, 4, 1)
    assert ProblemFilters(statuses=" open, ,closed").statuses == "open,closed"


# -- defaults ---------------------------------------------------------------


def test_moran_z_matches_esda() -> None:
    area = gpd.GeoSeries([shapely.box(0, 0, 2000, 2000)], crs=METRIC)
    cells = fishnet(area, 200)
    counts = np.random.default_rng(1).poisson(4, len(cells)).astype(float)
    counts[:20] += 10
    neighbours = build_weights(cells, parse_weights("distance:450"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = Moran(counts, WSP(neighbours).to_W(), transformation="B").z_norm
    assert moran_z(counts, neighbours) == pytest.approx(reference, abs=1e-9)
    assert moran_z(np.ones(len(cells)), neighbours) == 0.0


def test_distance_band_at_the_first_peak() -> None:
    area = gpd.GeoSeries([shapely.box(0, 0, 4000, 4000)], crs=METRIC)
    cells = fishnet(area, 200)
    xy = np.column_stack([cells.centroid.x, cells.centroid.y])
    # blobs about 1 km across: autocorrelation peaks at a few cells' distance
    counts = np.round(
        10 * np.exp(-((xy[:, 0] % 2000 - 1000) ** 2 + (xy[:, 1] % 2000 - 1000) ** 2) / 300**2)
    )
    band, profile = default_distance_band(cells, counts)
    zs = [z for _, z in profile]
    i = [d for d, _ in profile].index(band)
    assert profile[0][0] == pytest.approx(200)
    assert 0 < i < 9
    assert zs[i] > zs[i - 1]
    assert zs[i] >= zs[i + 1]


def test_default_cell_size_rule() -> None:
    bounds = (0.0, 0.0, 10_000.0, 10_000.0)
    sparse_points = np.array([[0.0, 0.0], [3000.0, 0.0], [0.0, 4000.0]])
    # (c) 3 problems, 5 per cell on average: sqrt(1e8 * 5 / 3) = 12,910 m, nicely 20,000 m
    assert default_cell_size(sparse_points, bounds) == 20_000.0
    xs, ys = np.meshgrid(np.arange(0, 10_000, 100.0), np.arange(0, 10_000, 1000.0))
    spread = np.column_stack([xs.ravel(), ys.ravel()])
    # 1,000 points 100 m apart: (c) sqrt(1e8 * 5 / 1000) = 707 m beats (a) and (b), nicely 1 km
    assert default_cell_size(spread, bounds) == 1000.0
    dense = np.random.default_rng(0).uniform(0, 10_000, (100_000, 2))
    # spacing ~16 m and (c) ~71 m, but (b) keeps 10,000 cells: 100 m
    assert default_cell_size(dense, bounds) == 100.0
    repeated = np.repeat(np.array([[10.0, 10.0], [9_990.0, 9_990.0]]), 50_000, axis=0)
    # two places, far apart: the spacing (about 14 km) decides
    assert default_cell_size(repeated, bounds) == 20_000.0


def test_moran_profile_matches_moran_z_at_each_distance() -> None:
    area = gpd.GeoSeries([shapely.box(0, 0, 2000, 1500)], crs=METRIC)
    cells = fishnet(area, 100)
    xy = np.column_stack([cells.centroid.x, cells.centroid.y])
    counts = np.random.default_rng(3).poisson(3, len(cells)).astype(float)
    counts[xy[:, 0] < 500] += 4
    distances = [100.0, 150.0, 250.0, 420.0]
    expected = [
        moran_z(counts, build_weights(cells, parse_weights(f"distance:{d}"))) for d in distances
    ]
    np.testing.assert_allclose(moran_profile(xy, counts, distances), expected, atol=1e-9)
