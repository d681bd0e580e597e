"""Fixtures of the cycle pages' tests: the cycle city (:mod:`cycle_city`) built once per
module into a SQLite file, and a fresh copy of it for each test as conftest's ``city``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cycle_city import build_cycle_city

from citygrid.layers.store import Store


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The cycle city built once (its users' passwords take time to hash) in a SQLite file."""
    path = tmp_path_factory.mktemp("cycle") / "citygrid.db"
    store = Store.open(f"sqlite:///{path}", check_schema=False)
    store.init()
    codes = build_cycle_city(store)
    store.close()
    return path, codes


@pytest.fixture
def cycle(built: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """The problems' codes by status (see :mod:`cycle_city`)."""
    return built[1]


@pytest.fixture
def city(built: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[Store]:
    """A copy of the cycle city for one test (overrides conftest's Suzhou city). The pages'
    SQL runs on PostGIS too in tests/services/test_inbox.py."""
    copy = tmp_path / "citygrid.db"
    shutil.copyfile(built[0], copy)
    store = Store.open(f"sqlite:///{copy}")
    yield store
    store.close()
