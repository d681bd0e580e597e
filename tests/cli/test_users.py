"""``citygrid users``: add, list, set, token, revoke and remove on the demo city, with every
bad input refused and nothing changed, on SQLite and PostGIS."""

from __future__ import annotations

import getpass
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from citygrid.cli import main
from citygrid.config import Config
from citygrid.errors import Unauthorized
from citygrid.layers.store import Store
from citygrid.services.accounts.tokens import user_for_token
from citygrid.services.accounts.users import authenticate, get_user
from citygrid.services.context import CityContext

WIDE = {"COLUMNS": "200"}
"""Tables are fitted to the width: these tests read them whole."""

#: Codes of the small demo city (seed 0).
SUBDISTRICT = "430102001000"
CELL = "43010200100101"
UNIT = "BMSJ"
PERSON = "P000001"
PASSWORD = "correct horse 9"


def _run(url: str, *args: str, stdin: str | None = None, lang: str = "en") -> Result:
    return CliRunner(env=WIDE).invoke(main, ["--db", url, "--lang", lang, *args], input=stdin)


def _ok(url: str, *args: str, stdin: str | None = None, lang: str = "en") -> Result:
    result = _run(url, *args, stdin=stdin, lang=lang)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def city(demo_store_copy: Store) -> CityContext:
    """A context on a private copy of the demo city (its URL: ``city.store.url``)."""
    return CityContext(demo_store_copy, Config())


def _url(city: CityContext) -> str:
    return city.store.url


def _snapshot(city: CityContext) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Users and tokens (every stored column) and the audit's length: what a refusal keeps."""
    users = city.store.read("users")
    tokens = city.store.read("tokens")
    return users, tokens, len(city.store.read("audit", columns=["layer"]))


def _token(city: CityContext, name: str, *args: str) -> str:
    result = _ok(_url(city), "users", "token", name, *args)
    return result.stdout.strip()


