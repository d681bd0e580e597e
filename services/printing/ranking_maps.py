"""The month's ranking as a printed map: a choropleth of scores by grid cell or sub-district.

Scores are those of the cell ranking (:func:`~citygrid.services.cycle.ranking.monthly_ranking`
at level ``cell``); a sub-district's score is the mean of its cells'. They are
drawn in five bands around the pass score, coloured with the shared
sequential scheme of the density layer (darker is worse), with the same
sheet furniture as every analysis map.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.errors import BadInput
from citygrid.i18n import _, language
from citygrid.layers.hotspot_layers import DENSITY_COLOURS
from citygrid.layers.registry import Choice, Field, Layer, choice_categories
from citygrid.services.context import CityContext
from citygrid.services.cycle.ranking import Ranking
from citygrid.services.cycle.reports import level_label
from citygrid.services.printing.context import map_context
from citygrid.services.printing.paper import Page
from citygrid.services.printing.sheet import MapImage, MapSheet, map_language, print_map

MAP_BY = ("cell", "subdistrict")
"""What a ranking map colours: grid cells or sub-districts."""


def score_layer(pass_score: float) -> Layer:
    """The map's layer: a ``band`` of the score, five choices from worst to full marks.

    The bands: below ``pass_score - 10``, up to the pass score (failed),
    up to halfway to 100, below 100, and 100.
    """
    mid = (pass_score + 100.0) / 2
    low = pass_score - 10
    bands = (
        Choice("5", f"< {low:g} 分", f"below {low:g}"),
        Choice("4", f"{low:g}–{pass_score:g} 分（未达标）", f"{low:g}–{pass_score:g} (failed)"),
        Choice("3", f"{pass_score:g}–{mid:g} 分", f"{pass_score:g}–{mid:g}"),
        Choice("2", f"{mid:g}–100 分", f"{mid:g}–100"),
        Choice("1", "100 分", "100"),
    )
    return Layer(
        "ranking_scores",
        "月评得分",
        "Monthly score",
        "MultiPolygon",
        (
            Field("code", "str", "编码", "code"),
            Field("band", "str", "得分", "score", choices=bands),
        ),
        style={
            "fillColor": DENSITY_COLOURS["3"],
            "categories": choice_categories("band", bands, DENSITY_COLOURS),
        },
        editable=False,
        stored=False,
        group="analysis",
    )


def score_bands(scores: pd.Series, pass_score: float) -> pd.Series:
    """Each score's band (``"1"`` full marks ... ``"5"`` worst), see :func:`score_layer`."""
    mid = (pass_score + 100.0) / 2
    values = scores.to_numpy(dtype=float)
    band = np.select(
        [values >= 100.0, values >= mid, values >= pass_score, values >= pass_score - 10],
        ["1", "2", "3", "4"],
        default="5",
    )
    return pd.Series(band, index=scores.index)


def ranking_areas(ctx: CityContext, cells: Ranking, by: str) -> gpd.GeoDataFrame:
    """``code``, ``score`` and the polygon of each cell or sub-district (EPSG:4326).

    A sub-district's score is the mean of the cells whose inner point lies in it.

    Raises
    ------
    BadInput
        ``by`` is not ``cell`` or ``subdistrict``; the ranking is not of cells.
    """
    if by not in MAP_BY:
        raise BadInput(
            "A ranking map is drawn by {known}, not {by!r}.", known=", ".join(MAP_BY), by=by
        )
    if cells.level != "cell":
        raise BadInput(
            "A ranking map needs the ranking of grid cells, not {level}.", level=cells.level
        )
    scores = cells.frame.set_index("code")["score"]
    grids = ctx.store.read("grids", columns=["code"])
    grids = grids.assign(score=grids["code"].map(scores)).dropna(subset=["score"])
    if by == "cell":
        return grids[["code", "score", "geometry"]]
    areas = ctx.store.read(
        "jurisdictions", where={"level": "subdistrict"}, columns=["code", "name"]
    )
    spots = gpd.GeoDataFrame(
        {"score": grids["score"].to_numpy()},
        geometry=grids.geometry.representative_point().to_numpy(),
        crs=grids.crs,
    )
    joined = spots.sjoin(areas[["code", "geometry"]], predicate="within")
    means = joined.groupby("code")["score"].mean()
    areas = areas.assign(score=areas["code"].map(means)).dropna(subset=["score"])
    return areas[["code", "score", "geometry"]]


def print_ranking(
    ctx: CityContext,
    cells: Ranking,
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    by: str = "cell",
    page: Page | None = None,
    overwrite: bool = False,
    within: shapely.Geometry | None = None,
) -> MapImage:
    """Print the month's cell scores (by ``cell`` or by ``subdistrict``) as PNG or PDF.

    ``path`` may name several files (drawn once); ``within`` keeps the areas
    meeting that EPSG:4326 geometry (a sub-district's pack).

    Raises
    ------
    BadInput
        As for :func:`ranking_areas`; no cell has a score; a bad file name.
    Conflict
        The file exists and ``overwrite`` is not given.
    """
    areas = ranking_areas(ctx, cells, by)
    if within is not None:
        areas = areas[areas.intersects(within)]
    if areas.empty:
        raise BadInput(
            "No grid cell has a score in {month}; nothing was drawn.", month=str(cells.month)
        )
    pass_score = ctx.config.ranking_pass_score
    layer = score_layer(pass_score)
    drawn = areas.assign(band=score_bands(areas["score"], pass_score))
    with language(map_language()[0]):
        what = level_label("cell") if by == "cell" else _("sub-district")
        sheet = MapSheet(
            title=_("Monthly ranking score by {what}, {month}").format(
                what=what, month=cells.month
            ),
            subtitle=_("Month {month}; level: {what}; pass score {score:g}").format(
                month=cells.month, what=what, score=pass_score
            ),
            source=ctx.config.data_source,
            page=page or Page(),
            context=map_context(ctx, shapely.box(*areas.total_bounds)),
            drawn_on=ctx.now.date(),
        )
    return print_map(
        {layer.name: drawn},
        path,
        sheet=sheet,
        crs=ctx.metric_crs,
        overwrite=overwrite,
        declared={layer.name: layer},
    )
