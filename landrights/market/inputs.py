"""The market's input contracts: what each use case takes, loaded by the JSON API (landrights.api.listings,
identities, transfer_contracts, retransfers, pledges) and by the market's pages
(web.actions.form_input) through the same schema, so both refuse the same input naming the same field.
Enumerations are the models'; codes are the shapes of landrights.patterns; ranges are landrights.ranges."""
from __future__ import annotations

import decimal

from apiflask import Schema
from apiflask.fields import Boolean, Date, Integer, List, Nested, String
from apiflask.validators import Length, Range

from landrights import patterns, ranges
from landrights.inputs import Amount, Code, Codes, FileIn, Whole, items, one_of
from landrights.market.models import (
    ENTRUSTED_ACTS,
    LAND_USES,
    MODES,
    TERMINATION_CAUSES,
    TRANSFEREE_KINDS,
)
from landrights.patterns import ID_NUMBER_MAX

ROW_ID = {"validate": ranges.ROW_ID.validate}


class TransfereeIn(Schema):
    kind = String(required=True, validate=one_of(TRANSFEREE_KINDS))
    name = String(required=True, validate=Length(min=1, max=100))
    operating_capacity = String(required=True, validate=Length(min=1),
                                metadata={"description": "agricultural operating capacity (R1.21(4))"})
    credit_code = String(validate=Length(max=30))
    id_number = String(validate=Length(max=ID_NUMBER_MAX), metadata={
        "description": "an individual only: the ID number of the person the account belongs to (verified "
                       "by the account); otherwise a township officer verifies the ID card later"})
    address = String(validate=[Length(min=1, max=200), ranges.not_blank], metadata={
        "description": "the transferee's domicile as on its licence or ID card, printed in its transfer "
                       "contracts when the officer gives none (R1.23(1))"})


class ReviewIn(Schema):
    transferee_id = Whole(required=True, **ROW_ID)
    county_code = String(required=True, validate=Code(patterns.COUNTY))
    approved = Boolean(required=True)
    max_area_mu = Amount(ranges.REVIEW_AREA, required=True,
                          metadata={"description": "0 to 150,000 mu"})
    qualification = String(required=True)
    project = String(required=True)
    risk_measures = String(required=True)
    valid_until = Date(required=True, validate=ranges.REVIEW_UNTIL.validate,
                       metadata={"description": "from today to 2100-12-31"})


AREA_FILTER = ranges.Span(ranges.PARCEL_AREA_MU.label, decimal.Decimal(0),
                          ranges.HOLDING_AREA_MAX_M2 * 15 / 10000)
PRICE_FILTER = ranges.Span(ranges.PRICE.label, decimal.Decimal(0), ranges.PRICE_MAX)


class ListingQuery(Schema):
    township = String(validate=Code(patterns.TOWNSHIP))
    land_use = String(validate=one_of(LAND_USES))
    min_area_mu = Amount(AREA_FILTER)
    max_price = Amount(PRICE_FILTER)
    limit = Integer(load_default=50, validate=Range(min=1, max=500))


class ListingIn(Schema):
    household_code = String(required=True, validate=Code(patterns.HOUSEHOLD))
    parcel_codes = List(String(validate=Code(patterns.PARCEL)), required=True, validate=items())
    mode = String(required=True, validate=one_of(MODES))
    term_start = Date(required=True, validate=ranges.TERM_START.validate)
    term_end = Date(required=True, validate=ranges.TERM_END.validate,
                    metadata={"description": "by the end of the household's contract (R1.21(3))"})
    reserve_price = Amount(ranges.PRICE, required=True,
                            metadata={"description": "yuan per mu per year, above 0, at most 100,000"})
    payment_schedule = String(required=True, validate=Length(min=1, max=200))
    land_use = String(required=True, validate=one_of(LAND_USES))
    conditions = String()
    entrustment_id = Whole(**ROW_ID, metadata={"description": "an agent's written entrustment (R2.4)"})


class DepositIn(Schema):
    transferee_id = Whole(required=True, **ROW_ID)
    amount_yuan = Amount(ranges.DEPOSIT, required=True)
    receipt = String(required=True, validate=Length(min=1, max=100))


class BidIn(Schema):
    price = Amount(ranges.PRICE, required=True,
                    metadata={"description": "yuan per mu per year"})


class RentIn(Schema):
    due_on = Date(required=True)
    paid_on = Date(required=True, validate=ranges.PAID_ON.validate,
                   metadata={"description": "not in the future"})


class TerminationIn(Schema):
    cause = String(required=True, metadata={"description": f"{', '.join(TERMINATION_CAUSES)} (R1.25)"})
    evidence = String(required=True, validate=Length(min=1, max=200))