def test_add_with_password_from_stdin_then_sign_in(city: CityContext) -> None:
    result = _ok(
        _url(city),
        "--actor",
        "王五",
        "users",
        "add",
        "zhangsan",
        "--role",
        "grid_manager",
        "--scope",
        f"grid:{CELL}",
        "--name",
        "张三",
        "--person",
        PERSON,
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert "User zhangsan added: grid manager, grid:" in result.output
    assert "no password" not in result.output
    user = authenticate(city, "zhangsan", PASSWORD)
    assert (user.full_name, user.person, str(user.scope)) == ("张三", PERSON, f"grid:{CELL}")
    audit = city.store.read("audit", where={"layer": "users"})
    added = audit[audit["reason"] == "add user zhangsan"]
    assert list(added["actor"]) == ["王五"]
    assert PASSWORD not in audit.to_string()


def test_without_password_off_a_terminal_the_user_has_none(city: CityContext) -> None:
    result = _ok(_url(city), "users", "add", "script", "--role", "viewer")
    assert "script has no password, so cannot sign in; API tokens work." in result.output
    assert pd.isna(city.store.get("users", "script")["password_hash"])
    with pytest.raises(Unauthorized):
        authenticate(city, "script", "")


def test_the_actor_defaults_to_the_login_name(city: CityContext) -> None:
    _ok(_url(city), "users", "add", "who", "--role", "viewer")
    audit = city.store.read("audit", where={"layer": "users", "reason": "add user who"})
    assert list(audit["actor"]) == [os.environ.get("CITYGRID_ACTOR") or getpass.getuser()]


def test_list_shows_roles_in_chinese_and_never_a_hash(city: CityContext) -> None:
    _ok(_url(city), "users", "add", "lisi", "--role", "unit_handler", "--scope", f"unit:{UNIT}")
    _ok(_url(city), "users", "add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    token = _token(city, "lisi", "--label", "夜间脚本")
    output = _ok(_url(city), "users", "list", "--tokens", lang="zh_CN").output
    for text in ("用户名", "角色", "范围", "最近登录", "责任单位经办人", "管理员", "全市"):
        assert text in output
    assert f"unit:{UNIT}" in output
    assert "夜间脚本" in output
    assert token.split("_")[1] in output  # the id
    assert "有效" in output
    assert token.split("_", 2)[2] not in output
    assert "argon2" not in output
    for column in ("password_hash", "secret_hash"):
        stored = city.store.read("users" if column == "password_hash" else "tokens")
        for value in stored[column].dropna():
            assert value not in output


def test_list_of_no_users(database_url: str) -> None:
    output = _ok(database_url, "users", "list", "--tokens").output
    assert "No users yet" in output
    assert "No API tokens" in output


def test_token_is_printed_once_on_stdout_and_works(city: CityContext) -> None:
    _ok(_url(city), "users", "add", "bot", "--role", "inspector")
    result = _ok(_url(city), "users", "token", "bot", "--days", "7", "--label", "巡查同步")
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert re.fullmatch(r"cg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token)
    assert token not in result.stderr
    assert f"Token {token.split('_')[1]} for bot, valid until " in result.stderr
    assert "It is not shown again" in result.stderr
    assert user_for_token(city, token).name == "bot"
    listed = _ok(_url(city), "users", "list", "--tokens").output
    assert token not in listed
    assert "巡查同步" in listed


def test_revoke_by_id_and_by_name(city: CityContext) -> None:
    _ok(_url(city), "users", "add", "bot", "--role", "inspector")
    first, second, third = (_token(city, "bot") for _ in range(3))
    token_id = first.split("_")[1]
    assert "Tokens revoked: 1." in _ok(_url(city), "users", "revoke", token_id).output
    with pytest.raises(Unauthorized, match="revoked"):
        user_for_token(city, first)
    assert user_for_token(city, second).name == "bot"
    assert "Tokens revoked: 2." in _ok(_url(city), "users", "revoke", "bot").output
    for token in (second, third):
        with pytest.raises(Unauthorized, match="revoked"):
            user_for_token(city, token)
    again = _ok(_url(city), "users", "revoke", "bot").output
    assert "Nothing to revoke: bot has no live token." in again
    assert "revoked" in _ok(_url(city), "users", "list", "--tokens").output


def test_set_changes_only_what_is_given(city: CityContext) -> None:
    _ok(_url(city), "users", "add", "wang", "--role", "viewer", "--name", "王")
    result = _ok(
        _url(city),
        "users",
        "set",
        "wang",
        "--role",
        "planner",
        "--scope",
        f"jurisdiction:{SUBDISTRICT}",
    )
    assert f"User wang changed: planner, jurisdiction:{SUBDISTRICT}, enabled." in result.output
    user = get_user(city, "wang")
    assert (user.role.name, user.full_name) == ("planner", "王")
    _ok(_url(city), "users", "set", "wang", "--scope", "city", "--password-stdin", stdin=PASSWORD)
    assert get_user(city, "wang").scope.whole_city
    assert authenticate(city, "wang", PASSWORD).name == "wang"


def test_disable_refuses_tokens_and_sign_in_until_enabled(city: CityContext) -> None:
    _ok(_url(city), "users", "add", "bot", "--role", "viewer", "--password-stdin", stdin=PASSWORD)
    token = _token(city, "bot")
    assert "disabled." in _ok(_url(city), "users", "set", "bot", "--disable").output
    with pytest.raises(Unauthorized, match="disabled"):
        user_for_token(city, token)
    with pytest.raises(Unauthorized, match="disabled"):
        authenticate(city, "bot", PASSWORD)
    _ok(_url(city), "users", "set", "bot", "--enable")
    assert user_for_token(city, token).name == "bot"


def test_remove_takes_the_tokens_too(city: CityContext) -> None:
    _ok(_url(city), "users", "add", "gone", "--role", "viewer")
    token = _token(city, "gone")
    result = _ok(_url(city), "users", "remove", "gone")
    assert "User gone removed, with their API tokens." in result.output
    assert city.store.read("tokens", where={"user_code": "gone"}).empty
    with pytest.raises(Unauthorized):
        user_for_token(city, token)
    assert "gone" not in _ok(_url(city), "users", "list", "--tokens").output


def test_messages_are_chinese_by_default(city: CityContext) -> None:
    result = _ok(_url(city), "users", "add", "chen", "--role", "巡查员", lang="zh_CN")
    assert "已添加用户 chen：巡查员，全市。" in result.output
    refused = _run(_url(city), "users", "add", "chen", "--role", "viewer", lang="zh_CN")
    assert refused.exit_code == 2
    assert "citygrid: " in refused.output
    assert "Traceback" not in refused.output


LONG = "x" * 65

BAD_ADDS = [
    (["--role", "mayor"], "'mayor' is not a role; use one of: admin (管理员)"),
    (["--role", "viewer", "--scope", "district:1"], "'district:1' is not a scope"),
    (["--role", "viewer", "--scope", "grid:"], "'grid:' is not a scope"),
    (["--role", "viewer", "--scope", f"unit:{UNIT},BMCG"], "one unit, not 2"),
    (
        ["--role", "viewer", "--scope", f"grid:{CELL},G404,G405"],
        "The scope names grid codes that do not exist: G404, G405.",
    ),
    (
        ["--role", "planner", "--scope", f"grid:{CELL}"],
        "A planner cannot have a grid scope; give one of: jurisdiction.",
    ),
    (["--role", "admin", "--scope", f"unit:{UNIT}"], "A admin cannot have a unit scope"),
    (["--role", "grid_manager"], "A grid_manager needs a scope (grid|jurisdiction:CODE,...)."),
    (["--role", "unit_handler"], "A unit_handler needs a scope (unit:CODE,...)."),
    (["--role", "viewer", "--person", "P999999"], "No person has the code 'P999999'"),
    (["--role", "viewer", "--name", "名" * 101], "A full name has at most 100 characters."),
]


@pytest.mark.parametrize(("args", "message"), BAD_ADDS, ids=lambda v: str(v)[:30])
def test_bad_adds_are_refused_and_change_nothing(
    city: CityContext, args: list[str], message: str
) -> None:
    before = _snapshot(city)
    result = _run(_url(city), "users", "add", "newbie", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    _assert_unchanged(city, before)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "'' is not a user name"),
        ("   ", "is not a user name"),
        (LONG, "use 1 to 64 letters"),
        ("zhang san", "'zhang san' is not a user name"),
        ("a/b", "'a/b' is not a user name"),
    ],
)
def test_bad_names_are_refused(city: CityContext, name: str, message: str) -> None:
    before = _snapshot(city)
    result = _run(_url(city), "users", "add", name, "--role", "viewer")
    assert result.exit_code == 2, result.output
    assert message in result.output
    _assert_unchanged(city, before)


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("short\n", "A password has 8 to 256 characters; this one has 5."),
        ("\n", "this one has 0"),
        ("", "this one has 0"),
        ("tab\tinside password\n", "cannot hold control characters"),
    ],
)
def test_bad_passwords_are_refused(city: CityContext, stdin: str, message: str) -> None:
    _ok(_url(city), "users", "add", "known", "--role", "viewer")
    before = _snapshot(city)
    added = _run(
        _url(city), "users", "add", "newbie", "--role", "viewer", "--password-stdin", stdin=stdin
    )
    changed = _run(_url(city), "users", "set", "known", "--password-stdin", stdin=stdin)
    for result in (added, changed):
        assert result.exit_code == 2, result.output
        assert message in result.output
    _assert_unchanged(city, before)


