"""The OpenAPI 3.0 document of the OGC API Features under ``/ogc``.

Built from the same constants the endpoints use (limits, CRSs), so the
document and the server agree; GDAL's OAPIF driver reads the ``limit``
maximum from it to size its pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_EXCEPTION = {"$ref": "#/components/responses/Exception"}


def _parameter(name: str, where: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": False,
    }


def _json(description: str, media: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": {"type": "object"}}}}


def _get(summary: str, operation: str, ok: dict[str, Any], *params: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "operationId": operation,
            "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in ("f", *params)],
            "responses": {
                "200": ok,
                "400": _EXCEPTION,
                "401": _EXCEPTION,
                "403": _EXCEPTION,
                "404": _EXCEPTION,
            },
        }
    }


def _collection_paths(name: str, features: dict[str, Any]) -> dict[str, Any]:
    """The four paths of one collection, their operation ids suffixed with its name."""
    base = f"/collections/{name}"
    return {
        base: _get(f"Collection {name}", f"describeCollection.{name}", _json("The collection")),
        f"{base}/queryables": _get(
            f"Queryables of {name}",
            f"getQueryables.{name}",
            _json("A JSON schema", "application/schema+json"),
        ),
        f"{base}/items": _get(
            f"Features of {name}",
            f"getFeatures.{name}",
            features,
            "bbox",
            "bbox-crs",
            "crs",
            "limit",
            "datetime",
            "next",
            "prev",
        ),
        f"{base}/items/{{featureId}}": _get(
            f"One feature of {name}",
            f"getFeature.{name}",
            _json("A GeoJSON Feature", "application/geo+json"),
            "featureId",
            "crs",
        ),
    }


def openapi_document(
    base_url: str,
    max_limit: int,
    default_limit: int,
    crs: Mapping[str, str],
    collection_ids: Sequence[str],
) -> dict[str, Any]:
    """The document for the API at ``base_url`` (``http://host:port/ogc``).

    Each collection the caller may read gets its own paths (as pygeoapi
    does), so clients and test tools see which collections exist.

    Parameters
    ----------
    base_url
        The landing page's absolute URL without its final slash (the server URL).
    max_limit, default_limit
        The most features an items page holds, and how many it holds by default.
    crs
        The CRSs served (their OGC URIs are the keys).
    collection_ids
        The collections' ids (layer names).
    """
    uris = list(crs)
    features = _json("A GeoJSON FeatureCollection with links", "application/geo+json")
    parameters = {
        "f": _parameter("f", "query", {"type": "string", "enum": ["json"]}, "Format: JSON."),
        "featureId": _parameter(
            "featureId", "path", {"type": "string"}, "A feature's code (its fid without one)."
        ),
        "bbox": {
            **_parameter(
                "bbox",
                "query",
                {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                "Features intersecting minx,miny,maxx,maxy in bbox-crs.",
            ),
        },
        "bbox-crs": _parameter(
            "bbox-crs",
            "query",
            {"type": "string", "format": "uri", "enum": uris},
            "The CRS of bbox (default CRS84).",
        ),
        "crs": _parameter(
            "crs",
            "query",
            {"type": "string", "format": "uri", "enum": uris},
            "The CRS of the response's geometries (default CRS84).",
        ),
        "limit": _parameter(
            "limit",
            "query",
            {"type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit},
            "The most features in the page; more is lowered to the maximum.",
        ),
        "datetime": _parameter(
            "datetime",
            "query",
            {"type": "string"},
            "An instant or start/end (.. for an open end) on the collection's time field.",
        ),
        "next": _parameter(
            "next",
            "query",
            {"type": "integer", "minimum": 0},
            "Paging position from a next or prev link.",
        ),
        "prev": _parameter(
            "prev", "query", {"type": "string"}, "Earlier paging positions from a next link."
        ),
    }
    return {
        "openapi": "3.0.2",
        "info": {
            "title": "citygrid OGC API Features",
            "version": "1.0.0",
            "description": "The city's layers as OGC API Features (Part 1 Core, GeoJSON, "
            "OpenAPI 3.0; Part 2 CRS by reference; Part 3 queryables). Send an API token as "
            "'Authorization: Bearer TOKEN'.",
        },
        "servers": [{"url": base_url}],
        "components": {
            "parameters": parameters,
            "responses": {
                "Exception": _json("An exception: {code, description}"),
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
        "paths": {
            "/": _get("Landing page", "getLandingPage", _json("Links")),
            "/conformance": _get(
                "Conformance classes", "getConformance", _json("The classes implemented")
            ),
            "/api": _get(
                "This document",
                "getApi",
                _json("OpenAPI 3.0", "application/vnd.oai.openapi+json;version=3.0"),
            ),
            "/collections": _get("Collections", "getCollections", _json("The collections")),
            **{
                path: operation
                for name in collection_ids
                for path, operation in _collection_paths(name, features).items()
            },
        },
    }
