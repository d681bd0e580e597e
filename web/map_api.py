"""The map's own JSON endpoints, free of any web framework (see :mod:`citygrid.web.api`).

``GET /api/map/problems?bbox=...&zoom=...&since=...&statuses=...``
    :func:`problems_on_map`: the problems the
    :class:`~citygrid.services.problems.filters.ProblemFilters` select;
    below :data:`AGGREGATE_BELOW_ZOOM`, or when the bbox holds more than
    :data:`MAX_POINTS` problems, counts per grid cell
    (``"aggregated": true``, one point feature per cell whose representative
    point is in the bbox, with ``count`` and ``overdue`` of the whole cell;
    ``withoutCell`` counts problems in no cell); otherwise the
    problems themselves with names for people, ``days_overdue`` and dates
    formatted in the request's language.
``GET /api/who?lon=...&lat=...``
    :func:`who_here`: who answers for a place, as ``citygrid who`` gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from citygrid.errors import BadInput
from citygrid.layers.registry import get_layer
from citygrid.params import Bbox
from citygrid.services.context import CityContext
from citygrid.services.problems.details import problems_in_bbox
from citygrid.services.problems.filters import ProblemFilters
from citygrid.services.problems.summary import ProblemCounts, counts_per_cell
from citygrid.services.routing.who import who_answers_for
from citygrid.web.answers import AnswerCache, params_key
from citygrid.web.api import GEOJSON, ApiRequest, ApiResponse, json_response
from citygrid.web.geojson import COORDINATE_DECIMALS, feature_collection, point_features
from citygrid.web.params import parse_bbox, single

AGGREGATE_BELOW_ZOOM = 13
"""Below this zoom the map shows counts per cell, not problems."""

MAX_POINTS = 3000
"""At most this many problems are sent to the browser; more in view are counted instead."""

MAX_ZOOM = 22

_VIEW = ("bbox", "zoom", "lang")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_TIMES = ("reported_at", "deadline", "closed_at")
_SHOWN = (
    "code",
    "status",
    "description",
    "catalogue_code",
    "catalogue_name",
    "point_name",
    "unit_name",
    "head_name",
    "head_phone",
    "grid_code",
    "days_overdue",
    "overdue",
)


def problems_on_map(
    ctx: CityContext, request: ApiRequest, answers: AnswerCache | None = None
) -> ApiResponse:
    """The problems in ``bbox`` for a map at ``zoom``: counts per cell, or the problems.

    With ``answers``, the answer is kept there for the minute (how overdue
    a problem is depends on the time) while the data stays the same; a
    client that sends its ETag back gets a ``304``.

    Raises
    ------
    BadInput
        ``bbox`` or ``zoom`` missing or not valid.
    """
    bbox, zoom = _bbox_zoom(request.params)
    filters = map_filters(request.params)
    if answers is None:
        return _problems(ctx, request.lang, bbox, zoom, filters)
    key = (
        "map/problems",
        params_key(request.params),
        request.lang,
        ctx.principal,
        ctx.store.data_version(),
        ctx.now.replace(second=0, microsecond=0),
    )
    return answers.answer(
        key, request.if_none_match, lambda: _problems(ctx, request.lang, bbox, zoom, filters)
    )


def _problems(
    ctx: CityContext, lang: str, bbox: Bbox, zoom: int, filters: ProblemFilters
) -> ApiResponse:
    """The answer of :func:`problems_on_map`."""
    counts = counts_per_cell(ctx, bbox, filters)
    if zoom < AGGREGATE_BELOW_ZOOM or counts.total > MAX_POINTS:
        return _counts(counts)
    frame, truncated = problems_in_bbox(ctx, bbox, MAX_POINTS, filters)
    frame = frame[frame.geometry.notna() & (frame.geometry.geom_type == "Point")]
    features = [
        _point(lon, lat, properties)
        for lon, lat, properties in zip(
            frame.geometry.x, frame.geometry.y, _properties(frame, lang), strict=True
        )
    ]
    body = {"type": "FeatureCollection", "features": features, "aggregated": False}
    return json_response({**body, "truncated": truncated}, content_type=GEOJSON)


def map_filters(params: Mapping[str, Sequence[str]]) -> ProblemFilters:
    """The :class:`ProblemFilters` of a map request (every parameter but ``bbox`` and ``zoom``).

    Raises
    ------
    BadInput
        An unknown parameter, or a filter value that is not valid.
    """
    return ProblemFilters.from_text({k: v for k, v in params.items() if k not in _VIEW})


def _counts(counts: ProblemCounts) -> ApiResponse:
    cells = counts.cells
    properties = cells[["grid_code", "name", "count", "overdue"]]
    features = point_features(cells["lon"].to_numpy(), cells["lat"].to_numpy(), properties)
    members = {"aggregated": True, "total": counts.total, "withoutCell": counts.without_cell}
    body = feature_collection(features, members).encode("utf-8")
    return ApiResponse(200, {"Content-Type": GEOJSON}, body)


def who_here(ctx: CityContext, request: ApiRequest) -> ApiResponse:
    """Who answers for the place at ``lon``, ``lat`` (EPSG:4326), with the chain and names.

    Raises
    ------
    Unauthorized
        Nobody is signed in.
    BadInput
        ``lon`` or ``lat`` missing, not numbers, or out of range.
    """
    lon, lat = single(request.params, "lon"), single(request.params, "lat")
    if lon is None or lat is None:
        raise BadInput("Send lon and lat in degrees, for example lon=120.61&lat=31.31.")
    return json_response(who_answers_for(ctx, lon, lat))


def people_time(value: Any, lang: str) -> str | None:
    """A time as people read it: ``2024年7月6日 18:50`` (zh) or ``6 Jul 2024 18:50`` (en)."""
    if value is None or pd.isna(value):
        return None
    when: datetime = pd.Timestamp(value).to_pydatetime()
    if lang == "en":
        return f"{when.day} {_MONTHS[when.month - 1]} {when.year} {when:%H:%M}"
    return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"


def _bbox_zoom(params: Mapping[str, Sequence[str]]) -> tuple[Bbox, int]:
    bbox = parse_bbox(single(params, "bbox"))
    if bbox is None:
        raise BadInput(
            "Send bbox=minx,miny,maxx,maxy in degrees, for example 120.5,31.2,120.7,31.4."
        )
    text = single(params, "zoom")
    try:
        zoom = int(text or "")
    except ValueError:
        zoom = -1
    if not 0 <= zoom <= MAX_ZOOM:
        raise BadInput(
            "zoom={zoom} is not a map zoom; send a whole number from 0 to {max}.",
            zoom=text,
            max=MAX_ZOOM,
        )
    return bbox, zoom


def _point(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [round(lon, COORDINATE_DECIMALS), round(lat, COORDINATE_DECIMALS)],
        },
        "properties": properties,
    }


def _properties(frame: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    """The popup's properties of each problem, built column by column."""
    status = get_layer("problems").field("status")
    labels = {c.value: c.label(lang) for c in status.choices or ()}
    columns: dict[str, list[Any]] = {name: _plain(frame, name) for name in _SHOWN}
    columns["status_label"] = [labels.get(s, s) for s in frame["status"]]
    for name in _TIMES:
        columns[f"{name}_text"] = [people_time(v, lang) for v in frame[name]]
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _plain(frame: pd.DataFrame, name: str) -> list[Any]:
    """A column as JSON-ready values: ``None`` for missing (or absent), Python scalars."""
    if name not in frame.columns:
        return [None] * len(frame)
    column = frame[name]
    return column.astype(object).where(column.notna(), None).tolist()
