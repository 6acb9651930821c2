"""JSON API of the confirmation path (tag Certification): the same services and queries as the
pages in landrights.certification.views."""
from __future__ import annotations

import base64
import binascii

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, String
from flask import current_app

from landrights import patterns
from landrights.accounts.views import current_actor
from landrights.api.openapi import public
from landrights.api.responses import ERRORS
from landrights.api.routing import Routes
from landrights.certification import certificates, objections, queries, services
from landrights.certification.inputs import (
    CertificateChangeIn,
    CertificateIn,
    DecisionIn,
    NoticeIn,
    ObjectionIn,
    SignOffIn,
)
from landrights.errors import ValidationFailed
from landrights.evidence import Upload
from landrights.extensions import db
from landrights.inputs import Code
from landrights.registry import queries as registry_queries
from landrights.signing import qr

TAG = ["Certification"]

api = Routes()


class NoticeOut(Schema):
    id = Integer()
    collective_code = String()
    round = Integer()
    opened_at = String()
    closes_at = String()
    is_open = Boolean()
    households = List(Dict())
    objections = List(Dict())


class ObjectionOut(Schema):
    id = Integer()
    notice_id = Integer()
    household_code = String()
    parcel_code = String(allow_none=True)
    filer_kind = String()
    filer_name = String()
    text = String()
    status = String()
    resolution = String(allow_none=True)
    evidence_name = String(allow_none=True)


class StateOut(Schema):
    household_code = String()
    blocked = String(allow_none=True)
    confirmable = List(String())
    kept = List(String())
    withheld = Dict(keys=String(), values=String())


class SignOffOut(Schema):
    household_code = String()
    contract_code = String()
    contract_version = Integer()
    method = String()
    confirmed_codes = List(String())
    withheld_codes = List(String())


class CertificateOut(Schema):
    code = String()
    serial = Integer()
    printed_no = String()
    kind = String()
    status = String()
    authority = String()
    issued_on = String()
    verify_url = String()
    pdf_url = String()


class VerifyQuery(Schema):
    n = String(metadata={"description": "serial, from the QR"})
    d = String(metadata={"description": "issue date YYYYMMDD, from the QR"})
    k = String(metadata={"description": "signing key id, from the QR (absent in QR codes printed "
                                        "before SM2 signatures)"})
    s = String(metadata={"description": "signature, from the QR"})


class VerifyOut(Schema):
    state = String(metadata={"description": "valid, superseded, cancelled; unverified when the "
                                            "signed QR data is missing, altered or unknown"})
    code = String()
    serial = Integer(allow_none=True)
    current_serial = Integer(allow_none=True)
    holder = String(metadata={"description": "the holder's name masked (family name and *)"})
    issued_on = String(allow_none=True)
    authority = String(allow_none=True)
    register_changed = Boolean()
    parcel_count = Integer(metadata={"description": "parcels the certificate covers"})
    total_area_m2 = Float()
    key_id = String(allow_none=True, metadata={"description": "the SM2 key that signed the QR (its "
                                                           "public key: /.well-known/landrights-keys.json); "
                                                           "null for QR codes printed before"})
    key_revoked_on = String(allow_none=True, metadata={"description": "the day that key was revoked: "
                                                                     "read the document with care"})


class ProgressQuery(Schema):
    area = String(validate=Code(patterns.REPORT_AREA))


class ProgressOut(Schema):
    items = List(Dict())


