"""JSON API of the market's later steps (tag Market): scanned signatures, re-transfer with consent,
pledges, and the listing parcels as bbox-limited GeoJSON for the market map."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Date, DateTime, Decimal, Integer, List, Nested, String
from apiflask.validators import OneOf, Range
from flask import current_app

from landrights import patterns, ranges
from landrights.accounts.views import current_actor
from landrights.api import _ERRORS, _bbox, bp
from landrights.api import schemas as s
from landrights.api.certification import _file
from landrights.api.market import AREA_FILTER, MONEY, PRICE_FILTER, TAG, ContractOut
from landrights.api.openapi import public
from landrights.extensions import db
from landrights.inputs import Amount, Code, one_of
from landrights.market import contracts, documents, pledges, queries, retransfers
from landrights.market.inputs import ConsentIn, PledgeIn, ReleaseIn, RetransferIn, ScanIn
from landrights.market.models import LAND_USES


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


class PledgeOut(Schema):
    id = Integer()
    household_code = String()
    pledgor = String()
    creditor = String()
    amount_yuan = Decimal(**MONEY)
    parcel_codes = List(String())
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


@bp.get("/listings/parcels")
@bp.input(MapQuery, location="query")
@bp.output(s.FeatureCollection)
@bp.doc(summary="Parcels of open listings (or one listing) in a bbox, as GeoJSON; no personal data",
        tags=TAG, responses=[422])
@public
def listing_parcels(query_data):
    args = dict(query_data)
    bbox = _bbox(args.pop("bbox"))
    limit = min(args.pop("limit"), current_app.config.get("MAP_MAX_FEATURES", 1500))
    return queries.listing_parcel_features(db.session, bbox=bbox, listing_id=args.pop("listing", None),
                                           limit=limit, **args)


@bp.post("/transfer-contracts/<code>/scanned-signatures")
@bp.input(ScanIn, location="json")
@bp.output(ContractOut)
@bp.doc(summary="The officer records both parties' signatures with the scan; the contract is filed",
        tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def scanned_signatures(code, json_data):
    contract = contracts.record_scanned_signatures(db.session, current_actor(), code=code,
                                                   scan=_file(json_data["scan"]),
                                                   signed_on=json_data.get("signed_on"),
                                                   entrustment_id=json_data.get("entrustment_id"))
    return contract


@bp.post("/transfer-contracts/<code>/retransfer-consents")
@bp.input(ConsentIn, location="json")
@bp.output(ConsentOut, status_code=201)
@bp.doc(summary="The household's written consent to a re-transfer (R1.29): itself, or the officer "
                "with the scan", tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def retransfer_consent(code, json_data):
    consent = retransfers.consent_to_retransfer(db.session, current_actor(), code=code,
                                                until=json_data.get("until"),
                                                scan=_file(json_data.get("scan")),
                                                signer_name=json_data.get("signer_name"))
    return consent


@bp.post("/transfer-contracts/<code>/retransfers")
@bp.input(RetransferIn, location="json")
@bp.output(RetransferOut, status_code=201)
@bp.doc(summary="Re-transfer (再流转) as the transferee, within the remaining term, with the "
                "household's consent (R1.29)", tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def create_retransfer(code, json_data):
    done = retransfers.retransfer(db.session, current_actor(), code=code, **json_data)
    return done


@bp.post("/retransfers/<code>/sign")
@bp.output(RetransferOut)
@bp.doc(summary="Sign a re-transfer as the new transferee; it is filed and in the ledger", tags=TAG,
        responses=[*_ERRORS, 409])
@db.commits
def sign_retransfer(code):
    done = retransfers.sign_retransfer(db.session, current_actor(), code=code)
    return done


@bp.post("/pledges")
@bp.input(PledgeIn, location="json")
@bp.output(PledgeOut, status_code=201)
@bp.doc(summary="File a pledge of the management right (融资担保, R1.30; township officer)", tags=TAG,
        responses=[*_ERRORS, 409])
@db.commits
def record_pledge(json_data):
    pledge = pledges.record_pledge(db.session, current_actor(), **json_data)
    return pledge


@bp.post("/pledges/<int:pledge_id>/release")
@bp.input(ReleaseIn, location="json")
@bp.output(PledgeOut)
@bp.doc(summary="Release a pledge (township officer)", tags=TAG, responses=[*_ERRORS, 409])
@db.commits
def release_pledge(pledge_id, json_data):
    pledge = pledges.release_pledge(db.session, current_actor(), pledge_id=pledge_id,
                                    document=json_data["document"])
    return pledge


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


@bp.get("/listings/<int:listing_id>/bids")
@bp.output(BidList)
@bp.doc(summary="A listing's bids, best first: all of them to the household, its agent and the officials "
                "of its area; a bidder's own to a bidder", tags=TAG, responses=[401, 403, 404])
def listing_bids(listing_id):
    scope, rows = queries.listing_bids(db.session, current_actor(), listing_id)
    return {"scope": scope, "items": [
        {"id": bid.id, "listing_id": bid.listing_id, "transferee_id": bid.transferee_id,
         "transferee_name": name, "price": bid.price, "placed_at": bid.placed_at} for bid, name in rows]}


@bp.get("/transfer-contracts/<code>")
@bp.output(ContractOut)
@bp.doc(summary="A transfer contract, to its parties and the officials of its area (an unknown code gets "
                "the same 403 as another's)", tags=TAG, responses=[401, 403])
def get_transfer_contract(code):
    return documents.contract_for(db.session, current_actor(), code)
