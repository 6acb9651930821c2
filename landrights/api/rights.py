"""JSON API of retained rights (tag Rights): the same services and queries as landrights.rights.views.

No endpoint takes a settlement as input to anything but the settlement record itself (G2): the
withdrawal schema has no such field and unknown fields are refused.
"""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Date, Decimal, Dict, Float, Integer, List, String
from apiflask.validators import Length
from flask import Response, current_app, render_template, request

from landrights import patterns, ranges
from landrights.accounts.views import current_actor
from landrights.api.certification import _file
from landrights.api.openapi import public
from landrights.api.responses import ERRORS
from landrights.api.routing import Routes
from landrights.collective import services as collective
from landrights.collective.models import BASES, LOSS_CAUSES
from landrights.errors import ValidationFailed
from landrights.extensions import db
from landrights.geo.geojson import GeoJSONError, from_geojson
from landrights.homestead import services as homestead
from landrights.homestead.models import LAND_SOURCES
from landrights.inputs import ID_NUMBER, Amount, Code, Whole, one_of
from landrights.rights import queries, services, statements
from landrights.rights.inputs import ReviewIn, SettlementIn, WithdrawalIn
from landrights.signing import qr

TAG = ["Rights"]

api = Routes()


class RightsOut(Schema):
    household = Dict()
    members = List(Dict())
    contract = Dict(allow_none=True)
    homestead = Dict(allow_none=True)
    shares = Dict(allow_none=True)
    dividends = List(Dict())
    transfers = List(Dict())
    withdrawals = List(Dict())


class StatementOut(Schema):
    code = String()
    issued_on = String()
    verify_url = String()
    content = Dict()


class StatementCheckOut(Schema):
    state = String(metadata={"description": "genuine; unverified when the signed QR data is "
                                            "missing, altered or unknown"})
    code = String()
    holder = String(metadata={"description": "the holder's name masked (family name and *)"})
    issued_on = String(allow_none=True)
    parcel_count = Integer(allow_none=True, metadata={"description": "contracted parcels at issue"})
    total_area_m2 = Float(allow_none=True)
    key_id = String(allow_none=True, metadata={"description": "the SM2 key that signed the QR (its "
                                                           "public key: /.well-known/landrights-keys.json); "
                                                           "null for QR codes printed before"})
    key_revoked_on = String(allow_none=True, metadata={"description": "the day that key was revoked: "
                                                                     "read the document with care"})


class StatementQuery(Schema):
    d = String()
    k = String()
    s = String()


class SettlementOut(Schema):
    id = Integer()
    settled_on = Date()
    city = String()


class WithdrawalOut(Schema):
    id = Integer()
    kind = String()
    status = String()
    review = String()
    request_method = String()
    compensation_yuan = Decimal(places=2, as_string=True)
    notice_on = Date(metadata={"description": "the day the written notice counts as given (R1.14)"})
    filed_on = Date(metadata={"description": "the day the request was filed (China Standard Time)"})
    effective_on = Date()


class HomesteadIn(Schema):
    household_code = String(required=True, validate=Code(patterns.HOUSEHOLD))
    geometry = Dict(required=True, metadata={"description": "GeoJSON Polygon/MultiPolygon, EPSG:4490"})
    land_source = String(required=True, validate=one_of(LAND_SOURCES))
    approval_document = String(required=True, validate=Length(min=1, max=200))
    approved_on = Date(required=True, validate=ranges.APPROVED_ON.validate)
    real_estate_unit = String(validate=Length(equal=28))


class HomesteadOut(Schema):
    code = String()
    household_code = String()
    area_m2 = Decimal(places=2, as_string=True)
    status = String()


class MemberIn(Schema):
    id_number = String(required=True, validate=ID_NUMBER)
    basis = String(required=True, validate=one_of(BASES))
    basis_date = Date(required=True, validate=ranges.BASIS_DATE.validate)
    basis_document = String(required=True, validate=Length(min=1, max=200))


