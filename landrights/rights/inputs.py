"""Retained rights' input contracts: what each use case takes, loaded by the JSON API
(landrights.api.rights) and by the pages (web.actions.form_input) through the same schema, so both refuse
the same input naming the same field. No schema takes a settlement as input to anything but the
settlement record itself (G2)."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Date, List, Nested, String
from apiflask.validators import Length

from landrights import patterns, ranges
from landrights.inputs import ID_NUMBER, Amount, Code, FileIn, one_of
from landrights.rights.models import KINDS


class SettlementIn(Schema):
    id_number = String(required=True, validate=ID_NUMBER)
    settled_on = Date(required=True, validate=ranges.SETTLED_ON.validate,
                      metadata={"description": "1958-01-09 (hukou regulation) to today"})
    city = String(required=True, validate=Length(min=1, max=100))
    document = String(required=True, validate=Length(min=1, max=200))
    address = String(validate=Length(max=200))


class WithdrawalIn(Schema):
    household_code = String(required=True, validate=Code(patterns.HOUSEHOLD))
    kind = String(required=True, validate=one_of(KINDS))
    compensation_yuan = Amount(ranges.COMPENSATION, places=2, required=True)
    improvement_yuan = Amount(ranges.IMPROVEMENT, places=2,
                               metadata={"description": "part of the compensation (R1.11)"})
    notice_on = Date(validate=ranges.NOTICE_ON.validate, metadata={"description": (
        "The day the written notice was given (R1.14); the six months for contracted land run from "
        "it. The holder filing in the app leaves it out: the request is the notice, given on the day "
        "of filing (the server's clock, China Standard Time); any other date is refused (422). A "
        "township officer recording the holder's signed paper (with scan) gives the date on it: not "
        "after the day of filing, at most 30 days before it.")})
    effective_on = Date(required=True, validate=ranges.EFFECTIVE_ON.validate, metadata={
        "description": "contracted land: six months after the notice at the earliest (R1.14)"})
    parcel_codes = List(String(validate=Code(patterns.PARCEL)))
    homestead_code = String()
    share_id_number = String(validate=ID_NUMBER)
    share_quantity = Amount(ranges.SHARE_QUANTITY, places=4)
    signed_by = String(validate=Length(max=100))
    scan = Nested(FileIn, metadata={"description": "the holder's signed request, when an officer records it"})


class ReviewIn(Schema):
    voluntary = Boolean(required=True)
    note = String(required=True, validate=Length(min=1))
