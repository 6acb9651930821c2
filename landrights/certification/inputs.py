"""The confirmation path's input contracts: what each use case takes, loaded by the JSON API
(landrights.api.certification) and by the pages (web.actions.form_input) through the same schema, so both
refuse the same input naming the same field."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Dict, List, Nested, String
from apiflask.validators import Length
from flask_babel import lazy_gettext as _l

from landrights import patterns, ranges
from landrights.certification.rules import CERTIFICATE_CHANGES, OBJECTION_DECISIONS, OBJECTION_FILERS
from landrights.inputs import Code, FileIn, Whole, one_of

_SAY_WHAT = _l("Say what is wrong.")  # as the service says it (R5.4): beside the box, in her words


class NoticeIn(Schema):
    collective_code = String(required=True, validate=Code(patterns.COLLECTIVE))
    days = Whole(validate=ranges.NOTICE_DAYS.validate,
                 metadata={"description": "days on display; at least the configured minimum (R5.3)"})
    place = String(validate=Length(max=200))


class ObjectionIn(Schema):
    household_code = String(required=True, validate=Code(patterns.HOUSEHOLD))
    parcel_code = String(validate=Code(patterns.PARCEL),
                         metadata={"description": "omit: the household record"})
    text = String(required=True, validate=[Length(min=1, error=_SAY_WHAT), Length(max=4000)],
                  error_messages={"required": _SAY_WHAT, "null": _SAY_WHAT})
    filer_name = String(metadata={"description": "township officer recording a paper objection"})
    filer_kind = String(validate=one_of(OBJECTION_FILERS))
    evidence = Nested(FileIn)


class DecisionIn(Schema):
    decision = String(required=True, validate=one_of(OBJECTION_DECISIONS))
    reason = String(required=True, validate=Length(min=1, max=4000))
    document = String(validate=Length(max=200))
    parcel_changes = Dict(metadata={"description": "name, east, south, west, north, remark, ..."})
    reassign_to = String(validate=Code(patterns.HOUSEHOLD))
    member_changes = List(Dict(), metadata={"description": "[{id_number, is_co_holder|remove, ...}]"})


class SignOffIn(Schema):
    signer_name = String(validate=Length(max=100))
    scan = Nested(FileIn, metadata={"description": "required when an officer records it (R5.5)"})


class CertificateIn(Schema):
    code = String(required=True, validate=Code(patterns.CONTRACT))
    # a new issue after the last certificate was cancelled says why (R3.6); a first issue needs neither
    reason = String(validate=Length(max=2000))
    document = String(validate=Length(max=200))


class CertificateChangeIn(Schema):
    action = String(required=True, validate=one_of(CERTIFICATE_CHANGES))
    reason = String(required=True, validate=Length(min=1))
    document = String(required=True, validate=Length(min=1, max=200))
