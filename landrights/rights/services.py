"""The settlement guarantee (DESIGN.md G1-G4; R1.10, R1.11, R1.14, R6.6, R6.7, R7.6, R7.11).

- record_settlement writes the settlement and the person's residence address, nothing else (G1).
- No function here takes a settlement: a withdrawal is the holder's own, paid request (G2, G3);
  one filed soon after a settlement of a household member is only *flagged* for a county review
  of voluntariness (G4), and waits until the county finds it voluntary.
- A withdrawal takes effect only on its effective date, through the register's history
  (apply_due_withdrawals), and can be cancelled until then.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.permissions import (
    SYSTEM,
    Actor,
    require_certificate_issuer,
    require_notice_officer,
    require_registry_writer,
)
from landrights.certification import certificates
from landrights.certification.models import Certificate, Claim
from landrights.collective import services as collective
from landrights.collective.models import ShareHolding
from landrights.db import flush_or_raise
from landrights.errors import Conflict, NotFound, ValidationFailed, forbidden
from landrights.evidence import Upload, signature_method
from landrights.homestead import services as homestead
from landrights.homestead.models import Homestead
from landrights.registry import services as registry
from landrights.registry.models import Contract, Household, HouseholdMember, Person
from landrights.registry.queries import setting
from landrights.rights.models import KINDS, Settlement, Withdrawal

LAND_NOTICE_MONTHS = 6  # R1.14


def record_settlement(session: Session, actor: Actor, *, id_number: str, settled_on: date, city: str,
                      document: str, address: str | None = None) -> Settlement:
    """Record that a person settled in a town (进城落户). Only the person's residence changes (G1).

    Raises:
        Forbidden: not a registry writer of the person's household area. NotFound: unknown person.
        ValidationFailed: no city or document.
    """
    person = session.scalar(sa.select(Person).where(Person.id_number == id_number))
    if person is None:
        raise NotFound(_l("No person with this ID number."), field="id_number")
    household = _household_of(session, person.id)
    require_registry_writer(actor, household or person.county_code)
    if not (city or "").strip() or not (document or "").strip():
        raise ValidationFailed(_l("Give the town and the hukou transfer document."),
                               field="city" if not (city or "").strip() else "document", rule="R9.1")
    settlement = Settlement(county_code=person.county_code, person_id=person.id, settled_on=settled_on,
                            city=city.strip(), address=address, document=document.strip(),
                            recorded_by=actor.user_id)
    session.add(settlement)
    if address:
        person.residence_address = address  # the only field a settlement changes (G1)
    flush_or_raise(session)
    registry.record(session, actor, "settle", "person", household or person.county_code,
                    document=document, details={"person_id": person.id, "city": city})
    return settlement


def _household_of(session: Session, person_id: int) -> str | None:
    return session.scalar(
        sa.select(Household.code).join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.person_id == person_id, HouseholdMember.valid_to.is_(None)))


def request_withdrawal(session: Session, actor: Actor, *, household_code: str, kind: str,
                       compensation_yuan: Decimal, notice_on: date, effective_on: date,
                       signed_by: str | None = None, scan: Upload | None = None,
                       parcel_codes: list[str] | None = None, homestead_code: str | None = None,
                       share_id_number: str | None = None, share_quantity: Decimal | None = None,
                       improvement_yuan: Decimal = Decimal(0)) -> Withdrawal:
    """File the holder's own request to give up one right for compensation (有偿退出, G3).

    Raises:
        Forbidden: neither the household itself nor the township officer recording its signed
            request. ValidationFailed: no compensation, land returned on less than six months'
            written notice (R1.14), an officer without the scan, a right the household does not hold.
    """
    method = signature_method(actor, household_code, scan, in_app="holder", missing_scan=_l(
        "An officer records a withdrawal only with the scan of the holder's own signed request."),
        rule="G3")
    if kind not in KINDS:
        raise ValidationFailed(_l("Kind is land_return, homestead or shares."), field="kind")
    if compensation_yuan is None or compensation_yuan <= 0:
        raise ValidationFailed(_l("A withdrawal is always paid: state the compensation."),
                               field="compensation_yuan", rule="R1.14, R6.6, G3")
    if effective_on < notice_on:
        raise ValidationFailed(_l("It takes effect after the notice is given."), field="effective_on")
    if kind == "land_return" and effective_on < _add_months(notice_on, LAND_NOTICE_MONTHS):
        raise ValidationFailed(_l("Contracted land is returned on six months' written notice: "
                                  "effective on %(date)s at the earliest.",
                                  date=_add_months(notice_on, LAND_NOTICE_MONTHS)),
                               field="effective_on", rule="R1.14")
    subject = _check_subject(session, household_code, kind, parcel_codes, homestead_code,
                             share_id_number, share_quantity)
    now = clock.now()
    withdrawal = Withdrawal(
        county_code=household_code[:6], household_code=household_code, kind=kind, **subject,
        request_method=method, request_signed_by=signed_by or actor.name,
        request_scan_name=scan and scan.name, request_scan=scan and scan.data,
        requested_by=actor.user_id, requested_at=now, compensation_yuan=compensation_yuan,
        improvement_yuan=improvement_yuan or Decimal(0), notice_on=notice_on, effective_on=effective_on,
        status="requested", review=_review_needed(session, household_code, now.date()))
    session.add(withdrawal)
    flush_or_raise(session)
    registry.record(session, actor, "request_withdrawal", kind, household_code,
                    details={"withdrawal": withdrawal.id, "compensation": str(compensation_yuan)})
    return withdrawal


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def _check_subject(session: Session, household_code: str, kind: str, parcel_codes, homestead_code,
                   share_id_number, share_quantity) -> dict:
    if kind == "land_return":
        return {"parcel_codes": _held_parcels(session, household_code, parcel_codes or [])}
    if kind == "homestead":
        found = session.scalar(sa.select(Homestead.code).where(
            Homestead.code == (homestead_code or ""), Homestead.household_code == household_code,
            Homestead.valid_to.is_(None), Homestead.status == "active"))
        if found is None:
            raise ValidationFailed(_l("The household holds no active homestead %(code)s.",
                                      code=homestead_code), field="homestead_code", rule="R6.6")
        return {"homestead_code": found}
    person = session.scalar(sa.select(Person).where(Person.id_number == (share_id_number or "")))
    held = person and session.scalar(sa.select(ShareHolding.quantity).where(
        ShareHolding.person_id == person.id, ShareHolding.valid_to.is_(None)))
    if not held or _household_of(session, person.id) != household_code or \
            not share_quantity or not Decimal(0) < share_quantity <= held:
        raise ValidationFailed(_l("Name a member of this household and at most the shares they hold."),
                               field="share_quantity", rule="R7.11")
    return {"share_person_id": person.id, "share_quantity": share_quantity}


def _held_parcels(session: Session, household_code: str, codes: list[str]) -> list[str]:
    contract = session.scalar(sa.select(Contract).where(
        Contract.household_code == household_code, Contract.valid_to.is_(None),
        Contract.status == "registered"))
    held = {cp.parcel_code for cp in contract.parcels} if contract else set()
    if not codes or not set(codes) <= held:
        raise ValidationFailed(_l("Name parcels of the household's registered contract."),
                               field="parcel_codes", rule="R1.14")
    return sorted(set(codes))


def _review_needed(session: Session, household_code: str, today: date) -> str:
    """G4: flag a request filed within the review window after a member's settlement."""
    days = int(setting(session, "withdrawal_review_days", "180"))
    recent = session.scalar(
        sa.select(Settlement.id).join(HouseholdMember, HouseholdMember.person_id == Settlement.person_id)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(Household.code == household_code, HouseholdMember.valid_to.is_(None),
               Settlement.settled_on >= today - timedelta(days=days)).limit(1))
    return "pending" if recent else "none"


