"""Workload per unit and per head, and its export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from responsibility_city import add_problems, build_city

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.responsibility import assign, auto_assign
from citygrid.services.responsibility.workload import export_workload, workload
from citygrid.services.routing.reroute import route_problems

CONFIG = Config()
NOW = datetime(2026, 11, 23, 12, 0)


@pytest.fixture
def city(store: Store) -> Store:
    build_city(store)
    add_problems(store)
    auto_assign(CityContext(store, CONFIG), dry_run=False)
    assign(CityContext(store, CONFIG, "t"), "points", "D02", unit="U_SW", head="P_WW")
    route_problems(CityContext(store, CONFIG, "t"), dry_run=False)
    return store


def test_workload_per_unit(city: Store) -> None:
    table = workload(CityContext(city, CONFIG, now=NOW)).set_index("unit_code")
    assert table.loc["U_WY", "unit_name"] == "五一街道办事处"
    g02 = city.read("grids", where={"code": "G02"}).to_crs(CityContext(city, CONFIG).metric_crs)
    assert table.loc["U_WY", "grids_km2"] == pytest.approx(g02.area.sum() / 1e6, abs=0.001)
    assert table.loc["U_WY", "streets_km"] == pytest.approx(1.178, abs=0.002)  # 五一大道
    assert table.loc["U_CG", "streets_km"] == pytest.approx(0.887, abs=0.002)  # 黄兴路
    assert table.loc["U_PZ", "alleys_km"] == pytest.approx(0.589, abs=0.002)  # 太平街
    assert table.loc["U_SW", ["points", "points_market"]].tolist() == [1, 1]
    assert table.loc["U_CG", ["points", "points_park"]].tolist() == [1, 1]
    # W001 (G02, deadline passed) and W002 (太平街, deadline in 2099); W003 is closed.
    assert table.loc["U_WY", ["open_problems", "overdue_problems"]].tolist() == [1, 1]
    assert table.loc["U_PZ", ["open_problems", "overdue_problems"]].tolist() == [1, 0]
    assert table["open_problems"].sum() == 2


def test_workload_per_head(city: Store) -> None:
    table = workload(CityContext(city, CONFIG, now=NOW), by="head").set_index("head_code")
    assert table.loc["P_WW", ["head_name", "unit_name", "points"]].tolist() == ["王五", "商务局", 1]
    assert table.loc["P_ZS", "streets_km"] == pytest.approx(0.887, abs=0.002)
    assert table.loc["P_LS", "grids_km2"] == 0


def test_workload_export_to_csv_reads_back(city: Store, tmp_path: Path) -> None:
    table = workload(CityContext(city, CONFIG, now=NOW))
    written = export_workload(table, tmp_path / "工作量.csv")
    back = pd.read_csv(written, encoding="utf-8-sig", dtype={"unit_code": str})
    assert back["unit_name"].tolist() == table["unit_name"].tolist()
    assert back["grids_km2"].tolist() == table["grids_km2"].tolist()


def test_workload_by_something_else_is_refused(city: Store) -> None:
    with pytest.raises(BadInput, match="by unit or by head"):
        workload(CityContext(city, CONFIG), by="street")  # type: ignore[arg-type]
