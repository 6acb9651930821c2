"""JSON API of the transfer market (tag Market): the same services as the market pages."""
from __future__ import annotations

import decimal

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Decimal, Integer, List, Nested, String
from apiflask.validators import Range

from landrights import patterns, ranges
from landrights.accounts.views import current_actor
from landrights.api import _ERRORS
from landrights.api.openapi import public
from landrights.api.routing import Routes
from landrights.extensions import db
from landrights.inputs import Amount, Code, one_of
from landrights.market import contracts, endings, identities, queries, services
from landrights.market.inputs import (
    BidIn,
    DepositIn,
    DraftIn,
    LapseIn,
    ListingIn,
    RentIn,
    ReviewIn,
    TerminationIn,
    TransfereeIn,
)
from landrights.market.models import LAND_USES

TAG = ["Market"]
MONEY = {"places": 2, "as_string": True}

api = Routes()


class IdentityOut(Schema):
    person_name = String()
    id_number = String(metadata={"description": "masked: the first 6 and the last 4 characters"})
    method = String(metadata={"description": "own_account, or officer_id_card (an officer saw the ID card)"})
    verified_at = DateTime()
    verified_by = String(allow_none=True, metadata={"description": "the officer's (or the account's) name"})
    document = String(allow_none=True, metadata={"description": "the identity document the officer saw"})


class TransfereeOut(Schema):
    id = Integer()
    kind = String()
    name = String()
    address = String(allow_none=True)
    identity = Nested(IdentityOut, allow_none=True, metadata={
        "description": "the verified person; null: an outsider for every rule (R1.21(5), R1.28)"})


class ReviewOut(Schema):
    id = Integer()
    decision = String()
    max_area_mu = Decimal(**MONEY)


AREA_FILTER = ranges.Span(ranges.PARCEL_AREA_MU.label, decimal.Decimal(0),
                          ranges.HOLDING_AREA_MAX_M2 * 15 / 10000)
PRICE_FILTER = ranges.Span(ranges.PRICE.label, decimal.Decimal(0), ranges.PRICE_MAX)


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


class ListingQuery(Schema):
    township = String(validate=Code(patterns.TOWNSHIP))
    land_use = String(validate=one_of(LAND_USES))
    min_area_mu = Amount(AREA_FILTER)
    max_price = Amount(PRICE_FILTER)
    limit = Integer(load_default=50, validate=Range(min=1, max=500))


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


class ContractOut(Schema):
    code = String()
    status = String()
    household_code = String()
    transferee_id = Integer()
    parcel_codes = List(String())
    price = Decimal(**MONEY)
    annual_rent_yuan = Decimal(**MONEY)
    registrable = Boolean()
    registered_at = DateTime(allow_none=True)
    signature_method = String(metadata={"description": "app, or officer_scan (the signed paper's scan)"})
    household_entrustment_id = Integer(allow_none=True, metadata={
        "description": "the household's agent signed under this entrustment (R2.4); null: the household"})


class RentOut(Schema):
    due_on = Date(required=True)
    paid_on = Date(required=True)
    amount_yuan = Decimal(required=True, **MONEY)


