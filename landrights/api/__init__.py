"""JSON API under /api/v1, described at /api/v1/openapi.json. It calls the same services and
queries as the web pages."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from landrights.accounts.views import current_actor
from landrights.api import schemas as s
from landrights.api import serializers as out
from landrights.errors import Unauthenticated, ValidationFailed
from landrights.extensions import csrf, db
from landrights.geo.geojson import BBoxError, GeoJSONError, from_geojson, parse_bbox
from landrights.inputs import words
from landrights.registry import queries, services
from landrights.survey import services as survey
from landrights.survey.uploads import import_upload

bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="Registry")
csrf.exempt(bp)
_ERRORS = [401, 403, 404, 422]


@bp.before_request
def account_first():
    """An operation that needs an account refuses a request without one (401) before reading its
    input, whatever the method: the answer never depends on the input (permission first). A write
    with an Authorization header is authenticated by that header alone (the cookie is then ignored,
    accounts.views), so it needs no CSRF token; a write riding on a cookie session does (a forged
    form post).

    Raises:
        Unauthenticated: no credentials, or a bad token, for an operation not marked public.
    """
    if request.method == "OPTIONS":  # Flask answers it with the Allow header alone
        return
    view = current_app.view_functions.get(request.endpoint)
    if not current_user.is_authenticated and not getattr(view, "public", False):
        raise Unauthenticated(_("Please log in first."))
    if request.method not in ("GET", "HEAD") and "Authorization" not in request.headers:
        csrf.protect()


@bp.before_request
def no_nul_characters():
    """Refuse U+0000 anywhere in the path, query, form or JSON body: PostgreSQL text cannot hold it, so
    a query carrying it failed (500) instead of finding nothing. A refusal of the registry's storage,
    not of the document's shape (no "in").

    Raises:
        ValidationFailed: naming the field that holds the character.
    """
    body = request.get_json(silent=True) if request.is_json else None
    sources = (request.view_args or {}, request.args.to_dict(flat=False), request.form.to_dict(flat=False),
               body if isinstance(body, dict) else {"body": body})
    for values in sources:
        for field, value in values.items():
            if _holds_nul(value):
                raise ValidationFailed(_("Text may not contain the NUL character (U+0000)."), field=field)


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _bbox(text: str | None):
    if not text:
        return None
    try:
        return parse_bbox(text)
    except BBoxError:
        raise ValidationFailed(_("bbox must be four numbers minLon,minLat,maxLon,maxLat with min "
                                 "below max"), field="bbox") from None


def _collection(page) -> dict:
    features = [out.parcel_feature(item) for item in page.items]
    return {"type": "FeatureCollection", "features": features,
            "numberMatched": page.total, "numberReturned": len(features)}


@bp.get("/parcels")
@bp.input(s.ParcelQuery, location="query")
@bp.output(s.FeatureCollection)
@bp.doc(summary="List live parcels (GeoJSON), filtered by bbox, collective, status; paged",
        responses=_ERRORS)
def list_parcels(query_data):
    page = queries.list_parcels(db.session, current_actor(), bbox=_bbox(query_data.get("bbox")),
                                collective=query_data.get("collective"),
                                status=query_data.get("status"),
                                limit=query_data["limit"], offset=query_data["offset"])
    return _collection(page)


@bp.post("/parcels")
@bp.input(s.ParcelIn, location="json")
@bp.output(s.Feature, status_code=201)
@bp.doc(summary="Register a surveyed parcel (township officer)", responses=[400, *_ERRORS, 409])
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


@bp.get("/parcels/at")
@bp.input(s.PointQuery, location="query")
@bp.output(s.Feature)
@bp.doc(summary="The live parcel containing a point (lon/lat, EPSG:4490), as by its code; 404 if "
                "none you may see lies there", responses=_ERRORS)
@db.reads_only
def parcel_at(query_data):
    lon, lat = query_data["lon"], query_data["lat"]  # in range: the schema's
    return out.parcel_detail(queries.parcel_at(db.session, current_actor(), lon, lat))


@bp.get("/parcels/<code>")
@bp.input(s.AsOfQuery, location="query")
@bp.output(s.Feature)
@bp.doc(summary="One parcel as a GeoJSON Feature with area in m² and mu (live or as of a time)",
        responses=_ERRORS)
@db.reads_only
def get_parcel(code, query_data):
    found = queries.get_parcel(db.session, current_actor(), code, as_of=query_data.get("as_of"))
    return out.parcel_detail(found)


@bp.get("/parcels/<code>/history")
@bp.output(s.FeatureCollection)
@bp.doc(summary="Every version of a parcel, oldest first", responses=_ERRORS)
def parcel_history(code):
    actor = current_actor()
    versions = queries.parcel_history(db.session, actor, code)
    features = [out.parcel_detail(queries.get_parcel(db.session, actor, code, as_of=v.valid_from))
                for v in versions]
    return {"type": "FeatureCollection", "features": features,
            "numberMatched": len(features), "numberReturned": len(features)}


@bp.get("/households")
@bp.input(s.HouseholdQuery, location="query")
@bp.output(s.HouseholdPage)
@bp.doc(summary="List households (承包方) in your area", responses=_ERRORS)
def list_households(query_data):
    actor = current_actor()
    page = queries.list_households(db.session, actor, collective=query_data.get("collective"),
                                   limit=query_data["limit"], offset=query_data["offset"])
    return {"items": [out.household_dict(actor, {"household": h}) for h in page.items],
            "total": page.total}


@bp.get("/households/<code>")
@bp.output(s.HouseholdOut)
@bp.doc(summary="One household with members and its contract", responses=_ERRORS)
def get_household(code):
    actor = current_actor()
    return out.household_dict(actor, queries.get_household(db.session, actor, code))


@bp.get("/persons")
@bp.input(s.PersonQuery, location="query")
@bp.output(s.PersonPage)
@bp.doc(summary="List household members; ID numbers and phones masked unless your job needs them",
        responses=_ERRORS)
def list_persons(query_data):
    actor = current_actor()
    page = queries.list_persons(db.session, actor, household=query_data.get("household"),
                                limit=query_data["limit"], offset=query_data["offset"])
    return {"items": [out.person_dict(actor, p, hh, rel) for p, hh, rel in page.items],
            "total": page.total}


@bp.post("/persons")
@bp.input(s.PersonIn, location="json")
@bp.output(s.PersonOut, status_code=201)
@bp.doc(summary="Register a person; an ID card number must pass the GB 11643 check",
        responses=[400, *_ERRORS, 409])
@db.commits
def create_person(json_data):
    actor = current_actor()
    person = services.add_person(db.session, actor, **json_data)
    return out.person_dict(actor, person, None, None)


@bp.get("/contracts")
@bp.input(s.HouseholdQuery, location="query")
@bp.output(s.ContractPage)
@bp.doc(summary="List live contracts (承包合同) in your area", responses=_ERRORS)
def list_contracts(query_data):
    page = queries.list_contracts(db.session, current_actor(),
                                  collective=query_data.get("collective"),
                                  limit=query_data["limit"], offset=query_data["offset"])
    return {"items": [out.contract_dict(c) for c in page.items], "total": page.total}


@bp.get("/contracts/<code>")
@bp.input(s.AsOfQuery, location="query")
@bp.output(s.ContractOut)
@bp.doc(summary="One contract version with its parcels and confirmed area", responses=_ERRORS)
def get_contract(code, query_data):
    found = queries.get_contract(db.session, current_actor(), code, as_of=query_data.get("as_of"))
    return out.contract_dict(found["contract"])


@bp.post("/surveys")
@bp.input(s.SurveyIn, location="form_and_files")
@bp.output(s.SurveyReport, status_code=201)
@bp.doc(summary="Import a survey file for a collective; returns the report with every finding",
        tags=["Survey"], responses=[400, 413, *_ERRORS])
def create_survey(form_and_files_data):
    data = form_and_files_data
    record = import_upload(data["file"], collective=data["collective"],
                           encoding=data.get("encoding"), crs=data.get("crs"),
                           all_or_nothing=data["all_or_nothing"])
    return survey.report(db.session, record, str(get_locale()))


@bp.get("/surveys/<int:import_id>")
@bp.output(s.SurveyReport)
@bp.doc(summary="The report of one survey import", tags=["Survey"], responses=_ERRORS)
def get_survey(import_id):
    record = survey.get_import(db.session, current_actor(), import_id)
    return survey.report(db.session, record, str(get_locale()))


@bp.get("/quality-rules")
@bp.input(s.RuleQuery, location="query")
@bp.output(s.RuleList)
@bp.doc(summary="Quality rules of a moment and whether the county has them on", tags=["Survey"],
        responses=_ERRORS)
def list_quality_rules(query_data):
    en = str(get_locale()) == "en"
    pairs = survey.list_rules(db.session, current_actor(), query_data["county"],
                              query_data["moment"])
    return {"items": [{"id": r.id, "moment": r.moment, "severity": r.severity, "target": r.target,
                       "description": r.description_en if en else r.description_zh,
                       "enabled": on, "params": r.params, "rule_ref": r.rule_ref}
                      for r, on in pairs]}


_LOCATIONS = {"json": "body", "form": "body", "files": "body", "form_and_files": "body", "query": "query",
              "path": "path", "headers": "header"}


def _first_problem(detail: dict) -> tuple[str | None, str]:
    """Return the field (dotted, for a nested one) and the first message of marshmallow's errors,
    keyed by location (json, query, form) and then by field."""
    path, node = [], next(iter(detail.values()), {})
    while isinstance(node, dict) and node:
        key, node = next(iter(node.items()))
        path.append(str(key))
    raw = node[0] if isinstance(node, list) and node else str(node)
    field = ".".join(p for p in path if p != "_schema") or None
    return field, words(raw)


def format_error(error):
    """Render APIFlask's HTTP and validation errors as {"error": {code, message, field}}."""
    from landrights.web.errors import describe

    if error.status_code == 422 and isinstance(error.detail, dict):
        field, message = _first_problem(error.detail)
        where = _LOCATIONS.get(next(iter(error.detail), ""), "body")
        return {"error": {"code": "validation_failed", "message": message, "field": field, "in": where}}, 422
    code, message = describe(error.status_code)
    return {"error": {"code": code, "message": message, "field": None}}, error.status_code, error.headers


from landrights.api import accounts as accounts_api  # noqa: E402,F401  (its routes register on bp)
from landrights.api import certification, handups, market, rights  # noqa: E402,F401  (they register their routes on bp)
