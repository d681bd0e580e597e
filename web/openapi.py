"""The OpenAPI 3.0 document of ``/api/v1``, generated from the registry and the parameter specs.

Each served layer gets its paths (list, one feature, and for editable
layers create, change and delete), a properties schema built from its
fields (types, choices as enums, required fields for writes, personal
fields documented as withheld from roles without personal data) and, for a
computed layer, its analysis parameters as query parameters
(:meth:`~citygrid.params.Param.json_schema`). Problems add their report and
their workflow actions. The document lists only what the caller may read,
so each role sees its own API.
"""

from __future__ import annotations

from typing import Any

from citygrid.layers.registry import Field, Layer, get_layer
from citygrid.services.accounts.roles import ROLE_DECLARATIONS
from citygrid.services.context import CityContext
from citygrid.services.cycle.workflow import TRANSITIONS
from citygrid.services.providers import Collection, collections
from citygrid.web.api_v1 import PREFIX, REPORT_FIELDS
from citygrid.web.params import DEFAULT_LIMIT, MAX_LIMIT

_TYPES: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer", "format": "int64"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "example": "2025-03-01T08:30:00"},
}
_GEOMETRY_TYPES = {
    "Point": ["Point"],
    "LineString": ["LineString"],
    "MultiLineString": ["LineString", "MultiLineString"],
    "Polygon": ["Polygon"],
    "MultiPolygon": ["Polygon", "MultiPolygon"],
}
_ERRORS = {
    "400": "Bad input: a malformed body, an unknown field or query parameter, a bad value.",
    "401": "Not signed in, or the bearer token is expired, revoked or unknown.",
    "403": "The caller's role or scope does not allow it.",
    "404": "No such layer or feature.",
    "405": "The layer cannot be changed.",
    "409": "The change clashes with the data (the workflow does not allow it, a code "
    "held already, a feature still named by others).",
    "412": "If-Match names an older version; the message says who changed it.",
    "413": "The body is larger than the limit.",
    "428": "If-Match is missing.",
    "503": "The database is busy or unavailable; try again.",
}


