"""One location with its whole chain: the JSON answer of ``citygrid who``."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citygrid.errors import BadInput, NotFound, Unauthorized
from citygrid.gis.crs import parse_crs, to_storage
from citygrid.layers.store import STORAGE_CRS, Store
from citygrid.services.context import CityContext
from citygrid.services.routing.chain import route_locations
from citygrid.services.routing.index import RoutingIndex


def check_lon_lat(lon: Any, lat: Any, crs: str | None = None) -> tuple[float, float]:
    """Parse a location given by a user into EPSG:4326 ``(lon, lat)``.

    Parameters
    ----------
    lon, lat
        Numbers or strings; with ``crs`` the x and y in that CRS.
    crs
        The CRS of the coordinates as import and export take it
        (:func:`citygrid.gis.crs.parse_crs`: an EPSG code, ``cgcs2000``,
        ``gcj02``, ``bd09``...); default EPSG:4326 (CGCS2000 EPSG:4490 is
        taken as equal to it).

    Raises
    ------
    BadInput
        Not numbers, not finite, outside -180..180 / -90..90, or an unknown CRS.
    """
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise BadInput(
            "LON LAT must be numbers, like 112.98 28.19; got {lon} {lat}.", lon=lon, lat=lat
        ) from None
    if crs:
        located = to_storage(gpd.GeoSeries([shapely.Point(x, y)]), parse_crs(crs))[0]
        x, y = located.x, located.y
    if not (np.isfinite(x) and np.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise BadInput(
            "({lon}, {lat}) is not a longitude and latitude: longitude must be within -180..180 "
            "and latitude within -90..90 degrees (give --crs for projected coordinates).",
            lon=lon,
            lat=lat,
        )
    return float(x), float(y)


def check_category(store: Store, code: str) -> dict[str, Any]:
    """The catalogue item ``code`` as a dict, or :class:`NotFound`."""
    found = store.read(
        "catalogue",
        where={"code": code},
        columns=["code", "name", "weight", "rectify_days", "urgent_hours"],
    )
    if found.empty:
        raise NotFound(
            "There is no catalogue item {code}; use a code from the evaluation catalogue.",
            code=code,
        )
    return _jsonable(found.drop(columns=["fid", "version"]).iloc[0].to_dict())


def route_point(
    ctx: CityContext,
    lon: Any,
    lat: Any,
    *,
    crs: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """Who answers for one location, with the whole chain.

    Parameters
    ----------
    ctx
        The city.
    lon, lat
        The location, in EPSG:4326 unless ``crs`` is given.
    category
        A catalogue item code; it is checked and echoed with its time limits.

    Returns
    -------
    dict
        ``location`` (lon, lat in EPSG:4326), ``routed_by``, ``unit`` and
        ``head`` of the responsible link, ``chain`` (each link found:
        ``rule``, ``layer``, ``code``, ``name``, ``distance_m``, ``unit``,
        ``head``, ``decides``), and when outside ``outside`` with the
        nearest sub-district and ``distance_m``; ``category`` if given.
    """
    x, y = check_lon_lat(lon, lat, crs)
    category_info = check_category(ctx.store, category) if category else None
    index = RoutingIndex.from_store(ctx, around=(x, y, x, y))
    location = gpd.GeoSeries([shapely.Point(x, y)], crs=STORAGE_CRS)
    row = route_locations(index, location).iloc[0]
    metric = index.to_metric(location.to_numpy())[0]
    answer: dict[str, Any] = {
        "location": {"lon": x, "lat": y},
        "routed_by": row["routed_by"],
        "unit": _unit(index, row["unit_code"]),
        "head": _person(index, row["head_code"]),
    }
    if category_info is not None:
        answer["category"] = category_info
    if row["routed_by"] == "outside":
        code = row["subdistrict_code"]
        distance = row["outside_distance_m"]
        answer["outside"] = {
            "nearest_subdistrict": code,
            "name": _name(index, "jurisdictions", code),
            "distance_m": None if pd.isna(distance) else round(float(distance), 2),
            "unit": None if code is None else _unit(index, _sub_unit(index, code)),
        }
        answer["chain"] = []
        return answer
    answer["chain"] = _chain(index, row, metric)
    return answer


PERSONAL_KEYS = ("contact", "phone")
"""Keys of the answer's units and people that only roles seeing personal fields get."""


def who_answers_for(ctx: CityContext, lon: Any, lat: Any) -> dict[str, Any]:
    """:func:`route_point` for a signed-in principal, without personal fields unless the
    principal may see them (the map's "who answers here" panel).

    Raises
    ------
    Unauthorized
        Nobody is signed in.
    BadInput
        ``lon``/``lat`` are not a longitude and latitude.
    """
    if ctx.principal.anonymous:
        raise Unauthorized("Sign in to see who answers for a place.")
    answer = route_point(ctx, lon, lat)
    return answer if ctx.principal.personal else _without_personal(answer)


def _without_personal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_personal(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [_without_personal(v) for v in value]
    return value


def _chain(index: RoutingIndex, row: pd.Series, metric: shapely.Point) -> list[dict[str, Any]]:
    links = [
        (layer.responsibility.rule, layer.name, row[layer.responsibility.problem_field], level, k)  # type: ignore[union-attr]
        for level in index.levels
        for k, layer in enumerate(level.layers)
    ]
    links.append(("subdistrict", "jurisdictions", row["subdistrict_code"], None, 0))
    chain = []
    for rule, layer, code, level, position in links:
        if code is None:
            continue
        features = index.subdistricts if level is None else level.features
        among = None if level is None else level.layer_of == position
        at = features.position(code, among)
        chain.append(
            {
                "rule": rule,
                "layer": layer,
                "code": code,
                "name": _name(index, layer, code),
                "distance_m": round(float(shapely.distance(metric, features.geoms[at])), 2),
                "unit": _unit(index, features.units[at]),
                "head": _person(index, features.heads[at]),
                "decides": rule == row["routed_by"],
            }
        )
    return chain


def _sub_unit(index: RoutingIndex, code: Any) -> Any:
    return index.subdistricts.units[index.subdistricts.position(code)]


def _name(index: RoutingIndex, layer: str, code: Any) -> Any:
    names = index.names[layer]
    return names.get(code) if code is not None else None


def _unit(index: RoutingIndex, code: Any) -> dict[str, Any] | None:
    if code is None or pd.isna(code):
        return None
    if code not in index.units.index:
        return {"code": code, "name": None, "contact": None, "phone": None}
    unit = index.units.loc[code]
    return _jsonable(
        {"code": code, "name": unit["name"], "contact": unit["contact"], "phone": unit["phone"]}
    )


def _person(index: RoutingIndex, code: Any) -> dict[str, Any] | None:
    if code is None or pd.isna(code):
        return None
    if code not in index.people.index:
        return {"code": code, "name": None, "phone": None}
    person = index.people.loc[code]
    return _jsonable({"code": code, "name": person["name"], "phone": person["phone"]})


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            out[key] = None
        elif isinstance(value, np.generic):
            out[key] = value.item()
        else:
            out[key] = value
    return out
