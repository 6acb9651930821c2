"""Certificates (证书, R3.3-R3.6, R4.9, R4.11): issue, re-issue after loss (补发), replacement after a
change (换发), cancellation (注销), and public verification by the signed QR.

A certificate row is the record; its PDF is drawn from the register (the contract version it
shows, and the members as of its issue) whenever it is printed, so a print matches the register.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import to_shape
from sqlalchemy.orm import Session, selectinload

from landrights import clock, moments, patterns
from landrights.accounts.permissions import Actor
from landrights.certification import permissions, rules
from landrights.certification.models import Certificate
from landrights.db import flush_or_raise
from landrights.errors import Conflict, NotFound, ValidationFailed
from landrights.registry import rules as registry_rules
from landrights.registry import services as registry
from landrights.registry.models import (
    AdminUnit,
    Collective,
    Contract,
    ContractParcel,
    Household,
    HouseholdMember,
    Parcel,
    Person,
    RegisterEntry,
)
from landrights.serving import metrics
from landrights.signing import qr


def _live_contract(session: Session, code: str) -> tuple[Contract, RegisterEntry]:
    contract = session.scalar(sa.select(Contract).where(Contract.code == code,
                                                        Contract.valid_to.is_(None)))
    entry = session.scalar(sa.select(RegisterEntry).where(RegisterEntry.code == code,
                                                          RegisterEntry.valid_to.is_(None)))
    if contract is None or entry is None or contract.status != "registered":
        raise NotFound(_l("Contract %(code)s is not in the register: a certificate follows the "
                          "register.", code=code), field="code", rule="R3.6")
    return contract, entry


def _valid_for_change(session: Session, code: str) -> Certificate:
    """Return, locked, the valid certificate a 补发, 换发 or 注销 acts on.

    The certificate valid when the request arrives is the one it means. Acts on one contract wait
    for each other (the lock keyed by its code, as for the first issue); a request that finds,
    once it holds the lock, that another just replaced or cancelled that certificate does not act
    on the new state but says what happened, so four 补发 at once issue one certificate.

    Raises:
        Conflict: the certificate was just replaced or cancelled by another request.
        NotFound: the contract has no valid certificate.
    """
    meant = session.scalar(sa.select(Certificate.id).where(Certificate.code == code,
                                                           Certificate.status == "valid"))
    registry.lock_code(session, "certificate", code)
    current = session.scalar(sa.select(Certificate).where(Certificate.code == code,
                                                          Certificate.status == "valid")
                             .with_for_update().execution_options(populate_existing=True))
    if meant is not None and (current is None or current.id != meant):
        raise _just_changed(session, code)
    if current is None:
        raise NotFound(_l("Contract %(code)s has no valid certificate.", code=code), field="code")
    return current


def _just_changed(session: Session, code: str) -> Conflict:
    """Return the refusal naming the contract's latest certificate: just issued, or just cancelled."""
    latest = session.scalar(sa.select(Certificate).where(Certificate.code == code)
                            .order_by(Certificate.serial.desc()).limit(1)
                            .execution_options(populate_existing=True))
    if latest.status == "valid":
        message = _l("Certificate %(printed_no)s of contract %(code)s was just issued, at %(time)s, "
                     "by another request; this one was not carried out. Check the new certificate "
                     "before acting again.", printed_no=latest.printed_no, code=code,
                     time=shown_time(latest.issued_at))
    else:
        message = _l("Certificate %(printed_no)s of contract %(code)s was just cancelled, at "
                     "%(time)s, by another request; this one was not carried out.",
                     printed_no=latest.printed_no, code=code, time=shown_time(latest.ended_at))
    return Conflict(message, field="code", rule="R3.6")


def shown_time(moment):
    """Return a moment as people read it, in China Standard Time (landrights.moments), formatted
    when the message is shown, in the reader's language."""
    return moments.later(moment)


def default_authority(session: Session, county_code: str) -> str:
    """Return the issuing authority: the county's people's government (R3.3)."""
    name = session.scalar(sa.select(AdminUnit.name).where(AdminUnit.code == county_code))
    return f"{name or county_code}人民政府"


