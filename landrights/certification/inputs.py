"""The confirmation path's input contracts: what each use case takes, loaded by the JSON API
(landrights.api.certification) and by the pages (web.actions.form_input) through the same schema, so both
refuse the same input naming the same field."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Dict, List, Nested, String
from apiflask.validators import Length
from flask_babel import lazy_gettext as _l

from landrights import patterns, ranges
from landrights.certification.rules import CERTIFICATE_CHANGES, OBJECTION_DECISIONS, OBJECTION_FILERS
from landrights.inputs import ID_NUMBER, Amount, Code, Codes, FileIn, Whole, items, one_of
from landrights.registry import codes

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


def _text(most: int, **kwargs) -> String:
    """A parcel's or member's text field of at most `most` characters (its column's), null to clear it."""
    return String(allow_none=True, validate=Length(max=most), **kwargs)


class ParcelChangesIn(Schema):
    """The corrected fields of a parcel an upheld objection was against (NY/T 2539, R4.18); the
    coded ones from the code tables (registry.codes), the others as long as their columns."""

    name = _text(100)
    ownership = _text(2, metadata={"description": "SYQXZ (R4.21)"})
    category = String(allow_none=True, validate=one_of(codes.PARCEL_CATEGORIES),
                      metadata={"description": "DKLB (R4.22)"})
    land_use_type = _text(4, metadata={"description": "TDLYLX (R4.31)"})
    soil_grade = String(allow_none=True, validate=one_of(codes.SOIL_GRADES),
                        metadata={"description": "DLDJ (R4.23)"})
    land_use = String(allow_none=True, validate=one_of(codes.LAND_USES),
                      metadata={"description": "TDYT (R4.24)"})
    is_basic_farmland = Boolean(allow_none=True)
    east = _text(100)
    south = _text(100)
    west = _text(100)
    north = _text(100)
    pointer_name = _text(50)
    remark = _text(200)
    surveyed_area_m2 = Amount(ranges.PARCEL_AREA, allow_none=True)
    surveyed_area_mu = Amount(ranges.PARCEL_AREA_MU, allow_none=True)
    extra = Dict(allow_none=True, metadata={"description": "attributes outside NY/T 2539"})


class MemberChangeIn(Schema):
    """One member of the household an upheld objection was against: removed, or corrected."""

    id_number = String(required=True, validate=ID_NUMBER)
    remove = Boolean(metadata={"description": "not a member: the membership ends"})
    is_co_holder = Boolean()
    relation = String(validate=Length(max=2), metadata={"description": "YHZGX (GB/T 4761, R4.29)"})
    remark_code = _text(2, metadata={"description": "CYBZ (R4.28)"})
    remark_text = _text(200)


class DecisionIn(Schema):
    decision = String(required=True, validate=one_of(OBJECTION_DECISIONS))
    reason = String(required=True, validate=Length(min=1, max=4000))
    document = String(validate=Length(max=200))
    parcel_changes = Nested(ParcelChangesIn, metadata={"description": "an objection against a parcel"})
    reassign_to = String(validate=Code(patterns.HOUSEHOLD))
    member_changes = List(Nested(MemberChangeIn),
                          metadata={"description": "an objection against the household record"})


class ClaimIn(Schema):
    """The surveyed parcels a household holds (承包地块归户), as the officer types them in one box
    (a page only: no API twin)."""

    parcel_codes = Codes(patterns.PARCEL, required=True, validate=items())


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
