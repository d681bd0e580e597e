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
CITYGRID_WORKING_HOURS
    The working hours of a working day, local time, as comma-separated
    ``HH:MM-HH:MM`` periods in order (default ``08:30-12:00,14:00-17:30``);
    deadlines in working hours and working days count only these.
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
CITYGRID_MAX_CELLS
    The most fishnet or hexagon cells (or H3 cells) an analysis may make
    over the city (default 200000); a finer cell size is refused, naming
    the smallest size allowed.
CITYGRID_TOKEN_FAILURES
    Requests with a bad API token allowed per client address within the
    window before further requests get 429 (default 30).
CITYGRID_MAX_PHOTO_MB
    The largest photo a problem takes, in megabytes (default 10).
CITYGRID_RECURRENCE_METRES
    A problem of the same catalogue item within this many metres of one
    closed recently is a recurrence (反弹) of it (default 50).
CITYGRID_RECURRENCE_DAYS
    How many days back a closed problem counts for recurrence (default 90).
CITYGRID_DUPLICATE_METRES
    A report of the same item within this many metres of a problem still
    open is merged into it instead of counted again (default 20).
CITYGRID_HOLIDAYS
    A CSV or JSON file of days (date, kind ``holiday`` or ``workday``,
    name) that extends or overrides the holidays and adjusted working days
    of ``chinesecalendar``, for years it does not know yet (default none).
CITYGRID_RANKING_WEIGHTS
    The monthly ranking's formula (月评排名): a score starts at ``base`` and
    loses each problem's catalogue deduction plus ``recurrence`` per
    recurrence (反弹), ``overdue`` per problem past its deadline and
    ``rework`` per problem sent back (返工), written ``name=number`` with
    commas (default ``base=100,recurrence=2,overdue=1,rework=1``; names
    left out keep their default).
CITYGRID_RANKING_PASS_SCORE
    A point whose monthly score is below this fails the standard (点未达标;
    default 90).
CITYGRID_REGISTRATION_HOURS
    Working hours after its report within which a problem must be
    registered (立案) to count as registered on time (按时立案; default 7,
    one working day).
