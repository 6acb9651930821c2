"""Marshmallow schemas: input validation and the OpenAPI document of /api/v1."""
from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from landrights import patterns, ranges
from landrights.errors import ValidationFailed
from landrights.geo.geojson import BBoxError, parse_bbox
from landrights.inputs import ID_NUMBER, Code, Whole
from landrights.registry.rules import ID_TYPES

OFFSET_MAX = 10_000_000  # ten times the parcels of the largest county: deeper pages use a filter
_NUMBER = r"\s*[-+]?\d+(\.\d+)?\s*"
BBOX = Regexp(rf"^{_NUMBER}(,{_NUMBER}){{3}}$", error=_l(
    "bbox must be four numbers minLon,minLat,maxLon,maxLat with min below max"))
MONEY = {"places": 2, "as_string": True}  # a Decimal output field's amount of yuan


def read_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """Read a query's bbox parameter (None when absent).

    Raises:
        ValidationFailed: not four numbers minLon,minLat,maxLon,maxLat with min below max (field bbox).
    """
    if not text:
        return None
    try:
        return parse_bbox(text)
    except BBoxError:
        raise ValidationFailed(_("bbox must be four numbers minLon,minLat,maxLon,maxLat with min "
                                 "below max"), field="bbox") from None


class PageQuery(Schema):
    limit = Integer(load_default=100, validate=Range(min=1, max=2000))
    offset = Integer(load_default=0, validate=Range(min=0, max=OFFSET_MAX, error=_l(
        "offset must be a whole number from {min} to {max}.")))


class ParcelQuery(PageQuery):
    bbox = String(validate=BBOX,
                  metadata={"description": "minLon,minLat,maxLon,maxLat (EPSG:4490 degrees), min below max"})
    collective = String(validate=Code(patterns.COLLECTIVE))
    status = String(validate=OneOf(["surveyed", "registered"]))


class PointQuery(Schema):
    lon = Float(required=True, validate=Range(min=-180, max=180, error=_l(
        "lon must be a longitude from -180 to 180 degrees")), metadata={"description": "EPSG:4490 degrees"})
    lat = Float(required=True, validate=Range(min=-90, max=90, error=_l(
        "lat must be a latitude from -90 to 90 degrees")), metadata={"description": "EPSG:4490 degrees"})


class AsOfQuery(Schema):
    as_of = DateTime(metadata={"description": "show the version valid at this time (ISO 8601)"})


class HouseholdQuery(PageQuery):
    collective = String(validate=Code(patterns.COLLECTIVE))


class PersonQuery(PageQuery):
    household = String(validate=Code(patterns.HOUSEHOLD))


class Feature(Schema):
    type = String(required=True)
    id = String()
    geometry = Dict(required=True)
    properties = Dict(required=True)


class FeatureCollection(Schema):
    type = String(required=True)
    features = List(Nested(Feature), required=True)
    numberMatched = Integer()
    numberReturned = Integer()


class ParcelIn(Schema):
    type = String(required=True, validate=OneOf(["Feature"]))
    geometry = Dict(required=True, metadata={"description": "Polygon/MultiPolygon, lon/lat"})
    properties = Dict(required=True, metadata={
        "description": "code (DKBM, 19 digits) and NY/T 2539 fields: name, category, "
                       "land_use_type, soil_grade, land_use, is_basic_farmland, east, south, "
                       "west, north, pointer_name, remark, surveyed_area_m2"})
    srid = Integer(load_default=4490, metadata={"description": "must be 4490 (CGCS2000)"})


