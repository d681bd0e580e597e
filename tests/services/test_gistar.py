"""Gi* z-scores and p-values against esda, the FDR correction, bins and permutations."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from esda.getisord import G_Local
from libpysal.weights import WSP
from scipy import sparse, stats

from citygrid.errors import BadInput
from citygrid.gis.binning import fishnet
from citygrid.services.hotspots.gistar import (
    benjamini_hochberg,
    confidence_bins,
    gi_star,
    with_self,
)
from citygrid.services.hotspots.params import parse_weights
from citygrid.services.hotspots.weights import build_weights

METRIC = 32650


@pytest.fixture(scope="module")
def cells() -> gpd.GeoDataFrame:
    area = gpd.GeoSeries([shapely.box(0, 0, 3000, 2000)], crs=METRIC)
    return fishnet(area, 250)  # 12 x 8 squares


def _esda(counts: np.ndarray, neighbours: sparse.csr_matrix) -> G_Local:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = WSP(neighbours).to_W(silence_warnings=True)
        return G_Local(counts, w, transform="B", star=True, permutations=0)


def _datasets(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    clustered = rng.poisson(2, n).astype(float)
    clustered[: n // 6] += 15
    sparse_counts = np.where(rng.random(n) < 0.85, 0.0, rng.poisson(4, n) + 1.0)
    return {
        "poisson": rng.poisson(5, n).astype(float),
        "clustered": clustered,
        "mostly_zero": sparse_counts,
        "weighted": rng.gamma(2.0, 3.5, n),
    }


@pytest.mark.parametrize("spec", ["queen", "rook", "distance:600", "knn:4"])
@pytest.mark.parametrize("data", ["poisson", "clustered", "mostly_zero", "weighted"])
def test_z_and_p_match_esda(cells: gpd.GeoDataFrame, spec: str, data: str) -> None:
    counts = _datasets(len(cells))[data]
    neighbours = build_weights(cells, parse_weights(spec))
    ours = gi_star(counts, neighbours)
    reference = _esda(counts, neighbours)
    np.testing.assert_allclose(ours.z, reference.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.p, 2 * reference.p_norm, rtol=0, atol=1e-9)


def test_isolated_cells_match_esda_but_are_never_binned(cells: gpd.GeoDataFrame) -> None:
    counts = _datasets(len(cells))["clustered"]
    neighbours = build_weights(cells, parse_weights("queen")).tolil()
    lonely = [0, 5, 40]
    for i in lonely:  # cut these cells off
        neighbours[i, :] = 0
        neighbours[:, i] = 0
    neighbours = neighbours.tocsr()
    neighbours.eliminate_zeros()
    counts[lonely] = 60.0  # extreme values that would look hot
    ours = gi_star(counts, neighbours)
    reference = _esda(counts, neighbours)
    np.testing.assert_allclose(ours.z, reference.Zs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.p, 2 * reference.p_norm, rtol=0, atol=1e-9)
    assert list(ours.n_neighbors[lonely]) == [0, 0, 0]
    assert list(ours.bins[lonely]) == [0, 0, 0]
    assert np.isnan(ours.p_fdr[lonely]).all()


def test_all_zero_counts_give_zero_without_dividing_by_zero(cells: gpd.GeoDataFrame) -> None:
    neighbours = build_weights(cells, parse_weights("queen"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from 0 / 0
        result = gi_star(np.zeros(len(cells)), neighbours, permutations=9, seed=1)
    assert np.isnan(_esda(np.zeros(len(cells)), neighbours).Zs).all()  # esda gives NaN
    assert (result.z == 0).all()
    assert (result.p == 1).all()
    assert (result.bins == 0).all()


def test_a_neighbourhood_of_every_cell_gives_zero() -> None:
    full = sparse.csr_matrix(np.ones((4, 4)) - np.eye(4))
    result = gi_star(np.array([1.0, 2.0, 3.0, 10.0]), full)
    assert (result.z == 0).all()
    assert (result.p == 1).all()


def test_benjamini_hochberg_by_hand() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5, np.nan])
    # sorted 0.005, 0.01, 0.03, 0.04, 0.5 (m = 5): p*m/rank = .025 .025 .05 .05 .5
    expected = np.array([0.025, 0.05, 0.05, 0.025, 0.5, np.nan])
    np.testing.assert_allclose(benjamini_hochberg(p), expected, equal_nan=True)


def test_benjamini_hochberg_is_monotone_and_capped() -> None:
    p = np.random.default_rng(2).random(500)
    q = benjamini_hochberg(p)
    order = np.argsort(p)
    assert (np.diff(q[order]) >= -1e-15).all()
    assert (q >= p).all()
    assert q.max() <= 1.0


def test_confidence_bins() -> None:
    z = np.array([3.0, -2.0, 1.7, 0.5, -3.5])
    p = 2 * stats.norm.sf(np.abs(z))
    assert list(confidence_bins(z, p)) == [3, -2, 1, 0, -3]
    assert list(confidence_bins(z, np.full(5, np.nan))) == [0, 0, 0, 0, 0]


def test_fdr_makes_fewer_cells_significant(cells: gpd.GeoDataFrame) -> None:
    counts = np.random.default_rng(5).poisson(5, len(cells)).astype(float)
    neighbours = build_weights(cells, parse_weights("queen"))
    raw = gi_star(counts, neighbours, fdr=False)
    corrected = gi_star(counts, neighbours, fdr=True)
    assert (np.abs(corrected.bins) <= np.abs(raw.bins)).all()
    assert np.array_equal(raw.bins, confidence_bins(raw.z, raw.p))


def test_permutations_are_seeded_and_agree_with_esda(cells: gpd.GeoDataFrame) -> None:
    counts = _datasets(len(cells))["clustered"]
    neighbours = build_weights(cells, parse_weights("queen"))
    first = gi_star(counts, neighbours, permutations=499, seed=42)
    again = gi_star(counts, neighbours, permutations=499, seed=42)
    other = gi_star(counts, neighbours, permutations=499, seed=43)
    assert first.p_sim is not None
    assert again.p_sim is not None
    assert other.p_sim is not None
    assert np.array_equal(first.p_sim, again.p_sim)
    assert not np.array_equal(first.p_sim, other.p_sim)
    assert first.p_sim.min() >= 1 / 500
    assert first.p_sim.max() <= 0.5 + 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = WSP(neighbours).to_W(silence_warnings=True)
        reference = G_Local(counts, w, transform="B", star=True, permutations=499, seed=42)
    # Monte Carlo p-values agree up to sampling noise
    assert np.abs(first.p_sim - reference.p_sim).max() < 0.08
    assert np.corrcoef(first.p_sim, reference.p_sim)[0, 1] > 0.95


def test_two_dimensional_counts_are_analysed_column_by_column(cells: gpd.GeoDataFrame) -> None:
    rng = np.random.default_rng(9)
    monthly = rng.poisson(3, (len(cells), 4)).astype(float)
    monthly[:, 2] = 0.0  # a month without problems
    neighbours = build_weights(cells, parse_weights("distance:600"))
    together = gi_star(monthly, neighbours)
    for month in range(4):
        alone = gi_star(monthly[:, month], neighbours)
        np.testing.assert_allclose(together.z[:, month], alone.z, atol=1e-12)
        assert np.array_equal(together.bins[:, month], alone.bins)


def test_with_self_adds_the_diagonal_once() -> None:
    neighbours = sparse.csr_matrix(np.array([[1.0, 2.0], [0.0, 0.0]]))
    star = with_self(neighbours).toarray()
    assert star.tolist() == [[1.0, 1.0], [0.0, 1.0]]


@pytest.mark.parametrize("text", ["queens", "distance", "distance:-5", "knn:0", "knn:x", ""])
def test_bad_weights_syntax(text: str) -> None:
    with pytest.raises(BadInput):
        parse_weights(text)


def test_knn_needs_enough_cells(cells: gpd.GeoDataFrame) -> None:
    with pytest.raises(BadInput, match="choose a smaller K"):
        build_weights(cells.iloc[:3], parse_weights("knn:3"))
