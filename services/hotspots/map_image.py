"""A PNG map of an analysis layer for reports: cells coloured by category, legend, title,
date range.

Labels are drawn in the current language. Chinese needs a CJK font
(Debian's ``fonts-noto-cjk``: Noto Sans CJK SC); without one the map is
drawn with English labels in the default font and :func:`render_map`
says so in its note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from citygrid.errors import BadInput
from citygrid.i18n import _, get_language, language
from citygrid.layers.registry import Layer

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei")


@dataclass(frozen=True)
class MapImage:
    """A rendered map: the file, the font used and a note when labels fell back to English."""

    path: Path
    font: str
    note: str | None = None


def cjk_font() -> str | None:
    """Name of an installed font that draws Chinese, or ``None``."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def render_map(
    frame: gpd.GeoDataFrame,
    path: str | Path,
    *,
    layer: Layer,
    date_range: str,
    title: str | None = None,
    dpi: int = 150,
) -> MapImage:
    """Draw an analysis layer's features coloured by its style's categories to a PNG.

    Parameters
    ----------
    frame
        Features of ``layer`` in any CRS (drawn in EPSG:4326 with the
        aspect corrected for latitude).
    path
        The PNG to write.
    layer
        The layer declaration; its ``style["categories"]`` gives the field,
        colours and legend labels.
    date_range
        Shown under the title, e.g. ``2024-01-01 – 2024-06-30``.
    title
        Map title; default the layer's title in the language drawn.
    """
    out = Path(path)
    if not out.parent.exists():
        raise BadInput(
            "The folder {folder} does not exist; create it or choose another path.",
            folder=str(out.parent),
        )
    font = cjk_font()
    note = None
    lang = get_language()
    if lang != "en" and font is None:
        note = _(
            "No Chinese font is installed (install Debian's fonts-noto-cjk); the map's labels "
            "are in English."
        )
        lang = "en"
    with language(lang):
        _draw(frame.to_crs(4326), out, layer, title, date_range, font, dpi)
    return MapImage(out, font or "DejaVu Sans", note)


def _draw(
    frame: gpd.GeoDataFrame,
    out: Path,
    layer: Layer,
    title: str | None,
    date_range: str,
    font: str | None,
    dpi: int,
) -> None:
    categories = layer.style["categories"]
    colours = {str(v["value"]): v["color"] for v in categories["values"]}
    values = frame[categories["field"]].astype(str)
    fill = values.map(colours).fillna(layer.style.get("fillColor", "#cccccc"))
    figure = Figure(figsize=(8, 8), dpi=dpi)
    axes = figure.add_subplot()
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    frame.plot(ax=axes, color=fill.to_numpy(), edgecolor="#888888", linewidth=0.2)
    if not frame.empty:
        miny, maxy = frame.total_bounds[[1, 3]]
        axes.set_aspect(1.0 / max(math.cos(math.radians((miny + maxy) / 2.0)), 0.1))
    axes.set_axis_off()
    present = set(values)
    english = get_language() == "en"
    handles = [
        Patch(facecolor=v["color"], edgecolor="#888888", label=v["en"] if english else v["zh"])
        for v in categories["values"]
        if str(v["value"]) in present
    ]
    legend = axes.legend(
        handles=handles,
        title=layer.field(categories["field"]).label(),
        loc="lower left",
        bbox_to_anchor=(1.0, 0.0),
        frameon=False,
        prop={"family": family, "size": 8},
    )
    legend.get_title().set_fontfamily(family)
    axes.set_title(title or layer.title(), fontsize=14, fontfamily=family, pad=22)
    axes.text(
        0.5,
        1.01,
        _("Problems reported {range}").format(range=date_range),
        transform=axes.transAxes,
        ha="center",
        va="bottom",
        fontsize=9,
        fontfamily=family,
        color="#444444",
    )
    figure.savefig(out, format="png", bbox_inches="tight")
