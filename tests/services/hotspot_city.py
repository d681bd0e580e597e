"""A small city for the hot-spot tests: one jurisdiction, 8 x 8 grid cells, a catalogue,
two units and problems clustered in the north-east over six months (seeded)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.layers.store import Store

METRIC = 32649  # UTM 49N, Guangzhou
ORIGIN = (740_000.0, 2_555_000.0)
CELL_M = 250.0
SIDE = 8


def _metric_frame(data: dict, geoms: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geoms, crs=METRIC).to_crs(4326)


def build_city(store: Store, *, n_problems: int = 600, seed: int = 7) -> None:
    """Write the small city into an empty store."""
    x0, y0 = ORIGIN
    extent = SIDE * CELL_M
    store.write(
        "jurisdictions",
        _metric_frame(
            {"code": ["440106001"], "name": ["天河示范街道"], "level": ["subdistrict"]},
            np.array([shapely.box(x0, y0, x0 + extent, y0 + extent)]),
        ),
        actor="test",
    )
    row, col = np.divmod(np.arange(SIDE * SIDE), SIDE)
    boxes = shapely.box(
        x0 + col * CELL_M, y0 + row * CELL_M, x0 + (col + 1) * CELL_M, y0 + (row + 1) * CELL_M
    )
    store.write(
        "grids",
        _metric_frame(
            {
                "code": [f"G{i:03d}" for i in range(SIDE * SIDE)],
                "name": [f"第{i}网格" for i in range(SIDE * SIDE)],
            },
            boxes,
        ),
        actor="test",
    )
    store.write(
        "catalogue",
        pd.DataFrame(
            {
                "code": ["S1", "S1.1", "S1.1.1", "S2"],
                "name": ["市容环境", "暴露垃圾", "垃圾未清运", "宣传广告"],
                "level": ["section", "item", "standard", "section"],
                "parent_code": ["", "S1", "S1.1", ""],
                "weight": [np.nan, np.nan, 2.0, np.nan],
            }
        ).replace("", None),
        actor="test",
    )
    store.write(
        "units",
        _metric_frame(
            {"code": ["U1", "U2"], "name": ["城管局", "街道办"]},
            shapely.points([x0, x0 + 10], [y0, y0 + 10]),
        ),
        actor="test",
    )
    rng = np.random.default_rng(seed)
    cluster = rng.normal((x0 + 1625, y0 + 1625), 180, (n_problems // 2, 2))
    spread = rng.uniform((x0 + 1, y0 + 1), (x0 + extent - 1, y0 + extent - 1), (n_problems // 2, 2))
    xy = np.clip(np.vstack([cluster, spread]), (x0 + 1, y0 + 1), (x0 + extent - 1, y0 + extent - 1))
    n = len(xy)
    days = rng.integers(0, 181, n)
    store.write(
        "problems",
        _metric_frame(
            {
                "code": [f"P{i:05d}" for i in range(n)],
                "catalogue_code": np.where(np.arange(n) % 3 == 0, "S2", "S1.1.1"),
                "status": np.where(np.arange(n) % 4 == 0, "closed", "open"),
                "reported_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"),
                "unit_code": np.where(np.arange(n) % 2 == 0, "U1", "U2"),
            },
            shapely.points(xy),
        ),
        actor="test",
    )
