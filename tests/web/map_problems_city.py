"""Problems routed to cells, with deadlines, catalogue, heads and points, for the map tests.

Added to the small Suzhou city of :mod:`web_city`: in G01 one open problem
overdue by ten days (Q11; its deadline 9 days 23 hours ago) and one closed
with a passed deadline (Q12); in G05 one problem not yet due (Q13, due in
30 days); one problem in no cell (Q14). The web reads at the real time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import geopandas as gpd
import shapely

from citygrid.layers.store import Store


def add_problems(store: Store) -> None:
    """Write the catalogue item C01 and problems Q11-Q14 into the city."""
    store.write(
        "catalogue",
        gpd.pd.DataFrame(
            [{"code": "C01", "name": "暴露垃圾", "level": "standard", "rectify_days": 2}]
        ),
    )
    now = datetime.now().replace(microsecond=0)
    rows = [
        ("Q11", "open", "G01", now - timedelta(days=10) + timedelta(hours=1), (120.6051, 31.3051)),
        ("Q12", "closed", "G01", now - timedelta(days=10), (120.6065, 31.3062)),
        ("Q13", "dispatched", "G05", now + timedelta(days=30), (120.615, 31.315)),
        ("Q14", "open", None, None, (120.635, 31.305)),
    ]
    store.write(
        "problems",
        gpd.GeoDataFrame(
            [
                {
                    "code": code,
                    "catalogue_code": "C01",
                    "description": "垃圾桶满溢",
                    "status": status,
                    "reported_at": datetime(2025, 2, 27, 9, 0),
                    "deadline": deadline,
                    "grid_code": grid,
                    "unit_code": "U_PJ",
                    "head_code": "P_LI",
                    "point_code": "P01" if grid == "G01" else None,
                }
                for code, status, grid, deadline, _ in rows
            ],
            geometry=[shapely.Point(xy) for *_, xy in rows],
            crs="EPSG:4326",
        ),
    )
