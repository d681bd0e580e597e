"""Each role and scope against each layer, through the providers (both backends).

The small Suzhou city (web_city.py): cells G01-G06, all in sub-district
320508001 of district 320508 and answered for by unit U_PJ (320508002 has
none); street S01 by unit U_CG. Open problems are routed first: Q01, Q02
and Q04 to cells G01, G02 and G03 and unit U_PJ; Q03 is closed (unit U_PJ,
no cell); Q05 lies outside every cell.
"""

from __future__ import annotations

import pytest

from citygrid.config import Config
from citygrid.errors import NotFound, PermissionDenied, Unauthorized
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.services.accounts.principal import Principal, anonymous
from citygrid.services.accounts.roles import get_role
from citygrid.services.accounts.scope import Scope
from citygrid.services.context import CityContext
from citygrid.services.providers import FeatureQuery, provider_for
from citygrid.services.providers.scoping import check_write
from citygrid.services.routing.reroute import route_problems


@pytest.fixture
def routed(city: Store) -> Store:
    """The city with its open problems routed to their cells and units (Q03, closed,
    has no cell)."""
    route_problems(CityContext(city, Config()), dry_run=False)
    return city


def as_(store: Store, role: str, scope: str = "") -> CityContext:
    """A context acting for a user of ``role`` and ``scope``."""
    principal = Principal(user="t", role=get_role(role), scope=Scope.parse(scope))
    return CityContext(store, Config(), principal=principal)


def codes(ctx: CityContext, layer: str) -> list[str]:
    """The codes of ``layer`` the context reads."""
    page = provider_for(layer).features(ctx, FeatureQuery(limit=100))
    return sorted(page.frame["code"])


def test_a_grid_manager_reads_only_the_cells_and_what_lies_in_them(routed: Store) -> None:
    ctx = as_(routed, "grid_manager", "grid:G01")
    assert codes(ctx, "grids") == ["G01"]
    assert codes(ctx, "points") == ["P01"]
    assert codes(ctx, "problems") == ["Q01"]
    assert provider_for("grids").count(ctx) == 1
    extent = provider_for("points").extent(ctx)
    assert extent is not None
    assert extent[0] == pytest.approx(120.605)
    with pytest.raises(NotFound):
        provider_for("grids").feature(ctx, "G02")
    assert provider_for("grids").feature(ctx, "G01")["code"].tolist() == ["G01"]


def test_a_jurisdiction_scope_covers_the_cells_below_it(routed: Store) -> None:
    everything = [f"G0{i}" for i in range(1, 7)]
    assert codes(as_(routed, "viewer", "jurisdiction:320508001"), "grids") == everything
    district = as_(routed, "viewer", "jurisdiction:320508")
    assert codes(district, "grids") == everything
    assert codes(district, "problems") == ["Q01", "Q02", "Q04"]
    beside = as_(routed, "viewer", "jurisdiction:320508002")  # its land, but no cells
    assert codes(beside, "grids") == codes(beside, "problems") == []
    assert codes(beside, "points") == ["P04", "P05", "P06"]


def test_a_unit_handler_reads_its_units_features_and_no_inspections(routed: Store) -> None:
    ctx = as_(routed, "unit_handler", "unit:U_PJ")
    assert codes(ctx, "problems") == ["Q01", "Q02", "Q03", "Q04"]
    assert codes(ctx, "points") == ["P01"]
    streets = as_(routed, "unit_handler", "unit:U_CG")
    assert codes(streets, "streets") == ["S01"]
    assert codes(streets, "grids") == codes(streets, "problems") == []
    for layer in ("inspections", "audit"):
        with pytest.raises(PermissionDenied):
            provider_for(layer).features(ctx, FeatureQuery())


