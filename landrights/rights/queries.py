"""Reads about retained rights that other domains ask (kept free of their services)."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import to_shape
from sqlalchemy.orm import Session

from landrights.accounts.permissions import Actor, require_login
from landrights.certification.models import Certificate
from landrights.collective.models import Distribution, Membership, Payout, ShareAccount, ShareHolding
from landrights.errors import NotFound
from landrights.homestead.models import Homestead
from landrights.registry.models import Contract, ContractParcel, Household, HouseholdMember, Parcel, Person
from landrights.registry.rules import RELATIONS
from landrights.rights import permissions
from landrights.rights.models import Settlement, Withdrawal


def held_for_review(session: Session, today: date) -> int:
    """Count the requests due by today that wait for the county's review of voluntariness (G4)."""
    return session.scalar(sa.select(sa.func.count()).select_from(Withdrawal).where(
        Withdrawal.status == "requested", Withdrawal.effective_on <= today, Withdrawal.review == "pending"))


def retained_rights(session: Session, actor: Actor, household_code: str) -> dict:
    """Return every right a household holds now, wherever its members live (G5): contracted parcels
    with contract and certificate status, homestead, memberships and shares, dividends paid and
    due, transfers, withdrawal requests, and the members' settlements. Names only, no ID numbers.

    Raises:
        Forbidden: not the household itself nor an official of its area, whether or not the code
            exists. NotFound: no such household in the actor's area.
    """
    permissions.require_see_rights(actor, household_code)  # from the code alone, before the lookup: no oracle
    household = session.scalar(sa.select(Household).where(Household.code == household_code))
    if household is None:
        raise NotFound(_l("No household with code %(code)s.", code=household_code), field="household_code")
    return {"household": {"code": household.code, "name": household.name},
            "members": _members(session, household.id),
            "contract": _contract(session, household_code),
            "homestead": _homestead(session, household_code),
            "shares": _shares(session, household_code),
            "dividends": _dividends(session, household_code),
            "transfers": _transfers(session, household_code),
            "withdrawals": _withdrawals(session, household_code)}


def _members(session: Session, household_id: int) -> list[dict]:
    rows = session.execute(
        sa.select(Person, HouseholdMember, Membership)
        .join(HouseholdMember, HouseholdMember.person_id == Person.id)
        .outerjoin(Membership, sa.and_(Membership.person_id == Person.id, Membership.status == "member"))
        .where(HouseholdMember.household_id == household_id, HouseholdMember.valid_to.is_(None))
        .order_by(HouseholdMember.relation, Person.id)).all()
    settled = {s.person_id: s for s in session.scalars(sa.select(Settlement).where(
        Settlement.person_id.in_([p.id for p, _, _ in rows])).order_by(Settlement.settled_on))}
    return [{"name": p.name, "relation": RELATIONS.get(m.relation, m.relation), "co_holder": m.is_co_holder,
             "member_of": ms.collective_code if ms else None, "member_basis": ms.basis if ms else None,
             "settled": {"on": settled[p.id].settled_on.isoformat(), "city": settled[p.id].city}
             if p.id in settled else None} for p, m, ms in rows]


def _contract(session: Session, household_code: str) -> dict | None:
    contract = session.scalar(sa.select(Contract).where(Contract.household_code == household_code,
                                                        Contract.valid_to.is_(None)))
    if contract is None:
        return None
    parcels = session.execute(
        sa.select(ContractParcel, Parcel).join(Parcel, Parcel.id == ContractParcel.parcel_id)
        .where(ContractParcel.contract_id == contract.id).order_by(ContractParcel.parcel_code)).all()
    certificate = session.scalar(sa.select(Certificate).where(Certificate.code == contract.code)
                                 .order_by(Certificate.serial.desc()).limit(1))
    return {"code": contract.code, "version": contract.version, "status": contract.status,
            "term_start": contract.term_start.isoformat(), "term_end": contract.term_end.isoformat(),
            "total_area_m2": float(sum(cp.confirmed_area_m2 for cp, _ in parcels)),
            "parcels": [{"code": cp.parcel_code, "area_m2": float(cp.confirmed_area_m2), "name": p.name,
                         "is_basic_farmland": p.is_basic_farmland, "geometry": to_shape(p.geom)}
                        for cp, p in parcels],
            "certificate": {"serial": certificate.serial, "status": certificate.status,
                            "printed_no": certificate.printed_no,
                            "current": certificate.contract_id == contract.id} if certificate else None}


