"""A user's scope: the whole city, a set of jurisdictions or cells, or one unit.

Written as text in the users layer and on the command line:
``jurisdiction:430102001,430102002``, ``grid:G0101,G0102``, ``unit:U001``
(the kinds also in Chinese: 辖区, 网格, 单位); an empty text, ``city`` or
``全市`` is the whole city.
"""

from __future__ import annotations

from dataclasses import dataclass

from citygrid.errors import BadInput
from citygrid.layers.store import Store

KINDS = {
    "jurisdiction": ("jurisdiction", "jurisdictions", "辖区"),
    "grid": ("grid", "grids", "cell", "cells", "网格"),
    "unit": ("unit", "units", "单位", "责任单位"),
}
"""Each scope kind with the words that name it."""

_LAYER_OF = {"jurisdiction": "jurisdictions", "grid": "grids", "unit": "units"}
_WHOLE_CITY = ("", "city", "全市")
MAX_SCOPE_TEXT = 10_000


@dataclass(frozen=True)
class Scope:
    """Where a user reads and works.

    Attributes
    ----------
    kind
        ``jurisdiction``, ``grid`` or ``unit``; ``None`` for the whole city.
    codes
        The jurisdictions', cells' or unit's codes (one unit).
    """

    kind: str | None = None
    codes: tuple[str, ...] = ()

    @property
    def whole_city(self) -> bool:
        """Whether the scope is the whole city."""
        return self.kind is None

    def __str__(self) -> str:
        return "" if self.kind is None else f"{self.kind}:{','.join(self.codes)}"

    @classmethod
    def parse(cls, text: str | None) -> Scope:
        """Read a scope written as ``KIND:CODE[,CODE...]`` (see the module docstring).

        Raises
        ------
        BadInput
            Unknown kind, no codes, more than one unit, or an overlong text.
        """
        raw = (text or "").strip()
        if raw in _WHOLE_CITY:
            return cls()
        if len(raw) > MAX_SCOPE_TEXT:
            raise BadInput(
                "The scope is {length} characters long; at most {limit} are allowed. Scope "
                "by jurisdiction instead of listing many cells.",
                length=len(raw),
                limit=MAX_SCOPE_TEXT,
            )
        word, colon, rest = raw.replace("：", ":").partition(":")
        kind = next((k for k, words in KINDS.items() if word.strip().lower() in words), None)
        codes = tuple(dict.fromkeys(c.strip() for c in rest.replace("，", ",").split(",")))
        codes = tuple(c for c in codes if c)
        if not colon or kind is None or not codes:
            raise BadInput(
                "{scope!r} is not a scope; write jurisdiction:CODE,..., grid:CODE,... or "
                "unit:CODE (or leave it empty for the whole city).",
                scope=raw,
            )
        if kind == "unit" and len(codes) > 1:
            raise BadInput(
                "A user works for one unit, not {count}; give one unit code.", count=len(codes)
            )
        return cls(kind, codes)

    def check(self, store: Store) -> None:
        """Check that every code of the scope exists in the store.

        Raises
        ------
        BadInput
            Some codes name nothing; all of them are listed.
        """
        if self.kind is None:
            return
        layer = _LAYER_OF[self.kind]
        found = set(store.read(layer, where={"code": list(self.codes)}, columns=["code"])["code"])
        missing = [c for c in self.codes if c not in found]
        if missing:
            raise BadInput(
                "The scope names {kind} codes that do not exist: {codes}. Check them against "
                "the {layer} layer.",
                kind=self.kind,
                codes=", ".join(missing[:20]),
                layer=layer,
            )
