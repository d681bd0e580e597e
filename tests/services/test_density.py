"""Kernel density: the quartic kernel, the bandwidth rule, the GeoTIFF and the contours."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from hotspot_city import build_city
from pyproj import CRS
from scipy import integrate

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.layers.store import Store
from citygrid.services.analysis import get_analysis
from citygrid.services.context import CityContext
from citygrid.services.hotspots.density import (
    default_bandwidth,
    density_contours,
    density_surface,
    kernel_density,
    quartic_kernel,
    write_geotiff,
)
from citygrid.services.hotspots.params import DensityParams

METRIC = CRS.from_epsg(32649)
CENTRE = np.array([740_000.0, 2_555_000.0])


def _centre(transform, row, col):
    """Coordinates of raster cell centres (north-up transform)."""
    return transform.c + transform.a * (col + 0.5), transform.f + transform.e * (row + 0.5)


@pytest.fixture
def points() -> np.ndarray:
    rng = np.random.default_rng(12)
    return np.vstack([rng.normal(CENTRE, 150, (400, 2)), rng.normal(CENTRE + 1500, 400, (200, 2))])


def test_quartic_kernel_integrates_to_one() -> None:
    h = 300.0
    total, _ = integrate.quad(lambda r: quartic_kernel(np.array(r), h) * 2 * math.pi * r, 0, h)
    assert total == pytest.approx(1.0, abs=1e-9)
    assert quartic_kernel(np.array([0.0]), h)[0] == pytest.approx(3 / (math.pi * h * h))
    assert quartic_kernel(np.array([h, 2 * h]), h).tolist() == [0.0, 0.0]


def test_bandwidth_rule_by_hand() -> None:
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0], [100.0, 100.0], [500.0, 500.0]])
    centre = xy.mean(axis=0)
    d = np.hypot(*(xy - centre).T)
    sd = math.sqrt((d**2).mean())
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * np.median(d)) * 5**-0.2
    assert default_bandwidth(xy) == pytest.approx(expected)


def test_density_keeps_the_mass_and_peaks_at_the_cluster(points: np.ndarray) -> None:
    surface = kernel_density(points, METRIC, bandwidth_m=400)
    cell = surface.cell_size_m
    assert cell == pytest.approx(40)
    # problems per km² times the cell's km² sums to the number of problems
    assert surface.values.sum() * cell * cell / 1e6 == pytest.approx(len(points))
    row, col = np.unravel_index(surface.values.argmax(), surface.values.shape)
    x, y = _centre(surface.transform, row, col)
    assert math.hypot(x - CENTRE[0], y - CENTRE[1]) < 150


def test_density_matches_a_direct_sum(points: np.ndarray) -> None:
    surface = kernel_density(points, METRIC, bandwidth_m=400, cell_size_m=20)
    rows, cols = surface.values.shape
    pick = np.random.default_rng(1).integers(0, [rows, cols], (50, 2))
    x, y = _centre(surface.transform, pick[:, 0], pick[:, 1])
    direct = (
        np.array(
            [
                quartic_kernel(np.hypot(points[:, 0] - a, points[:, 1] - b), 400).sum()
                for a, b in zip(x, y, strict=True)
            ]
        )
        * 1e6
    )
    got = surface.values[pick[:, 0], pick[:, 1]]
    peak = surface.values.max()
    # binning points to 20 m cells moves them by at most 14 m: small against a 400 m kernel
    assert np.abs(got - direct).max() < 0.03 * peak


def test_geotiff_round_trip(points: np.ndarray, tmp_path: Path) -> None:
    surface = kernel_density(points, METRIC)
    path = write_geotiff(surface, tmp_path / "密度.tif")
    with rasterio.open(path) as src:
        assert CRS.from_wkt(src.crs.to_wkt()).to_epsg() == 32649
        assert src.transform == surface.transform
        np.testing.assert_allclose(src.read(1), surface.values.astype(np.float32))
        assert float(src.tags()["bandwidth_m"]) == pytest.approx(surface.bandwidth_m, abs=0.01)


def test_contours(points: np.ndarray) -> None:
    surface = kernel_density(points, METRIC, bandwidth_m=300)
    bands = density_contours(surface)
    assert bands.crs.to_epsg() == 4326
    assert bands["level"].tolist() == [1, 2, 3, 4, 5]
    assert (bands["density_min"].diff().dropna() > 0).all()
    assert bands["density_max"].iloc[-1] == pytest.approx(surface.values.max())
    # bands do not overlap and together cover every raster cell at or above 10 % of the peak
    metric = bands.to_crs(METRIC)
    expected = (surface.values >= 0.1 * surface.values.max()).sum() * surface.cell_size_m**2
    assert metric.area.sum() == pytest.approx(expected, rel=1e-6)
    assert metric.union_all().area == pytest.approx(expected, rel=1e-6)


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no problems"):
        kernel_density(np.empty((0, 2)), METRIC)
    with pytest.raises(BadInput, match="bandwidth_m"):
        kernel_density(CENTRE[None, :], METRIC, bandwidth_m=-5)
    with pytest.raises(BadInput, match="density raster over this extent"):
        kernel_density(np.array([CENTRE, CENTRE + 100_000]), METRIC, bandwidth_m=500, cell_size_m=1)
    surface = kernel_density(CENTRE[None, :] + np.zeros((3, 2)), METRIC, bandwidth_m=100)
    with pytest.raises(BadInput, match="does not exist"):
        write_geotiff(surface, tmp_path / "missing" / "d.tif")


@pytest.mark.parametrize(
    ("texts", "param"),
    [
        ({"bandwidth_m": "-1"}, "bandwidth_m"),
        ({"bandwidth_m": "NaN"}, "bandwidth_m"),
        ({"bandwidth_m": "inf"}, "bandwidth_m"),
        ({"cell_size_m": "0"}, "cell_size_m"),
        ({"cell_size_m": "ten"}, "cell_size_m"),
        ({"until": "2024-02-30"}, "until"),
        ({"since": "2024-05-01", "until": "2024-04-30"}, "since"),
        ({"statuses": "lost"}, "statuses"),
    ],
)
def test_bad_density_parameters_name_the_parameter(texts: dict[str, str], param: str) -> None:
    with pytest.raises(BadInput) as caught:
        DensityParams.from_text(texts)
    assert caught.value.params["param"] == param


def test_the_registered_analysis_gives_the_contours(store: Store) -> None:
    build_city(store)
    ctx = CityContext(store, Config())
    analysis = get_analysis("density")
    result = analysis.run(ctx, analysis.params.from_text({"bandwidth_m": "400"}))
    params = DensityParams(bandwidth_m=400.0)
    expected = density_contours(density_surface(ctx, params))
    pd.testing.assert_frame_equal(result.frame, expected)
    assert result.parameters()["bandwidth_m"] == 400
    assert result.chosen["metric_crs"] == ctx.metric_crs.to_string()
