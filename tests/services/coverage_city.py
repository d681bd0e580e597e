"""A small city in Wuhan with known coverage gaps, for the coverage and proposal tests.

Built in CGCS2000 / 3-degree Gauss-Krüger CM 114E (EPSG:4547), the
metric CRS the tests configure, so every expected area is exact. Metres
from (530000, 3385000); two sub-districts 400 m x 400 m::

    400 +---------+----+---------+--------------+---------+
        | G02     |s | G04  [h]  |   gap        | G07     |
        | (no-   |l |           |   40,000 m²  | (no     |
    200 +--------+i-+--+--------+----+--------+ manager)|
        | G01     |v   | G03 |G05 overlaps G03|---------+---+
        |         |    |     |10 m   (G05)    | G06 (20 m out)|
      0 +---------+----+-----+----------------+---------+---+
        0        200       400              600       800  820
               江汉街道 (S1)          花楼街道 (S2)

- sliver: G02 stops 0.5 m short of x=200 (0.5 m x 200 m = 100 m²);
- sliver by area: a 3 m x 3 m hole in G04 (9 m²);
- gap: no cell covers [400, 600] x [200, 400] (40,000 m²);
- overlap: G05 reaches 10 m west into G03 (2,000 m²);
- outside: G06 reaches 20 m east of the city (4,000 m²);
- G03 has no unit, G06 names a unit that does not exist, G07 has no manager.
"""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import pandas as pd
import shapely

from citygrid.config import Config
from citygrid.layers.store import Store

CRS = "EPSG:4547"
X0, Y0 = 530_000.0, 3_385_000.0
CONFIG = Config(metric_crs=CRS, actor="测试员")
AS_OF = datetime(2026, 11, 20).date()


def at(x: float, y: float) -> shapely.Point:
    """A point at city metres (x, y)."""
    return shapely.Point(X0 + x, Y0 + y)


def poly(*xy: tuple[float, float], holes: list[list[tuple[float, float]]] | None = None) -> object:
    """A polygon from city metres."""
    shell = [(X0 + x, Y0 + y) for x, y in xy]
    rings = [[(X0 + x, Y0 + y) for x, y in ring] for ring in holes or []]
    return shapely.Polygon(shell, rings)


def rect(x1: float, y1: float, x2: float, y2: float) -> object:
    """An axis-aligned rectangle from city metres."""
    return poly((x1, y1), (x2, y1), (x2, y2), (x1, y2))


def line(*xy: tuple[float, float]) -> shapely.LineString:
    """A line from city metres."""
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])


def frame(rows: list[dict], geometry: list | None = None) -> pd.DataFrame:
    """A DataFrame, or a GeoDataFrame in the city's metric CRS when geometries are given."""
    data = pd.DataFrame(rows)
    if geometry is None:
        return data
    return gpd.GeoDataFrame(data, geometry=geometry, crs=CRS)


#: The boundaries carry a vertex wherever a cell's corner lies on them, as
#: boundaries cut from the same survey do; so the fixes can tile exactly.
_BOTTOM = [(0, 0), (200, 0), (390, 0), (400, 0), (600, 0), (800, 0)]
_TOP = [(800, 400), (600, 400), (400, 400), (200, 400), (199.5, 400), (0, 400)]

JURISDICTIONS = frame(
    [
        {"code": "420102", "name": "江岸区", "level": "district"},
        {"code": "420102001", "name": "江汉街道", "level": "subdistrict", "parent_code": "420102"},
        {"code": "420102002", "name": "花楼街道", "level": "subdistrict", "parent_code": "420102"},
    ],
    [
        poly(*_BOTTOM, (800, 200), *_TOP, (0, 200)),
        poly(*_BOTTOM[:4], (400, 200), *_TOP[2:], (0, 200)),
        poly(*_BOTTOM[3:], (800, 200), *_TOP[:3], (400, 200)),
    ],
)

UNITS = frame(
    [
        {
            "code": "U_JH",
            "name": "江汉街道办事处",
            "kind": "subdistrict",
            "jurisdiction_code": "420102001",
        },
        {
            "code": "U_HL",
            "name": "花楼街道办事处",
            "kind": "subdistrict",
            "jurisdiction_code": "420102002",
        },
        {
            "code": "U_CG",
            "name": "江岸区城管局",
            "kind": "department",
            "jurisdiction_code": "420102",
        },
    ],
    [at(100, 100), at(500, 100), at(300, 300)],
)

PEOPLE = frame(
    [
        {"code": "P_ZW", "name": "张伟", "role": "grid_manager", "unit_code": "U_JH"},
        {"code": "P_LN", "name": "李娜", "role": "grid_manager", "unit_code": "U_HL"},
        {"code": "P_WF", "name": "王芳", "role": "street_head", "unit_code": "U_CG"},
        {"code": "P_LQ", "name": "刘强", "role": "point_head", "unit_code": "U_HL"},
    ]
)

