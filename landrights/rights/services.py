"""The settlement guarantee (DESIGN.md G1-G4; R1.10, R1.11, R1.14, R6.6, R6.7, R7.6, R7.11).

- record_settlement writes the settlement and the person's residence address, nothing else (G1).
- No function here takes a settlement: a withdrawal is the holder's own, paid request (G2, G3),
  whose written notice is dated by its filing (R1.14: in the app, the day it is filed).
- A withdrawal of a household with a member's settlement in the review window, before its filing
  or at any time while it waits, is only *flagged* for a county review of voluntariness (G4), and
  waits until the county finds it voluntary: whatever the order of recording, by migration 0016's
  triggers, and checked again at the moment of effect.
- A withdrawal takes effect only on its effective date, never ahead of it, through the register's
  history (apply_due_withdrawals), and can be cancelled until then.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights import clock, ranges
from landrights.accounts.permissions import SYSTEM, Actor, covers, require_login
from landrights.certification import certificates
from landrights.certification.models import Certificate, Claim
from landrights.collective import services as collective
from landrights.collective.models import ShareHolding
from landrights.db import flush_or_raise
from landrights.errors import Conflict, Forbidden, Formatted, ValidationFailed, forbidden
from landrights.evidence import Upload, signature_method
from landrights.homestead import services as homestead
from landrights.homestead.models import Homestead
from landrights.registry import services as registry
from landrights.registry.conflicts import identity_number, refuse_number_in_conflict
from landrights.registry.models import Contract, Household, HouseholdMember, Person
from landrights.registry.queries import person_in_area
from landrights.rights import permissions, rules
from landrights.rights.models import KINDS, Settlement, Withdrawal


def record_settlement(session: Session, actor: Actor, *, id_number: str, settled_on: date, city: str,
                      document: str, address: str | None = None) -> Settlement:
    """Record that a person settled in a town (进城落户). Only the person's residence changes (G1).

    Raises:
        Unauthenticated: anonymous. Forbidden: not a registry writer; no person with this ID
            number in the actor's area (one answer for a number unknown or registered elsewhere).
        ValidationFailed: no city or document.
    """
    person, household = _settler(session, actor, id_number)
    _check_settlement(person, settled_on, city, document)
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


def _settler(session: Session, actor: Actor, id_number: str) -> tuple[Person, str | None]:
    """Return the person with this ID number in the actor's area and their household's code."""
    require_login(actor)
    if not permissions.role_may_record_settlement(actor):  # the role first: no lookup for others
        raise forbidden()
    refuse_number_in_conflict(session, actor, id_number)  # whose number it is, nobody can tell
    found = person_in_area(session, actor, id_number)
    if found is None:
        raise Forbidden(_l("There is no person with this ID number in your area."), field="id_number")
    person, household = found
    permissions.require_record_settlement(actor, household or person.county_code)
    return person, household


def _check_settlement(person: Person, settled_on: date, city: str, document: str) -> None:
    """Refuse a settlement without its town or document, or dated out of range (R9.1)."""
    if not (city or "").strip() or not (document or "").strip():
        raise ValidationFailed(_l("Give the town and the hukou transfer document."),
                               field="city" if not (city or "").strip() else "document", rule="R9.1")
    ranges.SETTLED_ON.check(settled_on, "settled_on")
    ranges.not_before(settled_on, person.birth_date, "settled_on", _l(
        "The settlement date lies before the person's birth, %(date)s.", date=person.birth_date), "R9.1")


def _household_of(session: Session, person_id: int) -> str | None:
    return session.scalar(
        sa.select(Household.code).join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.person_id == person_id, HouseholdMember.valid_to.is_(None)))


def request_withdrawal(session: Session, actor: Actor, *, household_code: str, kind: str,
                       compensation_yuan: Decimal, effective_on: date, notice_on: date | None = None,
                       signed_by: str | None = None, scan: Upload | None = None,
                       parcel_codes: list[str] | None = None, homestead_code: str | None = None,
                       share_id_number: str | None = None, share_quantity: Decimal | None = None,
                       improvement_yuan: Decimal = Decimal(0)) -> Withdrawal:
    """File the holder's own request to give up one right for compensation (有偿退出, G3).

    A request filed in the app is the holder's written notice, given the day it is filed (the
    server's clock): notice_on is left out or that day. An officer recording the holder's signed
    paper gives the date on it (R1.14). The database flags the request for the county's review when
    a member's settlement lies in the review window (G4).

    Raises:
        Forbidden: neither the household itself nor the township officer recording its signed
            request. ValidationFailed: no compensation, a notice date other than the filing day in
            the app, a paper notice dated after the filing or more than 30 days before it, land
            returned on less than six months' written notice (R1.14), an officer without the scan,
            a right the household does not hold.
    """
    method = signature_method(actor, household_code, scan, in_app="holder", missing_scan=_l(
        "An officer records a withdrawal only with the scan of the holder's own signed request."),
        rule="G3")
    if kind not in KINDS:
        raise ValidationFailed(_l("Kind is land_return, homestead or shares."), field="kind")
    now = clock.now()
    _check_amounts(compensation_yuan, improvement_yuan)
    notice_on = _notice_on(method, notice_on, clock.local_date(now))
    _check_dates(kind, notice_on, effective_on)
    subject = _check_subject(session, household_code, kind, parcel_codes, homestead_code,
                             share_id_number, share_quantity, effective_on)
    withdrawal = Withdrawal(
        county_code=household_code[:6], household_code=household_code, kind=kind, **subject,
        request_method=method, request_signed_by=signed_by or actor.name,
        request_scan_name=scan and scan.name, request_scan=scan and scan.data,
        requested_by=actor.user_id, requested_at=now, compensation_yuan=compensation_yuan,
        improvement_yuan=improvement_yuan or Decimal(0), notice_on=notice_on, effective_on=effective_on,
        status="requested", review="none")  # migration 0016 flags it when G4 applies
    session.add(withdrawal)
    flush_or_raise(session)
    session.refresh(withdrawal, ["review"])
    registry.record(session, actor, "request_withdrawal", kind, household_code,
                    details={"withdrawal": withdrawal.id, "compensation": str(compensation_yuan)})
    return withdrawal


def _check_amounts(compensation_yuan: Decimal, improvement_yuan: Decimal) -> None:
    """Refuse an unpaid withdrawal or compensation out of range (G3, R1.11)."""
    if compensation_yuan is None or compensation_yuan <= 0:
        raise ValidationFailed(_l("A withdrawal is always paid: state the compensation."),
                               field="compensation_yuan", rule="R1.14, R6.6, G3")
    ranges.COMPENSATION.check(compensation_yuan, "compensation_yuan")
    ranges.IMPROVEMENT.check(improvement_yuan, "improvement_yuan")
    if improvement_yuan and improvement_yuan > compensation_yuan:  # R1.11: part of the compensation
        raise ValidationFailed(_l("The compensation for improvements is part of the compensation: at most "
                                  "%(max)s yuan.", max=compensation_yuan), field="improvement_yuan",
                               rule="R1.11")


_NOTICE_PROBLEMS = {
    "in_app": _l("A request filed here is your written notice, given today, %(filed)s: leave the "
                 "notice date out. The six months run from today."),
    "missing": _l("Give the date written on the holder's signed notice."),
    "after_filing": _l("The notice cannot be dated after today, %(filed)s."),
    "too_old": _l("This paper notice is dated %(date)s, but a paper notice is recorded within %(days)s "
                  "days of its date: ask the holder to sign a new notice, from which the six months run."),
}


def _notice_on(method: str, notice_on: date | None, filed_on: date) -> date:
    """Return the day the written notice counts as given (R1.14; issue 17: never the client's
    choice in the app, never older than a month on paper)."""
    problem = rules.notice_problem(method, notice_on, filed_on)
    if problem is not None:
        raise ValidationFailed(Formatted(_NOTICE_PROBLEMS[problem], {
            "filed": filed_on, "days": rules.PAPER_NOTICE_DAYS, "date": notice_on}),
            field="notice_on", rule="R1.14")
    return notice_on or filed_on


def _check_dates(kind: str, notice_on: date, effective_on: date) -> None:
    """Refuse dates out of range or order: land is returned six months after the notice (R1.14)."""
    ranges.NOTICE_ON.check(notice_on, "notice_on")
    ranges.EFFECTIVE_ON.check(effective_on, "effective_on")
    if effective_on < notice_on:
        raise ValidationFailed(_l("It takes effect after the notice is given."), field="effective_on")
    earliest = rules.earliest_effect(kind, notice_on)
    if effective_on < earliest:
        raise ValidationFailed(_l("Contracted land is returned on six months' written notice: "
                                  "effective on %(date)s at the earliest.", date=earliest),
                               field="effective_on", rule="R1.14")


def _check_subject(session: Session, household_code: str, kind: str, parcel_codes, homestead_code,
                   share_id_number, share_quantity, effective_on: date) -> dict:
    if kind == "land_return":
        return {"parcel_codes": _held_parcels(session, household_code, parcel_codes or [], effective_on)}
    if kind == "homestead":
        return {"homestead_code": _held_homestead(session, household_code, homestead_code)}
    return _held_shares(session, household_code, share_id_number, share_quantity)


def _held_homestead(session: Session, household_code: str, homestead_code: str | None) -> str:
    """Return the code of the household's active homestead named, or refuse (R6.6)."""
    found = session.scalar(sa.select(Homestead.code).where(
        Homestead.code == (homestead_code or ""), Homestead.household_code == household_code,
        Homestead.valid_to.is_(None), Homestead.status == "active"))
    if found is None:
        raise ValidationFailed(_l("The household holds no active homestead %(code)s.",
                                  code=homestead_code), field="homestead_code", rule="R6.6")
    return found


