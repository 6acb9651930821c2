"""JSON API of who acts in the market (tag Market): transferees, their registration, the county's
review of a social-capital transferee (R1.28) and a transferee's verified identity (R1.21(5)), and a
household's entrustments of an agent (R2.4). The same services as the CLI and the market pages."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Date, DateTime, Decimal, Integer, List, Nested, String
from apiflask.validators import Range

from landrights import patterns, ranges
from landrights.accounts.views import current_actor
from landrights.api.certification import _file
from landrights.api.responses import ERRORS
from landrights.api.routing import Routes
from landrights.api.schemas import MONEY
from landrights.extensions import db
from landrights.inputs import Code
from landrights.market import entrustments, identities, services
from landrights.market.inputs import (
    AddressIn,
    EntrustmentIn,
    IdentityIn,
    ReasonIn,
    ReviewIn,
    TransfereeIn,
)

TAG = ["Market"]

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


class EntrustmentOut(Schema):
    id = Integer()
    household_code = String()
    agent_username = String()
    parcel_codes = List(String())
    acts = List(String())
    transfer_until = Date()
    min_price = Decimal(**MONEY)
    valid_from = Date()
    valid_to = Date()
    consent_method = String(metadata={"description": "app, or officer_scan"})
    household_signed_at = DateTime()
    agent_signed_at = DateTime(allow_none=True)
    scope = String()
    document = String(allow_none=True)
    scan_name = String(allow_none=True)
    status = String(metadata={"description": "awaiting_agent, not_yet, in_force, expired, revoked"})
    revoked_at = DateTime(allow_none=True)
    revocation_reason = String(allow_none=True)


class EntrustmentQuery(Schema):
    household = String(validate=Code(patterns.HOUSEHOLD))
    limit = Integer(load_default=200, validate=Range(min=1, max=500))


class EntrustmentList(Schema):
    items = List(Nested(EntrustmentOut))


@api.post("/transferees")
@api.input(TransfereeIn, location="json")
@api.output(TransfereeOut, status_code=201)
@api.doc(summary="Register your account as a transferee (流入方)", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def register_transferee(json_data):
    found = services.register_transferee(db.session, current_actor(), **json_data)
    return identities.transferee_dict(db.session, found)


@api.post("/capital-reviews")
@api.input(ReviewIn, location="json")
@api.output(ReviewOut, status_code=201)
@api.doc(summary="The county's review of a social-capital transferee (R1.28)", tags=TAG, responses=ERRORS)
@db.commits
def review_capital(json_data):
    found = services.review_capital(db.session, current_actor(), **json_data)
    return found


@api.get("/transferees/mine")
@api.output(TransfereeOut)
@api.doc(summary="The transferee registered by your account, with its verified identity", tags=TAG,
        responses=[401, 404])
def my_transferee():
    return identities.transferee_dict(db.session, identities.transferee_of(db.session, current_actor()))


@api.patch("/transferees/mine")
@api.input(AddressIn, location="json")
@api.output(TransfereeOut)
@api.doc(summary="Change your transferee's address, printed in its next transfer contracts (R1.23(1))",
        tags=TAG, responses=[*ERRORS])
@db.commits
def set_my_address(json_data):
    transferee = identities.set_address(db.session, current_actor(), json_data["address"])
    return identities.transferee_dict(db.session, transferee)


@api.post("/transferees/<int:transferee_id>/identity")
@api.input(IdentityIn, location="json")
@api.output(IdentityOut, status_code=201)
@api.doc(summary="Verify who an individual transferee is: its own account (the account's person), or "
                "the township officer of the person's area who saw the ID card", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def verify_identity(transferee_id, json_data):
    ranges.ROW_ID.check(transferee_id, "transferee_id")
    identity = identities.verify_identity(db.session, current_actor(), transferee_id=transferee_id,
                                          **json_data)
    return identities.identity_of(db.session, identity.transferee_id)


@api.post("/transferees/<int:transferee_id>/identity/revocation")
@api.input(ReasonIn, location="json")
@api.output(TransfereeOut)
@api.doc(summary="End a transferee's identity: its account, or the township officer of the person's area",
        tags=TAG, responses=ERRORS)
@db.commits
def end_identity(transferee_id, json_data):
    ranges.ROW_ID.check(transferee_id, "transferee_id")
    identity = identities.end_identity(db.session, current_actor(), transferee_id=transferee_id, **json_data)
    return identities.transferee_dict(db.session, identity.transferee)


@api.get("/entrustments")
@api.input(EntrustmentQuery, location="query")
@api.output(EntrustmentList)
@api.doc(summary="Entrustments you may see: your household's, those naming you as agent, your area's",
        tags=TAG, responses=[401, 422])
def list_entrustments(query_data):
    found = entrustments.list_entrustments(db.session, current_actor(), limit=query_data["limit"],
                                           household_code=query_data.get("household"))
    return {"items": [entrustments.entrustment_dict(db.session, e) for e in found]}


@api.post("/entrustments")
@api.input(EntrustmentIn, location="json")
@api.output(EntrustmentOut, status_code=201)
@api.doc(summary="Entrust an agent (流转委托书, R2.4): the household in the app (the agent then accepts), or "
                "the township officer with the scan of the paper signed by both", tags=TAG, responses=ERRORS)
@db.commits
def create_entrustment(json_data):
    args = dict(json_data)
    scan = _file(args.pop("scan", None))
    entrustment = entrustments.create_entrustment(db.session, current_actor(), scan=scan, **args)
    return entrustments.entrustment_dict(db.session, entrustment)


@api.post("/entrustments/<int:entrustment_id>/acceptance")
@api.output(EntrustmentOut)
@api.doc(summary="Sign the entrustment as its agent: from now it is in force", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def accept_entrustment(entrustment_id):
    ranges.ROW_ID.check(entrustment_id, "entrustment_id")
    entrustment = entrustments.accept_entrustment(db.session, current_actor(), entrustment_id=entrustment_id)
    return entrustments.entrustment_dict(db.session, entrustment)


@api.post("/entrustments/<int:entrustment_id>/revocation")
@api.input(ReasonIn, location="json")
@api.output(EntrustmentOut)
@api.doc(summary="Revoke an entrustment, at once: the household, the township officer, or the agent "
                "renouncing it", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def revoke_entrustment(entrustment_id, json_data):
    ranges.ROW_ID.check(entrustment_id, "entrustment_id")
    entrustment = entrustments.revoke_entrustment(db.session, current_actor(), entrustment_id=entrustment_id,
                                                  reason=json_data["reason"])
    return entrustments.entrustment_dict(db.session, entrustment)


def add_routes(bp) -> None:
    """Add this module's routes to the API blueprint."""
    api.register(bp)
