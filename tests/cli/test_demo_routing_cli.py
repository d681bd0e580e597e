"""The demo city is what the real commands would make of it: routed by the real router,
and auto-assign leaves the departments' points alone."""

from __future__ import annotations

from click.testing import CliRunner

from citygrid.cli import main
from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.responsibility import auto_assign


def test_route_dry_run_on_the_fresh_demo_changes_nothing(demo_url: str) -> None:
    result = CliRunner().invoke(main, ["--db", demo_url, "--lang", "en", "route", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Nothing to change." in result.output


def test_auto_assign_on_the_demo_keeps_the_departments_points(demo_store: Store) -> None:
    changes = auto_assign(CityContext(demo_store, Config()), dry_run=True)
    points = demo_store.read("points", columns=["code", "unit_code", "assigned_by"])
    units = demo_store.read("units", columns=["code", "kind"]).set_index("code")["kind"]
    moved = changes[(changes["layer"] == "points") & (changes["field"] == "unit_code")]
    held = points.set_index("code").loc[moved["code"]]
    assert not (held["unit_code"].map(units) == "department").any()
    assert set(held["assigned_by"].dropna()) <= {"auto"}
    by_department = points["unit_code"].map(units) == "department"
    assert (points.loc[by_department, "assigned_by"] == "department").all()
    assert len(moved) < 0.05 * len(points)
