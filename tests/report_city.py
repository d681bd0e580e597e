"""The workflow's small city with two months of problems and their audit, for the reports.

On top of :func:`workflow_city.build_workflow_city`, the condition C02-1 (占道经营)
deducts 3 points (its catalogue weight, 1, is then not used); C01 (乱扔垃圾) has
no deduction on its conditions, so its catalogue weight, 0.5, counts; C03
(井盖缺失) has neither, so 0. "Now" is :data:`NOW`, 15 October 2025.

September 2025 (the month ranked):

====  =====  ====  =====  =====  ========================  ==============================
code  point  cell  unit   item   status, deadline, closed  also
====  =====  ====  =====  =====  ========================  ==============================
R1    D01    G01   U_CG   C02    closed 09-06, due 09-05   a recurrence; registered on time
R2    D01    G01   U_CG   C01    open, due 09-10           registered 3 working days late
R3    D02    G04   U_SW   C01    closed 09-19, due 09-20   sent back for rework once
R4    -      G02   U_WY   C03    dispatched, due 11-03
====  =====  ====  =====  =====  ========================  ==============================

August 2025: R0 at D02 (G04, U_SW), C02, closed on time.

With the default weights (100, recurrence 2, overdue 1, rework 1) September
scores D01 100 - 3 - 0.5 - 2 - 2 = 92.5 and D02 100 - 0.5 - 1 = 98.5; August
D02 97 and D01 100.
"""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import pandas as pd
import shapely
from workflow_city import build_workflow_city

from citygrid.layers.store import Store

NOW = datetime(2025, 10, 15, 10, 0)
MONTH = "2025-09"

_SD_WEST, _SD_EAST = "430102001", "430102002"
_PROBLEMS = [
    # code, point, cell, unit, sub-district, item, status, reported, deadline, closed, recurrence
    ("R0", "D02", "G04", "U_SW", _SD_EAST, "C02", "closed", "08-04 09:00", "08-07 09:00",
     "08-06 09:00", 0),
    ("R1", "D01", "G01", "U_CG", _SD_WEST, "C02", "closed", "09-01 09:00", "09-05 10:00",
     "09-06 10:00", 1),
    ("R2", "D01", "G01", "U_CG", _SD_WEST, "C01", "open", "09-02 09:00", "09-10 10:00", None, 0),
    ("R3", "D02", "G04", "U_SW", _SD_EAST, "C01", "closed", "09-15 09:00", "09-20 10:00",
     "09-19 10:00", 0),
    ("R4", None, "G02", "U_WY", _SD_WEST, "C03", "dispatched", "09-25 09:00", "11-03 10:00",
     None, 0),
]  # fmt: skip
_PLACES = {"D01": (112.973, 28.192), "D02": (113.004, 28.193), None: (112.9835, 28.1925)}
_AUDIT = [
    # problem, action, at
    ("R1", "register", "09-01 10:00"),  # 1 working hour after its report: on time
    ("R2", "register", "09-05 09:00"),  # 3 working days: late
    ("R3", "register", "09-15 11:00"),
    ("R3", "rework", "09-18 10:00"),
]


def _at(text: str | None) -> pd.Timestamp | None:
    return None if text is None else pd.Timestamp(f"2025-{text}")


def build_report_city(store: Store) -> None:
    """Write the city, its problems and their audit entries into an empty store."""
    build_workflow_city(store)
    with store.transaction() as conn:
        conn.execute(
            store.table("standards")
            .update()
            .where(store.table("standards").c.code == "C02-1")
            .values(deduction=3.0)
        )
    rows = [
        {
            "code": code,
            "point_code": point,
            "grid_code": cell,
            "unit_code": unit,
            "subdistrict_code": subdistrict,
            "catalogue_code": item,
            "description": "占道经营" if item == "C02" else "垃圾",
            "status": status,
            "reported_at": _at(reported),
            "deadline": _at(deadline),
            "closed_at": _at(closed),
            "recurrence": recurrence,
            "head_code": "P_ZS" if unit == "U_CG" else None,
            "routed_by": "point" if point else "grid",
        }
        for code, point, cell, unit, subdistrict, item, status, reported, deadline, closed,
        recurrence in _PROBLEMS
    ]  # fmt: skip
    geometry = [shapely.Point(_PLACES[p[1]]) for p in _PROBLEMS]
    store.write("problems", gpd.GeoDataFrame(rows, geometry=geometry, crs="EPSG:4326"))
    store.write(
        "audit",
        pd.DataFrame(
            [
                {
                    "at": _at(at),
                    "actor": "李巡查",
                    "action": f"transition:{action}",
                    "layer": "problems",
                    "feature_code": code,
                }
                for code, action, at in _AUDIT
            ]
        ),
    )


def add_problem(store: Store, code: str, point: str, item: str, reported: str) -> None:
    """One more open problem at ``point`` (D01 in G01 of U_CG, D02 in G04 of U_SW)."""
    cell, unit = {"D01": ("G01", "U_CG"), "D02": ("G04", "U_SW")}[point]
    store.write(
        "problems",
        gpd.GeoDataFrame(
            [
                {
                    "code": code,
                    "point_code": point,
                    "grid_code": cell,
                    "unit_code": unit,
                    "catalogue_code": item,
                    "status": "open",
                    "reported_at": _at(reported),
                    "deadline": _at(reported) + pd.Timedelta(days=1),  # type: ignore[operator]
                }
            ],
            geometry=[shapely.Point(_PLACES[point])],
            crs="EPSG:4326",
        ),
    )