class EndMemberIn(Schema):
    id_number = String(required=True, validate=ID_NUMBER)
    cause = String(required=True, metadata={"description": ", ".join(LOSS_CAUSES)})
    lost_on = Date(required=True, validate=ranges.LOST_ON.validate)
    document = String(required=True)
    contract_hired = Boolean(load_default=False)


class MembershipOut(Schema):
    id = Integer()
    collective_code = String()
    basis = String()
    status = String()
    loss_cause = String(allow_none=True)


class DistributionIn(Schema):
    year = Whole(required=True, validate=ranges.YEAR.validate,
                   metadata={"description": "1978 to next year"})
    amount_per_share = Amount(ranges.PER_SHARE, places=4, required=True)
    decided_on = Date(required=True, validate=ranges.DECIDED_ON.validate)
    document = String(required=True, validate=Length(min=1, max=200))


class DistributionOut(Schema):
    id = Integer()
    year = Integer()
    amount_per_share = Decimal(places=4, as_string=True)
    total_yuan = Decimal(places=2, as_string=True)


def _without_geometry(view: dict) -> dict:
    if view["contract"]:
        view["contract"]["parcels"] = [{k: v for k, v in p.items() if k != "geometry"}
                                       for p in view["contract"]["parcels"]]
    if view["homestead"]:
        view["homestead"] = {k: v for k, v in view["homestead"].items() if k != "geometry"}
    return view


@api.get("/households/<code>/rights")
@api.output(RightsOut)
@api.doc(summary="Every right a household retains (the migrant's view, G5)", tags=TAG, responses=ERRORS)
def retained_rights(code):
    return _without_geometry(queries.retained_rights(db.session, current_actor(), code))


PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


@api.post("/households/<code>/statements")
@api.output(StatementOut, status_code=201)
@api.doc(summary="Issue a verifiable statement of retained rights; with Accept: application/pdf, the "
                "printable PDF with its QR code", tags=TAG,
        responses={201: {"description": "The statement (JSON), or its PDF", "content": PDF},
                   401: "Unauthorized", 403: "Forbidden", 404: "Not found"})
def issue_statement(code):
    issued = statements.issue_statement(db.session, current_actor(), code)
    db.session.commit()
    url = statements.verify_url(db.session, current_app.config["PUBLIC_BASE_URL"], issued)
    if request.accept_mimetypes.best_match(["application/json", "application/pdf"]) == "application/pdf":
        return _statement_pdf(issued, url)
    return {"code": issued.code, "issued_on": statements.issued_on(issued).isoformat(), "verify_url": url,
            "content": issued.content}


