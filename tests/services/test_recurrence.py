"""Duplicates merged and recurrences linked, on both backends: at intake (one report) and in
batch over every problem (checked against a brute-force reference on random problems)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from workflow_city import IN_G01, NOW, as_, build_workflow_city, jpeg

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.layers.store import Store
from citygrid.services.cycle.case import timeline
from citygrid.services.cycle.intake import Intake, report_problem
from citygrid.services.cycle.photos import PhotoFile, list_photos
from citygrid.services.cycle.recurrence import detect_recurrences, recurrence_links
from citygrid.services.cycle.workflow import transition

LON, LAT = IN_G01
SOUTH_10 = (LON, LAT - 0.00009)  # about 10 m south
SOUTH_35 = (LON, LAT - 0.000315)  # about 35 m
SOUTH_70 = (LON, LAT - 0.00063)  # about 70 m


@pytest.fixture
def city(store: Store) -> Store:
    build_workflow_city(store)
    return store


def report(
    city: Store,
    where: tuple[float, float] = IN_G01,
    item: str = "C02",
    at: datetime = NOW,
    reporter: str = "王某",
    photos: tuple[PhotoFile, ...] = (),
) -> Intake:
    ctx = as_(city, "inspector", "grid:G01", now=at)
    return report_problem(
        ctx, *where, item, "人行道上摆摊", "citizen", reporter, reported_at=at, photos=photos
    )


def close(city: Store, code: str, at: datetime) -> None:
    ctx = as_(city, now=at)
    for step in ("register", "dispatch", "rectify", "verify"):
        transition(ctx, step, code, note="已处理" if step == "rectify" else None)


def test_a_second_report_near_an_open_problem_is_merged_into_it(city: Store) -> None:
    first = report(city).problem
    assert int(first["reports"]) == 1
    again = report(city, SOUTH_10, reporter="赵某", photos=(PhotoFile("又一张.jpg", jpeg()),))
    assert again.merged
    assert again.problem["code"] == first["code"]
    assert int(again.problem["reports"]) == 2
    assert int(again.problem["version"]) == int(first["version"]) + 1
    assert city.counts()["problems"] == 1
    merge = city.history("problems", first["code"]).iloc[-1]
    assert merge["action"] == "transition:merge"
    assert merge["actor"] == "inspector1"
    after = json.loads(merge["after"])
    assert (after["reports"], after["reporter"], after["source"]) == (2, "赵某", "citizen")
    assert list_photos(as_(city), first["code"])["kind"].tolist() == ["report"]
    assert timeline(as_(city), first["code"])["action"].tolist()[-1] == "merge"
    assert not report(city, SOUTH_35).merged  # 35 m: beyond the duplicate distance
    assert not report(city, item="C01").merged  # another item at the same place
    assert city.counts()["problems"] == 3


def test_a_problem_near_one_closed_lately_recurs_it_in_a_chain(city: Store) -> None:
    first = str(report(city).problem["code"])
    close(city, first, NOW + timedelta(days=2))
    second = report(city, SOUTH_35, at=NOW + timedelta(days=10))
    assert not second.merged
    assert second.recurs == first
    assert int(second.problem["recurrence"]) == 1
    code = str(second.problem["code"])
    assert "recurrence" in city.history("problems", code)["action"].tolist()
    close(city, code, NOW + timedelta(days=12))
    third = report(city, at=NOW + timedelta(days=40))
    assert third.recurs == code  # the one closed last
    assert int(third.problem["recurrence"]) == 2


@pytest.mark.parametrize(
    ("where", "item", "days"),
    [(SOUTH_70, "C02", 10), (IN_G01, "C01", 10), (IN_G01, "C02", 93)],
    ids=["70 m away", "another item", "93 days later"],
)
def test_far_other_or_late_problems_recur_nothing(
    city: Store, where: tuple[float, float], item: str, days: int
) -> None:
    first = str(report(city).problem["code"])
    close(city, first, NOW + timedelta(days=2))
    later = report(city, where, item, at=NOW + timedelta(days=days))
    assert later.recurs is None
    assert int(later.problem["recurrence"]) == 0


def _random_problems(
    rng: np.random.Generator, n: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Problems on a 300 m square, three items, over a year, three quarters closed."""
    reported = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.uniform(0, 365, n), unit="D")
    closed = reported + pd.to_timedelta(rng.uniform(0.5, 30, n), unit="D")
    frame = pd.DataFrame(
        {
            "code": [f"WT{i:08d}" for i in range(n)],
            "catalogue_code": rng.choice(["C01", "C02", "C03"], n),
            "reported_at": reported,
            "closed_at": closed.where(rng.uniform(size=n) < 0.75),
        }
    )
    return frame, rng.uniform(0, 300, n), rng.uniform(0, 300, n)