def _file(data: dict | None) -> Upload | None:
    if not data:
        return None
    try:
        raw = base64.b64decode(data["data_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("data_base64 is not base64", field="data_base64") from None
    return Upload(data["name"], data["content_type"], raw)


def _notice_dict(found: dict) -> dict:
    n = found["notice"]
    return {"id": n.id, "collective_code": n.collective_code, "round": n.round,
            "opened_at": n.opened_at.isoformat(), "closes_at": n.closes_at.isoformat(),
            "is_open": found["is_open"],
            "households": [{"code": r["household"].code, "name": r["household"].name,
                            "members": r["members"],
                            "parcels": [{"code": p.code, "area_m2": round(float(p.area_m2), 2)}
                                        for p in r["parcels"]]} for r in found["households"]],
            "objections": [ObjectionOut().dump(o) for o in found["objections"]]}


def _certificate_dict(cert) -> dict:
    return {"code": cert.code, "serial": cert.serial, "printed_no": cert.printed_no, "kind": cert.kind,
            "status": cert.status, "authority": cert.authority,
            "issued_on": certificates.issued_on(cert).isoformat(),
            "verify_url": certificates.verify_url(db.session, current_app.config["PUBLIC_BASE_URL"], cert),
            "pdf_url": f"/certificates/{cert.code}/{cert.serial}.pdf"}


@api.post("/notices")
@api.input(NoticeIn, location="json")
@api.output(NoticeOut, status_code=201)
@api.doc(summary="Open a public notice (公示) of a collective (township officer)", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def open_notice(json_data):
    notice = services.open_notice(db.session, current_actor(), **json_data)
    return _notice_dict(queries.get_notice(db.session, current_actor(), notice.id))


@api.get("/notices/<int:notice_id>")
@api.output(NoticeOut)
@api.doc(summary="A notice: households, members (ID numbers masked), parcels, objections", tags=TAG,
        responses=ERRORS)
def get_notice(notice_id):
    return _notice_dict(queries.get_notice(db.session, current_actor(), notice_id))


@api.post("/notices/<int:notice_id>/objections")
@api.input(ObjectionIn, location="json")
@api.output(ObjectionOut, status_code=201)
@api.doc(summary="File an objection (异议) against a household record or a parcel of an open notice",
        tags=TAG, responses=[*ERRORS, 409])
@db.commits
def file_objection(notice_id, json_data):
    evidence = _file(json_data.pop("evidence", None))
    objection = objections.file_objection(db.session, current_actor(), notice_id=notice_id,
                                        evidence=evidence, **json_data)
    return objection


@api.post("/objections/<int:objection_id>/decision")
@api.input(DecisionIn, location="json")
@api.output(ObjectionOut)
@api.doc(summary="Dismiss an objection, or uphold it with its correction (township officer)",
        tags=TAG, responses=[*ERRORS, 409])
@db.commits
def decide_objection(objection_id, json_data):
    decision = json_data.pop("decision")
    if decision == "dismiss":
        objection = objections.dismiss_objection(db.session, current_actor(), objection_id=objection_id,
                                               reason=json_data["reason"],
                                               document=json_data.get("document"))
    else:
        objection = objections.uphold_objection(db.session, current_actor(), objection_id=objection_id,
                                              **json_data)
    return objection


@api.get("/households/<code>/confirmation")
@api.output(StateOut)
@api.doc(summary="What the household may confirm now, and why anything waits", tags=TAG,
        responses=ERRORS)
def confirmation_state(code):
    registry_queries.get_household(db.session, current_actor(), code)  # who may look
    state = services.household_state(db.session, code)
    return {"household_code": code, "blocked": state.blocked and str(state.blocked),
            "confirmable": [p.code for _, p in state.confirmable],
            "kept": [cp.parcel_code for cp in state.kept],
            "withheld": {k: str(v) for k, v in state.withheld.items()}}


@api.post("/households/<code>/sign-off")
@api.input(SignOffIn, location="json")
@api.output(SignOffOut, status_code=201)
@api.doc(summary="Confirm the notice result (结果确认): the farmer, or the officer with the scan",
        tags=TAG, responses=[*ERRORS, 409])
@db.commits
def sign_off(code, json_data):
    signed = services.sign_off(db.session, current_actor(), household_code=code,
                               scan=_file(json_data.get("scan")),
                               signer_name=json_data.get("signer_name"))
    return signed


@api.post("/certificates")
@api.input(CertificateIn, location="json")
@api.output(CertificateOut, status_code=201)
@api.doc(summary="Issue the certificate of a registered contract (county administrator)", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def issue_certificate(json_data):
    cert = certificates.issue_certificate(db.session, current_actor(), code=json_data["code"],
                                          reason=json_data.get("reason"),
                                          document=json_data.get("document"))
    return _certificate_dict(cert)


@api.post("/certificates/<code>/changes")
@api.input(CertificateChangeIn, location="json")
@api.output(CertificateOut, status_code=201)
@api.doc(summary="Re-issue after loss (补发), replace after a change (换发) or cancel (注销)", tags=TAG,
        responses=[*ERRORS, 409])
@db.commits
def change_certificate(code, json_data):
    action = json_data.pop("action")
    if action == "cancel":
        cert = certificates.cancel_certificate(db.session, current_actor(), code=code, **json_data)
    else:
        cert = certificates.reissue_certificate(db.session, current_actor(), code=code, kind=action,
                                                **json_data)
    return _certificate_dict(cert)


@api.get("/verify/<code>")
@api.input(VerifyQuery, location="query")
@api.output(VerifyOut)
@api.doc(summary="Verify a certificate by its QR data (n, d, s); public: the verdict and the "
                "holder masked, and only for data this registry signed", tags=TAG)
@public
def verify(code, query_data):
    v = certificates.verify(db.session, current_app.config["CERTIFICATE_KEY"].encode(), code,
                            serial=query_data.get("n"), day=query_data.get("d"), sig=query_data.get("s"),
                            key_id=query_data.get("k"))
    c = v.certificate
    return {"state": v.state, "code": code, "serial": c and c.serial, "current_serial": v.current_serial,
            **qr.signed_fields(v.signed), "holder": v.holder,
            "issued_on": c and certificates.issued_on(c).isoformat(),
            "authority": c and c.authority, "register_changed": v.register_changed,
            "parcel_count": v.parcel_count, "total_area_m2": round(v.total_area_m2, 2)}


@api.get("/progress")
@api.input(ProgressQuery, location="query")
@api.output(ProgressOut)
@api.doc(summary="Confirmation progress per county, township and collective", tags=TAG,
        responses=ERRORS)
def progress(query_data):
    return {"items": queries.progress(db.session, current_actor(), area=query_data.get("area"))}


def add_routes(bp) -> None:
    """Add this module's routes to the API blueprint."""
    api.register(bp)