def _statement_pdf(issued, url: str) -> Response:
    """The same document as the page's (rights.views.statement)."""
    from landrights.signing.printing import html_to_pdf, qr_svg_data_uri

    html = render_template("rights/statement_pdf.html", s=issued, c=issued.content, qr=qr_svg_data_uri(url),
                           url=url, issued_on=statements.issued_on(issued))
    return Response(html_to_pdf(html), status=201, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{issued.code}.pdf"'})


@api.get("/verify/statements/<code>")
@api.input(StatementQuery, location="query")
@api.output(StatementCheckOut)
@api.doc(summary="Verify a statement of retained rights by its QR data (d, s); public: the verdict "
                "and the holder masked, and only for data this registry signed", tags=TAG)
@public
def verify_statement(code, query_data):
    checked = statements.verify_statement(db.session, current_app.config["CERTIFICATE_KEY"].encode(), code,
                                          day=query_data.get("d"), sig=query_data.get("s"),
                                          key_id=query_data.get("k"))
    return {"state": checked.state, "code": code, "holder": checked.holder,
            **qr.signed_fields(checked.signed),
            "issued_on": checked.issued_on and checked.issued_on.isoformat(),
            "parcel_count": checked.parcel_count, "total_area_m2": checked.total_area_m2}


@api.post("/settlements")
@api.input(SettlementIn, location="json")
@api.output(SettlementOut, status_code=201)
@api.doc(summary="Record that a person settled in a town: residence only (G1)", tags=TAG, responses=ERRORS)
@db.commits
def record_settlement(json_data):
    settlement = services.record_settlement(db.session, current_actor(), **json_data)
    return settlement


@api.post("/withdrawals")
@api.input(WithdrawalIn, location="json")
@api.output(WithdrawalOut, status_code=201)
@api.doc(summary="File the holder's own paid withdrawal request (有偿退出, G3)", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def request_withdrawal(json_data):
    scan = _file(json_data.pop("scan", None))
    withdrawal = services.request_withdrawal(db.session, current_actor(), scan=scan, **json_data)
    return withdrawal


@api.get("/withdrawals/<int:withdrawal_id>")
@api.output(WithdrawalOut)
@api.doc(summary="A withdrawal request, to its household and the officials of its area (an unknown number "
                "gets the same 403 as another's)", tags=TAG, responses=[401, 403])
def get_withdrawal(withdrawal_id):
    return queries.get_withdrawal(db.session, current_actor(), withdrawal_id)


@api.post("/withdrawals/<int:withdrawal_id>/cancel")
@api.output(WithdrawalOut)
@api.doc(summary="Cancel a withdrawal request before it takes effect", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def cancel_withdrawal(withdrawal_id):
    withdrawal = services.cancel_withdrawal(db.session, current_actor(), withdrawal_id=withdrawal_id)
    return withdrawal


@api.post("/withdrawals/<int:withdrawal_id>/review")
@api.input(ReviewIn, location="json")
@api.output(WithdrawalOut)
@api.doc(summary="The county's finding on voluntariness (G4)", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def review_withdrawal(withdrawal_id, json_data):
    withdrawal = services.review_withdrawal(db.session, current_actor(), withdrawal_id=withdrawal_id,
                                            **json_data)
    return withdrawal


@api.post("/homesteads")
@api.input(HomesteadIn, location="json")
@api.output(HomesteadOut, status_code=201)
@api.doc(summary="Record a homestead the township approved (R6.1-R6.8)", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def add_homestead(json_data):
    try:
        geometry = from_geojson(json_data.pop("geometry"))
    except GeoJSONError:
        raise ValidationFailed("geometry is not a GeoJSON Polygon or MultiPolygon", field="geometry",
                               rule="RFC 7946") from None
    found = homestead.add_homestead(db.session, current_actor(), geometry=geometry, **json_data)
    return found


@api.post("/collectives/<code>/members")
@api.input(MemberIn, location="json")
@api.output(MembershipOut, status_code=201)
@api.doc(summary="Admit a member to the collective's roster (R7.3)", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def admit_member(code, json_data):
    membership = collective.admit_member(db.session, current_actor(), collective_code=code, **json_data)
    return membership


@api.post("/memberships/end")
@api.input(EndMemberIn, location="json")
@api.output(MembershipOut)
@api.doc(summary="End a membership for a statutory cause only (R7.5, R7.6)", tags=TAG, responses=ERRORS)
@db.commits
def end_membership(json_data):
    membership = collective.end_membership(db.session, current_actor(), **json_data)
    return membership


@api.post("/collectives/<code>/distributions")
@api.input(DistributionIn, location="json")
@api.output(DistributionOut, status_code=201)
@api.doc(summary="Distribute a year's dividend per share (R7.13)", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def distribute(code, json_data):
    found = collective.distribute(db.session, current_actor(), collective_code=code, **json_data)
    return found


class PaidIn(Schema):
    paid_on = Date(required=True, validate=ranges.PAID_ON.validate)


class PayoutOut(Schema):
    id = Integer()
    shares = Decimal(places=4, as_string=True)
    amount_yuan = Decimal(places=2, as_string=True)
    paid_on = Date(allow_none=True)


@api.post("/payouts/<int:payout_id>/paid")
@api.input(PaidIn, location="json")
@api.output(PayoutOut)
@api.doc(summary="Mark a dividend payout paid (once)", tags=TAG, responses=[*ERRORS, 409])
@db.commits
def mark_paid(payout_id, json_data):
    payout = collective.mark_paid(db.session, current_actor(), payout_id=payout_id, **json_data)
    return payout


def add_routes(bp) -> None:
    """Add this module's routes to the API blueprint."""
    api.register(bp)