def _open_withdrawal(session: Session, withdrawal_id: int) -> Withdrawal:
    withdrawal = session.scalar(sa.select(Withdrawal).where(Withdrawal.id == withdrawal_id).with_for_update())
    if withdrawal is None:
        raise NotFound(_l("No withdrawal request no. %(id)s.", id=withdrawal_id), field="withdrawal_id")
    if withdrawal.status != "requested":
        raise Conflict(_l("This request is already %(status)s.", status=withdrawal.status),
                       field="withdrawal_id")
    return withdrawal


def cancel_withdrawal(session: Session, actor: Actor, *, withdrawal_id: int) -> Withdrawal:
    """Cancel a withdrawal request before it takes effect (G3): the holder, or the officer.

    Raises:
        Forbidden: someone else. Conflict: already effective or cancelled.
    """
    withdrawal = _open_withdrawal(session, withdrawal_id)
    if not (actor.role == "farmer" and actor.household_code == withdrawal.household_code):
        require_notice_officer(actor, withdrawal.household_code)
    withdrawal.status, withdrawal.cancelled_at = "cancelled", clock.now()
    flush_or_raise(session)
    registry.record(session, actor, "cancel_withdrawal", withdrawal.kind, withdrawal.household_code,
                    details={"withdrawal": withdrawal.id})
    return withdrawal


