"""JSON API of the transfer market (tag Market): the same services as the market pages."""
from __future__ import annotations

import decimal

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Decimal, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp

from landrights import ranges
from landrights.accounts.views import current_actor
from landrights.api import _ERRORS, bp
from landrights.api.openapi import public
from landrights.api.schemas import Amount, Whole
from landrights.extensions import db
from landrights.market import contracts, endings, identities, queries, services

TAG = ["Market"]
MONEY = {"places": 2, "as_string": True}


class TransfereeIn(Schema):
    kind = String(required=True, validate=OneOf(["cooperative", "family_farm", "company", "individual"]))
    name = String(required=True, validate=Length(min=1, max=100))
    operating_capacity = String(required=True, validate=Length(min=1),
                                metadata={"description": "agricultural operating capacity (R1.21(4))"})
    credit_code = String(validate=Length(max=30))
    id_number = String(validate=Length(max=30), metadata={
        "description": "an individual only: the ID number of the person the account belongs to (verified "
                       "by the account); otherwise a township officer verifies the ID card later"})
    address = String(validate=[Length(min=1, max=200), ranges.not_blank], metadata={
        "description": "the transferee's domicile as on its licence or ID card, printed in its transfer "
                       "contracts when the officer gives none (R1.23(1))"})


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


ROW_ID = {"validate": ranges.ROW_ID.validate}


class ReviewIn(Schema):
    transferee_id = Whole(required=True, **ROW_ID)
    county_code = String(required=True, validate=Regexp(r"^\d{6}$"))
    approved = Boolean(required=True)
    max_area_mu = Amount(ranges.REVIEW_AREA, required=True,
                          metadata={"description": "0 to 150,000 mu"})
    qualification = String(required=True)
    project = String(required=True)
    risk_measures = String(required=True)
    valid_until = Date(required=True, validate=ranges.REVIEW_UNTIL.validate,
                       metadata={"description": "from today to 2100-12-31"})


class ReviewOut(Schema):
    id = Integer()
    decision = String()
    max_area_mu = Decimal(**MONEY)


LAND_USES = ["grain", "cash_crops", "vegetables", "livestock", "aquaculture"]
AREA_FILTER = ranges.Span(ranges.PARCEL_AREA_MU.label, decimal.Decimal(0),
                          ranges.HOLDING_AREA_MAX_M2 * 15 / 10000)
PRICE_FILTER = ranges.Span(ranges.PRICE.label, decimal.Decimal(0), ranges.PRICE_MAX)


class ListingIn(Schema):
    household_code = String(required=True, validate=Regexp(r"^\d{18}$"))
    parcel_codes = List(String(validate=Regexp(r"^\d{19}$")), required=True, validate=Length(min=1))
    mode = String(required=True, validate=OneOf(["lease", "shares", "other"]))
    term_start = Date(required=True, validate=ranges.TERM_START.validate)
    term_end = Date(required=True, validate=ranges.TERM_END.validate,
                    metadata={"description": "by the end of the household's contract (R1.21(3))"})
    reserve_price = Amount(ranges.PRICE, required=True,
                            metadata={"description": "yuan per mu per year, above 0, at most 100,000"})
    payment_schedule = String(required=True, validate=Length(min=1, max=200))
    land_use = String(required=True, validate=OneOf(LAND_USES))
    conditions = String()
    entrustment_id = Whole(**ROW_ID, metadata={"description": "an agent's written entrustment (R2.4)"})


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
    township = String(validate=Regexp(r"^\d{9}$"))
    land_use = String(validate=OneOf(LAND_USES))
    min_area_mu = Amount(AREA_FILTER)
    max_price = Amount(PRICE_FILTER)
    limit = Integer(load_default=50, validate=Range(min=1, max=500))


class ListingList(Schema):
    items = List(Nested(ListingOut), required=True)


class DepositIn(Schema):
    transferee_id = Whole(required=True, **ROW_ID)
    amount_yuan = Amount(ranges.DEPOSIT, required=True)
    receipt = String(required=True, validate=Length(min=1, max=100))


