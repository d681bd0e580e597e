"""Every Python package folder is listed in pyproject.toml, so a plain ``pip install .`` ships it.

The editable install finds subpackages by path, so a missing entry goes
unnoticed in development and breaks only a wheel install.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> tuple[set[str], dict[str, str]]:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    return set(setuptools["packages"]), setuptools["package-dir"]


def test_every_package_folder_is_listed() -> None:
    packages, folders = _declared()
    found = set()
    for package, folder in folders.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if ".venv" in init.parts:
                continue
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *relative)))
    assert found - packages == set(), "add these to [tool.setuptools] packages in pyproject.toml"