def _reference(
    frame: pd.DataFrame, x: np.ndarray, y: np.ndarray, metres: float, days: float
) -> pd.DataFrame:
    """The links by the definition, one pair at a time."""
    rows = frame.to_dict("records")
    parent: dict[int, int | None] = {}
    for i, p in enumerate(rows):
        best = None
        for j, q in enumerate(rows):
            if i == j or pd.isna(q["closed_at"]) or q["catalogue_code"] != p["catalogue_code"]:
                continue
            gap = p["reported_at"] - q["closed_at"]
            far = float(np.hypot(x[i] - x[j], y[i] - y[j]))
            if far <= metres and pd.Timedelta(0) <= gap <= pd.Timedelta(days=days):
                key = (-q["closed_at"].value, far, j)
                if best is None or key < best[0]:
                    best = (key, j)
        parent[i] = None if best is None else best[1]

    def depth(i: int) -> int:
        return 0 if parent[i] is None else 1 + depth(parent[i])  # type: ignore[arg-type]

    return pd.DataFrame(
        {
            "code": frame["code"],
            "recurrence_of": [
                None if parent[i] is None else rows[parent[i]]["code"] for i in range(len(rows))
            ],  # type: ignore[index]
            "recurrence": [depth(i) for i in range(len(rows))],
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_links_match_the_definition(seed: int) -> None:
    frame, x, y = _random_problems(np.random.default_rng(seed), 400)
    got = recurrence_links(frame, x, y, metres=50, days=90)
    wanted = _reference(frame, x, y, 50, 90)
    assert got["recurrence_of"].tolist() == wanted["recurrence_of"].tolist()
    assert got["recurrence"].tolist() == wanted["recurrence"].tolist()
    assert got["recurrence"].max() >= 2  # the data does make chains


def test_batch_links_of_no_problems_and_of_none_closed() -> None:
    empty = pd.DataFrame({c: [] for c in ("code", "catalogue_code", "reported_at", "closed_at")})
    assert recurrence_links(empty, [], [], metres=50, days=90).empty
    frame, x, y = _random_problems(np.random.default_rng(5), 20)
    frame["closed_at"] = pd.NaT
    links = recurrence_links(frame, x, y, metres=50, days=90)
    assert links["recurrence_of"].isna().all()
    assert (links["recurrence"] == 0).all()


def test_detecting_over_the_store_writes_the_changed_links_audited(city: Store) -> None:
    at = pd.Timestamp("2025-03-01 10:00")
    rows = [  # code, item, metres south, reported (days after `at`), closed (days) or None
        ("WT00000001", "C02", 0, 0, 5),
        ("WT00000002", "C02", 30, 20, 25),
        ("WT00000003", "C02", 10, 40, None),
        ("WT00000004", "C01", 0, 30, None),
        ("WT00000005", "C02", 0, 200, None),
    ]
    city.write(
        "problems",
        gpd.GeoDataFrame(
            {
                "code": [r[0] for r in rows],
                "catalogue_code": [r[1] for r in rows],
                "status": ["closed" if r[4] is not None else "open" for r in rows],
                "reported_at": [at + pd.Timedelta(days=r[3]) for r in rows],
                "closed_at": [
                    at + pd.Timedelta(days=r[4]) if r[4] is not None else None for r in rows
                ],
            },
            geometry=[shapely.Point(LON, LAT - r[2] / 111_000) for r in rows],
            crs="EPSG:4326",
        ),
    )
    dry = detect_recurrences(as_(city), dry_run=True)
    assert (dry.problems, dry.recurrences, dry.longest, dry.changed) == (5, 2, 2, 0)
    assert city.read("problems", columns=["recurrence_of"])["recurrence_of"].isna().all()
    found = detect_recurrences(as_(city))
    assert found.changed == 2
    links = city.read("problems", columns=["code", "recurrence_of", "recurrence"]).set_index("code")
    assert links.loc["WT00000002", "recurrence_of"] == "WT00000001"
    assert links.loc["WT00000003", "recurrence_of"] == "WT00000002"
    assert int(links.loc["WT00000003", "recurrence"]) == 2
    assert pd.isna(links.loc["WT00000005", "recurrence_of"])
    audit = city.read("audit", where={"layer": "problems", "action": "recurrence"})
    assert sorted(audit["feature_code"]) == ["WT00000002", "WT00000003"]
    assert detect_recurrences(as_(city)).changed == 0
    since = detect_recurrences(as_(city), since=datetime(2025, 4, 1), dry_run=True)
    assert (since.problems, since.recurrences) == (2, 1)


@pytest.mark.parametrize(
    "variable",
    [
        "CITYGRID_RECURRENCE_METRES",
        "CITYGRID_DUPLICATE_METRES",
        "CITYGRID_RECURRENCE_DAYS",
        "CITYGRID_MAX_PHOTO_MB",
    ],
)
@pytest.mark.parametrize("value", ["-5", "0", "许多"])
def test_distances_days_and_sizes_must_be_positive(variable: str, value: str) -> None:
    with pytest.raises(BadInput, match=f"{variable}=.* is not usable"):
        Config.from_env({variable: value})


def test_the_settings_are_read() -> None:
    config = Config.from_env(
        {
            "CITYGRID_RECURRENCE_METRES": "80",
            "CITYGRID_DUPLICATE_METRES": "15.5",
            "CITYGRID_RECURRENCE_DAYS": "30",
            "CITYGRID_MAX_PHOTO_MB": "2",
        }
    )
    got = (config.recurrence_metres, config.duplicate_metres, config.recurrence_days)
    assert got == (80, 15.5, 30)
    assert config.max_photo_mb == 2
    default = Config.from_env({})
    assert (default.recurrence_metres, default.duplicate_metres) == (50, 20)
    assert (default.recurrence_days, default.max_photo_mb) == (90, 10)


def test_a_report_merges_only_into_a_problem_its_reporter_may_see(city: Store) -> None:
    in_g02 = (112.98005, 28.195)  # 5 m east of the line between cells G01 and G02
    in_g01 = (112.97995, 28.195)  # 5 m west of it
    first = report_problem(as_(city), *in_g02, "C02", "占道", reported_at=NOW).problem
    manager = as_(city, "grid_manager", "grid:G01")
    own = report_problem(manager, *in_g01, "C02", "占道", reported_at=NOW)
    assert not own.merged
    assert own.problem["code"] != first["code"]
    assert own.problem["grid_code"] == "G01"
    assert city.get("problems", first["code"])["reports"] == 1
