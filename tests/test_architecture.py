"""Imports point one way: cli -> web -> services -> layers -> gis; only web imports Flask.

import-linter cannot follow this repo's layout (the subpackages live in
top-level folders mapped under ``citygrid`` by setuptools), so this test
reads every module's imports with :mod:`ast` and holds the same contracts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Package -> (folder, rank); a module may import packages of lower or equal rank.
PACKAGES = {
    "citygrid.gis": ("gis", 0),
    "citygrid.layers": ("layers", 1),
    "citygrid.services": ("services", 2),
    "citygrid.web": ("web", 3),
    "citygrid.cli": ("citygrid/cli", 4),
}
# Root modules every layer may use.
SHARED = {
    "citygrid",
    "citygrid.ahead",
    "citygrid.collector",
    "citygrid.config",
    "citygrid.declarations",
    "citygrid.errors",
    "citygrid.i18n",
    "citygrid.params",
    "citygrid.progress",
}
WEB_ONLY = ("flask", "flask_babel", "folium", "branca", "werkzeug", "jinja2")
# The web reaches data only through services (the providers); of the layers it may
# import the declarations alone.
WEB_MAY_IMPORT_FROM_LAYERS = {"citygrid.layers.registry"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules() -> list[tuple[str, Path]]:
    return [
        (package, path)
        for package, (folder, _rank) in PACKAGES.items()
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]


def _package_of(module: str) -> str | None:
    return next((p for p in PACKAGES if module == p or module.startswith(p + ".")), None)


def test_every_package_folder_has_modules_with_imports() -> None:
    # An empty or mistyped folder would leave nothing to check and pass silently.
    for package, (folder, _rank) in PACKAGES.items():
        paths = [path for p, path in _modules() if p == package]
        assert len(paths) >= 3, f"{package}: only {len(paths)} modules under {folder}/"
        assert any(_imports(path) for path in paths), f"{package}: no imports found"
    assert len(_modules()) > 40


@pytest.mark.parametrize(("package", "path"), _modules(), ids=lambda v: str(v))
def test_imports_point_down(package: str, path: Path) -> None:
    rank = PACKAGES[package][1]
    for module in _imports(path):
        target = _package_of(module)
        if target is not None:
            assert PACKAGES[target][1] <= rank, f"{path.relative_to(ROOT)} imports {module}"
        elif module.startswith("citygrid"):
            assert module in SHARED, f"{path.relative_to(ROOT)} imports {module}"
        if rank < PACKAGES["citygrid.web"][1]:
            assert not module.startswith(WEB_ONLY), f"{path.relative_to(ROOT)} imports {module}"


def test_root_modules_import_no_subpackage() -> None:
    for name in (
        "collector",
        "config",
        "declarations",
        "errors",
        "i18n",
        "params",
        "progress",
        "__init__",
    ):
        for module in _imports(ROOT / "citygrid" / f"{name}.py"):
            assert _package_of(module) is None, f"citygrid/{name}.py imports {module}"


def _web_modules() -> list[Path]:
    return sorted((ROOT / PACKAGES["citygrid.web"][0]).rglob("*.py"))


def test_web_reaches_data_only_through_services() -> None:
    checked = 0
    for path in _web_modules():
        for module in _imports(path):
            if _package_of(module) == "citygrid.layers":
                assert module in WEB_MAY_IMPORT_FROM_LAYERS, (
                    f"{path.relative_to(ROOT)} imports {module}; reach data through "
                    "citygrid.services.providers"
                )
                checked += 1
    names = {path.stem for path in _web_modules()}
    assert {"api", "app", "map_page", "describe", "state", "params"} <= names
    assert checked > 0, "no web module imports the registry: the test looks in the wrong place"
