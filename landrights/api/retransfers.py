"""JSON API of re-transfers (再流转, R1.29; tag Market): the household's written consent, the
transferee's re-transfer and the new transferee's signature."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Date, Decimal, Integer, String

from landrights.accounts.views import current_actor
from landrights.api.certification import _file
from landrights.api.responses import ERRORS
from landrights.api.routing import Routes
from landrights.api.schemas import MONEY
from landrights.extensions import db
from landrights.market import retransfers
from landrights.market.inputs import ConsentIn, RetransferIn

TAG = ["Market"]

api = Routes()


class ConsentOut(Schema):
    id = Integer()
    until = Date()
    method = String()


class RetransferOut(Schema):
    code = String()
    status = String()
    to_transferee_id = Integer()
    price = Decimal(**MONEY)
    annual_rent_yuan = Decimal(**MONEY)


@api.post("/transfer-contracts/<code>/retransfer-consents")
@api.input(ConsentIn, location="json")
@api.output(ConsentOut, status_code=201)
@api.doc(summary="The household's written consent to a re-transfer (R1.29): itself, or the officer "
                "with the scan", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def retransfer_consent(code, json_data):
    consent = retransfers.consent_to_retransfer(db.session, current_actor(), code=code,
                                                until=json_data.get("until"),
                                                scan=_file(json_data.get("scan")),
                                                signer_name=json_data.get("signer_name"))
    return consent


@api.post("/transfer-contracts/<code>/retransfers")
@api.input(RetransferIn, location="json")
@api.output(RetransferOut, status_code=201)
@api.doc(summary="Re-transfer (再流转) as the transferee, within the remaining term, with the "
                "household's consent (R1.29)", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def create_retransfer(code, json_data):
    done = retransfers.retransfer(db.session, current_actor(), code=code, **json_data)
    return done


@api.post("/retransfers/<code>/sign")
@api.output(RetransferOut)
@api.doc(summary="Sign a re-transfer as the new transferee; it is filed and in the ledger", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def sign_retransfer(code):
    done = retransfers.sign_retransfer(db.session, current_actor(), code=code)
    return done


def add_routes(bp) -> None:
    """Add this module's routes to the API blueprint."""
    api.register(bp)
