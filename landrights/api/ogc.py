"""OGC API – Features (Part 1: Core, GeoJSON, OpenAPI 3.0) under /ogc, for QGIS and GDAL
(`ogrinfo OAPIF:http://HOST/ogc`). Access as for the map: the landing page, conformance and API
description are public; collections and items need an account (session or bearer token) and
show what its area covers. GeoJSON in CRS84 (lon/lat)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, request, url_for
from flask_babel import gettext as _

from landrights.accounts.views import current_actor
from landrights.clock import now
from landrights.errors import DomainError, NotFound
from landrights.extensions import db
from landrights.geo.geojson import BBoxError, parse_bbox
from landrights.maps import features
from landrights.maps.ogc_spec import CONFORMANCE, DEFAULT_LIMIT, MAX_LIMIT, openapi

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
JSON, GEOJSON = "application/json", "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"  # the temporal extent's calendar


def _json(body, mimetype: str = JSON) -> Response:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, default=str)
    return Response(text, mimetype=mimetype)


def _link(endpoint: str, rel: str, mimetype: str, title: str | None = None, **values) -> dict:
    link = {"href": url_for(endpoint, _external=True, **values), "rel": rel, "type": mimetype}
    return {**link, "title": title} if title else link


def _collection(cid: str) -> features.Collection:
    if cid not in features.COLLECTIONS:
        raise NotFound(_("There is no collection %(id)s; the collections are %(names)s.", id=cid,
                         names=", ".join(features.COLLECTIONS)), field="collectionId")
    return features.COLLECTIONS[cid]


@bp.get("/", strict_slashes=False)
def landing():
    """The landing page: links to the API description, conformance and collections."""
    return _json({"title": _("landrights land registry (OGC API – Features)"),
                  "description": _("Parcels, homesteads and open market listings of your area."),
                  "links": [_link("ogc.landing", "self", JSON),
                            _link("ogc.api", "service-desc", OPENAPI),
                            _link("ogc.conformance", "conformance", JSON),
                            _link("ogc.collections", "data", JSON)]})


@bp.get("/conformance")
def conformance():
    """The conformance classes this API implements."""
    return _json({"conformsTo": CONFORMANCE})


@bp.get("/api")
def api():
    """The OpenAPI 3.0 description of /ogc."""
    return _json(openapi(url_for("ogc.landing", _external=True).rstrip("/")), OPENAPI)


def _collection_dict(cid: str) -> dict:
    c = features.COLLECTIONS[cid]
    box = features.extent(db.session, current_actor(), cid)
    period = features.time_extent(db.session, current_actor(), cid)
    return {"id": cid, "title": str(c.title), "description": str(c.description), "itemType": "feature",
            "crs": [CRS84], "extent": {"spatial": {"bbox": [box] if box else [], "crs": CRS84},
                                       "temporal": {"interval": [period] if period else [],
                                                    "trs": GREGORIAN}},
            "links": [_link("ogc.collection", "self", JSON, collection_id=cid),
                      _link("ogc.items", "items", GEOJSON, str(c.title), collection_id=cid)]}


@bp.get("/collections")
def collections():
    """The collections the account may read, with their extents."""
    return _json({"collections": [_collection_dict(cid) for cid in features.COLLECTIONS],
                  "links": [_link("ogc.collections", "self", JSON)]})


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    """One collection's description."""
    _collection(collection_id)
    return _json(_collection_dict(collection_id))


def _whole(name: str, default: int | None, least: int, message) -> int | None:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < least:
        raise DomainError(message, field=name)
    return value


def _paging() -> tuple[int, int, int | None]:
    limit = _whole("limit", DEFAULT_LIMIT, 1, _("limit must be a whole number of at least 1"))
    offset = _whole("offset", 0, 0, _("offset must be a whole number, not negative"))
    # the cursor of the next links: the id of the previous page's last feature
    after = _whole("after", None, 0, _("after must be the id of a feature (a whole number)"))
    return min(limit, MAX_LIMIT), offset, after  # a larger limit is lowered to the maximum (OGC 17-069r4)


def _bbox():
    text = request.args.get("bbox")
    if not text:
        return None
    try:
        return parse_bbox(text)
    except BBoxError:
        raise DomainError(_("bbox must be four numbers minLon,minLat,maxLon,maxLat with min below "
                            "max"), field="bbox") from None


def _datetime() -> features.Period | None:
    text = request.args.get("datetime")
    if text is None:
        return None
    try:
        return features.parse_datetime(text)
    except ValueError:
        raise DomainError(_("datetime must be a date-time with its time zone (2026-06-30T12:00:00+08:00 "
                            "or …Z), a date (2026-06-30), or an interval start/end with .. at an open "
                            "end, its end not before its start"), field="datetime") from None


def _page_links(cid: str, limit: int, offset: int, after: int | None,
                found: features.FeaturePage) -> list[dict]:
    keep = {k: v for k, v in request.args.items() if k not in ("limit", "offset", "after")}
    here = {"limit": limit, **({"offset": offset} if offset else {}),
            **({"after": after} if after is not None else {})}
    links = [_link("ogc.items", "self", GEOJSON, collection_id=cid, **here, **keep),
             _link("ogc.collection", "collection", JSON, collection_id=cid)]
    if found.more:  # a cursor, not an offset: each next page costs the same, however deep
        links.append(_link("ogc.items", "next", GEOJSON, _("Next page"), collection_id=cid,
                           limit=limit, after=found.last, **keep))
    if offset > 0 and after is None:
        links.append(_link("ogc.items", "prev", GEOJSON, _("Previous page"), collection_id=cid,
                           limit=limit, offset=max(offset - limit, 0), **keep))
    return links


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    """One page of a collection's features (bbox, datetime, limit, offset, after), with next
    (and, on an offset page, prev) links. Without datetime, the current features; with it, those
    of that time (for parcels and homesteads: the versions then in force, so the registry as it
    stood). The next link carries a cursor (after: the last feature's id), so reading a whole
    collection page by page costs each page the same; numberMatched is counted on the pages a
    client starts from (no cursor) and left out on the ones it follows (the count of a county's
    parcels would be most of each page's time)."""
    _collection(collection_id)
    (limit, offset, after), bbox, when, actor = _paging(), _bbox(), _datetime(), current_actor()
    found = features.page(db.session, actor, collection_id, bbox=bbox, when=when, limit=limit,
                          offset=offset, after=after)
    head = {"type": "FeatureCollection", "timeStamp": now().isoformat(timespec="seconds")}
    if after is None:
        head["numberMatched"] = features.count(db.session, actor, collection_id, bbox, when)
    head.update(numberReturned=found.returned,
                links=_page_links(collection_id, limit, offset, after, found))
    # the features stay the text PostGIS made: only the envelope is built here
    return _json(json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ' + found.text + "}",
                 GEOJSON)


@bp.get("/collections/<collection_id>/items/<int:fid>")
def item(collection_id: str, fid: int):
    """One feature by its id."""
    _collection(collection_id)
    text = features.item(db.session, current_actor(), collection_id, fid)
    if text is None:
        raise NotFound(_("There is no feature %(fid)s in %(id)s that you may see.", fid=fid,
                         id=collection_id), field="featureId")
    links = [_link("ogc.item", "self", GEOJSON, collection_id=collection_id, fid=fid),
             _link("ogc.collection", "collection", JSON, collection_id=collection_id)]
    return _json(text[:-1] + ', "links": ' + json.dumps(links) + "}", GEOJSON)
