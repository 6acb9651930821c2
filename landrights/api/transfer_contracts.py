"""JSON API of one transfer contract (tag Market): reading it, and the officer's record of both
parties' signatures with the signed paper's scan."""
from __future__ import annotations

from landrights.accounts.views import current_actor
from landrights.api import _ERRORS
from landrights.api.certification import _file
from landrights.api.market import TAG, ContractOut
from landrights.api.routing import Routes
from landrights.extensions import db
from landrights.market import contracts, documents
from landrights.market.inputs import ScanIn

api = Routes()


@api.post("/transfer-contracts/<code>/scanned-signatures")
@api.input(ScanIn, location="json")
@api.output(ContractOut)
@api.doc(summary="The officer records both parties' signatures with the scan; the contract is filed",
        tags=TAG, responses=[*_ERRORS, 409])
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
