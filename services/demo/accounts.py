"""The demo accounts: one per role, with random passwords, made after the demo city loads.

Each is marked as a demo account (``demo=True``) and named ``demo_<role>``.
Scopes come from the loaded city: the grid manager has two cells of one
grid manager of the people layer (and is that person), the unit handler the
unit with the most problems, the viewer the first sub-district; the others
have the whole city. Making them again first removes the previous demo
accounts and their tokens; accounts that are not demo accounts are kept.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pandas as pd

from citygrid.errors import Conflict
from citygrid.services.accounts.roles import ROLE_DECLARATIONS
from citygrid.services.accounts.users import add_user, list_users, remove_user
from citygrid.services.context import CityContext

PREFIX = "demo_"
"""Demo account names are this and the role's name."""

GRID_MANAGER_CELLS = 2
"""How many cells the demo grid manager works on."""


@dataclass(frozen=True)
class DemoAccount:
    """A demo account just made: the only time its password is known.

    Attributes
    ----------
    name
        The user name.
    role
        The role's name (``admin``...).
    scope
        The scope as text (empty for the whole city).
    password
        The random password.
    """

    name: str
    role: str
    scope: str
    password: str


def demo_account_names() -> tuple[str, ...]:
    """The demo accounts' names, one per role, in the roles' order."""
    return tuple(f"{PREFIX}{role}" for role in ROLE_DECLARATIONS)


def check_demo_accounts(ctx: CityContext) -> None:
    """Refuse to make demo accounts when a real (not demo) user has one of their names.

    Raises
    ------
    Conflict
        The users holding a demo account's name; nothing is changed.
    """
    users = list_users(ctx)
    taken = users[users["code"].isin(demo_account_names()) & ~_demo(users)]
    if not taken.empty:
        raise Conflict(
            "Users {names} are not demo accounts but have demo accounts' names. Nothing was "
            "changed; rename or remove them (`citygrid users remove NAME`) first.",
            names=", ".join(taken["code"]),
        )


def add_demo_accounts(ctx: CityContext) -> list[DemoAccount]:
    """Replace the demo accounts by one new account per role, with random passwords.

    Call it once the demo city is loaded: scopes name its cells, unit and
    sub-district.

    Returns
    -------
    list of DemoAccount
        The accounts with their passwords, in the roles' order.

    Raises
    ------
    Conflict
        A user that is not a demo account has a demo account's name (see
        :func:`check_demo_accounts`); nothing is changed.
    """
    check_demo_accounts(ctx)
    settings = _settings(ctx)
    users = list_users(ctx)
    for name in users.loc[_demo(users), "code"]:
        remove_user(ctx, name)
    made = []
    for role, (scope, person) in settings.items():
        password = secrets.token_urlsafe(9)
        user = add_user(
            ctx,
            f"{PREFIX}{role}",
            role,
            scope=scope,
            person=person,
            full_name=_person_name(ctx, person),
            password=password,
            demo=True,
        )
        made.append(DemoAccount(user.name, role, str(user.scope), password))
    return made


def _settings(ctx: CityContext) -> dict[str, tuple[str | None, str | None]]:
    """Each role's scope and person in the loaded demo city."""
    cells = ctx.store.read("grids", columns=["code", "manager_code"])
    cells = cells.dropna(subset=["manager_code"]).sort_values("code")
    manager = cells["manager_code"].iloc[0]
    managed = cells.loc[cells["manager_code"] == manager, "code"].head(GRID_MANAGER_CELLS)
    routed = ctx.store.read("problems", columns=["unit_code"])["unit_code"].dropna()
    counts = routed.value_counts()
    unit = min(counts[counts == counts.max()].index)
    subdistricts = ctx.store.read("jurisdictions", where={"level": "subdistrict"}, columns=["code"])
    settings: dict[str, tuple[str | None, str | None]] = dict.fromkeys(
        ROLE_DECLARATIONS, (None, None)
    )
    settings["grid_manager"] = (f"grid:{','.join(managed)}", manager)
    settings["unit_handler"] = (f"unit:{unit}", None)
    settings["viewer"] = (f"jurisdiction:{min(subdistricts['code'])}", None)
    return settings


def _demo(users: pd.DataFrame) -> pd.Series:
    """Which of ``users`` are demo accounts (an unset flag is not one)."""
    return users["demo"].astype("boolean").fillna(False).astype(bool)


def _person_name(ctx: CityContext, person: str | None) -> str | None:
    if person is None:
        return None
    return str(ctx.store.get("people", person)["name"])
