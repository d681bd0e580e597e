"""The Hilbert order of boxes, made as arrays."""

from __future__ import annotations

import numpy as np
import pytest

from citygrid.gis.hilbert import curve_distances, hilbert_order


@pytest.mark.parametrize("level", [1, 3, 5])
def test_the_curve_visits_every_square_once_each_step_to_a_neighbour(level: int) -> None:
    side = 1 << level
    x, y = (a.ravel() for a in np.meshgrid(np.arange(side), np.arange(side)))
    distances = curve_distances(x, y, level)
    assert sorted(distances.tolist()) == list(range(side * side))
    walk = np.argsort(distances)
    steps = np.abs(np.diff(x[walk])) + np.abs(np.diff(y[walk]))
    assert (steps == 1).all()


def test_boxes_come_in_curve_order_of_their_centres_ties_kept_stable() -> None:
    # The corners of the unit square, the curve's grid spanning exactly them.
    centres = np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    boxes = np.column_stack([centres - 0.5, centres + 0.5])
    # The 2^16 curve starts at (0, 0), runs up the left side, and ends at (max, 0).
    assert hilbert_order(boxes).tolist() == [1, 4, 3, 0, 2]


def test_few_or_alike_boxes_keep_their_order() -> None:
    assert hilbert_order(np.empty((0, 4))).tolist() == []
    assert hilbert_order(np.array([[1.0, 2.0, 3.0, 4.0]])).tolist() == [0]
    same = np.tile([112.9, 28.1, 112.9, 28.1], (4, 1))
    assert hilbert_order(same).tolist() == [0, 1, 2, 3]


def test_neighbours_in_space_are_close_in_the_order() -> None:
    rng = np.random.default_rng(3)
    points = rng.uniform(0, 1, (20_000, 2))
    ordered = points[hilbert_order(np.column_stack([points, points]))]
    step = np.hypot(*np.diff(ordered, axis=0).T)
    shuffled_step = np.hypot(*np.diff(points, axis=0).T)
    assert np.median(step) < np.median(shuffled_step) / 20