def _new(session: Session, actor: Actor, code: str, kind: str, *, reason: str | None = None,
         document: str | None = None, authority: str | None = None) -> Certificate:
    contract, entry = _live_contract(session, code)
    serial = (session.scalar(sa.select(sa.func.max(Certificate.serial))
                             .where(Certificate.code == code)) or 0) + 1
    number = session.scalar(sa.select(sa.func.nextval("certificate_printed_no_seq")))
    certificate = Certificate(
        county_code=code[:6], code=code, serial=serial, printed_no=rules.printed_no(number),
        contract_id=contract.id, register_entry_id=entry.id, kind=kind, status="valid",
        authority=authority or default_authority(session, code[:6]), issued_at=clock.now(),
        issued_by=actor.user_id, reason=reason, document=document)
    session.add(certificate)
    flush_or_raise(session)
    registry.record(session, actor, kind, "certificate", code, reason=reason, document=document,
                    details={"serial": serial, "printed_no": certificate.printed_no})
    return certificate


@metrics.certificate_issue
def issue_certificate(session: Session, actor: Actor, *, code: str, reason: str | None = None,
                      document: str | None = None, authority: str | None = None) -> Certificate:
    """Issue a certificate of a registered contract that has none in force: its first (R3.3,
    R5.8), or a new one after the last was cancelled (注销), with the reason and the document the
    register keeps (R3.6). The new one takes the next serial of the code and a new printed number
    (R4.11); the cancelled ones stay in the register and verify as cancelled.

    Raises:
        Forbidden: not the county administrator. NotFound: not registered.
        Conflict: a certificate of this contract is in force (use 补发/换发), or was just issued.
        ValidationFailed: a new issue after a cancellation without its reason or document.
    """
    permissions.require_issue_certificate(actor, code)
    before = session.scalar(sa.select(sa.func.count()).where(Certificate.code == code))
    registry.lock_code(session, "certificate", code)
    in_force = session.scalar(sa.select(Certificate).where(Certificate.code == code,
                                                           Certificate.status == "valid")
                              .execution_options(populate_existing=True))
    if in_force is not None:
        if session.scalar(sa.select(sa.func.count()).where(Certificate.code == code)) != before:
            raise _just_changed(session, code)  # another request issued it while this one waited
        raise Conflict(_l("Certificate %(printed_no)s of contract %(code)s is in force: re-issue "
                          "(补发) or replace (换发) it instead.", printed_no=in_force.printed_no,
                          code=code), field="code", rule="R3.6")
    if session.scalar(sa.select(Certificate.id).where(Certificate.code == code).limit(1)) is None:
        return _new(session, actor, code, "issue", authority=authority)
    _require_reason(reason, document)  # a new issue after a cancellation says why (R3.6)
    return _new(session, actor, code, "issue", reason=reason.strip(), document=document.strip(),
                authority=authority)


def _require_reason(reason: str | None, document: str | None) -> None:
    if not (reason or "").strip():
        raise ValidationFailed(_l("Give the reason."), field="reason", rule="R3.6")
    if not (document or "").strip():
        raise ValidationFailed(_l("Name the document (loss declaration, change decision, ...)."),
                               field="document", rule="R3.6")


def _end(session: Session, actor: Actor, certificate: Certificate, status: str, reason: str,
         document: str) -> None:
    certificate.status, certificate.ended_at, certificate.ended_by = status, clock.now(), actor.user_id
    certificate.end_reason, certificate.end_document = reason, document
    flush_or_raise(session)


@metrics.certificate_issue
def reissue_certificate(session: Session, actor: Actor, *, code: str, kind: str, reason: str,
                        document: str, authority: str | None = None) -> Certificate:
    """Re-issue after loss (补发, kind 'reissue') or replace after a change (换发, kind 'replace'):
    the valid certificate is superseded and a new one drawn from the register.

    Raises:
        Forbidden: not the county administrator. ValidationFailed: no reason or document.
        Conflict: another request just re-issued, replaced or cancelled the certificate.
        NotFound: no valid certificate to replace, or the contract left the register.
    """
    permissions.require_issue_certificate(actor, code)
    if kind not in ("reissue", "replace"):
        raise ValidationFailed(_l("Choose re-issue (补发) or replacement (换发)."), field="kind")
    _require_reason(reason, document)
    old = _valid_for_change(session, code)
    _end(session, actor, old, "superseded", reason, document)
    return _new(session, actor, code, kind, reason=reason, document=document,
                authority=authority or old.authority)