class DraftIn(Schema):
    transferee_address = String(validate=Length(max=200), metadata={
        "description": "the transferee's address (domicile) as on its business licence or ID card; "
                       "needed unless the transferee is a farmer whose household's address is in "
                       "the register (R1.23(1))"})


class LapseIn(Schema):
    reason = String(required=True, validate=[Length(min=1, max=400), ranges.not_blank],
                    metadata={"description": "why the award lapses, e.g. the winner did not sign"})


class ScanIn(Schema):
    scan = Nested(FileIn, required=True, metadata={"description": "the paper contract signed by both"})
    signed_on = Date(validate=ranges.SIGNED_ON.validate, metadata={
        "description": "the date on the paper; default today; not before the award"})
    entrustment_id = Whole(validate=ranges.ROW_ID.validate, metadata={
        "description": "the household's side was signed by its agent under this entrustment, in force "
                       "that day for signing all the contract's parcels (R2.4)"})


class ConsentIn(Schema):
    until = Date(validate=ranges.CONSENT_UNTIL.validate,
                 metadata={"description": "latest last day of a re-transfer; default the transfer's end"})
    signer_name = String(validate=Length(max=100))
    scan = Nested(FileIn, metadata={"description": "required when the officer records it (R1.29)"})


class RetransferIn(Schema):
    to_transferee_id = Whole(required=True, validate=ranges.ROW_ID.validate)
    term_start = Date(required=True, validate=ranges.TERM_START.validate)
    term_end = Date(required=True, validate=ranges.TERM_END.validate)
    price = Amount(ranges.PRICE, required=True,
                    metadata={"description": "yuan per mu per year"})
    payment_schedule = String(required=True, validate=Length(min=1, max=200))


class PledgeIn(Schema):
    household_code = String(required=True, validate=Code(patterns.HOUSEHOLD))
    parcel_codes = Codes(patterns.PARCEL, required=True, validate=items())  # the page's one box too
    creditor = String(required=True, validate=Length(min=1, max=100))
    amount_yuan = Amount(ranges.PLEDGE_AMOUNT, required=True)
    term_start = Date(required=True, validate=ranges.TERM_START.validate)
    term_end = Date(required=True, validate=ranges.TERM_END.validate)
    document = String(required=True, validate=Length(min=1, max=200))
    contract_code = String(validate=Code(patterns.TRANSFER_CONTRACT),
                           metadata={"description": "a transferee's pledge"})
    consent_document = String(validate=Length(max=200),
                              metadata={"description": "the household's written consent (R1.30)"})


class ReleaseIn(Schema):
    document = String(required=True, validate=Length(min=1, max=200))


class IdentityIn(Schema):
    id_number = String(required=True, validate=Length(min=2, max=ID_NUMBER_MAX))
    document = String(validate=Length(max=200), metadata={
        "description": "the township officer: the identity document seen (type, issuer, validity)"})


class ReasonIn(Schema):
    reason = String(required=True, validate=[Length(min=1, max=200), ranges.not_blank])


class EntrustmentIn(Schema):
    household_code = String(required=True, validate=Code(patterns.HOUSEHOLD))
    agent_username = String(required=True, validate=Length(min=1, max=64))
    parcel_codes = List(String(validate=Code(patterns.PARCEL)), required=True, validate=items(1, 200))
    acts = List(String(validate=one_of(ENTRUSTED_ACTS)), required=True,
                validate=items(1, len(ENTRUSTED_ACTS)), metadata={
                    "description": "list, withdraw_listing, sign (the transfer contract); never a "
                                   "withdrawal of rights (G3: the holder's own request only)"})
    valid_from = Date(required=True, validate=ranges.TERM_START.validate)
    valid_to = Date(required=True, validate=ranges.TERM_END.validate,
                    metadata={"description": "the last day; by the end of the household's contract"})
    transfer_until = Date(required=True, validate=ranges.TERM_END.validate,
                          metadata={"description": "no transfer the agent makes ends later"})
    min_price = Amount(ranges.PRICE, required=True,
                        metadata={"description": "the lowest price per mu and year the agent may accept"})
    scope = String(required=True, validate=[Length(min=1, max=2000), ranges.not_blank],
                   metadata={"description": "the matters and authority, as the 委托书 states them"})
    document = String(validate=Length(max=200), metadata={"description": "the paper's number or date"})
    scan = Nested(FileIn, metadata={"description": "required when the officer records the paper signed "
                                                   "by both (PDF, JPEG or PNG up to 10 MB)"})


class AddressIn(Schema):
    address = String(required=True, allow_none=True, validate=[Length(min=1, max=200), ranges.not_blank],
                     metadata={"description": "the domicile as on the licence or ID card; null clears it"})
