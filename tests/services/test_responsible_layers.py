"""A responsible layer is nothing but a declaration: a test-only "components" (部件) layer.

The fixture registers the layer (and a copy of the problems layer with a
``component_code`` link and a ``component`` routing rule) with no change to
any service; routing, workload and auto-assign pick it up from the registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import shapely
from responsibility_city import add_problems, build_city, frame

from citygrid.config import Config
from citygrid.layers import registry
from citygrid.layers.base_layers import ASSIGNED_BY, PROBLEMS
from citygrid.layers.registry import Choice, Field, Layer, Responsibility
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.responsibility import auto_assign
from citygrid.services.responsibility.workload import workload
from citygrid.services.routing import route_point
from citygrid.services.routing.reroute import route_problems

COMPONENTS = Layer(
    "components",
    "部件",
    "Components",
    "Point",
    (
        Field("code", "str", "部件编码", "component code", required=True, indexed=True),
        Field("name", "str", "部件名称", "component name"),
        Field("unit_code", "str", "责任单位", "responsible unit", references="units"),
        Field("head_code", "str", "责任人", "responsible person", references="people"),
        Field("assigned_by", "str", "分配方式", "assigned by", choices=ASSIGNED_BY),
    ),
    responsibility=Responsibility(rank=10, rule="component", problem_field="component_code"),
)


def _problems_with_components() -> Layer:
    fields = []
    for field in PROBLEMS.fields:
        if field.name == "routed_by":
            field = replace(
                field, choices=(*field.choices, Choice("component", "部件", "component"))
            )  # type: ignore[misc]
        fields.append(field)
    link = Field("component_code", "str", "部件", "component", references="components")
    return replace(PROBLEMS, fields=(*fields, link))


@pytest.fixture
def declared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the components layer for one test, in a copy of the registry."""
    monkeypatch.setattr(registry, "LAYERS", registry.LAYERS.copy())
    registry.register(COMPONENTS)
    registry.register(_problems_with_components())


@pytest.fixture
def city(database_url: str, declared: None) -> Iterator[Store]:
    """The responsibility test city, with the components table and its problems link."""
    store = Store.open(database_url, check_schema=False)
    with store.engine.begin() as conn:  # the schema a migration would add
        store.table("problems").drop(conn)
        store.metadata.create_all(conn, tables=[store.table("problems"), store.table("components")])
        store.backend.create_extras(conn, [COMPONENTS])
    build_city(store)
    add_problems(store)
    store.write(
        "components",
        frame(
            [
                # K01 at W001's place (in G02, which has no unit), held by 商务局 and 王五.
                {"code": "K01", "name": "消防栓", "unit_code": "U_SW", "head_code": "P_WW"},
                # K02 in G01 (城管局), nobody's yet.
                {"code": "K02", "name": "井盖", "unit_code": None},
            ],
            [shapely.Point(112.9835, 28.1925), shapely.Point(112.975, 28.197)],
        ),
    )
    yield store
    store.close()


def test_a_problem_at_a_component_goes_to_its_unit(city: Store) -> None:
    ctx = CityContext(city, Config(), "派遣员")
    changes = route_problems(ctx, dry_run=False).set_index("code")
    assert changes.loc[
        "W001", ["component_code", "unit_code", "head_code", "routed_by"]
    ].tolist() == [
        "K01",
        "U_SW",
        "P_WW",
        "component",
    ]
    stored = city.read("problems", where={"code": "W001"}).iloc[0]
    assert (stored["component_code"], stored["routed_by"]) == ("K01", "component")
    chain = route_point(ctx, 112.9835, 28.1925)["chain"]
    assert [link["layer"] for link in chain] == ["components", "grids", "jurisdictions"]
    assert chain[0]["decides"]


def test_components_count_in_workload(city: Store) -> None:
    table = workload(CityContext(city, Config())).set_index("unit_code")
    assert "components" in table.columns
    assert table.loc["U_SW", "components"] == 1
    assert table["components"].sum() == 1  # K02 has no unit yet


def test_auto_assign_gives_an_unassigned_component_its_cells_unit(city: Store) -> None:
    changes = auto_assign(CityContext(city, Config(), "自动"), dry_run=False)
    mine = changes[changes["layer"] == "components"]
    assert mine[["code", "field", "after", "rule"]].values.tolist() == [
        ["K02", "unit_code", "U_CG", "containing_cell"]
    ]
    stored = city.read("components", where={"code": "K02"}).iloc[0]
    assert (stored["unit_code"], stored["assigned_by"]) == ("U_CG", "auto")


def test_the_registry_is_restored_after_the_test() -> None:
    assert "components" not in {layer.name for layer in registry.all_layers()}
    assert "component_code" not in registry.get_layer("problems").field_names
