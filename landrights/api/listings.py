"""JSON API of listings (挂牌; tag Market): listing the management right of parcels, the deposits,
bids and members' matching on a listing, its award, withdrawal and lapse; the parcels of open listings
as bbox-limited GeoJSON for the market map, and a listing's bids as each reader may see them. The
same services as the market pages."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Decimal, Integer, List, Nested, String
from apiflask.validators import OneOf, Range
from flask import current_app

from landrights import patterns, ranges
from landrights.accounts.views import current_actor
from landrights.api import schemas as s
from landrights.api.openapi import public
from landrights.api.responses import ERRORS
from landrights.api.routing import Routes
from landrights.api.schemas import MONEY
from landrights.extensions import db
from landrights.inputs import Amount, Code, one_of
from landrights.market import contracts, endings, queries, services
from landrights.market.inputs import (
    AREA_FILTER,
    PRICE_FILTER,
    BidIn,
    DepositIn,
    LapseIn,
    ListingIn,
    ListingQuery,
)
from landrights.market.models import LAND_USES

TAG = ["Market"]

api = Routes()


class ListingOut(Schema):
    id = Integer()
    household_code = String()
    township_code = String()
    mode = String()
    land_use = String()
    term_start = Date()
    term_end = Date()
    area_mu = Decimal(**MONEY)
    reserve_price = Decimal(**MONEY)
    best_price = Decimal(allow_none=True, **MONEY)
    bid_count = Integer()
    closes_at = DateTime()
    priority_until = DateTime()
    status = String()
    parcel_codes = List(String())
    renewal = Boolean(metadata={"description": "listed again as a transfer ends: its transferee may "
                                               "match (R2.6)"})


class ListingList(Schema):
    items = List(Nested(ListingOut), required=True)


class DepositOut(Schema):
    id = Integer(required=True)
    status = String(required=True)


class BidOut(Schema):
    id = Integer()
    listing_id = Integer()
    price = Decimal(**MONEY)
    placed_at = DateTime()


class OfferOut(Schema):
    id = Integer(allow_none=True)
    transferee_id = Integer()
    kind = String()
    price = Decimal(**MONEY)
    status = String()


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


@api.get("/listings")
@api.input(ListingQuery, location="query")
@api.output(ListingList)
@api.doc(summary="Open listings, filtered by township, land use, area and price", tags=TAG)
@public
def list_listings(query_data):
    return {"items": queries.open_listings(db.session, **query_data)}


@api.post("/listings")
@api.input(ListingIn, location="json")
@api.output(ListingOut, status_code=201)
@api.doc(summary="List the management right of parcels (挂牌): the household, or its entrusted agent",
        tags=TAG, responses=[*ERRORS, 409])
@db.commits
def create_listing(json_data):
    listing = services.create_listing(db.session, current_actor(), **json_data)
    return queries.listing_dict(listing)


@api.get("/listings/<int:listing_id>")
@api.output(ListingOut)
@api.doc(summary="One listing", tags=TAG, responses=[404])
@public
def get_listing(listing_id):
    return queries.listing_dict(services.get_listing(db.session, listing_id))


@api.post("/listings/<int:listing_id>/deposits")
@api.input(DepositIn, location="json")
@api.output(DepositOut, status_code=201)
@api.doc(summary="Record a bidder's deposit (township officer)", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def record_deposit(listing_id, json_data):
    deposit = services.record_deposit(db.session, current_actor(), listing_id=listing_id, **json_data)
    return {"id": deposit.id, "status": deposit.status}


@api.post("/listings/<int:listing_id>/bids")
@api.input(BidIn, location="json")
@api.output(BidOut, status_code=201)
@api.doc(summary="Bid (open ascending; server time; anti-sniping)", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def place_bid(listing_id, json_data):
    bid = services.place_bid(db.session, current_actor(), listing_id=listing_id, price=json_data["price"])
    return bid


@api.post("/listings/<int:listing_id>/match")
@api.output(OfferOut, status_code=201)
@api.doc(summary="A collective member matches the best bid at equal terms (R1.21(5))", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def match(listing_id):
    offer = services.match_as_member(db.session, current_actor(), listing_id=listing_id)
    return offer


@api.post("/listings/<int:listing_id>/award")
@api.output(OfferOut)
@api.doc(summary="Award after the members' window (township officer); 204 when nobody qualified",
        tags=TAG, responses=[*ERRORS, 409])
@db.commits
def award(listing_id):
    offer = contracts.award(db.session, current_actor(), listing_id=listing_id)
    return offer if offer is not None else ("", 204)


@api.post("/listings/<int:listing_id>/withdrawal")
@api.output(ListingOut)
@api.doc(summary="Withdraw an open listing nobody has bid on (the household, its agent or the township "
                "officer); its parcels can be listed again", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def withdraw_listing(listing_id):
    listing = endings.withdraw_listing(db.session, current_actor(), listing_id=listing_id)
    return queries.listing_dict(listing)


@api.post("/listings/<int:listing_id>/award/lapse")
@api.input(LapseIn, location="json")
@api.output(ListingOut)
@api.doc(summary="End an award whose contract was not signed by both (township officer): the contract "
                "becomes void and the parcels can be listed again", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def lapse_award(listing_id, json_data):
    listing = endings.lapse_award(db.session, current_actor(), listing_id=listing_id, **json_data)
    return queries.listing_dict(listing)


@api.get("/listings/parcels")
@api.input(MapQuery, location="query")
@api.output(s.FeatureCollection)
@api.doc(summary="Parcels of open listings (or one listing) in a bbox, as GeoJSON; no personal data",
        tags=TAG, responses=[422])
@public
def listing_parcels(query_data):
    args = dict(query_data)
    bbox = s.read_bbox(args.pop("bbox"))
    limit = min(args.pop("limit"), current_app.config.get("MAP_MAX_FEATURES", 1500))
    return queries.listing_parcel_features(db.session, bbox=bbox, listing_id=args.pop("listing", None),
                                           limit=limit, **args)


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
