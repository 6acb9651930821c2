"""Pledges of the management right as financing security (经营权融资担保, R1.30): filed with the
collective through the township officer (R2.10), released when the loan is repaid. While a pledge
is active for a term, its parcels cannot be listed for an overlapping term (the trigger of
migration 0007; create_listing checks first for a clear message)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.orm import Session

from landrights import clock, ranges
from landrights.accounts.permissions import Actor, covers, require_area, require_login
from landrights.db import flush_or_raise
from landrights.errors import Conflict, Forbidden, ValidationFailed, forbidden
from landrights.market import permissions
from landrights.market.models import TransferContract
from landrights.market.pledge_models import Pledge, PledgeParcel
from landrights.registry import services as registry


def pledged_parcel(session: Session, parcel_codes: list[str], term: Range) -> str | None:
    """Return the first of these parcels under an active pledge overlapping the term, or None."""
    return session.scalar(sa.select(PledgeParcel.parcel_code).join(Pledge).where(
        PledgeParcel.parcel_code.in_(parcel_codes), Pledge.status == "active",
        Pledge.term.op("&&")(term)).order_by(PledgeParcel.parcel_code).limit(1))


def record_pledge(session: Session, actor: Actor, *, household_code: str, parcel_codes: list[str],
                  creditor: str, amount_yuan: Decimal, term_start: date, term_end: date, document: str,
                  contract_code: str | None = None, consent_document: str | None = None) -> Pledge:
    """File a pledge of the management right of some parcels (township officer): the household's
    own (parcels of its confirmed contract, within its term), or a transferee's pledge of its
    filed transfer with the household's written consent (R1.30).

    Raises:
        Forbidden: not the township officer of the area. ValidationFailed: no creditor, amount,
            document or consent; parcels or term outside the contract or transfer.
    """
    permissions.require_work_desk(actor, household_code)
    _require_terms(creditor, amount_yuan, term_start, term_end, document)
    if contract_code:
        last_day = _transfer_covering(session, household_code, contract_code, parcel_codes, consent_document)
    else:
        from landrights.market.services import _confirmed_contract

        last_day = _confirmed_contract(session, household_code, parcel_codes).term_end
    if term_end > last_day:
        raise ValidationFailed(_l("The pledge must end by %(end)s, the end of the right pledged.",
                                  end=last_day), field="term_end", rule="R1.30")
    contract_id = session.scalar(sa.select(TransferContract.id).where(
        TransferContract.code == contract_code)) if contract_code else None
    pledge = Pledge(county_code=household_code[:6], household_code=household_code, contract_id=contract_id,
                    pledgor="transferee" if contract_code else "household", creditor=creditor.strip(),
                    amount_yuan=amount_yuan,
                    term=Range(term_start, term_end + timedelta(days=1), bounds="[)"),
                    document=document.strip(), consent_document=consent_document, filed_by=actor.user_id,
                    filed_at=clock.now(), status="active", parcel_codes=sorted(parcel_codes))
    session.add(pledge)
    flush_or_raise(session)
    for code in sorted(parcel_codes):  # one order for the per-parcel locks
        session.add(PledgeParcel(pledge=pledge, county_code=pledge.county_code, parcel_code=code))
    flush_or_raise(session)
    registry.record(session, actor, "pledge", "household", household_code,
                    details={"pledge": pledge.id, "parcels": pledge.parcel_codes,
                             "creditor": pledge.creditor})
    return pledge


def _require_terms(creditor: str, amount_yuan: Decimal | None, start: date, end: date, document: str) -> None:
    if not (creditor or "").strip():
        raise ValidationFailed(_l("Name the creditor (the financial institution)."), field="creditor",
                               rule="R1.30")
    if not amount_yuan or amount_yuan <= 0:
        raise ValidationFailed(_l("Give the secured amount in yuan."), field="amount_yuan", rule="R1.30")
    ranges.PLEDGE_AMOUNT.check(amount_yuan, "amount_yuan")
    ranges.TERM_START.check(start, "term_start")
    ranges.TERM_END.check(end, "term_end")
    if not start < end:
        raise ValidationFailed(_l("The pledge must end after it starts."), field="term_end", rule="R1.30")
    if not (document or "").strip():
        raise ValidationFailed(_l("Give the guarantee contract's number or title."), field="document",
                               rule="R1.30")


def _transfer_covering(session: Session, household_code: str, contract_code: str, parcel_codes: list[str],
                       consent_document: str | None) -> date:
    contract = session.scalar(sa.select(TransferContract).where(TransferContract.code == contract_code))
    if contract is None or contract.household_code != household_code or contract.status != "filed" or \
            not parcel_codes or not set(parcel_codes) <= set(contract.parcel_codes):
        raise ValidationFailed(_l("A transferee pledges only parcels of its filed transfer from this "
                                  "household."), field="contract_code", rule="R1.30")
    if not (consent_document or "").strip():
        raise ValidationFailed(_l("A transferee pledges the management right only with the household's "
                                  "written consent."), field="consent_document", rule="R1.30")
    return contract.term.upper - timedelta(days=1)


def release_pledge(session: Session, actor: Actor, *, pledge_id: int, document: str) -> Pledge:
    """Release a pledge (loan repaid or creditor's release), on its document (township officer).

    Raises:
        Unauthenticated: anonymous. Forbidden: not a township officer; no such pledge in the
            officer's area (one answer for both). ValidationFailed: no document.
        Conflict: already released.
    """
    require_login(actor)
    if not permissions.role_may_work_desk(actor):  # the role first, then the lookup
        raise forbidden()
    pledge = session.scalar(sa.select(Pledge).where(Pledge.id == pledge_id).with_for_update())
    if pledge is None or not covers(actor, pledge.household_code):
        raise Forbidden(_l("There is no pledge with this number in your area."), field="pledge_id")
    if not (document or "").strip():
        raise ValidationFailed(_l("Give the release document."), field="document", rule="R1.30")
    if pledge.status != "active":
        raise Conflict(_l("This pledge was already released."), field="pledge_id")
    pledge.status, pledge.released_at, pledge.release_document = "released", clock.now(), document.strip()
    flush_or_raise(session)
    registry.record(session, actor, "pledge_release", "household", pledge.household_code,
                    details={"pledge": pledge.id})
    return pledge


def pledges_in_area(session: Session, actor: Actor, prefix: str) -> list[Pledge]:
    """Return the pledges of households under a code prefix, active first, newest first.

    Raises:
        Forbidden: outside the actor's area.
    """
    require_area(actor, prefix)
    return list(session.scalars(sa.select(Pledge).where(Pledge.household_code.startswith(prefix))
                                .order_by(Pledge.status, Pledge.id.desc()).limit(500)))
