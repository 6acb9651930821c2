"""The registry's JSON routes: parcels, households, persons, contracts; survey imports and quality
rules."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _

from landrights.accounts.views import current_actor
from landrights.api import schemas as s
from landrights.api import serializers as out
from landrights.api.responses import ERRORS
from landrights.api.routing import Routes
from landrights.errors import ValidationFailed
from landrights.extensions import db
from landrights.geo.geojson import GeoJSONError, from_geojson
from landrights.registry import queries, services
from landrights.survey import services as survey
from landrights.survey.inputs import SurveyIn
from landrights.survey.uploads import import_upload

api = Routes()


def _collection(page) -> dict:
    features = [out.parcel_feature(item) for item in page.items]
    return {"type": "FeatureCollection", "features": features,
            "numberMatched": page.total, "numberReturned": len(features)}


@api.get("/parcels")
@api.input(s.ParcelQuery, location="query")
@api.output(s.FeatureCollection)
@api.doc(summary="List live parcels (GeoJSON), filtered by bbox, collective, status; paged",
        responses=ERRORS)
def list_parcels(query_data):
    page = queries.list_parcels(db.session, current_actor(), bbox=s.read_bbox(query_data.get("bbox")),
                                collective=query_data.get("collective"),
                                status=query_data.get("status"),
                                limit=query_data["limit"], offset=query_data["offset"])
    return _collection(page)


@api.post("/parcels")
@api.input(s.ParcelIn, location="json")
@api.output(s.Feature, status_code=201)
@api.doc(summary="Register a surveyed parcel (township officer)", responses=[400, *ERRORS, 409])
@db.commits
def create_parcel(json_data):
    props = dict(json_data["properties"])
    code = str(props.pop("code", ""))
    try:
        geom = from_geojson(json_data["geometry"])
    except GeoJSONError:
        raise ValidationFailed(_("geometry is not a GeoJSON Polygon or MultiPolygon"),
                               field="geometry", rule="RFC 7946") from None
    parcel = services.add_parcel(db.session, current_actor(), code=code, geometry=geom,
                                 srid=json_data["srid"], **props)
    return out.parcel_detail(queries.get_parcel(db.session, current_actor(), parcel.code))


@api.get("/parcels/at")
@api.input(s.PointQuery, location="query")
@api.output(s.Feature)
@api.doc(summary="The live parcel containing a point (lon/lat, EPSG:4490), as by its code; 404 if "
                "none you may see lies there", responses=ERRORS)
@db.reads_only
def parcel_at(query_data):
    lon, lat = query_data["lon"], query_data["lat"]  # in range: the schema's
    return out.parcel_detail(queries.parcel_at(db.session, current_actor(), lon, lat))


@api.get("/parcels/<code>")
@api.input(s.AsOfQuery, location="query")
@api.output(s.Feature)
@api.doc(summary="One parcel as a GeoJSON Feature with area in m² and mu (live or as of a time)",
        responses=ERRORS)
@db.reads_only
def get_parcel(code, query_data):
    found = queries.get_parcel(db.session, current_actor(), code, as_of=query_data.get("as_of"))
    return out.parcel_detail(found)


@api.get("/parcels/<code>/history")
@api.output(s.FeatureCollection)
@api.doc(summary="Every version of a parcel, oldest first", responses=ERRORS)
def parcel_history(code):
    actor = current_actor()
    versions = queries.parcel_history(db.session, actor, code)
    features = [out.parcel_detail(queries.get_parcel(db.session, actor, code, as_of=v.valid_from))
                for v in versions]
    return {"type": "FeatureCollection", "features": features,
            "numberMatched": len(features), "numberReturned": len(features)}


@api.get("/households")
@api.input(s.HouseholdQuery, location="query")
@api.output(s.HouseholdPage)
@api.doc(summary="List households (承包方) in your area", responses=ERRORS)
def list_households(query_data):
    actor = current_actor()
    page = queries.list_households(db.session, actor, collective=query_data.get("collective"),
                                   limit=query_data["limit"], offset=query_data["offset"])
    return {"items": [out.household_dict(actor, {"household": h}) for h in page.items],
            "total": page.total}


@api.get("/households/<code>")
@api.output(s.HouseholdOut)
@api.doc(summary="One household with members and its contract", responses=ERRORS)
def get_household(code):
    actor = current_actor()
    return out.household_dict(actor, queries.get_household(db.session, actor, code))


@api.get("/persons")
@api.input(s.PersonQuery, location="query")
@api.output(s.PersonPage)
@api.doc(summary="List household members; ID numbers and phones masked unless your job needs them",
        responses=ERRORS)
def list_persons(query_data):
    actor = current_actor()
    page = queries.list_persons(db.session, actor, household=query_data.get("household"),
                                limit=query_data["limit"], offset=query_data["offset"])
    return {"items": [out.person_dict(actor, p, hh, rel) for p, hh, rel in page.items],
            "total": page.total}


@api.post("/persons")
@api.input(s.PersonIn, location="json")
@api.output(s.PersonOut, status_code=201)
@api.doc(summary="Register a person; an ID card number must pass the GB 11643 check",
        responses=[400, *ERRORS, 409])
@db.commits
def create_person(json_data):
    actor = current_actor()
    person = services.add_person(db.session, actor, **json_data)
    return out.person_dict(actor, person, None, None)


@api.get("/contracts")
@api.input(s.HouseholdQuery, location="query")
@api.output(s.ContractPage)
@api.doc(summary="List live contracts (承包合同) in your area", responses=ERRORS)
def list_contracts(query_data):
    page = queries.list_contracts(db.session, current_actor(),
                                  collective=query_data.get("collective"),
                                  limit=query_data["limit"], offset=query_data["offset"])
    return {"items": [out.contract_dict(c) for c in page.items], "total": page.total}


@api.get("/contracts/<code>")
@api.input(s.AsOfQuery, location="query")
@api.output(s.ContractOut)
@api.doc(summary="One contract version with its parcels and confirmed area", responses=ERRORS)
def get_contract(code, query_data):
    found = queries.get_contract(db.session, current_actor(), code, as_of=query_data.get("as_of"))
    return out.contract_dict(found["contract"])


@api.post("/surveys")
@api.input(SurveyIn, location="form_and_files")
@api.output(s.SurveyReport, status_code=201)
@api.doc(summary="Import a survey file for a collective; returns the report with every finding",
        tags=["Survey"], responses=[400, 413, *ERRORS])
def create_survey(form_and_files_data):
    data = form_and_files_data
    record = import_upload(data["file"], collective=data["collective"],
                           encoding=data.get("encoding"), crs=data.get("crs"),
                           all_or_nothing=data["all_or_nothing"])
    return survey.report(db.session, record, str(get_locale()))


@api.get("/surveys/<int:import_id>")
@api.output(s.SurveyReport)
@api.doc(summary="The report of one survey import", tags=["Survey"], responses=ERRORS)
def get_survey(import_id):
    record = survey.get_import(db.session, current_actor(), import_id)
    return survey.report(db.session, record, str(get_locale()))


@api.get("/quality-rules")
@api.input(s.RuleQuery, location="query")
@api.output(s.RuleList)
@api.doc(summary="Quality rules of a moment and whether the county has them on", tags=["Survey"],
        responses=ERRORS)
def list_quality_rules(query_data):
    en = str(get_locale()) == "en"
    pairs = survey.list_rules(db.session, current_actor(), query_data["county"],
                              query_data["moment"])
    return {"items": [{"id": r.id, "moment": r.moment, "severity": r.severity, "target": r.target,
                       "description": r.description_en if en else r.description_zh,
                       "enabled": on, "params": r.params, "rule_ref": r.rule_ref}
                      for r, on in pairs]}


def add_routes(bp) -> None:
    """Add this module's routes to the API blueprint."""
    api.register(bp)
