"""The small Changsha city of the routing tests with registration standards, for the workflow.

On top of :func:`responsibility_city.build_city` (two sub-districts, four
cells; cell G01 belongs to 城管局 U_CG): the items C01 乱扔垃圾 (an event:
1 working day, or 2 urgent hours in a key area) and C02 占道经营 (3
working days) get standards; C03 井盖缺失 is a component (no description
needed); H 市容环境 is a heading with H01 below it.
"""

from __future__ import annotations

import importlib.util
import io
from datetime import datetime
from pathlib import Path

import pandas as pd
from PIL import Image

from citygrid.config import Config
from citygrid.layers.store import Store
from citygrid.services.accounts.principal import Principal
from citygrid.services.accounts.roles import get_role
from citygrid.services.accounts.scope import Scope
from citygrid.services.context import CityContext

IN_G01 = (112.9725, 28.1985)
"""A place in cell G01, answered for by 城管局 (U_CG)."""
OUTSIDE = (113.05, 28.30)
"""A place outside both sub-districts."""
NOW = datetime(2025, 9, 30, 10, 0)

# tests/services is on the path of its own tests only; the CLI tests load the city by file.
_SPEC = importlib.util.spec_from_file_location(
    "responsibility_city", Path(__file__).parent / "services" / "responsibility_city.py"
)
assert _SPEC is not None
assert _SPEC.loader is not None
_CITY = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_CITY)
build_city = _CITY.build_city


def build_workflow_city(store: Store) -> None:
    """Write the city, its extra items and their standards into an empty store."""
    build_city(store)
    store.write(
        "catalogue",
        pd.DataFrame(
            [
                {"code": "C03", "name": "井盖缺失", "level": "standard", "kind": "component"},
                {"code": "H", "name": "市容环境", "level": "section"},
                {"code": "H01", "name": "暴露垃圾", "level": "content", "parent_code": "H"},
            ]
        ),
    )
    store.write(
        "standards",
        pd.DataFrame(
            [
                _standard("C01-1", "C01", "乱扔垃圾", 1, "working_days"),
                _standard("C01-2", "C01", "重点区域乱扔垃圾", 2, "urgent_hours"),
                _standard("C02-1", "C02", "占道经营", 3, "working_days"),
                _standard("C03-1", "C03", "井盖缺失", 2, "urgent_hours"),
                _standard("H01-1", "H01", "暴露垃圾", 1, "working_days"),
            ]
        ),
    )


def _standard(code: str, item: str, condition: str, value: float, unit: str) -> dict:
    return {
        "code": code,
        "catalogue_code": item,
        "condition": condition,
        "limit_value": value,
        "limit_unit": unit,
        "closure": "整改到位",
    }


def as_(store: Store, role: str | None = None, scope: str = "", now: datetime = NOW) -> CityContext:
    """The city as the system (no role) or as a user of ``role`` with ``scope``."""
    config = Config(database_url=store.url, actor="系统")
    if role is None:
        return CityContext(store, config, now=now)
    principal = Principal(user=f"{role}1", role=get_role(role), scope=Scope.parse(scope))
    return CityContext(store, config, actor=f"{role}1", now=now, principal=principal)


def image(fmt: str = "JPEG", size: tuple[int, int] = (8, 6)) -> bytes:
    """A small real image in ``fmt`` (JPEG, PNG, WEBP, GIF...), made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def jpeg() -> bytes:
    """A small real JPEG photo."""
    return image("JPEG")
