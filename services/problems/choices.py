"""What the problem filters may be set to, for a form: categories, units, sub-districts.

Read through the providers, so a user sees only the units and places of
their scope; the statuses come from the registry. "My cells" is offered
only to users whose scope holds cells. The choices are kept in memory under
the principal, the language and the data's version (every map page shows
them; a write makes them stale).
"""

from __future__ import annotations

from dataclasses import dataclass

from citygrid.layers.base_layers import PROBLEM_STATUSES
from citygrid.services.context import CityContext
from citygrid.services.providers import FieldFilter, may_read, provider_for
from citygrid.services.providers.base import FeatureQuery
from citygrid.services.providers.cache import ResultCache

MAX_CHOICES = 10_000
"""At most this many choices of one kind are offered."""

_CACHE = ResultCache(entries=16)


@dataclass(frozen=True)
class Option:
    """One value of a filter: its code, its name, and its depth (0 for a catalogue section)."""

    code: str
    name: str
    depth: int = 0


@dataclass(frozen=True)
class FilterChoices:
    """The values each filter may take for the caller (JSON-ready through :meth:`as_dict`)."""

    statuses: tuple[Option, ...]
    categories: tuple[Option, ...]
    units: tuple[Option, ...]
    subdistricts: tuple[Option, ...]
    mine: bool

    def as_dict(self) -> dict[str, object]:
        """The choices as plain lists of ``{code, name, depth}``."""

        def plain(options: tuple[Option, ...]) -> list[dict[str, object]]:
            return [{"code": o.code, "name": o.name, "depth": o.depth} for o in options]

        return {
            "statuses": plain(self.statuses),
            "categories": plain(self.categories),
            "units": plain(self.units),
            "subdistricts": plain(self.subdistricts),
            "mine": self.mine,
        }


def filter_choices(ctx: CityContext, lang: str) -> FilterChoices:
    """The statuses (labels in ``lang``), catalogue sections and items (depth 0 and 1),
    units and sub-districts the caller may filter by, sorted by code; and whether
    "my cells" applies."""
    key = ("filter-choices", ctx.principal, lang, ctx.store.data_version())
    return _CACHE.get(ctx.store, key, lambda: _choices(ctx, lang))  # type: ignore[no-any-return]


def _choices(ctx: CityContext, lang: str) -> FilterChoices:
    return FilterChoices(
        tuple(Option(c.value, c.label(lang)) for c in PROBLEM_STATUSES),
        _options(ctx, "catalogue", FieldFilter("level", _CATALOGUE_DEPTH_KEYS)),
        _options(ctx, "units"),
        _options(ctx, "jurisdictions", FieldFilter("level", ("subdistrict",))),
        ctx.principal.scope.kind in ("grid", "jurisdiction"),
    )


_CATALOGUE_DEPTH = {"section": 0, "item": 1}
_CATALOGUE_DEPTH_KEYS = tuple(_CATALOGUE_DEPTH)


def _options(ctx: CityContext, layer: str, *filters: FieldFilter) -> tuple[Option, ...]:
    """The layer's features the caller reads as options (the code names those unnamed)."""
    provider = provider_for(layer)
    if not may_read(ctx, provider.layer):
        return ()
    frame = provider.features(ctx, FeatureQuery(filters=filters, limit=MAX_CHOICES)).frame
    frame = frame.sort_values("code")
    levels = frame["level"] if "level" in frame.columns else [None] * len(frame)
    return tuple(
        Option(str(code), str(name) if name else str(code), _CATALOGUE_DEPTH.get(level, 0))
        for code, name, level in zip(frame["code"], frame["name"], levels, strict=True)
    )
