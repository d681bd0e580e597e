"""Print the result of an analysis (hot spots, emerging hot spots, density, gaps) as a map.

The title is the analysis layer's, the subtitle states the period and every
filter and setting that differs from its default (so a reader knows when
only open problems were counted), the context layers come from the store.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import shapely

from citygrid.i18n import _, language
from citygrid.layers.registry import get_layer
from citygrid.params import Param
from citygrid.services.analysis import AnalysisResult
from citygrid.services.context import CityContext
from citygrid.services.cycle.workflow import status_label
from citygrid.services.printing.context import map_context
from citygrid.services.printing.paper import Page
from citygrid.services.printing.sheet import (
    MapImage,
    MapSheet,
    layers_bounds,
    map_language,
    print_map,
)

PERIOD = ("since", "until")


def print_analysis(
    ctx: CityContext,
    result: AnalysisResult,
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    page: Page | None = None,
    title: str | None = None,
    overwrite: bool = False,
) -> MapImage:
    """Write ``result``'s layers as a map page (``.png`` or ``.pdf``).

    Parameters
    ----------
    result
        What the analysis returned; its non-empty layers are drawn in order.
    path
        The ``.png`` or ``.pdf`` file, or several (drawn once, saved to each).
    page
        Paper, orientation and dpi (default A4 landscape at 300 dpi).
    title
        Default: the title of the result's first layer.
    """
    layers = {name: frame for name, frame in result.layers.items() if not frame.empty}
    first = next(iter(result.layers))
    bounds = layers_bounds(layers.values())
    area = shapely.box(*bounds) if bounds is not None else None
    with language(map_language()[0]):
        sheet = MapSheet(
            title=title or get_layer(first).title(),
            subtitle=describe(result),
            source=ctx.config.data_source,
            page=page or Page(),
            context=map_context(ctx, area) if area is not None else None,
            drawn_on=ctx.now.date(),
        )
    drawn = layers or dict(result.layers)
    return print_map(drawn, path, sheet=sheet, crs=ctx.metric_crs, overwrite=overwrite)


def describe(result: AnalysisResult) -> str:
    """The period and the settings that differ from their defaults, in the current language."""
    values = result.parameters()
    parts = [_period(values)]
    if values.get("as_of"):
        parts.append(_("as of {day}").format(day=str(values["as_of"])[:10]))
    for spec in result.params.specs():
        value = getattr(result.params, spec.name)
        if spec.name in PERIOD or value is None or value == spec.default:
            continue
        parts.append(_setting(spec, value))
    return _("; ").join(p for p in parts if p)


def _period(values: dict[str, Any]) -> str:
    since = values.get("since") or str(values.get("first_reported") or "")[:10]
    until = values.get("until") or str(values.get("last_reported") or "")[:10]
    if not since and not until:
        return ""
    return _("Problems reported {since} – {until}").format(since=since, until=until)


def _setting(spec: Param, value: Any) -> str:
    if spec.name == "statuses":
        labels = "、".join(status_label(s) for s in str(value).split(","))
        return _("only problems that are {statuses}").format(statuses=labels)
    if isinstance(value, bool):
        value = _("yes") if value else _("no")
    return _("{label}: {value}").format(label=spec.label(), value=value)
