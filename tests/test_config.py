"""The frozen config: built once from the environment, options win."""

from __future__ import annotations

import dataclasses
import getpass

import pytest

from citygrid.config import DEFAULT_DATABASE_URL, Config, login_name
from citygrid.i18n import normalize_language


def test_defaults_without_environment() -> None:
    config = Config.from_env({})
    assert config.database_url == DEFAULT_DATABASE_URL
    assert config.language == "zh_CN"
    assert config.tiles == "none"
    assert config.secret_key  # a random one


def test_environment_then_overrides() -> None:
    env = {"CITYGRID_DATABASE_URL": "sqlite:///a.db", "CITYGRID_LANG": "en-GB"}
    config = Config.from_env(env, database_url=None, actor="王五")
    assert config.database_url == "sqlite:///a.db"
    assert config.language == "en"
    assert config.actor == "王五"
    assert Config.from_env(env, database_url="sqlite:///b.db").database_url == "sqlite:///b.db"


def test_the_actor_is_citygrid_actor_else_the_login_name() -> None:
    assert login_name() == getpass.getuser()
    assert Config.from_env({}).actor == login_name()
    assert Config.from_env({"CITYGRID_ACTOR": "赵六"}).actor == "赵六"
    assert Config.from_env({"CITYGRID_ACTOR": "赵六"}, actor="王五").actor == "王五"


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().language = "en"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh", "zh_CN"),
        ("zh-CN", "zh_CN"),
        ("en", "en"),
        ("en-US", "en"),
        ("", "zh_CN"),
        ("fr", "zh_CN"),
        (None, "zh_CN"),
    ],
)
def test_language_tags(tag: str | None, expected: str) -> None:
    assert normalize_language(tag) == expected
