"""Base tiles under the map: none by default, or OpenStreetMap, Tianditu or AMap.

With ``tiles = none`` (the default) the map needs nothing beyond the app
itself and works with no internet. The other choices fetch tiles from
their providers at view time:

``osm``
    OpenStreetMap's standard tiles (WGS84 / Web Mercator): citygrid's
    layers line up with them.
``tianditu``
    Tianditu (天地图) vector tiles with Chinese annotation (English
    annotation when the page is in English), CGCS2000, which lines up with
    citygrid's EPSG:4326 layers to within a metre. Needs a key
    (``CITYGRID_TIANDITU_KEY``).
``amap``
    AMap (高德) road tiles. AMap draws its tiles in GCJ-02, the offset
    coordinate system Chinese regulations require of domestic web maps;
    citygrid stores and serves WGS84/CGCS2000, so on AMap tiles every
    citygrid layer appears shifted from the streets beneath it, by a few
    hundred metres in most Chinese cities. The tiles are shown as they
    are and the data is not shifted: use ``amap`` only for a rough look,
    and ``tianditu`` or ``osm`` when positions matter. The map states this
    offset in the tile attribution.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import folium

from citygrid.config import Config
from citygrid.errors import BadInput
from citygrid.i18n import translate

TILE_CHOICES = ("none", "osm", "tianditu", "amap")

_TIANDITU = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}"
    "&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)


def check_tiles(config: Config) -> None:
    """Raise :class:`BadInput` unless ``config.tiles`` is usable as configured."""
    if config.tiles not in TILE_CHOICES:
        raise BadInput(
            "Unknown base tiles {tiles!r}; set CITYGRID_TILES to one of: {known}.",
            tiles=config.tiles,
            known=", ".join(TILE_CHOICES),
        )
    if config.tiles == "tianditu" and not config.tianditu_key:
        raise BadInput(
            "Tianditu tiles need a key; set CITYGRID_TIANDITU_KEY, or choose other tiles "
            "with CITYGRID_TILES."
        )


def tile_layers(config: Config, lang: str) -> list[folium.TileLayer]:
    """The folium tile layers for ``config.tiles`` (an empty list for ``none``)."""
    check_tiles(config)
    if config.tiles == "osm":
        return [
            folium.TileLayer(
                "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                attr="&copy; OpenStreetMap contributors",
                name=translate("OpenStreetMap", lang),
                max_zoom=19,
            )
        ]
    if config.tiles == "tianditu":
        annotation = "eva" if lang == "en" else "cva"
        return [
            folium.TileLayer(
                _TIANDITU.format(layer=layer, key=config.tianditu_key),
                attr=translate("Tianditu", lang),
                name=translate("Tianditu", lang),
                subdomains="01234567",
                overlay=overlay,
                control=not overlay,
                max_zoom=18,
            )
            for layer, overlay in (("vec", False), (annotation, True))
        ]
    if config.tiles == "amap":
        return [
            folium.TileLayer(
                "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                "&style=8&x={x}&y={y}&z={z}",
                attr=translate(
                    "AMap tiles are in GCJ-02: citygrid's layers (WGS84) appear offset from them "
                    "by up to several hundred metres.",
                    lang,
                ),
                name=translate("AMap", lang),
                subdomains="1234",
                max_zoom=18,
            )
        ]
    return []


def tile_origins(config: Config) -> tuple[str, ...]:
    """The origins (``https://host``) the map fetches base tiles from, sorted.

    Every ``{s}`` subdomain of every tile layer is spelled out, so a
    Content-Security-Policy can allow exactly these hosts; empty for
    ``none``.
    """
    origins = set()
    for layer in tile_layers(config, config.language):
        parts = urlsplit(layer.tiles)
        for subdomain in str(layer.options.get("subdomains") or "abc"):  # Leaflet's default
            origins.add(f"{parts.scheme}://{parts.netloc.replace('{s}', subdomain)}")
    return tuple(sorted(origins))