@api.post("/transferees")
@api.input(TransfereeIn, location="json")
@api.output(TransfereeOut, status_code=201)
@api.doc(summary="Register your account as a transferee (流入方)", tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def register_transferee(json_data):
    found = services.register_transferee(db.session, current_actor(), **json_data)
    return identities.transferee_dict(db.session, found)


@api.post("/capital-reviews")
@api.input(ReviewIn, location="json")
@api.output(ReviewOut, status_code=201)
@api.doc(summary="The county's review of a social-capital transferee (R1.28)", tags=TAG, responses=_ERRORS)
@db.commits
def review_capital(json_data):
    found = services.review_capital(db.session, current_actor(), **json_data)
    return found


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
        tags=TAG, responses=[*_ERRORS, 409])
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
@api.doc(summary="Record a bidder's deposit (township officer)", tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def record_deposit(listing_id, json_data):
    deposit = services.record_deposit(db.session, current_actor(), listing_id=listing_id, **json_data)
    return {"id": deposit.id, "status": deposit.status}


@api.post("/listings/<int:listing_id>/bids")
@api.input(BidIn, location="json")
@api.output(BidOut, status_code=201)
@api.doc(summary="Bid (open ascending; server time; anti-sniping)", tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def place_bid(listing_id, json_data):
    bid = services.place_bid(db.session, current_actor(), listing_id=listing_id, price=json_data["price"])
    return bid


@api.post("/listings/<int:listing_id>/match")
@api.output(OfferOut, status_code=201)
@api.doc(summary="A collective member matches the best bid at equal terms (R1.21(5))", tags=TAG,
        responses=[*_ERRORS, 409])
@db.commits
def match(listing_id):
    offer = services.match_as_member(db.session, current_actor(), listing_id=listing_id)
    return offer


@api.post("/listings/<int:listing_id>/award")
@api.output(OfferOut)
@api.doc(summary="Award after the members' window (township officer); 204 when nobody qualified",
        tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def award(listing_id):
    offer = contracts.award(db.session, current_actor(), listing_id=listing_id)
    return offer if offer is not None else ("", 204)


@api.post("/listings/<int:listing_id>/contract")
@api.input(DraftIn, location="json")
@api.output(ContractOut, status_code=201)
@api.doc(summary="Generate the transfer contract with its statutory clauses (township officer)", tags=TAG,
        responses=[*_ERRORS, 409])
@db.commits
def draft_contract(listing_id, json_data):
    contract = contracts.draft_contract(db.session, current_actor(), listing_id=listing_id,
                                        transferee_address=json_data.get("transferee_address"))
    return contract


@api.post("/transfer-contracts/<code>/sign")
@api.output(ContractOut)
@api.doc(summary="Sign as the household or the transferee; both signed -> filed and in the ledger",
        tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def sign(code):
    contract = contracts.sign_contract(db.session, current_actor(), code=code)
    return contract


@api.post("/transfer-contracts/<code>/registration")
@api.output(ContractOut)
@api.doc(summary="Register a filed transfer of five years or more (R1.24; township officer)", tags=TAG,
        responses=[*_ERRORS, 409])
@db.commits
def register(code):
    contract = contracts.register_transfer(db.session, current_actor(), code=code)
    return contract


@api.post("/transfer-contracts/<code>/rent")
@api.input(RentIn, location="json")
@api.output(RentOut)
@api.doc(summary="Record a rent payment received by the household (R1.22)", tags=TAG,
        responses=[*_ERRORS, 409])
@db.commits
def record_rent(code, json_data):
    payment = contracts.record_rent(db.session, current_actor(), code=code, **json_data)
    return payment


@api.post("/transfer-contracts/<code>/termination")
@api.input(TerminationIn, location="json")
@api.output(ContractOut)
@api.doc(summary="Terminate for a statutory cause only (R1.25, R1.26)", tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def terminate(code, json_data):
    contract = contracts.terminate(db.session, current_actor(), code=code, **json_data)
    return contract


@api.post("/listings/<int:listing_id>/withdrawal")
@api.output(ListingOut)
@api.doc(summary="Withdraw an open listing nobody has bid on (the household, its agent or the township "
                "officer); its parcels can be listed again", tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def withdraw_listing(listing_id):
    listing = endings.withdraw_listing(db.session, current_actor(), listing_id=listing_id)
    return queries.listing_dict(listing)


@api.post("/listings/<int:listing_id>/award/lapse")
@api.input(LapseIn, location="json")
@api.output(ListingOut)
@api.doc(summary="End an award whose contract was not signed by both (township officer): the contract "
                "becomes void and the parcels can be listed again", tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def lapse_award(listing_id, json_data):
    listing = endings.lapse_award(db.session, current_actor(), listing_id=listing_id, **json_data)
    return queries.listing_dict(listing)


def add_routes(bp) -> None:
    """Add this module's routes to the API blueprint."""
    api.register(bp)