def test_a_duplicate_user_is_refused(city: CityContext) -> None:
    _ok(_url(city), "users", "add", "twice", "--role", "viewer")
    before = _snapshot(city)
    result = _run(_url(city), "users", "add", " twice ", "--role", "admin")
    assert result.exit_code == 2
    assert "A user called twice exists already; change it with `users set`." in result.output
    _assert_unchanged(city, before)


@pytest.mark.parametrize(
    "args",
    [
        ["set", "nobody", "--disable"],
        ["token", "nobody"],
        ["revoke", "nobody"],
        ["remove", "nobody", "--yes"],
    ],
)
def test_an_unknown_user_is_refused(city: CityContext, args: list[str]) -> None:
    before = _snapshot(city)
    result = _run(_url(city), "users", *args)
    assert result.exit_code == 2, result.output
    assert "'nobody'" in result.output
    assert "citygrid users list" in result.output
    _assert_unchanged(city, before)


def test_bad_changes_are_refused(city: CityContext) -> None:
    _ok(_url(city), "users", "add", "known", "--role", "viewer")
    before = _snapshot(city)
    cases = [
        (["set", "known"], "Nothing to change: give a role, scope, name, person, password"),
        (["set", "known", "--role", "grid_manager"], "A grid_manager needs a scope"),
        (["set", "known", "--scope", "unit:NOPE"], "unit codes that do not exist: NOPE"),
        (["set", "known", "--password"], "--password asks on a terminal"),
        (["token", "known", "--days", "0"], "A token lasts 1 to 3650 days, not 0."),
        (["token", "known", "--days", "99999"], "A token lasts 1 to 3650 days, not 99999."),
        (["token", "known", "--label", "x" * 201], "at most 200 characters"),
        (["revoke", "0123456789ab"], "No token has the id '0123456789ab', and no user"),
    ]
    for args, message in cases:
        result = _run(_url(city), "users", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    _assert_unchanged(city, before)


def test_a_usage_error_is_clicks_own(city: CityContext) -> None:
    result = _run(_url(city), "users", "token", "known", "--days", "soon")
    assert result.exit_code == 2
    assert "'soon' is not a valid integer" in result.output
    assert "Missing option '--role'" in _run(_url(city), "users", "add", "x").output


def _assert_unchanged(city: CityContext, before: tuple[pd.DataFrame, pd.DataFrame, int]) -> None:
    users, tokens, audit = _snapshot(city)
    pd.testing.assert_frame_equal(users, before[0])
    pd.testing.assert_frame_equal(tokens, before[1])
    assert audit == before[2]


# -- on a real terminal (a pseudo-terminal): hidden prompts and the confirmation ----------


def _talk(args: list[str], url: str, answers: list[tuple[str, str]]) -> str:
    """Answer each ``(prompt, reply)`` when the prompt shows; return everything shown."""
    master, slave = os.openpty()
    env = {**os.environ, "CITYGRID_LANG": "en"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from citygrid.cli import main; main()", "--db", url, *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    shown = ""
    seen = 0  # where the next prompt is looked for
    pending = list(answers)
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 120)
            if not ready:
                raise AssertionError(f"no answer from the command; it showed:\n{shown}")
            try:
                chunk = os.read(master, 4096).decode("utf-8", "replace")
            except OSError:  # the command ended and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            while pending and (at := shown.find(pending[0][0], seen)) >= 0:
                prompt, reply = pending.pop(0)
                seen = at + len(prompt)
                os.write(master, (reply + "\n").encode())
    finally:
        os.close(master)
        process.wait(timeout=120)
    return shown


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_on_a_terminal_the_password_is_asked_twice_hidden(database_url: str) -> None:
    shown = _talk(
        ["users", "add", "typist", "--role", "admin"],
        database_url,
        [
            ("Password: ", "short"),
            ("Password: ", PASSWORD),
            ("Repeat the password: ", PASSWORD),
        ],
    )
    assert "A password has 8 to 256 characters; this one has 5." in shown
    assert "User typist added: administrator, whole city." in shown
    assert PASSWORD not in shown  # hidden input is not echoed
    store = Store.open(database_url)
    try:
        assert authenticate(CityContext(store, Config()), "typist", PASSWORD).name == "typist"
    finally:
        store.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_on_a_terminal_remove_asks_first(database_url: str) -> None:
    _ok(database_url, "users", "add", "keep", "--role", "viewer")
    shown = _talk(
        ["users", "remove", "keep"],
        database_url,
        [("Remove user keep and their API tokens? [y/N]: ", "n")],
    )
    assert "Aborted" in shown
    store = Store.open(database_url)
    try:
        assert get_user(CityContext(store, Config()), "keep").name == "keep"
    finally:
        store.close()
    shown = _talk(
        ["users", "remove", "keep"],
        database_url,
        [("Remove user keep and their API tokens? [y/N]: ", "y")],
    )
    assert "User keep removed" in shown


def test_a_user_whose_scope_went_stale_can_still_be_disabled(city: CityContext) -> None:
    """A cell of the scope was deleted since: disabling or a new password must still work,
    and a change of scope is what mends it."""
    _ok(_url(city), "users", "add", "old", "--role", "grid_manager", "--scope", f"grid:{CELL}")
    city.store.delete("grids", [CELL], actor="pytest")
    _ok(_url(city), "users", "set", "old", "--disable")
    _ok(_url(city), "users", "set", "old", "--password-stdin", stdin=PASSWORD)
    assert get_user(city, "old").disabled
    refused = _run(_url(city), "users", "set", "old", "--name", "老王")
    assert refused.exit_code == 2
    assert f"grid codes that do not exist: {CELL}" in refused.output
    _ok(_url(city), "users", "set", "old", "--scope", f"jurisdiction:{SUBDISTRICT}", "--enable")
    assert str(get_user(city, "old").scope) == f"jurisdiction:{SUBDISTRICT}"


def test_accounts_are_never_exported_or_imported(city: CityContext, tmp_path: Path) -> None:
    _ok(_url(city), "users", "add", "chen", "--role", "viewer")
    for layer in ("users", "tokens"):
        target = tmp_path / f"{layer}.gpkg"
        result = _run(_url(city), "export", layer, "--out", str(target))
        assert result.exit_code == 2, result.output
        assert "never exported" in result.output
        assert not target.exists()
    source = tmp_path / "users.csv"
    source.write_text("code,role\nintruder,admin\n", encoding="utf-8")
    before = _snapshot(city)
    result = _run(_url(city), "import", "users", str(source))
    assert result.exit_code == 2, result.output
    _assert_unchanged(city, before)
