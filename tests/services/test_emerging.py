"""Emerging hot spots: Mann-Kendall, the ArcGIS patterns, month bins and the analysis."""

from __future__ import annotations

import warnings
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from esda.getisord import G_Local
from hotspot_city import build_city
from libpysal.weights import WSP
from scipy import sparse, stats

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.gis.binning import fishnet
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.services.analysis import get_analysis
from citygrid.services.context import CityContext
from citygrid.services.hotspots.emerging import (
    classify,
    emerging_frame,
    mann_kendall,
    month_bins,
    monthly_gi_star,
    run_emerging,
)
from citygrid.services.hotspots.gistar import gi_star
from citygrid.services.hotspots.params import EmergingParams, parse_weights
from citygrid.services.hotspots.weights import build_weights


def test_mann_kendall_on_known_series() -> None:
    s, var, z, p = mann_kendall(
        np.array([[1, 2, 3, 4, 5.0], [1, 2, 2, 3, 3], [5, 4, 3, 2, 1], [0, 0, 0, 0, 0]])
    )
    # strictly increasing: S = 10, Var = 5*4*15/18, Z = (10 - 1) / sqrt(Var)
    assert s.tolist() == [10, 8, -10, 0]
    # ties {2, 2} and {3, 3}: Var = (300 - 2 * 2*1*9) / 18
    np.testing.assert_allclose(var, [300 / 18, 264 / 18, 300 / 18, 0.0])
    np.testing.assert_allclose(
        z[:3], [9 / np.sqrt(300 / 18), 7 / np.sqrt(264 / 18), -9 / np.sqrt(300 / 18)]
    )
    assert z[3] == 0
    assert p[3] == 1
    assert p[0] == pytest.approx(2 * stats.norm.sf(z[0]))


def test_mann_kendall_s_matches_kendall_tau_numerator() -> None:
    rng = np.random.default_rng(4)
    series = rng.normal(size=(20, 12)).cumsum(axis=1)
    s, *_ = mann_kendall(series)
    t = series.shape[1]
    for row, value in zip(series, s, strict=True):
        tau = stats.kendalltau(np.arange(t), row).statistic
        assert value == pytest.approx(tau * t * (t - 1) / 2)


def _bins(*rows: str) -> np.ndarray:
    """Bins from strings: H hot, C cold, . neither."""
    lookup = {"H": 2, "C": -2, ".": 0}
    return np.array([[lookup[c] for c in row] for row in rows])


@pytest.mark.parametrize(
    ("row", "trend", "pattern"),
    [
        (".........H", 0.0, "new_hot"),
        ("......HHHH", 0.0, "consecutive_hot"),
        ("HHHHHHHHHH", 3.0, "intensifying_hot"),
        ("HHHHHHHHHH", 0.0, "persistent_hot"),
        ("HHHHHHHHHH", -3.0, "diminishing_hot"),
        (".HH..H...H", 0.0, "sporadic_hot"),
        ("CC..H....H", 0.0, "oscillating_hot"),
        ("HHHHHHHHH.", 0.0, "historical_hot"),
        (".........C", 0.0, "new_cold"),
        ("........CC", 0.0, "consecutive_cold"),
        ("CCCCCCCCCC", -3.0, "intensifying_cold"),
        ("CCCCCCCCCC", 0.0, "persistent_cold"),
        ("CCCCCCCCCC", 3.0, "diminishing_cold"),
        ("C.C..C..CC", 0.0, "sporadic_cold"),
        ("H...C....C", 0.0, "oscillating_cold"),
        ("CCCCCCCCC.", 0.0, "historical_cold"),
        ("..........", 0.0, "none"),
        ("..H.......", 0.0, "none"),
    ],
)
def test_patterns_follow_the_arcgis_definitions(row: str, trend: float, pattern: str) -> None:
    z = np.array([trend])
    p = 2 * stats.norm.sf(np.abs(z))
    assert classify(_bins(row), z, p)[0] == pattern


def test_month_bins_cover_the_range() -> None:
    reported = pd.Series(
        pd.to_datetime(["2024-01-05", "2024-03-31 23:00", "2024-02-10"], format="ISO8601")
    )
    index, months = month_bins(reported, pd.Timestamp("2023-12-01"), pd.Timestamp("2024-05-01"))
    assert [str(m) for m in months] == ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"]
    assert index.tolist() == [1, 3, 2]
    index, months = month_bins(reported, None, None)
    assert [str(m) for m in months] == ["2024-01", "2024-02", "2024-03"]
    assert index.tolist() == [0, 2, 1]


