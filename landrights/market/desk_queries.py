"""Named reads of the township officer's desk (issue 19, journey 5): a household's listings and
transfer contracts, one listing with its bids and deposits, the transferees found by name for a
deposit, and a transfer contract's rent instalments (R1.22)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.models import User
from landrights.accounts.permissions import Actor, require_area, require_login
from landrights.errors import forbidden
from landrights.market import permissions, queries
from landrights.market.deposits import deposit_required
from landrights.market.documents import contract_for
from landrights.market.models import (
    CapitalReview,
    Deposit,
    Listing,
    Offer,
    RentPayment,
    TransferContract,
    Transferee,
)
from landrights.market.pages import listed_by_agent
from landrights.market.services import get_listing
from landrights.registry.models import Household, Parcel


def household_transfers(session: Session, actor: Actor, household_code: str) -> dict:
    """Return the household's listings, newest first, each with its transfer contract's code and
    state where the actor may see it, and whether the actor works the desk for them.

    Raises:
        Unauthenticated: anonymous. Forbidden: not the household nor an official of its area.
    """
    require_area(actor, household_code)
    contracts = {c.listing_id: c for c in session.scalars(sa.select(TransferContract).where(
        TransferContract.household_code == household_code))}
    listings = session.scalars(sa.select(Listing).where(Listing.household_code == household_code)
                               .order_by(Listing.id.desc()))
    return {"desk": permissions.can_work_desk(actor, household_code),
            "rows": [{"listing": queries.listing_dict(x), "contract": contracts.get(x.id)}
                      for x in listings]}


def listing_desk(session: Session, actor: Actor, listing_id: int) -> dict:
    """Return a listing for the township officer: the household, the parcels by name, every bid,
    the deposits recorded, the award and the contract.

    Raises:
        NotFound: no such listing. Forbidden: not the township officer of its area.
    """
    listing = get_listing(session, listing_id)
    permissions.require_work_desk(actor, listing.household_code)
    household = session.scalar(sa.select(Household).where(Household.code == listing.household_code))
    codes = [p.parcel_code for p in listing.parcels]
    names = dict(session.execute(sa.select(Parcel.code, Parcel.name).where(
        Parcel.code.in_(codes), Parcel.valid_to.is_(None))).all())
    deposits = session.execute(
        sa.select(Deposit, Transferee.name).join(Transferee, Transferee.id == Deposit.transferee_id)
        .where(Deposit.listing_id == listing_id).order_by(Deposit.recorded_at)).all()
    winner = session.execute(
        sa.select(Offer, Transferee.name).join(Transferee, Transferee.id == Offer.transferee_id)
        .where(Offer.listing_id == listing_id, Offer.status == "accepted")).first()
    return {"listing": queries.listing_dict(listing), "household": household,
            "parcels": [{"code": c, "name": names.get(c)} for c in codes],
            "bids": queries.listing_bids(session, actor, listing_id)[1], "deposits": deposits,
            "winner": winner, "contract": queries.contract_of_listing(session, actor, listing_id),
            "closed": clock.now() >= listing.priority_until,
            "deposit_required": deposit_required(session, listing),  # R8.4 (4): no less is recorded
            "agent": listed_by_agent(session, listing)}


def find_transferees(session: Session, actor: Actor, q: str, *, listing_id: int | None = None,
                     limit: int = 20) -> list[dict]:
    """Return the registered transferees whose name holds q, or whose credit code or account user
    name is q: each with its kind, the last four characters of its code, whether the county
    approved it (social capital, R1.28) and whether its deposit on the listing is recorded.

    Raises:
        Unauthenticated: anonymous. Forbidden: not an official who records deposits.
    """
    require_login(actor)
    if not permissions.can_find_transferees(actor):
        raise forbidden()
    q = (q or "").strip()
    if not q:
        return []
    approved = sa.exists().where(CapitalReview.transferee_id == Transferee.id,
                                 CapitalReview.decision == "approved",
                                 CapitalReview.valid_until >= clock.today())
    paid = sa.exists().where(Deposit.transferee_id == Transferee.id, Deposit.listing_id == listing_id) \
        if listing_id is not None else sa.false()
    rows = session.execute(
        sa.select(Transferee, User.username, approved.label("approved"), paid.label("paid"))
        .join(User, User.id == Transferee.user_id)
        .where(sa.or_(Transferee.name.icontains(q, autoescape=True), Transferee.credit_code == q,
                      sa.func.lower(User.username) == q.lower()))
        .order_by(Transferee.name, Transferee.id).limit(limit)).all()
    return [{"id": t.id, "name": t.name, "kind": t.kind, "username": username,
             "code_tail": t.credit_code[-4:] if t.credit_code else None, "approved": ok, "paid": done}
            for t, username, ok, done in rows]


def _instalment(payment: RentPayment, today) -> dict:
    """Return one rent instalment with its state: paid, overdue (due before today) or due."""
    state = "paid" if payment.paid_on else "overdue" if payment.due_on < today else "due"
    return {"due_on": payment.due_on, "amount_yuan": payment.amount_yuan, "paid_on": payment.paid_on,
            "state": state}


def rent_schedule(session: Session, actor: Actor, code: str) -> dict:
    """Return a transfer contract's yearly rent instalments (R1.22), each paid, overdue or to come,
    and whether the actor records payments (the household, or the township officer of its area).

    Raises:
        Unauthenticated: anonymous. Forbidden: neither a party nor an official of its area, or no
            such contract (one answer for both).
    """
    contract = contract_for(session, actor, code)
    today = clock.today()
    payments = session.scalars(sa.select(RentPayment).where(RentPayment.contract_id == contract.id)
                               .order_by(RentPayment.due_on)).all()
    records = permissions.can_record_rent(actor, contract.household_code)
    transferee = session.scalar(sa.select(Transferee.name).where(Transferee.id == contract.transferee_id))
    rows = [_instalment(p, today) for p in payments]
    return {"contract": contract, "last_day": contract.term.upper - timedelta(days=1), "rows": rows,
            "transferee": transferee,
            "received": sum((p.amount_yuan for p in payments if p.paid_on), start=0),
            "overdue": sum((r["amount_yuan"] for r in rows if r["state"] == "overdue"), start=0),
            "may_record": contract.status == "filed" and records,
            "today": today}
