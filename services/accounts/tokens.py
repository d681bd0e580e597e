"""API tokens: issued for a user, shown once, stored hashed, expiring, revocable.

A token reads ``cg_<id>_<secret>``: the id finds the stored row, the
secret (32 random bytes) is checked against its SHA-256 hash. A token acts
as its user, with the user's role and scope, until it expires, is revoked,
or its user is disabled or removed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from citygrid.errors import BadInput, NotFound, Unauthorized
from citygrid.services.accounts.users import User, get_user
from citygrid.services.context import CityContext

MAX_DAYS = 3650
_TOKEN = re.compile(r"^cg_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class IssuedToken:
    """A token just issued: the only time its text is known.

    Attributes
    ----------
    id
        The token's id (for listing and revoking).
    token
        The text to send as ``Authorization: Bearer TOKEN``.
    expires_at
        When it stops working.
    """

    id: str
    token: str
    expires_at: datetime


def issue_token(
    ctx: CityContext, user: str, *, days: int = 90, label: str | None = None
) -> IssuedToken:
    """Issue a token for ``user`` valid for ``days`` days.

    Raises
    ------
    NotFound
        No such user.
    BadInput
        ``days`` outside 1 to 3650, or an overlong label.
    """
    owner = get_user(ctx, user)
    if not 1 <= days <= MAX_DAYS:
        raise BadInput("A token lasts 1 to {limit} days, not {days}.", limit=MAX_DAYS, days=days)
    if label is not None and len(label) > 200:
        raise BadInput("A token's label has at most 200 characters.")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = ctx.now.replace(microsecond=0)
    expires = now + timedelta(days=days)
    row = {
        "code": token_id,
        "user_code": owner.name,
        "secret_hash": _digest(secret),
        "label": label,
        "created_at": now,
        "expires_at": expires,
    }
    ctx.store.write(
        "tokens", pd.DataFrame([row]), actor=ctx.actor, reason=f"token for {owner.name}"
    )
    return IssuedToken(token_id, f"cg_{token_id}_{secret}", expires)


def user_for_token(ctx: CityContext, token: str) -> User:
    """The user a bearer token acts for.

    Raises
    ------
    Unauthorized
        Malformed, unknown, revoked or expired token; or its user is disabled or removed.
    """
    match = _TOKEN.match(token.strip())
    row = None
    if match:
        row = ctx.store.row("tokens", {"code": match.group(1)})
    if row is None or not hmac.compare_digest(row["secret_hash"], _digest(match.group(2))):  # type: ignore[union-attr]
        raise Unauthorized(
            "The API token is not valid; ask for a new one (`citygrid users token`)."
        )
    if not pd.isna(row["revoked_at"]):
        raise Unauthorized("The API token {id} was revoked; ask for a new one.", id=row["code"])
    if row["expires_at"] <= ctx.now:
        raise Unauthorized(
            "The API token {id} expired at {at}; ask for a new one.",
            id=row["code"],
            at=str(row["expires_at"]),
        )
    try:
        user = get_user(ctx, row["user_code"])
    except NotFound:
        raise Unauthorized(
            "The API token {id} belongs to a removed user.", id=row["code"]
        ) from None
    if user.disabled:
        raise Unauthorized(
            "User {name} is disabled; ask an administrator to enable it.", name=user.name
        )
    return user


def revoke(ctx: CityContext, target: str) -> int:
    """Revoke one token (by its id) or every live token of a user (by name).

    Returns
    -------
    int
        How many tokens were revoked (0 when all were revoked already).

    Raises
    ------
    NotFound
        Neither a token id nor a user name.
    """
    wanted = target.strip()
    tokens = ctx.store.read(
        "tokens", columns=["code", "user_code", "revoked_at"], where={"code": wanted}
    )
    if tokens.empty:
        try:
            owner = get_user(ctx, wanted)
        except NotFound:
            raise NotFound(
                "No token has the id {id!r}, and no user that name; `citygrid users list "
                "--tokens` lists them.",
                id=wanted,
            ) from None
        tokens = ctx.store.read(
            "tokens", columns=["code", "user_code", "revoked_at"], where={"user_code": owner.name}
        )
    live = tokens[tokens["revoked_at"].isna()]
    if live.empty:
        return 0
    now = ctx.now.replace(microsecond=0)
    changes = pd.DataFrame({"code": live["code"], "revoked_at": now})
    ctx.store.update("tokens", changes, actor=ctx.actor, action="revoke token")
    return len(live)


def list_tokens(ctx: CityContext, user: str | None = None) -> pd.DataFrame:
    """Tokens (never their hashes): id, user, label, issued, expires, revoked."""
    where = None if user is None else {"user_code": get_user(ctx, user).name}
    columns = ["code", "user_code", "label", "created_at", "expires_at", "revoked_at"]
    frame = ctx.store.read("tokens", columns=columns, where=where)
    return frame.drop(columns=["fid", "version"]).reset_index(drop=True)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()
