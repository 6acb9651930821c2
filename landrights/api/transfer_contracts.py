"""JSON API of transfer contracts (流转合同; tag Market): drafting one for an awarded listing, the
parties' signatures (in the app, or the officer's record with the signed paper's scan), registration,
rent, termination for a statutory cause, and reading one. The same services as the market pages."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Decimal, Integer, List, String

from landrights.accounts.views import current_actor
from landrights.api.certification import _file
from landrights.api.responses import ERRORS
from landrights.api.routing import Routes
from landrights.api.schemas import MONEY
from landrights.extensions import db
from landrights.market import contracts, documents
from landrights.market.inputs import DraftIn, RentIn, ScanIn, TerminationIn

TAG = ["Market"]

api = Routes()


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


@api.post("/listings/<int:listing_id>/contract")
@api.input(DraftIn, location="json")
@api.output(ContractOut, status_code=201)
@api.doc(summary="Generate the transfer contract with its statutory clauses (township officer)", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def draft_contract(listing_id, json_data):
    contract = contracts.draft_contract(db.session, current_actor(), listing_id=listing_id,
                                        transferee_address=json_data.get("transferee_address"))
    return contract


@api.post("/transfer-contracts/<code>/sign")
@api.output(ContractOut)
@api.doc(summary="Sign as the household or the transferee; both signed -> filed and in the ledger",
        tags=TAG, responses=[*ERRORS, 409])
@db.commits
def sign(code):
    contract = contracts.sign_contract(db.session, current_actor(), code=code)
    return contract


@api.post("/transfer-contracts/<code>/registration")
@api.output(ContractOut)
@api.doc(summary="Register a filed transfer of five years or more (R1.24; township officer)", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def register(code):
    contract = contracts.register_transfer(db.session, current_actor(), code=code)
    return contract


@api.post("/transfer-contracts/<code>/rent")
@api.input(RentIn, location="json")
@api.output(RentOut)
@api.doc(summary="Record a rent payment received by the household (R1.22)", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def record_rent(code, json_data):
    payment = contracts.record_rent(db.session, current_actor(), code=code, **json_data)
    return payment


@api.post("/transfer-contracts/<code>/termination")
@api.input(TerminationIn, location="json")
@api.output(ContractOut)
@api.doc(summary="Terminate for a statutory cause only (R1.25, R1.26)", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def terminate(code, json_data):
    contract = contracts.terminate(db.session, current_actor(), code=code, **json_data)
    return contract


@api.post("/transfer-contracts/<code>/scanned-signatures")
@api.input(ScanIn, location="json")
@api.output(ContractOut)
@api.doc(summary="The officer records both parties' signatures with the scan; the contract is filed",
        tags=TAG, responses=[*ERRORS, 409])
@db.commits
def scanned_signatures(code, json_data):
    contract = contracts.record_scanned_signatures(db.session, current_actor(), code=code,
                                                   scan=_file(json_data["scan"]),
                                                   signed_on=json_data.get("signed_on"),
                                                   entrustment_id=json_data.get("entrustment_id"))
    return contract


@api.get("/transfer-contracts/<code>")
@api.output(ContractOut)
@api.doc(summary="A transfer contract, to its parties and the officials of its area (an unknown code gets "
                "the same 403 as another's)", tags=TAG, responses=[401, 403])
def get_transfer_contract(code):
    return documents.contract_for(db.session, current_actor(), code)


def add_routes(bp) -> None:
    """Add this module's routes to the API blueprint."""
    api.register(bp)