def _held_shares(session: Session, household_code: str, share_id_number, share_quantity) -> dict:
    """Return the member and quantity of shares to give up: a member of this household, at most
    the shares they hold (R7.11)."""
    person = session.scalar(sa.select(Person).where(identity_number(share_id_number)))
    held = person and session.scalar(sa.select(ShareHolding.quantity).where(
        ShareHolding.person_id == person.id, ShareHolding.valid_to.is_(None)))
    if not held or _household_of(session, person.id) != household_code or \
            not share_quantity or not Decimal(0) < share_quantity <= held:
        raise ValidationFailed(_l("Name a member of this household and at most the shares they hold."),
                               field="share_quantity", rule="R7.11")
    ranges.SHARE_QUANTITY.check(share_quantity, "share_quantity")
    return {"share_person_id": person.id, "share_quantity": share_quantity}


def _held_parcels(session: Session, household_code: str, codes: list[str], effective_on: date) -> list[str]:
    contract = session.scalar(sa.select(Contract).where(
        Contract.household_code == household_code, Contract.valid_to.is_(None),
        Contract.status == "registered"))
    held = {cp.parcel_code for cp in contract.parcels} if contract else set()
    if not codes or not set(codes) <= held:
        raise ValidationFailed(_l("Name parcels of the household's registered contract."),
                               field="parcel_codes", rule="R1.14")
    if effective_on > contract.term_end:  # R1.14: land is returned during the term
        raise ValidationFailed(_l("Land is returned during the contract's term: it takes effect by "
                                  "%(end)s at the latest.", end=contract.term_end),
                               field="effective_on", rule="R1.14")
    return sorted(set(codes))


