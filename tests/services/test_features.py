"""One feature created, changed and deleted through services/features, and the sort
of the providers; on SQLite and PostGIS, on responsibility_city.py's Changsha."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely
from responsibility_city import add_problems, build_city

from citygrid.config import Config
from citygrid.errors import BadInput, Conflict, PreconditionFailed, ReadOnlyLayer
from citygrid.layers.registry import get_layer
from citygrid.layers.store import Store
from citygrid.services.context import CityContext
from citygrid.services.features.edits import create_feature, delete_feature, update_feature
from citygrid.services.features.values import FeatureInput, read_feature, read_geometry
from citygrid.services.providers import provider_for
from citygrid.services.providers.filters import parse_sortby, sort_frame
from citygrid.services.routing.reroute import route_problems


@pytest.fixture
def ctx(store: Store) -> CityContext:
    build_city(store)
    add_problems(store)
    context = CityContext(store, Config(database_url=store.url), actor="测试员")
    route_problems(context, dry_run=False)
    return context


def test_values_are_parsed_by_their_fields() -> None:
    points = get_layer("points")
    given = read_feature(
        points,
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [112.98, 28.19]},
            "properties": {"code": "D09", "point_type": "农贸市场", "radius_m": 30, "version": 7},
        },
    )
    assert given.values == {"code": "D09", "point_type": "market", "radius_m": 30.0}
    assert given.geometry.equals(shapely.Point(112.98, 28.19))
    with pytest.raises(BadInput, match="radius_m"):
        read_feature(points, {"type": "Feature", "properties": {"radius_m": [1]}})


def test_geometries_follow_the_layer_and_their_crs() -> None:
    grids = get_layer("grids")
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    assert read_geometry(grids, square).geom_type == "Polygon"
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(BadInput, match="not valid"):
        read_geometry(grids, bowtie)
    crs84 = {"type": "name", "properties": {"name": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}}
    assert read_geometry(grids, square, crs84).bounds == (0, 0, 1, 1)


def test_a_new_unit_of_a_cell_takes_its_problems_along(ctx: CityContext) -> None:
    store = ctx.store
    assert store.get("problems", "W001")["unit_code"] != "U_CG"
    version = int(store.get("grids", "G02")["version"])
    after = update_feature(
        ctx, "grids", "G02", FeatureInput({"unit_code": "U_CG"}), version=version
    )
    assert after["assigned_by"] == "manual"
    assert store.get("problems", "W001")["unit_code"] == "U_CG"
    with pytest.raises(PreconditionFailed, match="测试员"):
        update_feature(ctx, "grids", "G02", FeatureInput({"name": "x"}), version=version)
    history = store.history("grids", "G02")
    assert history.iloc[-1]["actor"] == "测试员"


def test_create_and_delete_are_audited(ctx: CityContext) -> None:
    store = ctx.store
    given = FeatureInput(
        {"code": "D09", "name": "坡子街口", "point_type": "market"}, shapely.Point(112.99, 28.19)
    )
    created = create_feature(ctx, "points", given)
    assert int(created["version"]) == 1
    with pytest.raises(Conflict, match="D09"):
        create_feature(ctx, "points", given)
    delete_feature(ctx, "points", "D09", version=1)
    assert store.read("points", where={"code": "D09"}).empty
    audit = store.read("audit", where={"layer": "points"})
    assert list(audit["action"].iloc[-2:]) == ["write:append", "delete"]
    with pytest.raises(Conflict, match="people"):
        delete_feature(ctx, "units", "U_CG", version=1)
    with pytest.raises(ReadOnlyLayer):
        create_feature(ctx, "problems", given)


def test_pages_sort_by_name_or_label_either_way(ctx: CityContext) -> None:
    provider = provider_for("problems")
    query = provider.query({}, sortby="-发现时间", offset=1, limit=1)
    page = provider.features(ctx, query)
    assert list(page.frame["code"]) == ["W001"]
    assert page.matched == 3
    assert page.next == 2
    frame = pd.DataFrame({"recurrence": [2, None, 1]})
    ordered = sort_frame(frame, parse_sortby(get_layer("problems"), "-recurrence"))
    assert list(ordered.index) == [0, 2, 1]  # missing values last
    with pytest.raises(BadInput, match="sortby"):
        parse_sortby(get_layer("problems"), "height")
