"""``citygrid demo`` makes one demo account per role and prints their passwords once, at the
end; ``--replace`` makes new ones and keeps real accounts (SQLite and PostGIS)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from click.testing import CliRunner, Result

from citygrid.cli import main
from citygrid.config import Config
from citygrid.errors import Unauthorized
from citygrid.layers.store import Store
from citygrid.services.accounts.tokens import issue_token, user_for_token
from citygrid.services.accounts.users import authenticate, get_user
from citygrid.services.context import CityContext
from citygrid.services.demo.accounts import demo_account_names

ROW = re.compile(r"^│ (demo_\w+)\s+│.*│ (\S+)\s+│$")


def _run(url: str, *args: str, lang: str = "en") -> Result:
    return CliRunner().invoke(main, ["--db", url, "--lang", lang, *args])


def _demo(url: str, *args: str, lang: str = "en") -> tuple[Result, dict[str, str]]:
    """Run ``citygrid demo``; its result and the printed passwords by account name."""
    result = _run(url, "demo", *args, lang=lang)
    assert result.exit_code == 0, result.output
    rows = (ROW.match(line) for line in result.output.splitlines())
    return result, {m.group(1): m.group(2) for m in rows if m}


@contextmanager
def _city(url: str) -> Iterator[CityContext]:
    store = Store.open(url)
    try:
        yield CityContext(store, Config())
    finally:
        store.close()


def test_one_account_per_role_with_its_password_printed_once(database_url: str) -> None:
    result, passwords = _demo(database_url)
    assert set(passwords) == set(demo_account_names())
    assert len(set(passwords.values())) == len(passwords)
    for password in passwords.values():
        assert result.output.count(password) == 1
    tail = result.output.rstrip().splitlines()[-1]
    assert tail.startswith("These are demo accounts, and their passwords are shown only now.")
    assert result.output.index("Demo city (small, seed 0) loaded") < result.output.index(
        "Demo accounts"
    )
    with _city(database_url) as city:
        users = {name: authenticate(city, name, pw) for name, pw in passwords.items()}
        assert {u.role.name for u in users.values()} == {
            "admin",
            "planner",
            "grid_manager",
            "unit_handler",
            "inspector",
            "viewer",
        }
        assert all(u.demo and not u.disabled for u in users.values())
        by_role = {u.role.name: u for u in users.values()}
        for role in ("admin", "planner", "inspector"):
            assert by_role[role].scope.whole_city
        manager = by_role["grid_manager"]
        assert manager.scope.kind == "grid"
        assert 1 <= len(manager.scope.codes) <= 2
        cells = city.store.read("grids", where={"code": list(manager.scope.codes)})
        assert set(cells["manager_code"]) == {manager.person}
        assert manager.full_name == city.store.get("people", manager.person)["name"]
        handler = by_role["unit_handler"]
        assert handler.scope.kind == "unit"
        problems = city.store.read("problems", columns=["unit_code"])["unit_code"]
        assert problems.value_counts().idxmax() == handler.scope.codes[0]
        viewer = by_role["viewer"]
        assert viewer.scope.kind == "jurisdiction"
        (subdistrict,) = viewer.scope.codes
        assert city.store.get("jurisdictions", subdistrict)["level"] == "subdistrict"


def test_the_accounts_table_is_chinese_by_default(database_url: str) -> None:
    result, passwords = _demo(database_url, lang="zh_CN")
    assert len(passwords) == len(demo_account_names())
    for text in ("演示账号", "用户名", "角色", "范围", "密码", "网格员", "全市", "正式使用前"):
        assert text in result.output


def test_replace_makes_new_demo_accounts_and_keeps_real_ones(database_url: str) -> None:
    _, old = _demo(database_url)
    assert _run(database_url, "users", "add", "real", "--role", "admin").exit_code == 0
    with _city(database_url) as city:
        real_token = issue_token(city, "real").token
        demo_token = issue_token(city, "demo_admin").token
    _, new = _demo(database_url, "--replace", "--seed", "1")
    assert set(new) == set(old)
    with _city(database_url) as city:
        for name in old:
            with pytest.raises(Unauthorized):
                authenticate(city, name, old[name])
            assert authenticate(city, name, new[name]).demo
        assert city.store.read("tokens", where={"user_code": "demo_admin"}).empty
        with pytest.raises(Unauthorized):
            user_for_token(city, demo_token)
        assert user_for_token(city, real_token).name == "real"
        assert not get_user(city, "real").demo


def test_a_real_user_with_a_demo_name_stops_the_demo_before_anything(database_url: str) -> None:
    assert _run(database_url, "users", "add", "demo_viewer", "--role", "viewer").exit_code == 0
    result = _run(database_url, "demo")
    assert result.exit_code == 2
    assert "Users demo_viewer are not demo accounts but have demo accounts' names." in (
        result.output
    )
    with _city(database_url) as city:
        assert city.store.counts()["grids"] == 0
        assert not get_user(city, "demo_viewer").demo
    assert _run(database_url, "users", "remove", "demo_viewer").exit_code == 0
    assert _run(database_url, "users", "add", "boss", "--role", "admin").exit_code == 0
    _, passwords = _demo(database_url)  # accounts are no data the demo would replace
    assert len(passwords) == len(demo_account_names())
    with _city(database_url) as city:
        assert get_user(city, "boss").role.name == "admin"
