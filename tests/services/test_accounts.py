"""Users, passwords and tokens through the accounts services (both backends)."""

from __future__ import annotations

from datetime import datetime, timedelta

import geopandas as gpd
import pytest
import shapely

from citygrid.config import Config
from citygrid.errors import BadInput, Conflict, NotFound, Unauthorized
from citygrid.layers.store import Store
from citygrid.services.accounts import tokens, users
from citygrid.services.context import CityContext

PASSWORD = "长沙城管2026!"


@pytest.fixture
def ctx(store: Store) -> CityContext:
    """An empty city with one cell (G01) and one unit (U01), acting as admin 王管理."""
    unit = gpd.GeoDataFrame(
        [{"code": "U01", "name": "芙蓉区城管局"}], geometry=[shapely.Point(113, 28)], crs=4326
    )
    store.write("units", unit)
    cell = gpd.GeoDataFrame(
        [{"code": "G01", "name": "定王台网格"}],
        geometry=[shapely.box(113, 28, 113.01, 28.01)],
        crs="EPSG:4326",
    )
    store.write("grids", cell)
    return CityContext(store, Config(), actor="王管理")


def test_a_user_signs_in_with_the_right_password_only(ctx: CityContext) -> None:
    users.add_user(ctx, "李网格", "grid_manager", scope="grid:G01", password=PASSWORD)
    user = users.authenticate(ctx, " 李网格 ", PASSWORD)
    assert (user.role.name, str(user.scope)) == ("grid_manager", "grid:G01")
    for name, password in (("李网格", "wrong password"), ("nobody", PASSWORD), ("a b", "x")):
        with pytest.raises(Unauthorized, match="Wrong user name or password"):
            users.authenticate(ctx, name, password)
    users.set_user(ctx, "李网格", disabled=True)
    with pytest.raises(Unauthorized, match="disabled"):
        users.authenticate(ctx, "李网格", PASSWORD)


def test_a_user_without_a_password_cannot_sign_in(ctx: CityContext) -> None:
    users.add_user(ctx, "etl", "viewer")
    with pytest.raises(Unauthorized):
        users.authenticate(ctx, "etl", "")


def test_password_hashes_never_reach_the_audit_log(ctx: CityContext) -> None:
    users.add_user(ctx, "张规划", "planner", password=PASSWORD)
    users.set_user(ctx, "张规划", password="另一个密码abc")
    stored = ctx.store.read("users")["password_hash"].iloc[0]
    assert stored.startswith("$argon2id$")
    audit = ctx.store.read("audit", where={"layer": "users"})
    assert "argon2" not in " ".join(audit["before"].fillna("") + audit["after"].fillna(""))
    assert '"password_hash": "(changed)"' in audit["after"].iloc[-1]
    assert set(audit["actor"]) == {"王管理"}
    assert "password_hash" not in users.list_users(ctx).columns


def test_two_admins_editing_one_user_the_second_is_refused(ctx: CityContext) -> None:
    seen = users.add_user(ctx, "赵巡查", "inspector")
    users.set_user(ctx, "赵巡查", role="viewer", expected_version=seen.version)
    with pytest.raises(Conflict):
        users.set_user(ctx, "赵巡查", role="planner", expected_version=seen.version)
    assert users.get_user(ctx, "赵巡查").role.name == "viewer"