class DepositOut(Schema):
    id = Integer(required=True)
    status = String(required=True)


class BidIn(Schema):
    price = Amount(ranges.PRICE, required=True,
                    metadata={"description": "yuan per mu per year"})


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


class RentIn(Schema):
    due_on = Date(required=True)
    paid_on = Date(required=True, validate=ranges.PAID_ON.validate,
                   metadata={"description": "not in the future"})


class RentOut(Schema):
    due_on = Date(required=True)
    paid_on = Date(required=True)
    amount_yuan = Decimal(required=True, **MONEY)


class TerminationIn(Schema):
    cause = String(required=True, metadata={"description": "use_changed, abandoned_two_years, "
                                                           "serious_damage, serious_breach (R1.25)"})
    evidence = String(required=True, validate=Length(min=1, max=200))


@bp.post("/transferees")
@bp.input(TransfereeIn, location="json")
@bp.output(TransfereeOut, status_code=201)
@bp.doc(summary="Register your account as a transferee (流入方)", tags=TAG, responses=[*_ERRORS, 409])
def register_transferee(json_data):
    found = services.register_transferee(db.session, current_actor(), **json_data)
    db.session.commit()
    return identities.transferee_dict(db.session, found)


@bp.post("/capital-reviews")
@bp.input(ReviewIn, location="json")
@bp.output(ReviewOut, status_code=201)
@bp.doc(summary="The county's review of a social-capital transferee (R1.28)", tags=TAG, responses=_ERRORS)
def review_capital(json_data):
    found = services.review_capital(db.session, current_actor(), **json_data)
    db.session.commit()
    return found


@bp.get("/listings")
@bp.input(ListingQuery, location="query")
@bp.output(ListingList)
@bp.doc(summary="Open listings, filtered by township, land use, area and price", tags=TAG)
@public
def list_listings(query_data):
    return {"items": queries.open_listings(db.session, **query_data)}


@bp.post("/listings")
@bp.input(ListingIn, location="json")
@bp.output(ListingOut, status_code=201)
@bp.doc(summary="List the management right of parcels (挂牌): the household, or its entrusted agent",
        tags=TAG, responses=[*_ERRORS, 409])
def create_listing(json_data):
    listing = services.create_listing(db.session, current_actor(), **json_data)
    db.session.commit()
    return queries.listing_dict(listing)


@bp.get("/listings/<int:listing_id>")
@bp.output(ListingOut)
@bp.doc(summary="One listing", tags=TAG, responses=[404])
@public
def get_listing(listing_id):
    return queries.listing_dict(services.get_listing(db.session, listing_id))


@bp.post("/listings/<int:listing_id>/deposits")
@bp.input(DepositIn, location="json")
@bp.output(DepositOut, status_code=201)
@bp.doc(summary="Record a bidder's deposit (township officer)", tags=TAG, responses=[*_ERRORS, 409])
def record_deposit(listing_id, json_data):
    deposit = services.record_deposit(db.session, current_actor(), listing_id=listing_id, **json_data)
    db.session.commit()
    return {"id": deposit.id, "status": deposit.status}


@bp.post("/listings/<int:listing_id>/bids")
@bp.input(BidIn, location="json")
@bp.output(BidOut, status_code=201)
@bp.doc(summary="Bid (open ascending; server time; anti-sniping)", tags=TAG, responses=[*_ERRORS, 409])
def place_bid(listing_id, json_data):
    bid = services.place_bid(db.session, current_actor(), listing_id=listing_id, price=json_data["price"])
    db.session.commit()
    return bid


@bp.post("/listings/<int:listing_id>/match")
@bp.output(OfferOut, status_code=201)
@bp.doc(summary="A collective member matches the best bid at equal terms (R1.21(5))", tags=TAG,
        responses=[*_ERRORS, 409])
def match(listing_id):
    offer = services.match_as_member(db.session, current_actor(), listing_id=listing_id)
    db.session.commit()
    return offer