"""

from __future__ import annotations

import getpass
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from citygrid.errors import BadInput
from citygrid.i18n import normalize_language

DEFAULT_DATABASE_URL = "sqlite:///citygrid.db"
N = TypeVar("N", int, float)
DEFAULT_TRUSTED_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_TRUE = ("1", "true", "yes", "on")
DEFAULT_WORKING_HOURS = (("08:30", "12:00"), ("14:00", "17:30"))
"""Working hours of a working day: 08:30 to 12:00 and 14:00 to 17:30, 7 hours."""
RANKING_WEIGHTS = (("base", 100.0), ("recurrence", 2.0), ("overdue", 1.0), ("rework", 1.0))
"""The monthly ranking's formula by default: 100 less deductions, 2 per recurrence, 1 per
overdue problem and 1 per problem sent back for rework."""


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
    working_hours
        The working periods of a working day, ``(start, end)`` as ``HH:MM``
        local time, in order and not overlapping (:func:`working_periods`).
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
    max_cells
        The most cells an analysis may make over the city (fishnet, hexagons, H3).
    max_photo_mb
        The largest photo a problem takes, in megabytes.
    recurrence_metres
        How near (metres) a problem of the same item closed within
        ``recurrence_days`` makes a new one a recurrence.
    recurrence_days
        How many days back a closed problem counts for recurrence.
    duplicate_metres
        How near (metres) an open problem of the same item makes a new
        report a duplicate, merged into it.
    holidays_file
        A CSV or JSON file of holidays and adjusted working days that
        extends or overrides ``chinesecalendar``, or ``None``.
    ranking_weights
        The monthly ranking's formula as ``(name, number)`` pairs: ``base``,
        ``recurrence``, ``overdue``, ``rework`` (:func:`parse_ranking_weights`).
    ranking_pass_score
        The score below which a point fails the standard in a month (点未达标).
    registration_hours
        Working hours after its report within which registering a problem is on time.
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
    working_hours: tuple[tuple[str, str], ...] = DEFAULT_WORKING_HOURS
    public_layers: tuple[str, ...] = ()
    session_hours: float = 8.0
    login_failures: int = 9
    login_window_minutes: int = 15
    token_failures: int = 30
    max_cells: int = 200_000
    max_photo_mb: float = 10.0
    recurrence_metres: float = 50.0
    recurrence_days: int = 90
    duplicate_metres: float = 20.0
    holidays_file: str | None = None
    ranking_weights: tuple[tuple[str, float], ...] = RANKING_WEIGHTS
    ranking_pass_score: float = 90.0
    registration_hours: float = 7.0

    def __post_init__(self) -> None:
        working_periods(self.working_hours)

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
            working_hours=parse_working_hours(env.get("CITYGRID_WORKING_HOURS") or ""),
            public_layers=_names(env.get("CITYGRID_PUBLIC_LAYERS")),
            session_hours=_number(env, "CITYGRID_SESSION_HOURS", float, 8.0),
            login_failures=_number(env, "CITYGRID_LOGIN_FAILURES", int, 9),
            login_window_minutes=_number(env, "CITYGRID_LOGIN_WINDOW_MINUTES", int, 15),
            token_failures=_number(env, "CITYGRID_TOKEN_FAILURES", int, 30),
            max_cells=_number(env, "CITYGRID_MAX_CELLS", int, 200_000),
            max_photo_mb=_number(env, "CITYGRID_MAX_PHOTO_MB", float, 10.0),
            recurrence_metres=_number(env, "CITYGRID_RECURRENCE_METRES", float, 50.0),
            recurrence_days=_number(env, "CITYGRID_RECURRENCE_DAYS", int, 90),
            duplicate_metres=_number(env, "CITYGRID_DUPLICATE_METRES", float, 20.0),
            holidays_file=env.get("CITYGRID_HOLIDAYS") or None,
            ranking_weights=parse_ranking_weights(env.get("CITYGRID_RANKING_WEIGHTS") or ""),
            ranking_pass_score=_number(env, "CITYGRID_RANKING_PASS_SCORE", float, 90.0),
            registration_hours=_number(env, "CITYGRID_REGISTRATION_HOURS", float, 7.0),
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
    """The non-empty, stripped items of a comma-separated list, each once, in order."""
    return tuple(dict.fromkeys(name.strip() for name in (text or "").split(",") if name.strip()))


def parse_working_hours(text: str) -> tuple[tuple[str, str], ...]:
    """Working hours written as ``08:30-12:00,14:00-17:30``; empty text gives the default.

    Raises
    ------
    BadInput
        A period is not ``HH:MM-HH:MM``, ends before it starts, or overlaps
        or precedes the one before it.
    """
    if not text.strip():
        return DEFAULT_WORKING_HOURS
    pairs = []
    for period in text.split(","):
        start, dash, end = period.strip().partition("-")
        if not dash:
            raise _bad_hours(text)
        pairs.append((start.strip(), end.strip()))
    hours = tuple(pairs)
    working_periods(hours)
    return hours


def working_periods(hours: tuple[tuple[str, str], ...]) -> tuple[tuple[int, int], ...]:
    """The working periods as ``(start, end)`` minutes after midnight, checked.

    Raises
    ------
    BadInput
        No period, a time that is not ``HH:MM`` (00:00 to 23:59), or a
        period that ends before it starts or starts before the previous one
        ends.
    """
    periods = tuple((_minutes(start, hours), _minutes(end, hours)) for start, end in hours)
    previous_end = 0
    for start, end in periods:
        if not previous_end <= start < end:
            raise _bad_hours(_hours_text(hours))
        previous_end = end
    if not periods:
        raise _bad_hours("")
    return periods


def _minutes(text: str, hours: tuple[tuple[str, str], ...]) -> int:
    hh, colon, mm = text.partition(":")
    if not (colon and len(hh) == len(mm) == 2 and (hh + mm).isascii() and (hh + mm).isdigit()):
        raise _bad_hours(_hours_text(hours))
    if int(hh) > 23 or int(mm) > 59:
        raise _bad_hours(_hours_text(hours))
    return int(hh) * 60 + int(mm)


def _hours_text(hours: tuple[tuple[str, str], ...]) -> str:
    return ",".join(f"{start}-{end}" for start, end in hours)


def _bad_hours(text: str) -> BadInput:
    return BadInput(
        "Working hours {hours!r} are not usable: write periods in order, each HH:MM-HH:MM "
        "and ending after it starts, separated by commas, like 08:30-12:00,14:00-17:30 "
        "(CITYGRID_WORKING_HOURS).",
        hours=text,
    )


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


def parse_ranking_weights(text: str) -> tuple[tuple[str, float], ...]:
    """The ranking formula written ``recurrence=3,overdue=0.5``; names not given keep
    their default (:data:`RANKING_WEIGHTS`), empty text gives the default.

    Raises
    ------
    BadInput
        An unknown name, or a value that is not a number of 0 or more.
    """
    weights = dict(RANKING_WEIGHTS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, equals, value = part.partition("=")
        name = name.strip()
        try:
            number = float(value) if equals else -1.0
        except ValueError:
            number = -1.0
        if name not in weights or not 0 <= number < 1e6:
            raise BadInput(
                "CITYGRID_RANKING_WEIGHTS={text!r} is not usable: write name=number pairs "
                "separated by commas, each number 0 or more, with the names {names} "
                "(e.g. recurrence=2,overdue=1).",
                text=text,
                names=", ".join(weights),
            )
        weights[name] = number
    return tuple(weights.items())
