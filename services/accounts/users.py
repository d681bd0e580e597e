"""Users: add, change, list, remove and sign in, each change audited.

Users live in the internal ``users`` layer
(:mod:`citygrid.layers.account_layers`). Every function takes the
:class:`~citygrid.services.context.CityContext` of the command or request;
changes are written with its actor and, for people editing through a form,
the version they saw, so of two admins editing one user the second is told
that the user changed meanwhile and nothing of theirs is written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from citygrid.errors import BadInput, Conflict, NotFound, PermissionDenied, Unauthorized
from citygrid.services.accounts.passwords import hash_password, verify_password
from citygrid.services.accounts.principal import Principal
from citygrid.services.accounts.roles import Role, get_role
from citygrid.services.accounts.scope import Scope
from citygrid.services.context import CityContext

MAX_NAME = 64
_NAME = re.compile(rf"^[\w.@-]{{1,{MAX_NAME}}}$")
MAX_FULL_NAME = 100
_SHOWN = [
    "code",
    "name",
    "role",
    "scope",
    "person_code",
    "disabled",
    "demo",
    "created_at",
    "last_login_at",
]


@dataclass(frozen=True)
class User:
    """A user as the services see it (never with the password hash).

    Attributes
    ----------
    name
        The user name they sign in with.
    full_name
        Their name as people know it.
    role
        What they may do.
    scope
        Where they may do it.
    person
        Their code in the people layer, if any.
    disabled
        Refused at sign-in and for every token.
    demo
        Made by ``citygrid demo``.
    version
        The stored version, for edits that must not overwrite another's.
    password_changed_at
        When the password was last set (``None``: never).
    session_stamp
        A short digest of the password hash, the role and the scope: a web
        session carries it and ends when it no longer matches (a new password,
        role or scope); signing in leaves it as it is.
    """

    name: str
    full_name: str | None
    role: Role
    scope: Scope
    person: str | None
    disabled: bool
    demo: bool
    version: int
    password_changed_at: datetime | None = None
    session_stamp: str = ""

    def principal(self) -> Principal:
        """The :class:`Principal` requests of this user act as."""
        return Principal(user=self.name, role=self.role, scope=self.scope)


def check_user_name(name: str) -> str:
    """The user name, stripped; letters (any script), digits and ``. _ @ -``, 1 to 64.

    Raises
    ------
    BadInput
        Empty, overlong or with other characters.
    """
    stripped = name.strip()
    if not _NAME.match(stripped):
        raise BadInput(
            "{name!r} is not a user name: use 1 to 64 letters, digits, '.', '_', '@' or '-' "
            "(Chinese characters are fine), no spaces.",
            name=name,
        )
    return stripped


def add_user(
    ctx: CityContext,
    name: str,
    role: str,
    *,
    scope: str | None = None,
    full_name: str | None = None,
    person: str | None = None,
    password: str | None = None,
    demo: bool = False,
) -> User:
    """Add a user; without a password they sign in only once one is set (tokens work).

    Raises
    ------
    BadInput
        A bad name, role, scope, person or password.
    Conflict
        A user of that name exists.
    """
    code = check_user_name(name)
    row = _checked(ctx, role=role, scope=scope, full_name=full_name, person=person)
    if _find(ctx, code) is not None:
        raise Conflict(
            "A user called {name} exists already; change it with `users set`.", name=code
        )
    now = ctx.now.replace(microsecond=0)
    row.update(code=code, disabled=False, demo=demo, created_at=now)
    if password is not None:
        row.update(password_hash=hash_password(password), password_changed_at=now)
    ctx.store.write("users", pd.DataFrame([row]), actor=ctx.actor, reason=f"add user {code}")
    return get_user(ctx, code)


def set_user(
    ctx: CityContext,
    name: str,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> User:
    """Change a user: ``role``, ``scope``, ``full_name``, ``person``, ``password``, ``disabled``.

    ``expected_version`` is the version the editor saw (a form's); when the
    user changed since, nothing is written. The settings are checked together
    when one of role, scope, full name or person changes; a new password or
    ``disabled`` alone is written even if the scope names codes deleted since.

    Raises
    ------
    NotFound
        No such user.
    BadInput
        A bad value; or no change given.
    Conflict
        The user changed since ``expected_version``.
    """
    user = get_user(ctx, name)
    unknown = set(changes) - {"role", "scope", "full_name", "person", "password", "disabled"}
    if unknown:
        raise BadInput("Users have no setting {names}.", names=", ".join(sorted(unknown)))
    given = {k: v for k, v in changes.items() if v is not None}
    if not given:
        raise BadInput("Nothing to change: give a role, scope, name, person, password or disabled.")
    row: dict[str, Any] = {}
    if _fields_of(given):  # a password or disabled alone leaves a stale scope as it is
        checked = _checked(
            ctx,
            role=given.get("role", user.role.name),
            scope=given.get("scope", str(user.scope)),
            full_name=given.get("full_name", user.full_name),
            person=given.get("person", user.person),
        )
        row = {k: v for k, v in checked.items() if k in _fields_of(given)}
    if "password" in given:
        row["password_hash"] = hash_password(given["password"])
        row["password_changed_at"] = ctx.now.replace(microsecond=0)
    if "disabled" in given:
        row["disabled"] = bool(given["disabled"])
    row["code"] = user.name
    if expected_version is not None:
        row["version"] = expected_version
    ctx.store.update("users", pd.DataFrame([row]), actor=ctx.actor, action="update user")
    return get_user(ctx, user.name)


def remove_user(ctx: CityContext, name: str) -> None:
    """Remove a user and every token of theirs.

    Raises
    ------
    NotFound
        No such user.
    """
    user = get_user(ctx, name)
    with ctx.store.transaction() as conn:
        tokens = ctx.store.read(
            "tokens", where={"user_code": user.name}, columns=["code"], conn=conn
        )
        if not tokens.empty:
            ctx.store.delete("tokens", list(tokens["code"]), actor=ctx.actor, conn=conn)
        ctx.store.delete("users", [user.name], actor=ctx.actor, conn=conn)


def get_user(ctx: CityContext, name: str) -> User:
    """The user called ``name``.

    Raises
    ------
    NotFound
        No such user.
    """
    row = _find(ctx, name.strip())
    if row is None:
        raise NotFound("No user is called {name!r}; `citygrid users list` lists them.", name=name)
    return _user(row)


def list_users(ctx: CityContext) -> pd.DataFrame:
    """Every user's settings (no password hashes), by name."""
    frame = ctx.store.read("users", columns=_SHOWN)
    return frame.drop(columns=["fid", "version"]).sort_values("code").reset_index(drop=True)


def authenticate(ctx: CityContext, name: str, password: str) -> User:
    """The user whose name and password these are; notes the sign-in.

    Raises
    ------
    Unauthorized
        Unknown user or wrong password (one message for both, so names
        cannot be guessed), or a disabled user.
    """
    row = _find(ctx, name.strip()) if _NAME.match(name.strip()) else None
    stored = None if row is None else row.get("password_hash")
    if not verify_password(stored, password) or row is None:
        raise Unauthorized("Wrong user name or password.")
    user = _user(row)
    if user.disabled:
        raise Unauthorized(
            "User {name} is disabled; ask an administrator to enable it.", name=user.name
        )
    ctx.store.update(
        "users",
        pd.DataFrame([{"code": user.name, "last_login_at": ctx.now.replace(microsecond=0)}]),
        actor=user.name,
        action="sign in",
    )
    return user


def require_manager(principal: Principal) -> None:
    """Refuse user management to anyone but an administrator or the command line.

    Raises
    ------
    Unauthorized, PermissionDenied
        Nobody signed in; or a role that does not manage users.
    """
    if principal.system:
        return
    if principal.role is None:
        raise Unauthorized("Sign in as an administrator to manage users.")
    if not principal.role.manages_users:
        raise PermissionDenied("Only administrators manage users.")


def _find(ctx: CityContext, code: str) -> dict[str, Any] | None:
    return ctx.store.row("users", {"code": code})


def _user(row: Mapping[str, Any]) -> User:
    stamp = f"{_text(row['password_hash'])}|{row['role']}|{_text(row['scope'])}"
    return User(
        name=row["code"],
        full_name=_text(row["name"]),
        role=get_role(row["role"]),
        scope=Scope.parse(_text(row["scope"])),
        person=_text(row["person_code"]),
        disabled=bool(row["disabled"]),
        demo=bool(row["demo"]),
        version=int(row["version"]),
        password_changed_at=row["password_changed_at"],
        session_stamp=hashlib.sha256(stamp.encode("utf-8")).hexdigest()[:16],
    )


def _text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _fields_of(given: dict[str, Any]) -> set[str]:
    names = {"role": "role", "scope": "scope", "full_name": "name", "person": "person_code"}
    return {column for key, column in names.items() if key in given}


def _checked(
    ctx: CityContext,
    *,
    role: str,
    scope: str | None,
    full_name: str | None,
    person: str | None,
) -> dict[str, Any]:
    """The users-layer row of these settings, each checked against the role and the store."""
    the_role = get_role(role)
    the_scope = Scope.parse(scope)
    if the_scope.kind is not None and the_scope.kind not in the_role.scope_kinds:
        raise BadInput(
            "A {role} cannot have a {kind} scope; give one of: {kinds}.",
            role=the_role.name,
            kind=the_scope.kind,
            kinds=", ".join(the_role.scope_kinds) or "(the whole city: leave --scope out)",
        )
    if the_scope.whole_city and the_role.scope_required:
        raise BadInput(
            "A {role} needs a scope ({kinds}:CODE,...).",
            role=the_role.name,
            kinds="|".join(the_role.scope_kinds),
        )
    the_scope.check(ctx.store)
    name = (full_name or "").strip() or None
    if name is not None and len(name) > MAX_FULL_NAME:
        raise BadInput("A full name has at most {limit} characters.", limit=MAX_FULL_NAME)
    code = (person or "").strip() or None
    if code is not None and ctx.store.read("people", where={"code": code}, limit=1).empty:
        raise BadInput("No person has the code {code!r}; check the people layer.", code=code)
    return {
        "role": the_role.name,
        "scope": str(the_scope) or None,
        "name": name,
        "person_code": code,
    }