def cancel_certificate(session: Session, actor: Actor, *, code: str, reason: str,
                       document: str) -> Certificate:
    """Cancel (注销) the valid certificate of a contract, with the reason and the document.

    Raises:
        Forbidden: not the county administrator. ValidationFailed: no reason or document.
        Conflict: another request just re-issued, replaced or cancelled the certificate.
        NotFound: no valid certificate.
    """
    permissions.require_issue_certificate(actor, code)
    _require_reason(reason, document)
    old = _valid_for_change(session, code)
    _end(session, actor, old, "cancelled", reason, document)
    registry.record(session, actor, "cancel", "certificate", code, reason=reason, document=document,
                    details={"serial": old.serial})
    return old


def issued_on(certificate: Certificate) -> date:
    """Return the issue date as printed (China Standard Time)."""
    return clock.local_date(certificate.issued_at)


def verify_url(session: Session, base_url: str, certificate: Certificate) -> str:
    """Return the URL the QR code carries: code, serial and issue date, SM2-signed by the
    county's key in force (landrights.signing.qr).

    Raises:
        Conflict: no signing key of the county in force.
    """
    return qr.signed_url(session, base_url, "certificate", certificate.code, certificate.serial,
                         issued_on(certificate))


def verification_code(key: bytes, certificate: Certificate) -> str:
    """Return the verification code printed under the QR code (from the HMAC under key)."""
    day = issued_on(certificate)
    return qr.verification_code(certificate.code, certificate.serial, day,
                                qr.hmac_signature(key, certificate.code, certificate.serial, day))


@dataclass
class Verification:
    """What the public verification page and API say about a certificate: the verdict, when and
    by whom it was issued, the holder masked, and the size of the land it certifies (to compare
    with the paper). Nothing else: no ID numbers, no full names (G5)."""

    state: str  # valid | superseded | cancelled | unverified
    code: str
    certificate: Certificate | None = None
    holder: str = ""
    parcel_count: int = 0
    total_area_m2: float = 0.0
    register_changed: bool = False  # the register moved on since issue: a replacement is due
    current_serial: int | None = None
    issued_on: date | None = None  # China Standard Time, as printed
    signed: qr.SignedCheck = qr.NOT_SIGNED  # the key that signed the QR, and if it was revoked


def verify(session: Session, key: bytes, code: str, *, serial: str | None = None,
           day: str | None = None, sig: str | None = None, key_id: str | None = None) -> Verification:
    """Verify a certificate by the signed data of its QR code (SM2 with key_id, or the HMAC under
    key of QR codes printed before); anyone may ask (R3.3).

    Only this registry's signature over code, serial and issue date opens the record. A code
    alone, an altered or forged QR and an unknown code all get the same answer, 'unverified',
    checked before the register is read, so guessing codes tells nothing about the register."""
    if not patterns.CONTRACT.matches(code):
        return Verification("unverified", code)
    signed = qr.verify_signed(session, key, "certificate", code, serial=serial, day=day, sig=sig,
                              key_id=key_id)
    if not signed.ok:
        return Verification("unverified", code)
    certificate = session.scalar(sa.select(Certificate).where(Certificate.code == code,
                                                              Certificate.serial == signed.serial))
    if certificate is None or issued_on(certificate) != signed.day:
        return Verification("unverified", code)
    return _describe(session, certificate, signed)


def _describe(session: Session, certificate: Certificate, signed: qr.SignedCheck) -> Verification:
    contract = session.get(Contract, certificate.contract_id)
    holder = session.scalar(sa.select(Household.name).where(Household.code == contract.household_code))
    count, total = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(ContractParcel.confirmed_area_m2), 0))
        .where(ContractParcel.contract_id == contract.id)).one()
    live = session.scalar(sa.select(Contract.id).where(Contract.code == certificate.code,
                                                       Contract.valid_to.is_(None)))
    current = session.scalar(sa.select(Certificate.serial).where(Certificate.code == certificate.code,
                                                                 Certificate.status == "valid"))
    return Verification(
        state=certificate.status, code=certificate.code, certificate=certificate,
        holder=qr.mask_name(holder), parcel_count=count, total_area_m2=float(total),
        register_changed=certificate.status == "valid" and live != contract.id,
        current_serial=current, issued_on=issued_on(certificate), signed=signed)