def _homestead(session: Session, household_code: str) -> dict | None:
    found = session.scalar(sa.select(Homestead).where(Homestead.household_code == household_code,
                                                      Homestead.valid_to.is_(None))
                           .order_by(Homestead.status).limit(1))
    if found is None:
        return None
    return {"code": found.code, "area_m2": round(found.area_m2, 2), "land_source": found.land_source,
            "status": found.status, "approved_on": found.approved_on.isoformat(),
            "real_estate_unit": found.real_estate_unit, "geometry": to_shape(found.geom)}


def _shares(session: Session, household_code: str) -> dict | None:
    account = session.scalar(sa.select(ShareAccount).where(ShareAccount.household_code == household_code))
    if account is None:
        return None
    holdings = session.execute(
        sa.select(Person.name, ShareHolding.quantity).join(Person, Person.id == ShareHolding.person_id)
        .where(ShareHolding.account_id == account.id, ShareHolding.valid_to.is_(None))
        .order_by(Person.id)).all()
    return {"certificate": account.code, "collective_code": account.collective_code,
            "total": float(sum(q for _, q in holdings)),
            "holdings": [{"name": n, "quantity": float(q)} for n, q in holdings]}


def _dividends(session: Session, household_code: str) -> list[dict]:
    rows = session.execute(
        sa.select(Distribution, Payout).join(Payout, Payout.distribution_id == Distribution.id)
        .join(ShareAccount, ShareAccount.id == Payout.account_id)
        .where(ShareAccount.household_code == household_code).order_by(Distribution.year.desc())).all()
    return [{"year": d.year, "amount_per_share": float(d.amount_per_share), "shares": float(p.shares),
             "amount_yuan": f"{p.amount_yuan:.2f}", "paid_on": p.paid_on.isoformat() if p.paid_on else None}
            for d, p in rows]


def _withdrawals(session: Session, household_code: str) -> list[dict]:
    rows = session.scalars(sa.select(Withdrawal).where(Withdrawal.household_code == household_code)
                           .order_by(Withdrawal.id.desc()))
    return [{"id": w.id, "kind": w.kind, "status": w.status, "review": w.review,
             "notice_on": w.notice_on.isoformat(), "filed_on": w.filed_on.isoformat(),
             "request_method": w.request_method,
             "effective_on": w.effective_on.isoformat(), "compensation_yuan": f"{w.compensation_yuan:.2f}",
             "parcel_codes": w.parcel_codes, "homestead_code": w.homestead_code} for w in rows]


def _transfers(session: Session, household_code: str) -> list[dict]:
    """The household's filed transfers of management rights with the rent it received (R1.22)."""
    from landrights.market.models import RentPayment, TransferContract, Transferee

    rows = session.execute(
        sa.select(TransferContract, Transferee.name)
        .join(Transferee, Transferee.id == TransferContract.transferee_id)
        .where(TransferContract.household_code == household_code,
               TransferContract.status.in_(("filed", "terminated"))).order_by(TransferContract.id)).all()
    result = []
    for contract, transferee in rows:
        payments = session.scalars(sa.select(RentPayment).where(RentPayment.contract_id == contract.id)
                                   .order_by(RentPayment.due_on)).all()
        result.append({
            "code": contract.code, "transferee": transferee, "status": contract.status,
            "parcel_codes": contract.parcel_codes, "term_start": contract.term.lower.isoformat(),
            "term_end": (contract.term.upper - timedelta(days=1)).isoformat(),
            "annual_rent_yuan": f"{contract.annual_rent_yuan:.2f}",
            "rent_received_yuan": f"{sum(p.amount_yuan for p in payments if p.paid_on):.2f}",
            "rent_due": [{"due_on": p.due_on.isoformat(), "amount_yuan": f"{p.amount_yuan:.2f}"}
                         for p in payments if p.paid_on is None]})
    return result


def get_withdrawal(session: Session, actor: Actor, withdrawal_id: int) -> Withdrawal:
    """Return a withdrawal request to its household and to the officials of its area.

    Raises:
        Unauthenticated: anonymous. Forbidden: no such request among those the actor may see (an
            unknown number and another's request get one answer).
    """
    from landrights.errors import Forbidden

    require_login(actor)
    withdrawal = session.get(Withdrawal, withdrawal_id)
    if withdrawal is None or not permissions.can_see_rights(actor, withdrawal.household_code):
        raise Forbidden(_l("There is no withdrawal request with this number that you may see."),
                        field="withdrawal_id")
    return withdrawal