@pytest.mark.parametrize(
    ("name", "role", "scope", "message"),
    [
        ("", "viewer", None, "not a user name"),
        ("a" * 65, "viewer", None, "not a user name"),
        ("两 个", "viewer", None, "not a user name"),
        ("ok", "mayor", None, "not a role"),
        ("ok", "grid_manager", None, "needs a scope"),
        ("ok", "unit_handler", "grid:G01", "cannot have a grid scope"),
        ("ok", "viewer", "grid:G01,G99", "do not exist: G99"),
        ("ok", "viewer", "unit:U01,U02", "one unit"),
        ("ok", "viewer", "street:S01", "not a scope"),
        ("ok", "viewer", "grid:" + "G01," * 4000, "characters long"),
    ],
)
def test_bad_users_are_refused_and_nothing_is_written(
    ctx: CityContext, name: str, role: str, scope: str | None, message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        users.add_user(ctx, name, role, scope=scope)
    assert ctx.store.count("users") == 0


def test_bad_passwords_and_duplicates_are_refused(ctx: CityContext) -> None:
    with pytest.raises(BadInput, match="8 to 256"):
        users.add_user(ctx, "短", "viewer", password="short")
    with pytest.raises(BadInput, match="8 to 256"):
        users.add_user(ctx, "长", "viewer", password="x" * 257)
    with pytest.raises(BadInput, match="control"):
        users.add_user(ctx, "tab", "viewer", password="with\ttab123")
    users.add_user(ctx, "王五", "viewer", scope="单位:U01")
    with pytest.raises(Conflict):
        users.add_user(ctx, "王五", "viewer")
    with pytest.raises(NotFound):
        users.set_user(ctx, "nobody", role="viewer")
    with pytest.raises(BadInput, match="Nothing to change"):
        users.set_user(ctx, "王五")
    with pytest.raises(BadInput, match="No person"):
        users.set_user(ctx, "王五", person="P404")


def test_a_token_acts_for_its_user_until_expired_revoked_or_removed(ctx: CityContext) -> None:
    users.add_user(ctx, "接口", "viewer")
    issued = tokens.issue_token(ctx, "接口", days=1, label="QGIS")
    assert tokens.user_for_token(ctx, issued.token).name == "接口"
    assert issued.token not in " ".join(ctx.store.read("tokens")["secret_hash"])
    tomorrow = CityContext(ctx.store, Config(), now=ctx.now + timedelta(days=1, seconds=1))
    with pytest.raises(Unauthorized, match="expired"):
        tokens.user_for_token(tomorrow, issued.token)
    for forged in ("", "cg_x", issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")):
        with pytest.raises(Unauthorized, match="not valid"):
            tokens.user_for_token(ctx, forged)
    assert tokens.revoke(ctx, issued.id) == 1
    assert tokens.revoke(ctx, "接口") == 0
    with pytest.raises(Unauthorized, match="revoked"):
        tokens.user_for_token(ctx, issued.token)
    second = tokens.issue_token(ctx, "接口")
    users.remove_user(ctx, "接口")
    with pytest.raises(Unauthorized):
        tokens.user_for_token(ctx, second.token)
    assert ctx.store.count("tokens") == 0


def test_a_disabled_users_tokens_stop_working(ctx: CityContext) -> None:
    users.add_user(ctx, "脚本", "viewer")
    issued = tokens.issue_token(ctx, "脚本")
    users.set_user(ctx, "脚本", disabled=True)
    with pytest.raises(Unauthorized, match="disabled"):
        tokens.user_for_token(ctx, issued.token)


def test_bad_token_requests_are_refused(ctx: CityContext) -> None:
    users.add_user(ctx, "脚本", "viewer")
    for days in (0, 3651):
        with pytest.raises(BadInput, match="1 to 3650"):
            tokens.issue_token(ctx, "脚本", days=days)
    with pytest.raises(NotFound):
        tokens.issue_token(ctx, "nobody")
    with pytest.raises(NotFound):
        tokens.revoke(ctx, "0123456789ab")


def test_account_changes_leave_the_data_version_alone(ctx: CityContext) -> None:
    before = ctx.store.data_version()
    users.add_user(ctx, "缓存", "viewer", password=PASSWORD)
    users.authenticate(ctx, "缓存", PASSWORD)
    tokens.issue_token(ctx, "缓存")
    assert ctx.store.data_version() == before  # computed layers stay cached


def test_the_clock_of_a_token_is_the_contexts(ctx: CityContext) -> None:
    users.add_user(ctx, "钟", "viewer")
    issued = tokens.issue_token(ctx, "钟", days=30)
    assert issued.expires_at == ctx.now.replace(microsecond=0) + timedelta(days=30)
    assert isinstance(issued.expires_at, datetime)
