"""The one frozen configuration object, built once from the environment.

Nothing else in citygrid reads ``os.environ``: the CLI and the web app
build a :class:`Config` with :meth:`Config.from_env` (command-line options
win over the environment) and pass it down.

Environment variables
---------------------
CITYGRID_DATABASE_URL
    SQLAlchemy URL of the store; default ``sqlite:///citygrid.db`` in the
    working directory. PostGIS: ``postgresql+psycopg://user@host/db``.
CITYGRID_LANG
    Default language of messages and the UI: ``zh_CN`` (default) or ``en``.
CITYGRID_METRIC_CRS
    CRS for areas and distances (for example ``EPSG:4547``); default: the
    UTM zone of the city's centroid.
CITYGRID_TILES
    Base tiles of the map: ``none`` (default, works offline), ``osm``,
    ``tianditu`` or ``amap``.
CITYGRID_TIANDITU_KEY
    Key for Tianditu tiles when ``CITYGRID_TILES=tianditu``.
CITYGRID_SECRET_KEY
    Flask secret key for sessions (a random one is made per process if unset).
CITYGRID_ACTOR
    Name written to the audit log for changes made from the command line
    (default ``cli``).
CITYGRID_PUBLIC_LAYERS
    Layers an anonymous visitor of the web may read, comma-separated
    (``grids,streets``); default none: a visitor sees nothing but the login
    page. Names must be served layers (``citygrid serve`` refuses others).
CITYGRID_SESSION_HOURS
    How long a web sign-in lasts, in hours (default 8).
CITYGRID_LOGIN_FAILURES
    Failed sign-ins allowed per account name and per client address within
    the lock-out window before further tries get 429 (default 9).
CITYGRID_LOGIN_WINDOW_MINUTES
    The lock-out window of failed sign-ins and bad API tokens, in minutes
    (default 15).
CITYGRID_TOKEN_FAILURES
    Requests with a bad API token allowed per client address within the
    window before further requests get 429 (default 30).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from citygrid.errors import BadInput
from citygrid.i18n import normalize_language

DEFAULT_DATABASE_URL = "sqlite:///citygrid.db"
N = TypeVar("N", int, float)


@dataclass(frozen=True)
class Config:
    """Settings shared by the CLI, the services and the web app.

    Attributes
    ----------
    database_url
        SQLAlchemy URL of the store.
    language
        Default language, ``zh_CN`` or ``en``.
    metric_crs
        CRS for areas and distances in metres; ``None`` picks the UTM zone
        of the data's centroid.
    street_snap_m
        How far (metres) a location may be from a street or alley to be
        routed to it.
    tiles
        Base tiles of the map (``none``, ``osm``, ``tianditu``, ``amap``).
    tianditu_key
        Key for Tianditu tiles.
    secret_key
        Flask secret key.
    actor
        Who the audit log names for changes made through this config.
    public_layers
        Layers anonymous web visitors may read (none by default).
    session_hours
        Lifetime of a web sign-in, in hours.
    login_failures
        Failed sign-ins allowed per account name and per address in ``login_window_minutes``.
    login_window_minutes
        Window of the sign-in and bad-token limits, in minutes.
    token_failures
        Requests with a bad API token allowed per address in ``login_window_minutes``.
    """

    database_url: str = DEFAULT_DATABASE_URL
    language: str = "zh_CN"
    metric_crs: str | None = None
    street_snap_m: float = 30.0
    tiles: str = "none"
    tianditu_key: str | None = None
    secret_key: str = ""
    actor: str = "cli"
    public_layers: tuple[str, ...] = ()
    session_hours: float = 8.0
    login_failures: int = 9
    login_window_minutes: int = 15
    token_failures: int = 30

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Build the config from the environment, then apply non-None ``overrides``."""
        env = os.environ if environ is None else environ
        config = cls(
            database_url=env.get("CITYGRID_DATABASE_URL") or DEFAULT_DATABASE_URL,
            language=normalize_language(env.get("CITYGRID_LANG")),
            metric_crs=env.get("CITYGRID_METRIC_CRS") or None,
            tiles=env.get("CITYGRID_TILES") or "none",
            tianditu_key=env.get("CITYGRID_TIANDITU_KEY") or None,
            secret_key=env.get("CITYGRID_SECRET_KEY") or secrets.token_hex(16),
            actor=env.get("CITYGRID_ACTOR") or "cli",
            public_layers=_names(env.get("CITYGRID_PUBLIC_LAYERS")),
            session_hours=_number(env, "CITYGRID_SESSION_HOURS", float, 8.0),
            login_failures=_number(env, "CITYGRID_LOGIN_FAILURES", int, 9),
            login_window_minutes=_number(env, "CITYGRID_LOGIN_WINDOW_MINUTES", int, 15),
            token_failures=_number(env, "CITYGRID_TOKEN_FAILURES", int, 30),
        )
        return config.with_(**overrides)

    def with_(self, **overrides: Any) -> Config:
        """Return a copy with the given non-None fields replaced."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        if "language" in changes:
            changes["language"] = normalize_language(changes["language"])
        return replace(self, **changes)


def _names(text: str | None) -> tuple[str, ...]:
    """The names in a comma-separated list, stripped, without blanks or repeats."""
    names = (name.strip() for name in (text or "").replace("，", ",").split(","))
    return tuple(dict.fromkeys(name for name in names if name))


def _number(env: Mapping[str, str], variable: str, kind: type[N], default: N) -> N:
    """A positive number from ``env[variable]``, else ``default``.

    Raises
    ------
    BadInput
        The variable holds something other than a positive number.
    """
    text = (env.get(variable) or "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < 1e6:
        raise BadInput(
            "{variable}={value!r} is not usable: give a positive number such as {default}.",
            variable=variable,
            value=text,
            default=default,
        )
    return value
