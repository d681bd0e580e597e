"""One printed map: an analysis layer on a page with everything a briefing needs.

The layer's features are drawn in the city's metric CRS, coloured by the
categories its registry style declares (the same colours as the web map and
the QGIS styles), in the declared order. Around them: a title, a subtitle
with the period and filters, the legend, sub-district outlines and names
above the cells, main road names, a scale bar, a north arrow, and a footer
with the data source, the CRS and the date drawn. The file's suffix picks
PNG (at the page's dpi) or PDF (vector).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib_scalebar.scalebar import ScaleBar
from pyproj import CRS

from citygrid.errors import BadInput
from citygrid.gis.formats.staging import check_target, staged_file
from citygrid.i18n import _, get_language, language
from citygrid.layers.registry import Layer, get_layer
from citygrid.services.printing.context import STREET_LABELS, MapContext
from citygrid.services.printing.fonts import FONT_PACKAGE, cjk_font
from citygrid.services.printing.paper import Page

FORMATS = {".png": "png", ".pdf": "pdf"}
EDGE = "#888888"
HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]


@dataclass(frozen=True)
class MapSheet:
    """What is printed around the features: texts, context and the page."""

    title: str
    subtitle: str
    source: str
    page: Page = field(default_factory=Page)
    context: MapContext | None = None
    drawn_on: date | None = None


@dataclass(frozen=True)
class MapImage:
    """A written map: the file, the font used, and a note when labels fell back to English."""

    path: Path
    font: str
    note: str | None = None


def print_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    sheet: MapSheet,
    crs: CRS | int | str,
    overwrite: bool = False,
    declared: Mapping[str, Layer] | None = None,
) -> MapImage:
    """Draw layers (registry name -> features, any CRS) on a page and write it as PNG or PDF.

    Parameters
    ----------
    layers
        The layers by name, drawn in order (the first at the bottom). A layer whose
        style declares ``categories`` is coloured by them and gets one legend
        entry per category present; any other gets one entry, its title.
    path
        The file to write: ``.png`` or ``.pdf``; or several files (a PNG and
        a PDF), drawn once and saved to each.
    sheet
        Title, subtitle, data source, page and context layers.
    crs
        The metric CRS to draw in (the scale bar counts its metres).
    declared
        Layers declared for this map only (not in the registry), by name.
    overwrite
        Replace an existing file; without it an existing file is refused.
        The file is written beside the target and renamed in, so a failed
        drawing leaves an existing file as it was.
    """
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    suffixes = [check_map_path(p, overwrite=overwrite) for p in paths]
    font = cjk_font()
    lang, note = map_language()
    with language(lang):
        metric = CRS.from_user_input(crs)
        found = declared or {}
        drawn = [
            (found[name] if name in found else get_layer(name), frame.to_crs(metric))
            for name, frame in layers.items()
        ]
        figure = _figure(drawn, sheet, metric, font)
    for target, suffix in zip(paths, suffixes, strict=True):
        with staged_file(target, overwrite=overwrite) as staged:
            figure.savefig(staged.path, format=FORMATS[suffix], dpi=sheet.page.dpi)
    return MapImage(staged.target, font or "DejaVu Sans", note)


def check_map_path(path: str | os.PathLike[str], *, overwrite: bool = False) -> str:
    """Refuse a map file that cannot be written (before the work of drawing it); its suffix.

    Raises
    ------
    BadInput
        Not ``.png`` or ``.pdf``, a folder, or a missing folder.
    Conflict
        The file exists and ``overwrite`` is not given.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise BadInput(
            "A map is written as .png or .pdf, not {suffix!r}; change the file name.",
            suffix=suffix or Path(path).name,
        )
    check_target(path, overwrite=overwrite)
    return suffix


def map_language() -> tuple[str, str | None]:
    """The language a map is drawn in, and a note when Chinese gave way to English.

    Chinese labels need a Chinese font (:func:`~.fonts.cjk_font`); without
    one the map is drawn in English rather than in empty boxes.
    """
    lang = get_language()
    if lang == "en" or cjk_font() is not None:
        return lang, None
    note = _(
        "No Chinese font was found (install Debian's {package}, then draw the map again); "
        "its labels are in English and place names are left out."
    ).format(package=FONT_PACKAGE)
    return "en", note


