"""Ordering boxes along a Hilbert curve, as arrays: neighbours in space come together."""

from __future__ import annotations

import numpy as np

_LEVEL = 16  # a 65,536 x 65,536 grid over the boxes' extent


def hilbert_order(bounds: np.ndarray) -> np.ndarray:
    """The order of ``(minx, miny, maxx, maxy)`` boxes along a Hilbert curve through their centres.

    The centres are snapped to a 2^16 x 2^16 grid over their extent; boxes
    in one grid square keep their order (a stable sort). No box may have a
    missing coordinate. No geometry is made (geopandas'
    ``hilbert_distance`` makes the centres as points first).
    """
    bounds = np.asarray(bounds, dtype=np.float64)
    if len(bounds) < 2:
        return np.arange(len(bounds))
    centres = (bounds[:, :2] + bounds[:, 2:]) / 2
    low, high = centres.min(axis=0), centres.max(axis=0)
    side = (1 << _LEVEL) - 1
    span = np.where(high > low, high - low, 1.0)
    grid = np.floor((centres - low) / span * side).astype(np.uint32)
    return np.argsort(curve_distances(grid[:, 0], grid[:, 1], _LEVEL), kind="stable")


def curve_distances(x: np.ndarray, y: np.ndarray, level: int) -> np.ndarray:
    """Each square ``(x, y)``'s distance along a Hilbert curve through a ``2^level`` square grid.

    The classic ``xy2d``, one bit of all the squares at a time.
    """
    x, y = np.asarray(x, dtype=np.uint32), np.asarray(y, dtype=np.uint32)
    distance = np.zeros(len(x), dtype=np.uint64)
    last = np.uint32((1 << level) - 1)
    for bit in range(level - 1, -1, -1):
        rx = (x >> np.uint32(bit)) & np.uint32(1)
        ry = (y >> np.uint32(bit)) & np.uint32(1)
        distance += ((np.uint32(3) * rx) ^ ry).astype(np.uint64) << np.uint64(2 * bit)
        flip = (rx == 1) & (ry == 0)
        x, y = np.where(flip, last - x, x), np.where(flip, last - y, y)
        turn = ry == 0
        x, y = np.where(turn, y, x), np.where(turn, x, y)
    return distance