GRIDS = frame(
    [
        {"code": "G01", "name": "江汉一网格", "unit_code": "U_JH", "manager_code": "P_ZW"},
        {"code": "G02", "name": "江汉二网格", "unit_code": "U_JH", "manager_code": "P_ZW"},
        {"code": "G03", "name": "江汉三网格", "unit_code": None, "manager_code": "P_ZW"},
        {"code": "G04", "name": "江汉四网格", "unit_code": "U_JH", "manager_code": "P_ZW"},
        {"code": "G05", "name": "花楼一网格", "unit_code": "U_HL", "manager_code": "P_LN"},
        {"code": "G06", "name": "花楼二网格", "unit_code": "U_GONE", "manager_code": "P_LN"},
        {"code": "G07", "name": "花楼三网格", "unit_code": "U_HL", "manager_code": None},
    ],
    [
        poly((0, 0), (200, 0), (200, 200), (199.5, 200), (0, 200)),
        rect(0, 200, 199.5, 400),
        rect(200, 0, 400, 200),
        poly(
            (200, 200),
            (390, 200),
            (400, 200),
            (400, 400),
            (200, 400),
            holes=[[(300, 300), (303, 300), (303, 303), (300, 303)]],
        ),
        poly((390, 0), (400, 0), (600, 0), (600, 200), (400, 200), (390, 200)),
        poly((600, 0), (800, 0), (820, 0), (820, 200), (800, 200), (600, 200)),
        rect(600, 200, 800, 400),
    ],
)

STREETS = frame(
    [
        {"code": "S01", "name": "解放大道", "unit_code": "U_CG", "head_code": "P_WF"},
        {"code": "S02", "name": "中山大道", "unit_code": "U_CG", "head_code": None},
    ],
    [line((10, 100), (380, 100)), line((300, 250), (450, 250), (580, 250))],
)

ALLEYS = frame(
    [
        {"code": "A01", "name": "花楼巷", "unit_code": None, "head_code": "P_LQ"},
        {"code": "A02", "name": "黄陂街巷", "unit_code": "U_HL", "head_code": "P_LQ"},
    ],
    [line((650, 250), (650, 350)), line((450, 50), (550, 50))],
)

POINTS = frame(
    [
        {
            "code": "D01",
            "name": "江汉路步行街",
            "point_type": "shopping",
            "unit_code": "U_JH",
            "head_code": "P_LQ",
        },
        {
            "code": "D02",
            "name": "汉口火车站",
            "point_type": "station",
            "unit_code": "U_HL",
            "head_code": "P_LQ",
        },
        {
            "code": "D03",
            "name": "花楼农贸市场",
            "point_type": "market",
            "unit_code": "U_HL",
            "head_code": "P_NOBODY",
        },
        {
            "code": "D04",
            "name": "黄陂路小学",
            "point_type": "school",
            "unit_code": "U_HL",
            "head_code": None,
        },
    ],
    [at(100, 100), at(500, 300), at(500, 100), rect(650, 50, 700, 100)],
)

INSPECTIONS = frame(
    [
        {"code": "I1", "inspected_at": datetime(2026, 10, 22, 8, 0), "point_code": "D01"},
        {"code": "I2", "inspected_at": datetime(2026, 10, 21, 23, 0), "point_code": "D02"},
        {"code": "I3", "inspected_at": datetime(2026, 11, 25, 9, 0), "point_code": "D03"},
        {"code": "I4", "inspected_at": datetime(2026, 11, 20, 23, 59), "point_code": "D04"},
        {"code": "I5", "inspected_at": datetime(2026, 11, 1, 10, 0), "alley_code": "A01"},
        {"code": "I6", "inspected_at": datetime(2026, 9, 1, 10, 0), "alley_code": "A02"},
        {"code": "I7", "inspected_at": datetime(2026, 11, 10, 9, 0), "street_code": "S01"},
        {"code": "I8", "inspected_at": datetime(2026, 10, 1, 9, 0), "street_code": "S02"},
    ],
    [
        *(at(100, 100), at(500, 300), at(500, 100), at(675, 75), at(650, 300), at(500, 50)),
        *(at(200, 100), at(450, 250)),
    ],
)

#: Six problems around (700, 350), far from every point: a blind spot.
BLIND = [(700, 350), (705, 352), (698, 345), (702, 356), (695, 351), (708, 349)]
#: Five problems at 江汉路步行街 (D01): a cluster, but a point is there.
NEAR_POINT = [(100, 105), (104, 100), (96, 98), (101, 94), (99, 103)]
#: Four problems together: fewer than k = 5.
SPARSE = [(300, 50), (305, 52), (302, 47), (298, 55)]
PROBLEM_XY = BLIND + NEAR_POINT + SPARSE
#: A fifth problem by SPARSE, reported after AS_OF: it must not make a cluster there.
LATE_XY = (301, 51)


def problems() -> gpd.GeoDataFrame:
    """The problems, all reported before AS_OF except one reported after it."""
    rows = [
        {
            "code": f"W{i:03d}",
            "catalogue_code": "C01",
            "status": "open",
            "reported_at": datetime(2026, 11, 1, 0, 0),
        }
        for i in range(len(PROBLEM_XY))
    ]
    rows.append(
        {
            "code": "W_LATE",
            "catalogue_code": "C01",
            "status": "open",
            "reported_at": datetime(2026, 11, 21, 0, 0),
        }
    )
    return frame(rows, [at(x, y) for x, y in [*PROBLEM_XY, LATE_XY]])


def build_city(store: Store) -> None:
    """Write the city into an empty store."""
    store.write("jurisdictions", JURISDICTIONS)
    store.write("units", UNITS)
    store.write("people", PEOPLE)
    store.write("grids", GRIDS)
    store.write("streets", STREETS)
    store.write("alleys", ALLEYS)
    store.write("points", POINTS)
    store.write("inspections", INSPECTIONS)
    store.write(
        "catalogue",
        frame([{"code": "C01", "name": "暴露垃圾", "level": "standard", "weight": 1.0}]),
    )
    store.write("problems", problems())