def _figure(
    layers: Sequence[tuple[Layer, gpd.GeoDataFrame]], sheet: MapSheet, crs: CRS, font: str | None
) -> Figure:
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    page = sheet.page
    figure = Figure(figsize=page.inches, dpi=page.dpi)
    map_box, legend_anchor = (
        ((0.03, 0.09, 0.72, 0.79), (0.77, 0.86))
        if page.landscape
        else ((0.04, 0.20, 0.92, 0.68), (0.06, 0.18))
    )
    axes = figure.add_axes(map_box)
    axes.set_axis_off()
    bounds = layers_bounds(frame for _layer, frame in layers)
    handles: list[Patch | Line2D] = []
    for layer, frame in layers:
        handles += _draw_layer(axes, frame, layer)
    if sheet.context is not None:
        names = font is not None  # place names are data: without a Chinese font, none
        handles += _draw_context(axes, sheet.context.to_crs(crs), family, bounds, names)
    _set_extent(axes, bounds)
    axes.add_artist(
        ScaleBar(
            1.0,
            "m",
            location="lower left",
            box_alpha=0.8,
            font_properties={"family": family, "size": 8},
        )
    )
    _north_arrow(axes, family)
    legend = figure.legend(
        handles=handles,
        title=_legend_title(layers),
        loc="upper left",
        bbox_to_anchor=legend_anchor,
        frameon=False,
        prop={"family": family, "size": 8},
        ncols=1 if page.landscape else 3,
    )
    legend.get_title().set_fontfamily(family)
    figure.text(0.5, 0.965, sheet.title, ha="center", va="top", fontsize=16, family=family)
    figure.text(
        0.5, 0.925, sheet.subtitle, ha="center", va="top", fontsize=9, family=family, color="#333"
    )
    drawn_on = (sheet.drawn_on or date.today()).isoformat()
    figure.text(
        0.03,
        0.03,
        _("Data: {source}. Coordinates: {crs}.").format(source=sheet.source, crs=crs.name),
        fontsize=7,
        family=family,
        color="#444",
    )
    figure.text(
        0.97,
        0.03,
        _("Drawn by citygrid on {day}").format(day=drawn_on),
        ha="right",
        fontsize=7,
        family=family,
        color="#444",
    )
    return figure


def _draw_layer(axes: Axes, frame: gpd.GeoDataFrame, layer: Layer) -> list[Patch | Line2D]:
    """The features filled by category (or the layer's colour); their legend entries, in order."""
    if frame.empty:
        return []
    style = layer.style
    plain = style.get("fillColor", style.get("color", "#cccccc"))
    categories = style.get("categories")
    if categories is None:
        frame.plot(ax=axes, color=plain, edgecolor=EDGE, linewidth=0.3, markersize=8, zorder=1)
        return [Patch(facecolor=plain, edgecolor=EDGE, label=layer.title())]
    colours = {str(v["value"]): v["color"] for v in categories["values"]}
    values = frame[categories["field"]].astype(str)
    fill = values.map(colours).fillna(plain)
    frame.plot(
        ax=axes, color=fill.to_numpy(), edgecolor=EDGE, linewidth=0.2, markersize=8, zorder=1
    )
    english = get_language() == "en"
    present = set(values)
    return [
        Patch(facecolor=v["color"], edgecolor=EDGE, label=v["en"] if english else v["zh"])
        for v in categories["values"]
        if str(v["value"]) in present
    ]


def _legend_title(layers: Sequence[tuple[Layer, gpd.GeoDataFrame]]) -> str:
    """The categories' field label when one categorised layer is drawn, else "Legend"."""
    (first, _frame), *others = layers
    categories = first.style.get("categories")
    if categories is not None and not others:
        return first.field(categories["field"]).label()
    return _("Legend")


