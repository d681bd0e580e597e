"""What a printed map shows besides its own layer, so a reader finds their way.

Sub-district outlines and names, and the names of the main roads, read from
the store over the map's area. Both are reference data every role may see.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import shapely

from citygrid.services.context import CityContext

MAIN_ROAD_CLASSES = ("main",)
"""Road classes whose names are printed (主干道)."""
STREET_LABELS = 12
"""The most main roads named on one map (the longest ones)."""


@dataclass(frozen=True)
class MapContext:
    """Sub-districts (``name``, polygons) and main roads (``name``, one line per road)."""

    subdistricts: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame

    def to_crs(self, crs: object) -> MapContext:
        """Both layers in ``crs``."""
        return MapContext(self.subdistricts.to_crs(crs), self.roads.to_crs(crs))


def map_context(ctx: CityContext, area: shapely.Geometry) -> MapContext:
    """The sub-districts and named main roads meeting ``area`` (EPSG:4326).

    Roads are merged by name (a road stored as many segments is named once);
    segments without a name are left out.
    """
    subdistricts = ctx.store.read(
        "jurisdictions", intersects=area, where={"level": "subdistrict"}, columns=["name"]
    )
    streets = ctx.store.read(
        "streets",
        intersects=area,
        where={"road_class": list(MAIN_ROAD_CLASSES)},
        columns=["name"],
    )
    streets = streets[streets["name"].notna() & (streets["name"].str.strip() != "")]
    roads = streets[["name", "geometry"]].dissolve(by="name", as_index=False)
    return MapContext(subdistricts[["name", "geometry"]], roads)