class PersonIn(Schema):
    county_code = String(required=True, validate=Code(patterns.COUNTY))
    name = String(required=True, validate=Length(min=1, max=50))
    sex = Integer(required=True, validate=OneOf([1, 2]))
    id_type = Whole(required=True, validate=OneOf(list(ID_TYPES)),
                      metadata={"description": "R4.26: 1 ID card, 2 officer, 3 organization, 4 household "
                                               "register, 5 passport, 9 other"})
    id_number = String(required=True, validate=[ID_NUMBER, ranges.not_blank],
                       metadata={"description": "trimmed; the shape of its type (GB 11643 for type 1)"})
    birth_date = Date(allow_none=True, validate=ranges.BIRTH_DATE.validate,
                      metadata={"description": "1900-01-01 to today"})
    phone = String(allow_none=True, validate=Length(max=30))
    hukou_address = String(allow_none=True, validate=Length(max=200))
    residence_address = String(allow_none=True, validate=Length(max=200))


class PersonOut(Schema):
    id = Integer()
    name = String()
    sex = Integer()
    id_type = Integer()
    id_number = String(metadata={"description": "masked unless the viewer's job needs it"})
    phone = String(allow_none=True)
    household_code = String(allow_none=True)
    relation = String(allow_none=True)


class PersonPage(Schema):
    items = List(Nested(PersonOut))
    total = Integer()


class MemberOut(Schema):
    name = String()
    sex = Integer()
    relation = String()
    is_co_holder = Boolean()
    remark_code = String(allow_none=True)
    remark_text = String(allow_none=True)
    id_number = String()


class ContractParcelOut(Schema):
    parcel_code = String()
    contract_area_m2 = Float(allow_none=True)
    confirmed_area_m2 = Float()
    confirmed_area_mu = Float()


class ContractOut(Schema):
    code = String()
    version = Integer()
    household_code = String()
    mode = String()
    term_start = Date()
    term_end = Date()
    status = String()
    registered_at = DateTime(allow_none=True)
    total_confirmed_area_m2 = Float()
    total_confirmed_area_mu = Float()
    parcel_count = Integer()
    parcels = List(Nested(ContractParcelOut))


class ContractPage(Schema):
    items = List(Nested(ContractOut))
    total = Integer()


class HouseholdOut(Schema):
    code = String()
    name = String()
    type = Integer()
    collective_code = String()
    address = String(allow_none=True)
    phone = String(allow_none=True)
    members = List(Nested(MemberOut))
    contract = Nested(ContractOut, allow_none=True)


class HouseholdPage(Schema):
    items = List(Nested(HouseholdOut))
    total = Integer()


class ErrorDetail(Schema):
    code = String(required=True, metadata={"description": (
        "bad_request, unauthenticated, forbidden, not_found, method_not_allowed, conflict, too_large, "
        "validation_failed, ...")})
    message = String(required=True, metadata={"description": "in the user's language (?lang=zh|en)"})
    field = String(required=True, allow_none=True, metadata={"description": "the field at fault, if one"})
    rule = String(metadata={"description": "the rule id that refused the value (e.g. R1.14), if one"})
    in_ = String(data_key="in", validate=OneOf(["body", "query", "path", "header"]), metadata={
        "description": "where the value the document describes was refused (its shape or range); absent "
                       "when a rule of the registry refused it (its state, today's date, another field)"})


class Error(Schema):
    error = Nested(ErrorDetail, required=True)


class FindingOut(Schema):
    parcel_code = String(allow_none=True)
    row = Integer(allow_none=True)
    rule = String()
    severity = String()
    message = String()
    location = Dict(allow_none=True, metadata={"description": "GeoJSON geometry, EPSG:4490"})


class SurveyReport(Schema):
    id = Integer()
    collective = String()
    filename = String()
    features = Integer()
    imported = Integer()
    rejected = Integer()
    encoding = String()
    source_crs = String()
    classes = Dict()
    findings = List(Nested(FindingOut))


class RuleQuery(Schema):
    county = String(required=True, validate=Code(patterns.COUNTY))
    moment = String(load_default="import", validate=OneOf(["import", "confirmation", "handup"]))


class RuleOut(Schema):
    id = String()
    moment = String()
    severity = String()
    target = String()
    description = String()
    enabled = Boolean()
    params = Dict()
    rule_ref = String(allow_none=True)


class RuleList(Schema):
    items = List(Nested(RuleOut))
