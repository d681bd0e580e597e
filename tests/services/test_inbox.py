"""The inbox on both backends: what each role handles, scope, order by deadline, filters and
paging in SQL, names and working days overdue; bad statuses and pages refused."""

from __future__ import annotations

from datetime import timedelta

import geopandas as gpd
import pytest
import shapely
from workflow_city import IN_G01, NOW, as_, build_workflow_city

from citygrid.errors import BadInput, Unauthorized
from citygrid.layers.store import Store
from citygrid.services.accounts.principal import anonymous
from citygrid.services.context import CityContext
from citygrid.services.cycle.inbox import handled_statuses, inbox

ROWS = [
    # code, status, deadline (from NOW), unit
    ("WT00000001", "dispatched", timedelta(days=-3), "U_CG"),
    ("WT00000002", "dispatched", timedelta(days=2), "U_CG"),
    ("WT00000003", "reopened", timedelta(hours=-1), "U_CG"),
    ("WT00000004", "reported", None, "U_CG"),
    ("WT00000005", "rectified", timedelta(days=-1), "U_CG"),
    ("WT00000006", "dispatched", timedelta(days=-5), "U_WY"),
    ("WT00000007", "closed", timedelta(days=-9), "U_CG"),
]


@pytest.fixture
def city(store: Store) -> Store:
    build_workflow_city(store)
    store.write(
        "problems",
        gpd.GeoDataFrame(
            [
                {
                    "code": code,
                    "catalogue_code": "C02",
                    "status": status,
                    "reported_at": NOW - timedelta(days=10),
                    "deadline": None if late is None else NOW + late,
                    "unit_code": unit,
                    "grid_code": "G01",
                    "point_code": "D01" if code == "WT00000001" else None,
                }
                for code, status, late, unit in ROWS
            ],
            geometry=[shapely.Point(IN_G01)] * len(ROWS),
            crs="EPSG:4326",
        ),
    )
    return store


def codes(ctx: CityContext, **options: object) -> list[str]:
    return list(inbox(ctx, **options).rows["code"])  # type: ignore[arg-type]


def test_a_unit_handler_gets_their_units_problems_to_rectify_by_deadline(city: Store) -> None:
    page = inbox(as_(city, "unit_handler", "unit:U_CG"))
    assert list(page.rows["code"]) == ["WT00000001", "WT00000003", "WT00000002"]
    assert page.total == 3
    assert page.statuses == ("dispatched", "reopened")
    first = page.rows.iloc[0]
    assert first["catalogue_name"] == "占道经营"
    assert first["place"] == "五一广场"  # its point, before its cell
    assert page.rows.iloc[1]["place"] == "五一一网格"
    # Due Sat 27 Sep 2025 10:00; Sun 28 Sep was a working day (National Day swap), then Mon
    # 29 and Tue 30 until 10:00: 1.5 of the 7 working hours.
    assert first["overdue_days"] == pytest.approx(2 + 1.5 / 7)
    assert page.rows.iloc[2]["overdue_days"] == 0


def test_each_role_handles_the_statuses_it_moves(city: Store) -> None:
    manager = as_(city, "grid_manager", "grid:G01")
    assert handled_statuses(manager.principal) == ("reported", "open", "rectified", "reopened")
    assert codes(manager) == ["WT00000005", "WT00000003", "WT00000004"]
    assert codes(as_(city, "inspector", "grid:G01")) == ["WT00000005"]
    assert len(codes(as_(city, "viewer"))) == 6
    assert len(codes(as_(city))) == 6


def test_filters_and_pages(city: Store) -> None:
    ctx = as_(city)
    assert codes(ctx, status="已结案") == ["WT00000007"]
    assert codes(ctx, overdue=True) == [
        "WT00000006",
        "WT00000001",
        "WT00000005",
        "WT00000003",
    ]
    second = inbox(ctx, page=2, per_page=4)
    assert list(second.rows["code"]) == ["WT00000002", "WT00000004"]
    assert second.pages == 2
    assert inbox(ctx, page=3, per_page=4).rows.empty


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"status": "done"}, "'done' is not a value of status"),
        ({"page": 0}, "Page 0 does not exist"),
        ({"per_page": 0}, "between 1 and 200"),
        ({"per_page": 201}, "between 1 and 200"),
    ],
)
def test_bad_options_are_refused(city: Store, options: dict, words: str) -> None:
    with pytest.raises(BadInput, match=words):
        inbox(as_(city), **options)


def test_a_visitor_has_no_inbox(city: Store) -> None:
    ctx = CityContext(city, as_(city).config, principal=anonymous())
    with pytest.raises(Unauthorized):
        inbox(ctx)
