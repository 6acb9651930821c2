"""The static parts of the OGC API – Features service: conformance classes and the OpenAPI 3.0
description that GDAL reads for the paging limits."""
from __future__ import annotations

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]


def _get(summary: str, params: list, mimetype: str = "application/json") -> dict:
    return {"get": {"summary": summary, "parameters": params,
                    "responses": {"200": {"description": "OK", "content": {mimetype: {}}},
                                  "400": {"description": "bad parameter"},
                                  "401": {"description": "log in first"},
                                  "404": {"description": "not found"}}}}


def openapi(base: str) -> dict:
    """Return the OpenAPI 3.0 document of the service rooted at base (…/ogc)."""
    cid = {"name": "collectionId", "in": "path", "required": True,
           "schema": {"type": "string", "enum": ["parcels", "homesteads", "listings"]}}
    fid = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "integer"}}
    paging = [
        {"name": "limit", "in": "query", "style": "form", "explode": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
        {"name": "after", "in": "query", "description": "the next links' cursor: features whose id is "
         "above this one", "schema": {"type": "integer", "minimum": 0}},
        {"name": "bbox", "in": "query", "style": "form", "explode": False,
         "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}}},
        {"name": "datetime", "in": "query", "style": "form", "explode": False,
         "description": "an RFC 3339 date-time, or an interval start/end with .. at an open end",
         "schema": {"type": "string"}},
    ]
    geo = "application/geo+json"
    return {"openapi": "3.0.3",
            "info": {"title": "landrights OGC API – Features", "version": "1.0"},
            "servers": [{"url": base}],
            "paths": {"/": _get("landing page", []), "/conformance": _get("conformance", []),
                      "/collections": _get("collections", []),
                      "/collections/{collectionId}": _get("one collection", [cid]),
                      "/collections/{collectionId}/items": _get("features", [cid, *paging], geo),
                      "/collections/{collectionId}/items/{featureId}": _get("one feature", [cid, fid],
                                                                            geo)}}
