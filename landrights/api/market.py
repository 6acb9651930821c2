"""JSON API of the transfer market (tag Market): the same services as the market pages."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Decimal, Integer, List, String
from apiflask.validators import Length, OneOf, Range, Regexp

from landrights.accounts.views import current_actor
from landrights.api import _ERRORS, bp
from landrights.extensions import db
from landrights.market import contracts, queries, services

TAG = ["Market"]
MONEY = {"places": 2, "as_string": True}


class TransfereeIn(Schema):
    kind = String(required=True, validate=OneOf(["cooperative", "family_farm", "company", "individual"]))
    name = String(required=True, validate=Length(min=1, max=100))
    operating_capacity = String(required=True, validate=Length(min=1),
                                metadata={"description": "agricultural operating capacity (R1.21(4))"})
    credit_code = String(validate=Length(max=30))
    id_number = String(validate=Length(max=30), metadata={"description": "an individual member's ID"})


class TransfereeOut(Schema):
    id = Integer()
    kind = String()
    name = String()


class ReviewIn(Schema):
    transferee_id = Integer(required=True)
    county_code = String(required=True, validate=Regexp(r"^\d{6}$"))
    approved = Boolean(required=True)
    max_area_mu = Decimal(required=True, **MONEY)
    qualification = String(required=True)
    project = String(required=True)
    risk_measures = String(required=True)
    valid_until = Date(required=True)


class ReviewOut(Schema):
    id = Integer()
    decision = String()
    max_area_mu = Decimal(**MONEY)


class ListingIn(Schema):
    household_code = String(required=True, validate=Regexp(r"^\d{18}$"))
    parcel_codes = List(String(validate=Regexp(r"^\d{19}$")), required=True, validate=Length(min=1))
    mode = String(required=True, validate=OneOf(["lease", "shares", "other"]))
    term_start = Date(required=True)
    term_end = Date(required=True)
    reserve_price = Decimal(required=True, **MONEY, metadata={"description": "yuan per mu per year"})
    payment_schedule = String(required=True, validate=Length(min=1, max=200))
    land_use = String(required=True, validate=OneOf(["grain", "cash_crops", "vegetables", "livestock",
                                                     "aquaculture"]))
    conditions = String()
    entrustment_id = Integer(metadata={"description": "an agent's written entrustment (R2.4)"})


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
    land_use = String()
    min_area_mu = Decimal(places=2)
    max_price = Decimal(places=2)
    limit = Integer(load_default=50, validate=Range(min=1, max=500))


class DepositIn(Schema):
    transferee_id = Integer(required=True)
    amount_yuan = Decimal(required=True, **MONEY)
    receipt = String(required=True, validate=Length(min=1, max=100))


class BidIn(Schema):
    price = Decimal(required=True, **MONEY, metadata={"description": "yuan per mu per year"})


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


class RentIn(Schema):
    due_on = Date(required=True)
    paid_on = Date(required=True)


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
    return found


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
@bp.doc(summary="Open listings, filtered by township, land use, area and price", tags=TAG)
def list_listings(query_data):
    return {"items": [ListingOut().dump(x) for x in queries.open_listings(db.session, **query_data)]}


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
def get_listing(listing_id):
    return queries.listing_dict(services.get_listing(db.session, listing_id))


@bp.post("/listings/<int:listing_id>/deposits")
@bp.input(DepositIn, location="json")
@bp.doc(summary="Record a bidder's deposit (township officer)", tags=TAG, responses=[*_ERRORS, 409])
def record_deposit(listing_id, json_data):
    deposit = services.record_deposit(db.session, current_actor(), listing_id=listing_id, **json_data)
    db.session.commit()
    return {"id": deposit.id, "status": deposit.status}, 201


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


@bp.post("/listings/<int:listing_id>/contract")
@bp.output(ContractOut, status_code=201)
@bp.doc(summary="Generate the transfer contract with its statutory clauses (township officer)", tags=TAG,
        responses=[*_ERRORS, 409])
def draft_contract(listing_id):
    contract = contracts.draft_contract(db.session, current_actor(), listing_id=listing_id)
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
@bp.doc(summary="Record a rent payment received by the household (R1.22)", tags=TAG,
        responses=[*_ERRORS, 409])
def record_rent(code, json_data):
    payment = contracts.record_rent(db.session, current_actor(), code=code, **json_data)
    db.session.commit()
    return {"due_on": payment.due_on.isoformat(), "paid_on": payment.paid_on.isoformat(),
            "amount_yuan": f"{payment.amount_yuan:.2f}"}


@bp.post("/transfer-contracts/<code>/termination")
@bp.input(TerminationIn, location="json")
@bp.output(ContractOut)
@bp.doc(summary="Terminate for a statutory cause only (R1.25, R1.26)", tags=TAG, responses=[*_ERRORS, 409])
def terminate(code, json_data):
    contract = contracts.terminate(db.session, current_actor(), code=code, **json_data)
    db.session.commit()
    return contract


from landrights.api import market_after  # noqa: E402,F401  (its routes register on bp)
