"""Re-transfer (再流转, R1.29): the household's written consent first, then the transferee passes
its whole transfer to another transferee for the remaining term or less; when the new transferee
signs, the re-transfer is filed with the collective and entered in the township ledger (R2.10,
R2.12). The household's own contract, rent and proceeds stay as they are (R1.22, R1.27)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.orm import Session

from landrights import clock, ranges
from landrights.accounts.permissions import Actor, require_login
from landrights.db import flush_or_raise
from landrights.errors import Conflict, Forbidden, ValidationFailed, forbidden
from landrights.evidence import Upload, signature_method
from landrights.geo.area import m2_to_mu
from landrights.market import permissions
from landrights.market.contracts import _contract, passes_gate
from landrights.market.models import LedgerEntry, TransferContract, Transferee
from landrights.market.retransfer_models import Retransfer, RetransferConsent
from landrights.registry import services as registry


def last_day(contract: TransferContract) -> date:
    """Return the last day of a transfer's term."""
    return contract.term.upper - timedelta(days=1)


def consent_to_retransfer(session: Session, actor: Actor, *, code: str, until: date | None = None,
                          scan: Upload | None = None, signer_name: str | None = None) -> RetransferConsent:
    """Record the household's written consent that its transferee may re-transfer (R1.29): the
    household in the app, or the township officer with the scan of the signed consent.

    Raises:
        Forbidden: neither the household nor the officer (an unknown code alike).
        ValidationFailed: an officer without a valid scan; an end past the transfer's.
        Conflict: the transfer is not filed.
    """
    contract = _contract(session, actor, code, role_may=permissions.role_may_consent_to_retransfer)
    method = signature_method(actor, contract.household_code, scan, missing_scan=_l(
        "Attach the scan of the consent the household signed."), rule="R1.29")
    if contract.status != "filed":
        raise Conflict(_l("Only a filed transfer can be re-transferred."), field="code", rule="R1.29")
    until = until or last_day(contract)
    ranges.CONSENT_UNTIL.check(until, "until")
    if until > last_day(contract):
        raise ValidationFailed(_l("A re-transfer cannot last past the transfer's end, %(end)s.",
                                  end=last_day(contract)), field="until", rule="R1.21")
    consent = RetransferConsent(county_code=contract.county_code, contract_id=contract.id, until=until,
                                method=method,
                                signer_name=signer_name or actor.name or contract.household_code,
                                consented_at=clock.now(), recorded_by=actor.user_id,
                                scan_name=scan and scan.name, scan_type=scan and scan.content_type,
                                scan=scan and scan.data)
    session.add(consent)
    flush_or_raise(session)
    return consent


def retransfer(session: Session, actor: Actor, *, code: str, to_transferee_id: int, term_start: date,
               term_end: date, price: Decimal, payment_schedule: str) -> Retransfer:
    """Re-transfer a filed transfer, as its transferee, to another registered transferee for the
    remaining term or less; the transferor signs by making it (R1.29).

    Raises:
        Forbidden: not the transferee (an unknown code alike). ValidationFailed: no recorded
            consent of the household, a term outside the transfer's or the consent's, no price,
            the new transferee unknown or short of the county review (R1.28). Conflict: not
            filed, or already re-transferred for an overlapping term (EXCLUDE
            retransfers_no_overlap).
    """
    contract = _contract(session, actor, code)
    transferor = session.get(Transferee, contract.transferee_id)
    if transferor.user_id != actor.user_id or actor.user_id is None:
        raise forbidden()
    if contract.status != "filed":
        raise Conflict(_l("Only a filed transfer can be re-transferred."), field="code", rule="R1.29")
    consent = session.scalar(sa.select(RetransferConsent).where(RetransferConsent.contract_id == contract.id)
                             .order_by(RetransferConsent.until.desc()).limit(1))
    if consent is None:
        raise ValidationFailed(_l("A re-transfer needs the household's written consent, recorded first."),
                               field="consent", rule="R1.29")
    _check_term(contract, consent, term_start, term_end)
    to = _new_transferee(session, contract, transferor, to_transferee_id)
    if not price or price <= 0:
        raise ValidationFailed(_l("Give a price per mu and year."), field="price")
    ranges.PRICE.check(price, "price")
    serial = session.scalar(sa.select(sa.func.nextval("transfer_contract_serial_seq")))
    rent = (m2_to_mu(contract.area_m2) * price).quantize(Decimal("0.01"), ROUND_HALF_UP)
    done = Retransfer(county_code=contract.county_code,
                      code=f"{contract.county_code}{term_start.year:04d}{serial:08d}",
                      contract_id=contract.id, consent_id=consent.id, to_transferee_id=to.id,
                      term=Range(term_start, term_end + timedelta(days=1), bounds="[)"), price=price,
                      annual_rent_yuan=rent,
                      payment_schedule=payment_schedule, transferor_signed_at=clock.now(), status="draft")
    session.add(done)
    flush_or_raise(session)
    return done


def _check_term(contract: TransferContract, consent: RetransferConsent, start: date, end: date) -> None:
    limit = min(last_day(contract), consent.until)
    if not max(contract.term.lower, clock.today()) <= start < end <= limit:  # the remaining term
        raise ValidationFailed(_l("A re-transfer lies within the transfer's remaining term and the "
                                  "household's consent: at the latest until %(end)s.", end=limit),
                               field="term_end", rule="R1.29")


def _new_transferee(session: Session, contract: TransferContract, transferor: Transferee,
                    to_transferee_id: int) -> Transferee:
    to = session.get(Transferee, to_transferee_id)
    if to is None or to.id == transferor.id:
        raise ValidationFailed(_l("Name another registered transferee."), field="to_transferee_id")
    if not passes_gate(session, to, contract.household_code, contract.area_m2):
        raise ValidationFailed(_l("This transferee needs the county's approved review for this area."),
                               field="to_transferee_id", rule="R1.28")
    return to


def sign_retransfer(session: Session, actor: Actor, *, code: str) -> Retransfer:
    """Sign a re-transfer as its new transferee; it is then filed and entered in the ledger (R2.10).

    Raises:
        Unauthenticated: anonymous. Forbidden: not the new transferee, or no such re-transfer
            (one answer for both). Conflict: already filed.
    """
    require_login(actor)
    done = session.scalar(sa.select(Retransfer).where(Retransfer.code == code).with_for_update())
    if done is None or actor.user_id is None or session.scalar(
            sa.select(Transferee.user_id).where(Transferee.id == done.to_transferee_id)) != actor.user_id:
        raise Forbidden(_l("There is no re-transfer with this code for you to sign."), field="code")
    if done.status != "draft":
        raise Conflict(_l("The contract is already %(status)s.", status=done.status), field="code")
    contract = session.get(TransferContract, done.contract_id)
    now = clock.now()
    done.transferee_signed_at, done.filed_at, done.status = now, now, "filed"
    session.add(LedgerEntry(county_code=done.county_code, township_code=contract.household_code[:9],
                            contract_code=done.code, event="retransferred",
                            parcel_codes=contract.parcel_codes,
                            area_m2=contract.area_m2, annual_rent_yuan=done.annual_rent_yuan, at=now))
    flush_or_raise(session)
    registry.record(session, actor, "retransfer", "transfer", contract.code,
                    details={"retransfer": done.code})
    return done


def retransfers_of(session: Session, contract_id: int) -> list[Retransfer]:
    """Return a transfer's re-transfers, oldest first."""
    return list(session.scalars(sa.select(Retransfer).where(Retransfer.contract_id == contract_id)
                                .order_by(Retransfer.id)))