@bp.post("/listings/<int:listing_id>/award")
@bp.output(OfferOut)
@bp.doc(summary="Award after the members' window (township officer); 204 when nobody qualified",
        tags=TAG, responses=[*_ERRORS, 409])
def award(listing_id):
    offer = contracts.award(db.session, current_actor(), listing_id=listing_id)
    db.session.commit()
    return offer if offer is not None else ("", 204)


class DraftIn(Schema):
    transferee_address = String(validate=Length(max=200), metadata={
        "description": "the transferee's address (domicile) as on its business licence or ID card; "
                       "needed unless the transferee is a farmer whose household's address is in "
                       "the register (R1.23(1))"})


@bp.post("/listings/<int:listing_id>/contract")
@bp.input(DraftIn, location="json")
@bp.output(ContractOut, status_code=201)
@bp.doc(summary="Generate the transfer contract with its statutory clauses (township officer)", tags=TAG,
        responses=[*_ERRORS, 409])
def draft_contract(listing_id, json_data):
    contract = contracts.draft_contract(db.session, current_actor(), listing_id=listing_id,
                                        transferee_address=json_data.get("transferee_address"))
    db.session.commit()
    return contract


@bp.post("/transfer-contracts/<code>/sign")
@bp.output(ContractOut)
@bp.doc(summary="Sign as the household or the transferee; both signed -> filed and in the ledger",
        tags=TAG, responses=[*_ERRORS, 409])
def sign(code):
    contract = contracts.sign_contract(db.session, current_actor(), code=code)
    db.session.commit()
    return contract


@bp.post("/transfer-contracts/<code>/registration")
@bp.output(ContractOut)
@bp.doc(summary="Register a filed transfer of five years or more (R1.24; township officer)", tags=TAG,
        responses=[*_ERRORS, 409])
def register(code):
    contract = contracts.register_transfer(db.session, current_actor(), code=code)
    db.session.commit()
    return contract


@bp.post("/transfer-contracts/<code>/rent")
@bp.input(RentIn, location="json")
@bp.output(RentOut)
@bp.doc(summary="Record a rent payment received by the household (R1.22)", tags=TAG,
        responses=[*_ERRORS, 409])
def record_rent(code, json_data):
    payment = contracts.record_rent(db.session, current_actor(), code=code, **json_data)
    db.session.commit()
    return payment


@bp.post("/transfer-contracts/<code>/termination")
@bp.input(TerminationIn, location="json")
@bp.output(ContractOut)
@bp.doc(summary="Terminate for a statutory cause only (R1.25, R1.26)", tags=TAG, responses=[*_ERRORS, 409])
def terminate(code, json_data):
    contract = contracts.terminate(db.session, current_actor(), code=code, **json_data)
    db.session.commit()
    return contract


class LapseIn(Schema):
    reason = String(required=True, validate=[Length(min=1, max=400), ranges.not_blank],
                    metadata={"description": "why the award lapses, e.g. the winner did not sign"})


@bp.post("/listings/<int:listing_id>/withdrawal")
@bp.output(ListingOut)
@bp.doc(summary="Withdraw an open listing nobody has bid on (the household, its agent or the township "
                "officer); its parcels can be listed again", tags=TAG, responses=[*_ERRORS, 409])
def withdraw_listing(listing_id):
    listing = endings.withdraw_listing(db.session, current_actor(), listing_id=listing_id)
    db.session.commit()
    return queries.listing_dict(listing)


@bp.post("/listings/<int:listing_id>/award/lapse")
@bp.input(LapseIn, location="json")
@bp.output(ListingOut)
@bp.doc(summary="End an award whose contract was not signed by both (township officer): the contract "
                "becomes void and the parcels can be listed again", tags=TAG, responses=[*_ERRORS, 409])
def lapse_award(listing_id, json_data):
    listing = endings.lapse_award(db.session, current_actor(), listing_id=listing_id, **json_data)
    db.session.commit()
    return queries.listing_dict(listing)


from landrights.api import identities as identities_api  # noqa: E402,F401  (its routes register on bp)
from landrights.api import market_after  # noqa: E402,F401  (its routes register on bp)
