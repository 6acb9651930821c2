"""GeoJSON as data (issue 16, finding 1): parse it with Python's json and write it again with only
the members RFC 7946 defines (and a CRS given by name), so GDAL never meets a "crs" link it would
fetch over HTTP, nor any member that is not a feature's geometry or properties.

Pure: no Flask, no database.
"""
from __future__ import annotations

import json
import re

from landrights.survey.errors import SurveyFileError

# how deep each geometry type nests positions in its coordinates
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
          "MultiPolygon": 3}
# a CRS by name, as GDAL writes it and surveyors' tools do: urn:ogc:def:crs:EPSG::4490, EPSG:4490
_CRS_NAME = re.compile(r"(urn:ogc:def:crs:(EPSG|OGC):[0-9.]*:[A-Za-z0-9]{1,10}|EPSG:\d{4,5})", re.I)
_NUMBER = (int, float)


def clean_geojson(raw: bytes) -> bytes:
    """Return the GeoJSON text GDAL may read: a FeatureCollection of clean features.

    Raises:
        SurveyFileError: not JSON, not a Feature/FeatureCollection, or a CRS that is not a name.
    """
    try:
        doc = json.loads(raw.decode("utf-8-sig"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SurveyFileError("not_geojson", "file", found="broken_json") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    elif isinstance(doc, dict) and doc.get("type") == "FeatureCollection" \
            and isinstance(doc.get("features"), list):
        features = doc["features"]
    else:
        raise SurveyFileError("not_geojson", "file", found="other_json")
    clean = {"type": "FeatureCollection", "features": [_feature(f) for f in features]}
    crs = _crs(doc.get("crs"))
    if crs:
        clean["crs"] = crs
    return json.dumps(clean, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _no_constant(name: str):
    raise ValueError(name)  # NaN and Infinity are not JSON


def _crs(crs) -> dict | None:
    if crs is None:
        return None
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    if not isinstance(name, str) or crs.get("type") != "name" or not _CRS_NAME.fullmatch(name):
        raise SurveyFileError("not_geojson", "file", found="crs_link")
    return {"type": "name", "properties": {"name": name}}


def _feature(feature) -> dict:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise SurveyFileError("not_geojson", "file", found="other_json")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise SurveyFileError("not_geojson", "file", found="other_json")
    clean = {"type": "Feature", "geometry": _geometry(feature.get("geometry"), nested=False),
             "properties": {str(k): _value(v) for k, v in properties.items()}}
    fid = feature.get("id")
    if isinstance(fid, (str, int)) and not isinstance(fid, bool):
        clean["id"] = fid
    return clean


def _value(value):
    """Keep a property's scalar value; an object or array becomes its JSON text, as GDAL reads it."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return json.dumps(value, ensure_ascii=False)


def _geometry(geometry, nested: bool) -> dict | None:
    if geometry is None and not nested:
        return None
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind == "GeometryCollection" and not nested and isinstance(geometry.get("geometries"), list):
        return {"type": kind, "geometries": [_geometry(g, nested=True)
                                             for g in geometry["geometries"]]}
    if kind not in _DEPTH or not _positions(geometry.get("coordinates"), _DEPTH[kind]):
        raise SurveyFileError("not_geojson", "file", found="other_json")
    return {"type": kind, "coordinates": geometry["coordinates"]}


def _positions(coordinates, depth: int) -> bool:
    """Tell whether coordinates nest lists of 2-4 numbers exactly depth levels deep."""
    if not isinstance(coordinates, list):
        return False
    if depth == 0:
        return 2 <= len(coordinates) <= 4 and all(
            type(x) in _NUMBER for x in coordinates)  # type(): a bool is not a coordinate
    return all(_positions(c, depth - 1) for c in coordinates)