def _open_withdrawal(session: Session, actor: Actor, withdrawal_id: int, may) -> Withdrawal:
    """Lock a request the actor may act on (may); an unknown number gets the same refusal as
    another's request, so the numbers in use stay unknown to those who may not act on them."""
    withdrawal = session.scalar(sa.select(Withdrawal).where(Withdrawal.id == withdrawal_id).with_for_update()
                                .execution_options(populate_existing=True))  # as triggers left it
    if withdrawal is None or not may(withdrawal):
        raise Forbidden(_l("There is no withdrawal request with this number that you may act on."),
                        field="withdrawal_id")
    if withdrawal.status != "requested":
        raise Conflict(_l("This request is already %(status)s.", status=withdrawal.status),
                       field="withdrawal_id")
    return withdrawal


def cancel_withdrawal(session: Session, actor: Actor, *, withdrawal_id: int) -> Withdrawal:
    """Cancel a withdrawal request before it takes effect (G3): the holder, or the officer.

    Raises:
        Unauthenticated: anonymous. Forbidden: someone else (an unknown number alike).
        Conflict: already effective or cancelled.
    """
    require_login(actor)
    if not permissions.role_may_cancel_withdrawal(actor):
        raise forbidden()
    withdrawal = _open_withdrawal(session, actor, withdrawal_id,
                                  lambda w: permissions.can_cancel_withdrawal(actor, w.household_code))
    withdrawal.status, withdrawal.cancelled_at = "cancelled", clock.now()
    flush_or_raise(session)
    registry.record(session, actor, "cancel_withdrawal", withdrawal.kind, withdrawal.household_code,
                    details={"withdrawal": withdrawal.id})
    return withdrawal