def document(ctx: CityContext) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the layers ``ctx.principal`` may read."""
    served = collections(ctx)
    paths: dict[str, Any] = {f"{PREFIX}": _landing_path()}
    schemas: dict[str, Any] = {"Error": _error_schema(), "Link": _link_schema()}
    for collection in served:
        paths.update(_layer_paths(collection))
        schemas.update(_layer_schemas(collection.layer))
    if any(c.layer.name == "problems" for c in served):
        paths[f"{PREFIX}/problems"]["post"] = _report_operation()
        paths[f"{PREFIX}/problems/{{code}}/actions/{{transition}}"] = _action_path()
        schemas["ProblemReport"] = _report_schema()
        schemas["ActionNote"] = _action_schema()
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "citygrid REST API",
            "version": "1",
            "description": "Every layer of citygrid as GeoJSON (EPSG:4326): read, filter, "
            "sort and page them; change editable layers with the feature's version as ETag; "
            "move problems through their workflow. Errors are JSON {error, status, message, "
            "details}, the message in the request's language (?lang=en or zh_CN).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {status: _error_response(text) for status, text in _ERRORS.items()},
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from `citygrid users token NAME`.",
                },
                "cookieAuth": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "A signed-in session of the web app (writes also need "
                    "the page's CSRF token in X-CSRFToken).",
                },
            },
        },
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    }


def _error_response(text: str) -> dict[str, Any]:
    return {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _errors(*statuses: str) -> dict[str, Any]:
    return {s: {"$ref": f"#/components/responses/{s}"} for s in ("400", "401", "403", *statuses)}


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error", "status", "message"],
        "properties": {
            "error": {"type": "string", "description": "A code: bad_input, not_found..."},
            "status": {"type": "integer"},
            "message": {"type": "string", "description": "What is wrong and what to do."},
            "details": {"type": "object", "description": "The values the message names."},
        },
    }


def _link_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["rel", "href"],
        "properties": {
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "href": {"type": "string"},
        },
    }


def _landing_path() -> dict[str, Any]:
    return {
        "get": {
            "operationId": "landing",
            "summary": "Where the document and the docs page are",
            "security": [],
            "responses": {
                "200": {
                    "description": "Links.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }


def _name(layer: Layer) -> str:
    return "".join(part.capitalize() for part in layer.name.split("_"))


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], media: str = "application/geo+json") -> dict[str, Any]:
    return {media: {"schema": schema}}


def _lang() -> dict[str, Any]:
    return {
        "name": "lang",
        "in": "query",
        "description": "Language of messages: zh_CN (default) or en.",
        "schema": {"type": "string", "enum": ["zh_CN", "en"]},
    }


def _code(layer: Layer) -> dict[str, Any]:
    return {
        "name": "code",
        "in": "path",
        "required": True,
        "description": f"The feature's {layer.key or 'fid'}.",
        "schema": {"type": "string"},
    }


def _if_match(required: bool = True) -> dict[str, Any]:
    return {
        "name": "If-Match",
        "in": "header",
        "required": required,
        "description": "The ETag of the feature as it was read (its version, quoted).",
        "schema": {"type": "string", "example": '"3"'},
    }


def _etag() -> dict[str, Any]:
    return {"ETag": {"description": "The feature's version.", "schema": {"type": "string"}}}


def _layer_paths(collection: Collection) -> dict[str, Any]:
    layer = collection.layer
    name = _name(layer)
    analysis = [_param(spec) for spec in collection.params.specs()] if collection.params else []
    items: dict[str, Any] = {
        "get": {
            "operationId": f"list_{layer.name}",
            "tags": [layer.name],
            "summary": f"{layer.en} ({layer.zh}): features, filtered, sorted and paged",
            "parameters": [*_list_parameters(layer), *analysis],
            "responses": {
                "200": {
                    "description": "A page of features.",
                    "content": _json(_ref(f"{name}Page")),
                },
                **_errors("404"),
            },
        }
    }
    one: dict[str, Any] = {
        "parameters": [_code(layer)],
        "get": {
            "operationId": f"get_{layer.name}",
            "tags": [layer.name],
            "summary": f"One feature of {layer.en}",
            "parameters": [_lang(), *analysis],
            "responses": {
                "200": {
                    "description": "The feature.",
                    "headers": _etag() if layer.stored else {},
                    "content": _json(_ref(f"{name}Feature")),
                },
                **_errors("404"),
            },
        },
    }
    if layer.stored and layer.editable and layer.key:
        if layer.name != "problems":
            items["post"] = _write(layer, "create", "201", "Feature created.")
        one["patch"] = _write(layer, "patch", "200", "Feature changed.")
        one["put"] = _write(layer, "put", "200", "Feature replaced.")
        one["delete"] = {
            "operationId": f"delete_{layer.name}",
            "tags": [layer.name],
            "summary": f"Delete a feature of {layer.en}",
            "parameters": [_if_match(), _lang()],
            "responses": {
                "204": {"description": "Deleted."},
                **_errors("404", "405", "409", "412", "428", "503"),
            },
        }
    return {f"{PREFIX}/{layer.name}": items, f"{PREFIX}/{layer.name}/{{code}}": one}


def _write(layer: Layer, kind: str, status: str, text: str) -> dict[str, Any]:
    name = _name(layer)
    body = f"{name}Create" if kind in ("create", "put") else f"{name}Patch"
    errors = (
        ("404", "405", "409", "413", "503")
        if kind == "create"
        else ("404", "405", "409", "412", "413", "428", "503")
    )
    return {
        "operationId": f"{kind}_{layer.name}",
        "tags": [layer.name],
        "summary": f"{kind.capitalize()} a feature of {layer.en}",
        "parameters": ([] if kind == "create" else [_if_match()]) + [_lang()],
        "requestBody": {
            "required": True,
            "content": {**_json(_ref(body)), **_json(_ref(body), "application/json")},
        },
        "responses": {
            status: {
                "description": text,
                "headers": _etag(),
                "content": _json(_ref(f"{name}Feature")),
            },
            **_errors(*errors),
        },
    }


def _list_parameters(layer: Layer) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": "limit",
            "in": "query",
            "description": f"At most this many features (default {DEFAULT_LIMIT}).",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        },
        {
            "name": "offset",
            "in": "query",
            "description": "Skip this many features (the next link gives the following page).",
            "schema": {"type": "integer", "minimum": 0},
        },
        {
            "name": "sortby",
            "in": "query",
            "description": "Fields to order by, comma-separated; -name for descending.",
            "schema": {"type": "string", "example": f"-{layer.fields[0].name}"},
        },
        _lang(),
    ]
    if layer.has_geometry:
        params.insert(
            0,
            {
                "name": "bbox",
                "in": "query",
                "description": "minx,miny,maxx,maxy in EPSG:4326 degrees: features meeting it.",
                "schema": {"type": "string", "example": "120.60,31.30,120.62,31.32"},
            },
        )
    for f in layer.fields:
        if f.secret:
            continue
        params.append(
            {
                "name": f.name,
                "in": "query",
                "description": f"{f.en} ({f.zh}): features whose value is this one (several: "
                "any of; times also take start/end ranges; a choice also by its label).",
                "schema": {"type": "string"},
            }
        )
    return params


def _param(spec: Any) -> dict[str, Any]:
    schema = spec.json_schema()
    if spec.type == "bbox":
        schema = {"type": "string", "description": schema["description"]}
    return {"name": spec.name, "in": "query", "description": spec.en, "schema": schema}


_WITHHELD = ", ".join(r.name for r in ROLE_DECLARATIONS.values() if not r.personal)


def _field_schema(f: Field, *, writing: bool) -> dict[str, Any]:
    schema: dict[str, Any] = dict(_TYPES[f.type])
    text = f"{f.en} ({f.zh})"
    if f.references:
        text += f"; a code of layer {f.references}"
    if f.personal:
        text += f". Personal data: left out for the roles {_WITHHELD}"
    schema["description"] = text
    if f.choices:
        values: list[Any] = list(f.choice_values())
        if f.type != "str":
            values = [_TYPES_PY[f.type](v) for v in values]
        schema["enum"] = values
        schema["description"] += ". " + "; ".join(f"{c.value}: {c.zh}/{c.en}" for c in f.choices)
    if not (writing and f.required):
        schema["nullable"] = True
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


_TYPES_PY: dict[str, Any] = {"int": int, "float": float, "bool": lambda v: v in ("true", "1")}


def _layer_schemas(layer: Layer) -> dict[str, Any]:
    name = _name(layer)
    fields = [f for f in layer.fields if not f.secret]
    read = {
        "type": "object",
        "description": f"The fields of {layer.en} ({layer.zh}) and the feature's version.",
        "properties": {
            **{f.name: _field_schema(f, writing=False) for f in fields},
            "version": {"type": "integer", "description": "Bumped by every change."},
        },
    }
    geometry = _geometry_schema(layer)
    feature = {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": geometry,
            "properties": _ref(f"{name}Properties"),
        },
    }
    page = {
        "type": "object",
        "required": ["type", "features", "numberMatched", "numberReturned", "links"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": _ref(f"{name}Feature")},
            "layer": {"type": "string"},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "links": {"type": "array", "items": _ref("Link")},
            "parameters": {"type": "object", "description": "The analysis parameters used."},
        },
    }
    schemas = {f"{name}Properties": read, f"{name}Feature": feature, f"{name}Page": page}
    if layer.stored and layer.editable and layer.key:
        writable = {f.name: _field_schema(f, writing=True) for f in fields}
        for kind, required in (("Create", True), ("Patch", False)):
            props: dict[str, Any] = {
                "type": "object",
                "properties": writable,
                "additionalProperties": False,
            }
            needed = [f.name for f in fields if f.required]
            if required and needed:
                props["required"] = needed
            schemas[f"{name}{kind}"] = {
                "type": "object",
                "required": ["type", "properties"]
                + (["geometry"] if required and layer.has_geometry else []),
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "geometry": geometry,
                    "properties": props,
                },
            }
    return schemas


def _geometry_schema(layer: Layer) -> dict[str, Any]:
    if not layer.has_geometry:
        return {"nullable": True, "enum": [None]}
    kinds = _GEOMETRY_TYPES.get(layer.geometry_type or "")
    kind: dict[str, Any] = {"type": "string"}
    if kinds:
        kind["enum"] = kinds
    return {
        "type": "object",
        "nullable": True,
        "description": f"GeoJSON {layer.geometry_type} in EPSG:4326 (longitude, latitude).",
        "required": ["type"],
        "properties": {"type": kind, "coordinates": {"type": "array"}},
    }


def _report_operation() -> dict[str, Any]:
    return {
        "operationId": "report_problem",
        "tags": ["problems"],
        "summary": "Report a problem: coded, routed at once, status reported",
        "parameters": [_lang()],
        "requestBody": {
            "required": True,
            "content": {
                **_json(_ref("ProblemReport")),
                **_json(_ref("ProblemReport"), "application/json"),
            },
        },
        "responses": {
            "201": {
                "description": "The new problem.",
                "headers": _etag(),
                "content": _json(_ref("ProblemsFeature")),
            },
            **_errors("413", "503"),
        },
    }


def _report_schema() -> dict[str, Any]:
    layer = get_layer("problems")
    return {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "geometry": {
                "type": "object",
                "required": ["type", "coordinates"],
                "properties": {
                    "type": {"type": "string", "enum": ["Point"]},
                    "coordinates": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                },
            },
            "properties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["catalogue_code"],
                "properties": {
                    n: _field_schema(layer.field(n), writing=False) for n in REPORT_FIELDS
                },
            },
        },
    }


def _action_path() -> dict[str, Any]:
    names = [n for n in TRANSITIONS if n != "report"] + ["close"]
    lines = "; ".join(
        f"{t.name} ({t.label('zh_CN')}): {', '.join(t.sources)} -> {t.target}, "
        f"by {', '.join(t.roles)}"
        for t in TRANSITIONS.values()
        if t.name != "report"
    )
    return {
        "post": {
            "operationId": "problem_action",
            "tags": ["problems"],
            "summary": "Move a problem through its workflow",
            "description": f"{lines}. close is verify.",
            "parameters": [
                {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "transition",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": names},
                },
                _if_match(required=False),
                _lang(),
            ],
            "requestBody": {
                "required": False,
                "content": _json(_ref("ActionNote"), "application/json"),
            },
            "responses": {
                "200": {
                    "description": "The problem after the step.",
                    "headers": _etag(),
                    "content": _json(_ref("ProblemsFeature")),
                },
                **_errors("404", "409", "412", "413", "503"),
            },
        }
    }


def _action_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "note": {
                "type": "string",
                "description": "Why, or what was done (rectify and rework need one).",
            },
            "unit": {
                "type": "string",
                "description": "dispatch: the unit to send it to instead of the routed one.",
            },
            "condition": {
                "type": "string",
                "description": "register: the registration condition setting the deadline.",
            },
        },
    }