def test_reference_layers_are_shared_but_personal_fields_are_withheld(routed: Store) -> None:
    viewer = as_(routed, "viewer", "grid:G01")
    people = provider_for("people").features(viewer, FeatureQuery()).frame
    assert len(people) == 4
    assert "phone" not in people.columns
    units = provider_for("units").feature(viewer, "U_CG")
    assert "phone" not in units.columns
    assert "contact" not in units.columns
    assert "reporter" not in provider_for("problems").features(viewer, FeatureQuery()).frame
    planner = as_(routed, "planner")
    assert "phone" in provider_for("people").features(planner, FeatureQuery()).frame
    assert provider_for("units").feature(planner, "U_CG")["phone"].tolist() == ["0512-123"]


def test_the_audit_log_is_for_the_whole_city_and_its_changes_for_personal_roles(
    routed: Store,
) -> None:
    with pytest.raises(PermissionDenied, match="whole city"):
        provider_for("audit").features(as_(routed, "viewer", "grid:G01"), FeatureQuery())
    city_viewer = provider_for("audit").features(as_(routed, "viewer"), FeatureQuery()).frame
    assert len(city_viewer) > 0
    assert not {"before", "after"} & set(city_viewer.columns)
    admin = provider_for("audit").features(as_(routed, "admin", "grid:G01"), FeatureQuery())
    assert {"before", "after"} <= set(admin.frame.columns)


def test_anonymous_visitors_read_only_public_layers(routed: Store) -> None:
    nobody = CityContext(routed, Config(), principal=anonymous())
    for layer in ("people", "audit", "grids"):
        with pytest.raises(Unauthorized):
            provider_for(layer).features(nobody, FeatureQuery())
    public = CityContext(routed, Config(), principal=anonymous(("grids", "people")))
    assert len(codes(public, "grids")) == 6
    assert "phone" not in provider_for("people").features(public, FeatureQuery()).frame
    with pytest.raises(Unauthorized):
        provider_for("problems").count(public)


def test_accounts_are_never_served(routed: Store) -> None:
    for layer in ("users", "tokens"):
        with pytest.raises(NotFound):
            provider_for(layer)


def test_a_computed_layer_keeps_the_features_inside_the_scope(routed: Store, counted: str) -> None:
    page = provider_for(counted).features(as_(routed, "grid_manager", "grid:G04"), FeatureQuery())
    assert page.frame["cell_code"].tolist() == ["G04"]  # not G01 or G05 that touch it
    assert provider_for(counted).features(as_(routed, "admin"), FeatureQuery()).matched == 6
    with pytest.raises(PermissionDenied):
        provider_for(counted).features(as_(routed, "viewer", "unit:U_PJ"), FeatureQuery())


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> str:
    """The test-only computed layer of problems per cell (tests/problem_counts.py)."""
    from problem_counts import LAYER, install

    install(monkeypatch)
    return LAYER


def test_writes_follow_the_role_and_the_scope(routed: Store) -> None:
    points, grids = get_layer("points"), get_layer("grids")
    check_write(as_(routed, "grid_manager", "grid:G01"), points, ["P01"])
    with pytest.raises(PermissionDenied, match="P04"):
        check_write(as_(routed, "grid_manager", "grid:G01"), points, ["P01", "P04"])
    with pytest.raises(PermissionDenied, match="does not change"):
        check_write(as_(routed, "grid_manager", "grid:G01"), grids, ["G01"])
    with pytest.raises(PermissionDenied):
        check_write(as_(routed, "viewer"), points, ["P01"])
    with pytest.raises(Unauthorized):
        check_write(CityContext(routed, Config(), principal=anonymous()), points, ["P01"])
    check_write(as_(routed, "planner", "jurisdiction:320508001"), grids, ["G03", "G06"])
    with pytest.raises(PermissionDenied, match="G01"):
        check_write(as_(routed, "planner", "jurisdiction:320508002"), grids, ["G01"])
    with pytest.raises(NotFound, match="G99"):
        check_write(as_(routed, "planner", "jurisdiction:320508001"), grids, ["G01", "G99"])