def layers_bounds(frames: Iterable[gpd.GeoDataFrame]) -> tuple[float, float, float, float] | None:
    """The extent of all non-empty frames (in their common CRS), or ``None``."""
    boxes = [f.total_bounds for f in frames if not f.empty]
    if not boxes:
        return None
    stacked = np.vstack(boxes)
    return (
        float(stacked[:, 0].min()),
        float(stacked[:, 1].min()),
        float(stacked[:, 2].max()),
        float(stacked[:, 3].max()),
    )


def _draw_context(
    axes: Axes,
    context: MapContext,
    family: list[str],
    bounds: tuple[float, float, float, float] | None,
    names: bool,
) -> list[Patch | Line2D]:
    """Main roads under, sub-district outlines over the cells (named when ``names``).

    Returns their legend entries.
    """
    handles: list[Patch | Line2D] = []
    area = shapely.box(*bounds) if bounds is not None else None
    roads = context.roads if area is None else context.roads[context.roads.intersects(area)]
    if not roads.empty:
        roads.plot(ax=axes, color="#5a5a5a", linewidth=0.9, zorder=2)
        handles.append(Line2D([], [], color="#5a5a5a", linewidth=0.9, label=_("Main road")))
        longest = roads.assign(length=roads.length).nlargest(
            STREET_LABELS if names else 0, "length"
        )
        for name, line in zip(longest["name"], longest.geometry, strict=True):
            _road_label(axes, str(name), line, family)
    subdistricts = context.subdistricts
    if not subdistricts.empty:
        subdistricts.boundary.plot(ax=axes, color="#222222", linewidth=1.2, zorder=3)
        handles.append(Line2D([], [], color="#222222", linewidth=1.2, label=_("Sub-district")))
        named = subdistricts if names else subdistricts.iloc[:0]
        for name, spot in zip(named["name"], named.geometry.representative_point(), strict=True):
            _place_label(axes, spot, str(name), family, fontsize=9, weight="bold", zorder=5)
    return handles


def _road_label(axes: Axes, name: str, line: shapely.Geometry, family: list[str]) -> None:
    """The road's name at the middle of its length, turned along the road."""
    middle = line.interpolate(0.5, normalized=True)
    ahead = line.interpolate(min(line.length * 0.5 + 50.0, line.length))
    behind = line.interpolate(max(line.length * 0.5 - 50.0, 0.0))
    angle = float(np.degrees(np.arctan2(ahead.y - behind.y, ahead.x - behind.x)))
    if angle > 90:
        angle -= 180
    elif angle < -90:
        angle += 180
    _place_label(
        axes,
        middle,
        name,
        family,
        fontsize=6.5,
        color="#303030",
        zorder=4,
        rotation=angle,
        rotation_mode="anchor",
    )


def _place_label(
    axes: Axes, spot: shapely.Point, text: str, family: list[str], **style: Any
) -> None:
    """A place name centred on ``spot`` with a white halo, clipped to the map."""
    axes.text(
        spot.x,
        spot.y,
        text,
        ha="center",
        va="center",
        family=family,
        path_effects=HALO,
        clip_on=True,
        **style,
    )


def _set_extent(axes: Axes, bounds: tuple[float, float, float, float] | None) -> None:
    """Zoom to the features with a margin, equal scale on both axes."""
    axes.set_aspect("equal")
    if bounds is None:
        return
    minx, miny, maxx, maxy = bounds
    pad = 0.03 * max(maxx - minx, maxy - miny, 1.0)
    axes.set_xlim(minx - pad, maxx + pad)
    axes.set_ylim(miny - pad, maxy + pad)


def _north_arrow(axes: Axes, family: list[str]) -> None:
    """An arrow pointing up (grid north of the metric CRS) with N or 北 above it."""
    axes.annotate(
        _("N"),
        xy=(0.96, 0.97),
        xytext=(0.96, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        weight="bold",
        family=family,
        arrowprops={"facecolor": "black", "width": 3, "headwidth": 10, "headlength": 10},
        zorder=6,
    )