def test_emerging_frame_uses_gi_star_per_month() -> None:
    cells = fishnet(gpd.GeoSeries([shapely.box(0, 0, 2000, 2000)], crs=32650), 250)
    rng = np.random.default_rng(8)
    monthly = rng.poisson(2, (len(cells), 8)).astype(float)
    monthly[:6, 4:] += np.arange(1, 5) * 6  # a cluster that starts and grows
    neighbours = build_weights(cells, parse_weights("queen"))
    frame = emerging_frame(cells, monthly, neighbours)
    last = gi_star(monthly[:, -1], neighbours)
    np.testing.assert_allclose(frame["last_zscore"], last.z)
    assert frame["last_bin"].tolist() == last.bins.tolist()
    assert set(frame["pattern"]) <= set(
        get_layer("emerging_hotspots").field("pattern").choice_values()
    )
    assert frame["count"].sum() == monthly.sum()
    assert (frame.loc[:1, "pattern"].str.endswith("_hot")).all()


@pytest.fixture
def city(store: Store) -> Store:
    build_city(store)
    return store


def test_run_emerging(city: Store) -> None:
    params = EmergingParams(
        since=date(2024, 1, 1), until=date(2024, 6, 30), cells="grids", weights="queen"
    )
    result = run_emerging(CityContext(city, Config()), params)
    frame = result.frame
    assert frame.crs.to_epsg() == 4326
    assert set(get_layer("emerging_hotspots").field_names) <= set(frame.columns)
    parameters = result.parameters()
    assert parameters["months"] == ["2024-01", "2024-06"]
    assert (frame["n_months"] == 6).all()
    assert frame["count"].sum() == 600
    # the north-east cluster is hot every month
    assert (frame["pattern"] == "persistent_hot").any()
    assert sum(parameters["patterns"].values()) == len(frame)


def test_too_few_months(city: Store) -> None:
    with pytest.raises(BadInput, match="at least 3 months"):
        run_emerging(
            CityContext(city, Config()),
            EmergingParams(since=date(2024, 2, 1), until=date(2024, 3, 15), cells="grids"),
        )


def test_space_time_cube_matches_esda() -> None:
    cells = fishnet(gpd.GeoSeries([shapely.box(0, 0, 1500, 1000)], crs=32650), 250)
    rng = np.random.default_rng(21)
    monthly = rng.poisson(2, (len(cells), 6)).astype(float)
    monthly[:4, 3:] += 9
    neighbours = build_weights(cells, parse_weights("queen"))
    z, bins = monthly_gi_star(monthly, neighbours, time_window=2, fdr=False)
    # the cube by hand: cell-month (i, t) sees queen neighbours and itself in months t-2..t
    n, t = monthly.shape
    star = (neighbours + sparse.identity(n)).toarray()
    cube = np.zeros((n * t, n * t))
    for month in range(t):
        for earlier in range(max(0, month - 2), month + 1):
            cube[month * n : (month + 1) * n, earlier * n : (earlier + 1) * n] = star
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = WSP(sparse.csr_matrix(cube)).to_W(silence_warnings=True)
        reference = G_Local(monthly.T.ravel(), w, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(z.T.ravel(), reference.Zs, atol=1e-9)
    assert bins.shape == (n, t)
    assert bins[:4, -1].min() > 0


def test_time_window_must_not_be_negative() -> None:
    cells = fishnet(gpd.GeoSeries([shapely.box(0, 0, 1000, 1000)], crs=32650), 250)
    with pytest.raises(BadInput, match="time_window"):
        monthly_gi_star(
            np.ones((len(cells), 4)), build_weights(cells, parse_weights("queen")), time_window=-1
        )


@pytest.mark.parametrize(
    ("texts", "param"),
    [
        ({"time_window": "-2"}, "time_window"),
        ({"time_window": "two"}, "time_window"),
        ({"trend_alpha": "NaN"}, "trend_alpha"),
        ({"trend_alpha": "0"}, "trend_alpha"),
        ({"cells": "hex:-5"}, "cells"),
        ({"weights": "hexagon"}, "weights"),
        ({"since": "2024-06-01", "until": "2024-01-01"}, "since"),
    ],
)
def test_bad_emerging_parameters_name_the_parameter(texts: dict[str, str], param: str) -> None:
    with pytest.raises(BadInput) as caught:
        EmergingParams.from_text(texts)
    assert caught.value.params["param"] == param


def test_the_registered_analysis_gives_the_same_frame(city: Store) -> None:
    analysis = get_analysis("emerging")
    ctx = CityContext(city, Config())
    texts = {"cells": "grids", "weights": "rook", "time_window": "1"}
    result = analysis.run(ctx, analysis.params.from_text(texts))
    expected = run_emerging(ctx, EmergingParams(cells="grids", weights="rook", time_window=1))
    assert analysis.layers == ("emerging_hotspots",)
    pd.testing.assert_frame_equal(result.frame, expected.frame)