def review_withdrawal(session: Session, actor: Actor, *, withdrawal_id: int, voluntary: bool,
                      note: str) -> Withdrawal:
    """The county's finding on a flagged request (G4): voluntary, or not (then it never takes effect).

    Raises:
        Unauthenticated: anonymous. Forbidden: not the county administrator of the request's
            area (an unknown number alike). Conflict: not waiting for a review.
    """
    require_login(actor)
    if not permissions.role_may_review_withdrawal(actor):  # the county decides (G4)
        raise forbidden()
    withdrawal = _open_withdrawal(session, actor, withdrawal_id, lambda w: covers(actor, w.household_code))
    permissions.require_review_withdrawal(actor, withdrawal.household_code)
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
    changes by new versions (R1.14, R6.6, R7.11). Run daily (`landrights withdrawals apply`). G4 is
    checked again at the moment of effect (and by the database): a request a settlement now holds
    is flagged for the county's review instead.

    Raises:
        Forbidden: not the system or a registry writer. ValidationFailed: a day after today (a
            withdrawal never takes effect ahead of its date; the holder may cancel until then).
    """
    if not permissions.role_may_apply_withdrawals(actor):
        raise forbidden()
    today = today or clock.today()
    if today > clock.today():
        raise ValidationFailed(_l("A withdrawal takes effect on its date, never ahead of it: give a day "
                                  "up to today, %(today)s.", today=clock.today()), field="date", rule="G3")
    due = session.execute(sa.select(Withdrawal.id, Withdrawal.household_code).where(
        Withdrawal.status == "requested", Withdrawal.effective_on <= today,
        Withdrawal.review.in_(("none", "voluntary"))).order_by(Withdrawal.id)).all()
    done = []
    for withdrawal_id, household_code in due:
        if actor.area_prefix and not household_code.startswith(actor.area_prefix):
            continue
        withdrawal = _lock_if_still_due(session, withdrawal_id, household_code)
        if withdrawal is None:
            continue
        _EFFECTS[withdrawal.kind](session, actor, withdrawal)
        withdrawal.status, withdrawal.effected_at = "effective", clock.now()
        flush_or_raise(session)
        done.append(withdrawal)
    return done


def _lock_if_still_due(session: Session, withdrawal_id: int, household_code: str) -> Withdrawal | None:
    """Lock the household's G4 decision, then the request (the triggers' order: no deadlock with a
    settlement being recorded), and return it if it may take effect now. A settlement in its review
    window flags it for the county instead (G4); a notice that breaks R1.14 (a request filed before
    migration 0016) never lets it take effect."""
    registry.lock_code(session, "withdrawal_review", household_code)
    withdrawal = session.scalar(sa.select(Withdrawal).where(
        Withdrawal.id == withdrawal_id, Withdrawal.status == "requested",
        Withdrawal.review.in_(("none", "voluntary"))).with_for_update()
        .execution_options(populate_existing=True))
    if withdrawal is None or rules.notice_problem(withdrawal.request_method, withdrawal.notice_on,
                                                  withdrawal.filed_on):
        return None
    if withdrawal.review == "none" and session.scalar(sa.select(sa.func.lr_settled_since(
            withdrawal.county_code, withdrawal.household_code,
            sa.func.lr_review_since(withdrawal.notice_on, withdrawal.requested_at)))):
        withdrawal.review = "pending"
        flush_or_raise(session)
        return None
    return withdrawal


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
