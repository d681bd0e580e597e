"""Passwords: checked for length, hashed and verified with argon2id (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from citygrid.errors import BadInput

MIN_LENGTH = 8
MAX_LENGTH = 256

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("citygrid: a hash checked when the user is unknown")


def check_password(password: str) -> None:
    """Refuse a password that is too short, too long or has control characters.

    Raises
    ------
    BadInput
        What is wrong with it (never the password itself).
    """
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise BadInput(
            "A password has {low} to {high} characters; this one has {length}.",
            low=MIN_LENGTH,
            high=MAX_LENGTH,
            length=len(password),
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise BadInput("A password cannot hold control characters (tabs, line breaks).")


def hash_password(password: str) -> str:
    """The argon2id hash of a password that passes :func:`check_password`."""
    check_password(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``.

    With no stored hash (an unknown user, or one without a password) a dummy
    hash is checked anyway, so the answer takes as long either way.
    """
    try:
        ok = _HASHER.verify(stored_hash or _DUMMY_HASH, password[:MAX_LENGTH])
    except (VerificationError, InvalidHashError):
        return False
    return ok and stored_hash is not None