def certificate_doc(session: Session, certificate: Certificate, *, actor: Actor, base_url: str,
                    key: bytes):
    """Return everything a printed certificate shows (R3.4, R3.5), read from the register; the
    holder's ID number in full only for those whose job needs it, masked for anyone else who
    prints it (a collective clerk), as on every page and in the API. key: the HMAC key of the
    verification code printed under the QR code.

    Raises:
        Conflict: no signing key of the county in force (the QR code is signed when printed).
    """
    from landrights.certification.documents import CertificateDoc, MemberLine, ParcelLine

    contract = session.scalar(sa.select(Contract).options(selectinload(Contract.parcels))
                              .where(Contract.id == certificate.contract_id))
    household = session.scalar(sa.select(Household).where(Household.code == contract.household_code))
    collective = session.scalar(sa.select(Collective).where(Collective.code == household.collective_code))
    members = _members_as_of(session, household.id, certificate.issued_at)
    representative = next((p for _, p in members if p.id == household.representative_id),
                          members[0][1])
    units = dict(session.execute(sa.select(AdminUnit.code, AdminUnit.name).where(
        AdminUnit.code.in_([household.code[:6], household.code[:9], household.code[:12]]))).all())
    parcels = session.scalars(sa.select(Parcel).where(
        Parcel.id.in_([cp.parcel_id for cp in contract.parcels])).order_by(Parcel.code)).all()
    confirmed = {cp.parcel_id: cp.confirmed_area_m2 for cp in contract.parcels}
    return CertificateDoc(
        code=certificate.code, serial=certificate.serial, printed_no=certificate.printed_no,
        kind=certificate.kind, issued_on=issued_on(certificate), authority=certificate.authority,
        county_name=units.get(household.code[:6], ""), township_name=units.get(household.code[:9], ""),
        village_name=units.get(household.code[:12], ""), collective_name=collective.name,
        holder_name=representative.name,
        holder_id_number=registry_rules.shown_id_number(actor, household.code, representative.id_number),
        contract_code=contract.code, term_start=contract.term_start, term_end=contract.term_end,
        members=tuple(MemberLine(p.name, registry_rules.RELATIONS.get(m.relation, m.relation),
                                 registry_rules.code_label(registry_rules.MEMBER_REMARKS, m.remark_code)
                                 if m.remark_code else (m.remark_text or ""))
                      for m, p in members if m.is_co_holder),
        parcels=tuple(ParcelLine(code=p.code, name=p.name, east=p.east, south=p.south, west=p.west,
                                 north=p.north, area_m2=confirmed[p.id],
                                 is_basic_farmland=p.is_basic_farmland, remark=p.remark,
                                 geometry=to_shape(p.geom))
                      for p in parcels),
        verify_url=verify_url(session, base_url, certificate),
        verification_code=verification_code(key, certificate),
        notes=_notes(certificate), status=certificate.status)


def _members_as_of(session: Session, household_id: int, moment) -> list[tuple]:
    return session.execute(
        sa.select(HouseholdMember, Person).join(Person, Person.id == HouseholdMember.person_id)
        .where(HouseholdMember.household_id == household_id, HouseholdMember.valid_from <= moment,
               sa.or_(HouseholdMember.valid_to.is_(None), HouseholdMember.valid_to > moment))
        .order_by(HouseholdMember.relation, HouseholdMember.id)).all()


def _notes(certificate: Certificate) -> tuple[str, ...]:
    label = {"reissue": "补发", "replace": "换发"}.get(certificate.kind)
    if label is None and certificate.reason:  # a new issue after the last was cancelled
        label = "重新颁发"
    if label is None:
        return ()
    return (f"{label}：{certificate.reason}（{certificate.document}）",)
