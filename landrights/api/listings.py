"""JSON API of a listing's public map and its bids (tag Market): the parcels of open listings as
bbox-limited GeoJSON for the market map, and a listing's bids as each reader may see them."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import DateTime, Decimal, Integer, List, Nested, String
from apiflask.validators import OneOf, Range
from flask import current_app

from landrights import patterns, ranges
from landrights.accounts.views import current_actor
from landrights.api import _bbox
from landrights.api import schemas as s
from landrights.api.market import AREA_FILTER, MONEY, PRICE_FILTER, TAG
from landrights.api.openapi import public
from landrights.api.routing import Routes
from landrights.extensions import db
from landrights.inputs import Amount, Code, one_of
from landrights.market import queries
from landrights.market.models import LAND_USES

api = Routes()


class MapQuery(Schema):
    bbox = String(required=True, validate=s.BBOX,
                  metadata={"description": "minLon,minLat,maxLon,maxLat (CGCS2000), min below max"})
    listing = Integer(validate=ranges.ROW_ID.validate,
                    metadata={"description": "one listing's parcels, whatever its state"})
    township = String(validate=Code(patterns.TOWNSHIP))
    land_use = String(validate=one_of(LAND_USES))
    min_area_mu = Amount(AREA_FILTER)
    max_price = Amount(PRICE_FILTER)
    limit = Integer(load_default=500, validate=Range(min=1, max=1500))


@api.get("/listings/parcels")
@api.input(MapQuery, location="query")
@api.output(s.FeatureCollection)
@api.doc(summary="Parcels of open listings (or one listing) in a bbox, as GeoJSON; no personal data",
        tags=TAG, responses=[422])
@public
def listing_parcels(query_data):
    args = dict(query_data)
    bbox = _bbox(args.pop("bbox"))
    limit = min(args.pop("limit"), current_app.config.get("MAP_MAX_FEATURES", 1500))
    return queries.listing_parcel_features(db.session, bbox=bbox, listing_id=args.pop("listing", None),
                                           limit=limit, **args)


class BidSeen(Schema):
    id = Integer(required=True)
    listing_id = Integer(required=True)
    transferee_id = Integer(required=True)
    transferee_name = String(required=True)
    price = Decimal(required=True, **MONEY)
    placed_at = DateTime(required=True)


class BidList(Schema):
    scope = String(required=True, validate=OneOf(["all", "own"]), metadata={
        "description": "all: the household, its agent on the listing or an official of its area sees every "
                       "bid; own: a bidder sees only its own"})
    items = List(Nested(BidSeen), required=True)


@api.get("/listings/<int:listing_id>/bids")
@api.output(BidList)
@api.doc(summary="A listing's bids, best first: all of them to the household, its agent and the officials "
                "of its area; a bidder's own to a bidder", tags=TAG, responses=[401, 403, 404])
def listing_bids(listing_id):
    scope, rows = queries.listing_bids(db.session, current_actor(), listing_id)
    return {"scope": scope, "items": [
        {"id": bid.id, "listing_id": bid.listing_id, "transferee_id": bid.transferee_id,
         "transferee_name": name, "price": bid.price, "placed_at": bid.placed_at} for bid, name in rows]}


def add_routes(bp) -> None:
    """Add this module's routes to the API blueprint."""
    api.register(bp)
