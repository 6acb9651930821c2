"""GeoJSON at the edges: shapely geometry <-> GeoJSON dicts, bbox parsing."""
from __future__ import annotations

import shapely
from shapely.geometry import mapping, shape


class BBoxError(ValueError):
    """A bbox parameter is not minLon,minLat,maxLon,maxLat in range."""


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """Parse 'minLon,minLat,maxLon,maxLat' (degrees) and check its order and range."""
    try:
        parts = [float(v) for v in text.split(",")]
    except ValueError as exc:
        raise BBoxError("bbox must be four numbers: minLon,minLat,maxLon,maxLat") from exc
    if len(parts) != 4:
        raise BBoxError("bbox must be four numbers: minLon,minLat,maxLon,maxLat")
    x0, y0, x1, y1 = parts
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise BBoxError("bbox must have minLon < maxLon and minLat < maxLat within ±180 / ±90")
    return x0, y0, x1, y1


def to_geojson(geom) -> dict:
    """Return a GeoJSON geometry dict for a shapely geometry."""
    return mapping(geom)


class GeoJSONError(ValueError):
    """A geometry is not GeoJSON that shapely reads."""


def from_geojson(obj: dict):
    """Return a shapely geometry for a GeoJSON geometry dict (no validity repair); the one reader
    of a request's GeoJSON (the API's parcels and homesteads).

    Raises:
        GeoJSONError: not a GeoJSON geometry (a missing or unknown type, bad coordinates...).
    """
    try:
        return shape(obj)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise GeoJSONError("not a GeoJSON geometry") from exc


def as_multipolygon(geom):
    """Return geom as a MultiPolygon; refuse other geometry types."""
    if geom.geom_type == "MultiPolygon":
        return geom
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    raise ValueError(f"expected a Polygon or MultiPolygon, got {geom.geom_type}")
