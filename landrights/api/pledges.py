"""JSON API of pledges of the management right (融资担保, R1.30; tag Market): file one, release one."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Decimal, Integer, List, String

from landrights.accounts.views import current_actor
from landrights.api.responses import ERRORS
from landrights.api.routing import Routes
from landrights.api.schemas import MONEY
from landrights.extensions import db
from landrights.market import pledges
from landrights.market.inputs import PledgeIn, ReleaseIn

TAG = ["Market"]

api = Routes()


class PledgeOut(Schema):
    id = Integer()
    household_code = String()
    pledgor = String()
    creditor = String()
    amount_yuan = Decimal(**MONEY)
    parcel_codes = List(String())
    status = String()


@api.post("/pledges")
@api.input(PledgeIn, location="json")
@api.output(PledgeOut, status_code=201)
@api.doc(summary="File a pledge of the management right (融资担保, R1.30; township officer)", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def record_pledge(json_data):
    pledge = pledges.record_pledge(db.session, current_actor(), **json_data)
    return pledge


@api.post("/pledges/<int:pledge_id>/release")
@api.input(ReleaseIn, location="json")
@api.output(PledgeOut)
@api.doc(summary="Release a pledge (township officer)", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def release_pledge(pledge_id, json_data):
    pledge = pledges.release_pledge(db.session, current_actor(), pledge_id=pledge_id,
                                    document=json_data["document"])
    return pledge


def add_routes(bp) -> None:
    """Add this module's routes to the API blueprint."""
    api.register(bp)
