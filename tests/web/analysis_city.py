"""The hot-spot test city for the web's analysis tests: problems planted in the north-east.

The city of ``tests/services/hotspot_city.py`` (8 x 8 grid cells ``G000``..``G063``
of 250 m, row by row from the south-west; half of 600 problems in a cluster
around cell ``G054``), with the web tests' administrator.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from citygrid.layers.store import Store

_spec = importlib.util.spec_from_file_location(
    "hotspot_city", Path(__file__).parents[1] / "services" / "hotspot_city.py"
)
assert _spec is not None
assert _spec.loader is not None
hotspot_city = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hotspot_city)

HOT_CELLS = ("G045", "G046", "G047", "G053", "G054", "G055", "G061", "G062", "G063")
"""Cells Gi* marks hot at 99 % confidence on the grids (the cluster and its neighbours)."""


def build_hot_spot_city(store: Store) -> Store:
    """Write the hot-spot city into the empty ``store``; return it."""
    hotspot_city.build_city(store)
    return store
