"""Shared fixtures: stores on both backends, each test with its own database.

SQLite runs always. PostGIS runs when ``CITYGRID_TEST_POSTGIS_URL`` points at
a PostgreSQL server where the user may create databases (CI sets it; see
``.ci/run``); with ``CITYGRID_REQUIRE_POSTGIS=1`` a missing URL is an error
rather than a skip, so CI cannot pass with the PostGIS tests skipped.
Likewise tests marked ``browser`` need Debian's Chromium and Playwright, and
tests marked ``qgis`` need Debian's QGIS (``/usr/bin/python3`` importing
``qgis.core``): skipped with the reason where missing, failed instead with
``CITYGRID_REQUIRE_BROWSER=1`` / ``CITYGRID_REQUIRE_QGIS=1``.

Each PostGIS test gets a fresh database cloned from a template that already
holds the schema, which takes a fraction of a second.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from citygrid.i18n import language
from citygrid.layers.store import Store

POSTGIS_URL = os.environ.get("CITYGRID_TEST_POSTGIS_URL")
BACKENDS = ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)]


CHROMIUM = "/usr/bin/chromium"
QGIS_PYTHON = "/usr/bin/python3"


def _missing_or_fail(switch: str, reason: str) -> None:
    """Skip for a missing requirement, or fail when the ``switch`` variable is ``1`` (CI)."""
    if os.environ.get(switch) == "1":
        pytest.fail(f"{switch}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _require_postgis() -> None:
    """Skip (or, with ``CITYGRID_REQUIRE_POSTGIS=1``, fail) when no PostGIS URL is set."""
    if POSTGIS_URL is None:
        _missing_or_fail("CITYGRID_REQUIRE_POSTGIS", "CITYGRID_TEST_POSTGIS_URL is not set")


def _works(command: list[str], env: dict[str, str] | None = None) -> bool:
    try:
        done = subprocess.run(command, capture_output=True, timeout=120, env=env, check=False)
    except OSError:
        return False
    return done.returncode == 0


@functools.cache
def _browser_missing() -> str | None:
    if not _works([CHROMIUM, "--version"]):
        return f"no working Chromium at {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install -e '.[test]')"
    return None


@functools.cache
def _qgis_missing() -> str | None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if not _works([QGIS_PYTHON, "-c", "import qgis.core"], env):
        return f"{QGIS_PYTHON} cannot import qgis.core (apt-get install python3-qgis)"
    return None


REQUIREMENTS = {
    "browser": ("CITYGRID_REQUIRE_BROWSER", _browser_missing),
    "qgis": ("CITYGRID_REQUIRE_QGIS", _qgis_missing),
}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or, with the CI switch, fail) tests whose marker names a missing requirement."""
    for marker, (switch, missing) in REQUIREMENTS.items():
        if item.get_closest_marker(marker) is not None:
            reason = missing()
            if reason is not None:
                _missing_or_fail(switch, reason)


def _admin_engine() -> sa.Engine:
    assert POSTGIS_URL is not None
    url = sa.engine.make_url(POSTGIS_URL).set(drivername="postgresql+psycopg")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


def _url_for(database: str) -> str:
    assert POSTGIS_URL is not None
    url = sa.engine.make_url(POSTGIS_URL).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgis_template() -> Iterator[str]:
    """A template database with PostGIS and the citygrid schema; yields its name."""
    _require_postgis()
    with _cloned_database("template1", "citygrid_tpl") as url:
        store = Store.open(url, check_schema=False)
        store.init()
        store.close()
        yield sa.engine.make_url(url).database or ""


@contextmanager
def _cloned_database(template: str, prefix: str) -> Iterator[str]:
    """A new PostGIS database cloned from ``template``; yields its URL, drops it after.

    Other sessions on the template are ended first (a template must be idle),
    which pooled stores survive by reconnecting.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (template,),
        )
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _url_for(name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _fresh_database(request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> Iterator[str]:
    """Yield the URL of a new database holding the current schema and no data."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'citygrid.db'}"
        store = Store.open(url, check_schema=False)
        store.init()
        store.close()
        yield url
        return
    template = request.getfixturevalue("postgis_template")
    with _cloned_database(template, "citygrid_t") as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty citygrid database, on SQLite and on PostGIS."""
    yield from _fresh_database(request, tmp_path, request.param)


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database with no schema (PostGIS: a clone of template1), both backends."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    _require_postgis()
    with _cloned_database("template1", "citygrid_e") as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """An open, empty store with the current schema, on SQLite and on PostGIS."""
    opened = Store.open(database_url)
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Run every test with messages in English unless it switches language itself.

    Tests of the zh-CN default use ``citygrid.i18n.language("zh_CN")`` or
    run the CLI, which sets the language from its own options.
    """
    with language("en"):
        yield


# -- the small demo city, built once per session and backend --------------------


@pytest.fixture(scope="session", params=BACKENDS)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of the small demo city (``citygrid demo --size small --seed 0``), built once per
    session on SQLite and on PostGIS.

    Shared by every test that uses it: tests must NOT modify it (read only). To change
    data, use ``demo_store_copy`` or ``demo_copy_url``. What the demo plants is described
    by ``citygrid.services.demo.planted_defects("small", 0)``.
    """
    from citygrid.services.demo import load_demo

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
        store = Store.open(url, check_schema=False)
        store.init()
        load_demo(store, "small", 0, actor="pytest")
        store.close()
        yield url
        return
    template = request.getfixturevalue("postgis_template")
    with _cloned_database(template, "citygrid_demo") as url:
        store = Store.open(url)
        load_demo(store, "small", 0, actor="pytest")
        store.close()
        yield url


@pytest.fixture
def demo_store(demo_url: str) -> Iterator[Store]:
    """An open store on the shared small demo city (both backends). Read only: tests must
    NOT modify it; use ``demo_store_copy`` to change data."""
    opened = Store.open(demo_url)
    yield opened
    opened.close()


@pytest.fixture
def demo_copy_url(demo_url: str, tmp_path: Path) -> Iterator[str]:
    """URL of a private copy of the small demo city for one test: tests may modify it.

    SQLite copies the file (sqlite3 backup); PostGIS clones the database with
    ``CREATE DATABASE ... TEMPLATE`` (other sessions on the shared demo are ended first,
    which pooled stores survive by reconnecting).
    """
    if demo_url.startswith("sqlite"):
        target = tmp_path / "demo_copy.db"
        source = sqlite3.connect(sa.engine.make_url(demo_url).database or "")
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
        yield f"sqlite:///{target}"
        return
    template = sa.engine.make_url(demo_url).database or ""
    with _cloned_database(template, "citygrid_democ") as url:
        yield url


@pytest.fixture
def demo_store_copy(demo_copy_url: str) -> Iterator[Store]:
    """An open store on a private copy of the small demo city: tests may modify it."""
    opened = Store.open(demo_copy_url)
    yield opened
    opened.close()
