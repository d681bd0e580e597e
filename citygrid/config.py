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
    (default: the login name of the system user, ``cli`` if it has none).
CITYGRID_TRUSTED_HOSTS
    Comma-separated host names the web app answers to (the ``Host`` header,
    or ``X-Forwarded-Host`` behind a proxy); any other gets error 400. A
    name starting with a dot also allows its subdomains. Default:
    ``localhost,127.0.0.1,[::1]``; ``citygrid serve`` adds its ``--host``
    and ``--trusted-host`` values.
CITYGRID_BEHIND_PROXY
    ``1`` (or ``true``, ``yes``, ``on``) when the app runs behind one
    reverse proxy that speaks HTTPS to browsers: the app then believes that
    proxy's ``X-Forwarded-For``, ``-Proto`` and ``-Host`` headers, marks its
    cookies ``Secure`` and builds ``https`` URLs. Default ``0``.
"""

from __future__ import annotations

import getpass
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from citygrid.i18n import normalize_language

DEFAULT_DATABASE_URL = "sqlite:///citygrid.db"
DEFAULT_TRUSTED_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_TRUE = ("1", "true", "yes", "on")


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
    trusted_hosts
        Host names (no port) the web app answers to; ``.example.org`` also
        allows every subdomain of ``example.org``.
    behind_proxy
        Whether the web app runs behind one HTTPS reverse proxy whose
        ``X-Forwarded-*`` headers it may believe.
    """

    database_url: str = DEFAULT_DATABASE_URL
    language: str = "zh_CN"
    metric_crs: str | None = None
    street_snap_m: float = 30.0
    tiles: str = "none"
    tianditu_key: str | None = None
    secret_key: str = ""
    actor: str = "cli"
    trusted_hosts: tuple[str, ...] = DEFAULT_TRUSTED_HOSTS
    behind_proxy: bool = False

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
            actor=env.get("CITYGRID_ACTOR") or login_name(),
            trusted_hosts=_names(env.get("CITYGRID_TRUSTED_HOSTS")) or DEFAULT_TRUSTED_HOSTS,
            behind_proxy=(env.get("CITYGRID_BEHIND_PROXY") or "").strip().lower() in _TRUE,
        )
        return config.with_(**overrides)

    def with_(self, **overrides: Any) -> Config:
        """Return a copy with the given non-None fields replaced."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        if "language" in changes:
            changes["language"] = normalize_language(changes["language"])
        return replace(self, **changes)


def login_name() -> str:
    """The system user's login name (:func:`getpass.getuser`), or ``cli`` when it has none."""
    try:
        return getpass.getuser() or "cli"
    except (OSError, KeyError, ImportError):
        return "cli"


def _names(text: str | None) -> tuple[str, ...]:
    """The non-empty, stripped items of a comma-separated list."""
    return tuple(name.strip() for name in (text or "").split(",") if name.strip())