def review_withdrawal(session: Session, actor: Actor, *, withdrawal_id: int, voluntary: bool,
                      note: str) -> Withdrawal:
    """The county's finding on a flagged request (G4): voluntary, or not (then it never takes effect).

    Raises:
        Forbidden: not the county administrator. Conflict: not waiting for a review.
    """
    withdrawal = _open_withdrawal(session, withdrawal_id)
    require_certificate_issuer(actor, withdrawal.household_code)  # the county decides (G4)
    if withdrawal.review != "pending":
        raise Conflict(_l("This request does not wait for a review."), field="withdrawal_id", rule="G4")
    if not (note or "").strip():
        raise ValidationFailed(_l("Record how voluntariness was checked."), field="note", rule="G4")
    withdrawal.review = "voluntary" if voluntary else "not_voluntary"
    withdrawal.review_note, withdrawal.reviewed_by = note.strip(), actor.user_id
    flush_or_raise(session)
    return withdrawal


def apply_due_withdrawals(session: Session, actor: Actor, *, today: date | None = None) -> list[Withdrawal]:
    """Give effect to requests whose date has come and that no review holds back: the register
    changes by new versions (R1.14, R6.6, R7.11). Run daily (`landrights withdrawals apply`).

    Raises:
        Forbidden: not the system or a registry writer.
    """
    if actor.role not in ("system", "county_admin", "township_officer"):
        raise forbidden()
    today = today or clock.today()
    due = session.scalars(sa.select(Withdrawal).where(
        Withdrawal.status == "requested", Withdrawal.effective_on <= today,
        Withdrawal.review.in_(("none", "voluntary"))).order_by(Withdrawal.id).with_for_update()).all()
    done = []
    for withdrawal in due:
        if actor.area_prefix and not withdrawal.household_code.startswith(actor.area_prefix):
            continue
        _EFFECTS[withdrawal.kind](session, actor, withdrawal)
        withdrawal.status, withdrawal.effected_at = "effective", clock.now()
        flush_or_raise(session)
        done.append(withdrawal)
    return done


def _return_land(session: Session, actor: Actor, withdrawal: Withdrawal) -> None:
    contract = session.scalar(sa.select(Contract).where(
        Contract.household_code == withdrawal.household_code, Contract.valid_to.is_(None)))
    kept = [{"parcel_code": cp.parcel_code, "parcel_id": cp.parcel_id,
             "contract_area_m2": cp.contract_area_m2, "confirmed_area_m2": cp.confirmed_area_m2}
            for cp in contract.parcels if cp.parcel_code not in withdrawal.parcel_codes]
    document = f"自愿有偿交回承包地 退出申请 {withdrawal.id}"
    registry.return_parcels(session, actor, household_code=withdrawal.household_code, kept=kept,
                            returned=withdrawal.parcel_codes, document=document)
    # the returned parcels go back to the collective, free to be contracted again (R1.14)
    session.execute(sa.delete(Claim).where(Claim.parcel_code.in_(withdrawal.parcel_codes)))
    valid = session.scalar(sa.select(Certificate).where(Certificate.code == contract.code,
                                                        Certificate.status == "valid"))
    if valid is not None and not kept:  # nothing left to certify; a partial return is replaced (换发)
        certificates.cancel_certificate(session, SYSTEM, code=contract.code, reason="承包地全部自愿交回",
                                        document=document)


def _withdraw_homestead(session: Session, actor: Actor, withdrawal: Withdrawal) -> None:
    homestead.withdraw_homestead(session, actor, code=withdrawal.homestead_code,
                                 document=f"宅基地自愿有偿退出 退出申请 {withdrawal.id}")


def _buy_back(session: Session, actor: Actor, withdrawal: Withdrawal) -> None:
    id_number = session.scalar(sa.select(Person.id_number).where(Person.id == withdrawal.share_person_id))
    collective.buy_back_shares(session, actor, from_id_number=id_number,
                               quantity=withdrawal.share_quantity, price_yuan=withdrawal.compensation_yuan,
                               document=f"股权集体回购 退出申请 {withdrawal.id}")


_EFFECTS = {"land_return": _return_land, "homestead": _withdraw_homestead, "shares": _buy_back}
