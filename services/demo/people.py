"""Who answers for what in the demo city: responsible units, people and assignments.

Units are city departments (职能部门), sub-district offices (街道办事处),
community committees (社区居委会) and property companies (物业公司). People
are grid managers and leaders, street, alley and point heads, and
inspectors, each belonging to a unit. Cells, streets, alleys and points
get a unit and a head by simple rules (a market answers to market
supervision, an alley to its community...), then a few of each are left
without a unit or a head on purpose (:data:`MISSING_SHARES`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.services.demo import names
from citygrid.services.demo.city import METRIC_CRS, City

DEPARTMENTS = (
    ("BMCG", "长沙市城市管理和综合执法局"),
    ("BMSJ", "长沙市市场监督管理局"),
    ("BMZJ", "长沙市住房和城乡建设局"),
    ("BMJT", "长沙市交通运输局"),
    ("BMJY", "长沙市教育局"),
    ("BMWJ", "长沙市卫生健康委员会"),
    ("BMGA", "长沙市公安局交通警察支队"),
    ("BMSW", "长沙市商务局"),
    ("BMWL", "长沙市文化旅游广电局"),
    ("BMYL", "长沙市园林局"),
    ("BMHB", "长沙市生态环境局"),
    ("BMWM", "长沙市文明办"),
)
"""City departments (code, name)."""

POINT_UNITS = {
    "residential": "property",
    "back_alley": "community",
    "main_road": "subdistrict",
    "community": "community",
    "shopping": "BMSW",
    "market": "BMSJ",
    "toilet": "BMCG",
    "station": "BMJT",
    "entrance": "BMJT",
    "school": "BMJY",
    "internet_cafe": "BMWL",
    "urban_village": "subdistrict",
    "small_business": "BMSJ",
    "park": "BMYL",
}
"""Which unit answers for a point of each type: a department code, the point's
``community`` committee, its ``subdistrict`` office, or a ``property`` company
(for a third of residential compounds the community committee instead)."""

SPECIAL_GRID_UNITS = ("BMSJ", "BMJY", "BMJT", "BMYL", "BMWJ")
"""Departments that lead the special grids (专属网格)."""

MISSING_SHARES = {
    "grids": {"unit_code": (0.03, 1), "manager_code": (0.03, 1)},
    "streets": {"unit_code": (0.02, 1), "head_code": (0.05, 1)},
    "alleys": {"unit_code": (0.04, 1), "head_code": (0.08, 2)},
    "points": {"unit_code": (0.04, 2), "head_code": (0.03, 1)},
}
"""Per layer and field: (share, at least) of features planted without a value.
Points planted without a unit lose their head too."""


@dataclass
class Responsibility:
    """Units, people, and per layer the codes planted without a unit or head."""

    units: gpd.GeoDataFrame
    people: pd.DataFrame
    missing: dict[str, dict[str, list[str]]]


def assign(city: City, rng: np.random.Generator) -> Responsibility:
    """Make units and people and fill the responsibility fields of ``city``'s layers in place."""
    units = _units(city, rng)
    people = _People(rng)
    _assign_grids(city.cells, people, rng)
    _assign_lines(city.streets, city.alleys, people)
    _assign_points(city.points, city.cells, units, people, rng)
    n_inspectors = max(4, len(city.cells) // 125)
    people.add(
        np.arange(n_inspectors).astype(str),
        np.where(np.arange(n_inspectors) % 2 == 0, "BMWM", "BMCG"),
        "inspector",
    )
    missing = {
        "grids": _leave_out(city.cells, "grids", ("unit_code", "manager_code"), rng),
        "streets": _leave_out(city.streets, "streets", ("unit_code", "head_code"), rng),
        "alleys": _leave_out(city.alleys, "alleys", ("unit_code", "head_code"), rng),
        "points": _leave_out(city.points, "points", ("unit_code", "head_code"), rng),
    }
    city.points.loc[city.points["unit_code"].isna(), "head_code"] = None
    return Responsibility(units, people.frame(), missing)


class _People:
    """Collects people, one per distinct group key, and hands out their codes."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.frames: list[pd.DataFrame] = []
        self.count = 0

    def add(self, keys: np.ndarray, units: np.ndarray, role: str) -> np.ndarray:
        """One person of ``role`` per distinct key (in the key's unit); the code per row."""
        index, uniques = pd.factorize(pd.Series(keys, dtype=object))
        first = pd.Series(np.arange(len(index))).groupby(index).first().to_numpy()
        n = len(uniques)
        codes = names.concat("P", names.digits(np.arange(self.count + 1, self.count + n + 1), 6))
        self.count += n
        self.frames.append(
            pd.DataFrame(
                {
                    "code": codes,
                    "name": names.person_names(self.rng, n),
                    "role": role,
                    "unit_code": np.asarray(units, dtype=object)[first],
                    "phone": names.mobile_phones(self.rng, n),
                }
            )
        )
        return codes[index]

    def frame(self) -> pd.DataFrame:
        return pd.concat(self.frames, ignore_index=True)


def _units(city: City, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Departments near the centre, offices and committees at their areas' centres,
    property companies anywhere in the city."""
    jur = city.jurisdictions
    subdistricts = jur[jur["level"] == "subdistrict"]
    communities = jur[jur["level"] == "community"]
    centre = shapely.get_coordinates(jur[jur["level"] == "city"].geometry.centroid)[0]
    n_dept, n_prop = len(DEPARTMENTS), max(2, len(communities) // 2)
    minx, miny, maxx, maxy = jur.total_bounds
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "code": [c for c, _ in DEPARTMENTS],
                    "name": [n for _, n in DEPARTMENTS],
                    "kind": "department",
                    "parent_code": None,
                    "jurisdiction_code": jur.loc[jur["level"] == "city", "code"].iloc[0],
                    "_xy": list(centre + rng.normal(0, 300, (n_dept, 2))),
                }
            ),
            pd.DataFrame(
                {
                    "code": names.concat("JD", subdistricts["code"].to_numpy(dtype=object)),
                    "name": names.concat(subdistricts["name"].to_numpy(dtype=object), "办事处"),
                    "kind": "subdistrict",
                    "parent_code": None,
                    "jurisdiction_code": subdistricts["code"].to_numpy(),
                    "_xy": list(shapely.get_coordinates(subdistricts.geometry.centroid)),
                }
            ),
            pd.DataFrame(
                {
                    "code": names.concat("SQ", communities["code"].to_numpy(dtype=object)),
                    "name": names.concat(communities["name"].to_numpy(dtype=object), "居委会"),
                    "kind": "community",
                    "parent_code": names.concat(
                        "JD", communities["parent_code"].to_numpy(dtype=object)
                    ),
                    "jurisdiction_code": communities["code"].to_numpy(),
                    "_xy": list(
                        shapely.get_coordinates(communities.geometry.centroid)
                        + rng.normal(0, 20, (len(communities), 2))
                    ),
                }
            ),
            pd.DataFrame(
                {
                    "code": names.concat("QY", names.digits(np.arange(1, n_prop + 1), 4)),
                    "name": names.concat(
                        names.place_names(rng, n_prop, ""),
                        names.pick(rng, ("物业管理有限公司", "物业服务有限公司"), n_prop),
                    ),
                    "kind": "enterprise",
                    "parent_code": None,
                    "jurisdiction_code": None,
                    "_xy": list(
                        np.column_stack(
                            [rng.uniform(minx, maxx, n_prop), rng.uniform(miny, maxy, n_prop)]
                        )
                    ),
                }
            ),
        ],
        ignore_index=True,
    )
    frame["contact"] = names.person_names(rng, len(frame))
    frame["phone"] = names.office_phones(rng, len(frame))
    xy = np.stack(frame.pop("_xy").to_numpy())
    return gpd.GeoDataFrame(frame, geometry=shapely.points(xy), crs=METRIC_CRS)


def _assign_grids(cells: gpd.GeoDataFrame, people: _People, rng: np.random.Generator) -> None:
    """Community committees lead general grids; a few special grids go to departments.
    One grid manager covers up to four cells of a community, one leader each community."""
    committee = names.concat("SQ", cells["community_code"].to_numpy(dtype=object))
    special = rng.random(len(cells)) < 0.08
    cells["kind"] = np.where(special, "special", "general")
    cells["unit_code"] = np.where(
        special, names.pick(rng, SPECIAL_GRID_UNITS, len(cells)), committee
    )
    sequence = cells["code"].str[12:].astype(int).to_numpy()
    group = names.concat(
        cells["community_code"].to_numpy(dtype=object), "/", names.digits((sequence - 1) // 4, 3)
    )
    cells["manager_code"] = people.add(group, committee, "grid_manager")
    people.add(cells["community_code"].to_numpy(dtype=object), committee, "grid_leader")
    cells["assigned_by"] = names.pick(rng, ("manual",) * 5 + ("auto",), len(cells))


def _assign_lines(streets: gpd.GeoDataFrame, alleys: gpd.GeoDataFrame, people: _People) -> None:
    """Main roads answer to city management, other streets to the sub-district office;
    a street head per road line and sub-district, an alley head per cell."""
    office = names.concat("JD", streets["_community_code"].str[:9].to_numpy(dtype=object), "000")
    streets["unit_code"] = np.where(streets["road_class"] == "main", "BMCG", office)
    streets["head_code"] = people.add(
        names.concat(streets["_line"].astype(str).to_numpy(dtype=object), "/", office),
        office,
        "street_head",
    )
    streets["assigned_by"] = "manual"
    committee = names.concat("SQ", alleys["_community_code"].to_numpy(dtype=object))
    alley_office = names.concat(
        "JD", alleys["_community_code"].str[:9].to_numpy(dtype=object), "000"
    )
    to_office = alleys["code"].str[-1].isin(["0", "5"]).to_numpy()
    alleys["unit_code"] = np.where(to_office, alley_office, committee)
    alleys["head_code"] = people.add(
        alleys["_cell_code"].to_numpy(dtype=object), committee, "alley_head"
    )
    alleys["assigned_by"] = "manual"


def _assign_points(
    points: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    people: _People,
    rng: np.random.Generator,
) -> None:
    """Units by point type (:data:`POINT_UNITS`); a point head per community and unit.

    A point held by a department is marked ``department``; of the others a
    quarter, among those held by their cell's unit, ``auto`` (what
    auto-assign would give them), the rest ``manual``.
    """
    community = points["_community_code"].to_numpy(dtype=object)
    rule = points["point_type"].map(POINT_UNITS).to_numpy(dtype=object)
    property_codes = units.loc[units["kind"] == "enterprise", "code"].to_numpy(dtype=object)
    by_committee = rng.random(len(points)) < 1 / 3
    rule = np.where((rule == "property") & by_committee, "community", rule)
    unit = rule.copy()
    unit[rule == "community"] = names.concat("SQ", community[rule == "community"])
    is_office = rule == "subdistrict"
    unit[is_office] = names.concat(
        "JD", pd.Series(community[is_office]).str[:9].to_numpy(dtype=object), "000"
    )
    is_property = rule == "property"
    unit[is_property] = property_codes[rng.integers(0, len(property_codes), int(is_property.sum()))]
    points["unit_code"] = unit
    points["head_code"] = people.add(names.concat(community, "/", unit), unit, "point_head")
    drawn = names.pick(rng, ("manual",) * 3 + ("auto",), len(points))
    cell_unit = (
        points["_cell_code"].map(cells.set_index("code")["unit_code"]).to_numpy(dtype=object)
    )
    kind = pd.Series(unit).map(units.set_index("code")["kind"]).to_numpy(dtype=object)
    points["assigned_by"] = np.where(
        kind == "department",
        "department",
        np.where((drawn == "auto") & (unit == cell_unit), "auto", "manual"),
    )


def _leave_out(
    frame: pd.DataFrame, layer: str, fields: tuple[str, str], rng: np.random.Generator
) -> dict[str, list[str]]:
    """Empty ``fields`` of a few features (disjoint sets); return their codes per field."""
    sizes = [
        max(least, round(share * len(frame)))
        for share, least in (MISSING_SHARES[layer][f] for f in fields)
    ]
    chosen = rng.choice(len(frame), sum(sizes), replace=False)
    out: dict[str, list[str]] = {}
    start = 0
    for field, size in zip(fields, sizes, strict=True):
        rows = np.sort(chosen[start : start + size])
        frame.iloc[rows, frame.columns.get_loc(field)] = None
        if field == "unit_code":
            frame.iloc[rows, frame.columns.get_loc("assigned_by")] = None
        out[field] = frame["code"].to_numpy()[rows].tolist()
        start += size
    return out
