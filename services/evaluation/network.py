"""The street network as a graph, for routes that follow streets and alleys.

Every vertex of the streets' and alleys' lines (in the city's metric CRS,
with a vertex at least every :data:`SEGMENT_M` metres, rounded to the metre
so touching lines share vertices) is a node; every
segment is an edge weighted by its length. Places are snapped to their
nearest node (an STRtree query); distances and paths come from Dijkstra's
algorithm on the sparse graph (scipy). Where the network does not join two
places, the straight line lengthened by :data:`DETOUR` stands in, and the
route says so.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from citygrid.services.context import CityContext

NETWORK_LAYERS = ("streets", "alleys")
SEGMENT_M = 25.0
"""Lines get a vertex at least this often, so a place snaps to within half of it."""
DETOUR = 1.4
"""Straight-line distance times this where the network does not join two places."""


@dataclass(frozen=True)
class StreetNetwork:
    """Nodes (metric x, y), the sparse graph of segment lengths, and its CRS."""

    nodes: np.ndarray
    graph: coo_matrix
    crs: CRS

    @classmethod
    def build(cls, ctx: CityContext) -> StreetNetwork:
        """The network of the city's streets and alleys."""
        lines = [
            ctx.store.read(layer, columns=["code"]).to_crs(ctx.metric_crs).geometry
            for layer in NETWORK_LAYERS
        ]
        parts = shapely.get_parts(np.concatenate([s.to_numpy() for s in lines]))
        parts = shapely.segmentize(parts, SEGMENT_M)
        coords, index = shapely.get_coordinates(parts, return_index=True)
        rounded = np.round(coords)
        nodes, inverse = np.unique(rounded, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        same_line = index[1:] == index[:-1]
        start, end = inverse[:-1][same_line], inverse[1:][same_line]
        length = np.hypot(*(nodes[end] - nodes[start]).T)
        keep = start != end
        n = len(nodes)
        graph = coo_matrix(
            (
                np.concatenate([length[keep]] * 2),
                (
                    np.concatenate([start[keep], end[keep]]),
                    np.concatenate([end[keep], start[keep]]),
                ),
            ),
            shape=(n, n),
        )
        return cls(nodes, graph, ctx.metric_crs)

    def snap(self, points: gpd.GeoSeries) -> np.ndarray:
        """The nearest node of each point (any CRS); -1 when the network is empty."""
        if len(self.nodes) == 0:
            return np.full(len(points), -1)
        metric = points.to_crs(self.crs).to_numpy()
        tree = shapely.STRtree(shapely.points(self.nodes))
        return tree.nearest(shapely.centroid(metric))

    def distances(self, points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
        """Metres along the network between every pair of ``points``, and whether each was.

        Returns ``(metres, joined)``: where the network does not join a pair
        (or there is none), the straight line times :data:`DETOUR` and
        ``joined`` False.
        """
        metric = points.to_crs(self.crs).to_numpy()
        xy = shapely.get_coordinates(shapely.centroid(metric))
        straight = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        nodes = self.snap(points)
        if len(self.nodes) == 0:
            return straight * DETOUR, np.zeros(straight.shape, dtype=bool)
        along = dijkstra(self.graph.tocsr(), directed=False, indices=nodes)[:, nodes]
        access = np.hypot(*(self.nodes[nodes] - xy).T)  # from the place to its node
        along = along + access[:, None] + access[None, :]
        joined = np.isfinite(along)
        np.fill_diagonal(along, 0.0)
        return np.where(joined, along, straight * DETOUR), joined

    def path(self, points: gpd.GeoSeries) -> shapely.LineString:
        """The line through ``points`` in order, along the network where it joins them."""
        nodes = self.snap(points)
        metric = shapely.centroid(points.to_crs(self.crs).to_numpy())
        if len(self.nodes) == 0:
            return shapely.LineString(shapely.get_coordinates(metric))
        _, previous = dijkstra(
            self.graph.tocsr(), directed=False, indices=nodes[:-1], return_predecessors=True
        )
        coords: list[np.ndarray] = []
        for leg, (here, there) in enumerate(itertools.pairwise(nodes)):
            coords.append(shapely.get_coordinates(metric[leg]))
            chain = [there]
            while chain[-1] != here and previous[leg, chain[-1]] >= 0:
                chain.append(previous[leg, chain[-1]])
            if chain[-1] == here:
                coords.append(self.nodes[chain[::-1]])
        coords.append(shapely.get_coordinates(metric[-1]))
        return shapely.LineString(np.vstack(coords))
