"""Named reads for the market pages (issue 19): the townships to filter by, one listing as its
household, a bidder or the public sees it (the bids, the deposit to pay, the standing, the award's
outcome), and a household's listings and rent. The API keeps queries.py's shapes; these are the
pages' own."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.models import User
from landrights.accounts.permissions import Actor, is_anonymous, is_county_admin
from landrights.geo.area import m2_to_mu
from landrights.market import permissions, queries
from landrights.market.deposits import deposit_required
from landrights.market.identities import is_member_of
from landrights.market.models import (
    Bid,
    Deposit,
    Entrustment,
    Listing,
    Offer,
    RentPayment,
    TransferContract,
    Transferee,
)
from landrights.registry.models import AdminUnit, Household, Parcel


def townships(session: Session) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the townships of every county by name, to filter the market by: [(county, [(code,
    name)])]."""
    counties = dict(session.execute(sa.select(AdminUnit.code, AdminUnit.name)
                                    .where(AdminUnit.level == 1)).all())
    grouped: dict[str, list[tuple[str, str]]] = {}
    for code, name in session.execute(sa.select(AdminUnit.code, AdminUnit.name)
                                      .where(AdminUnit.level == 2).order_by(AdminUnit.code)):
        grouped.setdefault(counties.get(code[:6], code[:6]), []).append((code, name))
    return list(grouped.items())


def place_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Return the names of admin units (township, village) by code."""
    if not codes:
        return {}
    return dict(session.execute(sa.select(AdminUnit.code, AdminUnit.name)
                                .where(AdminUnit.code.in_(codes))).all())


def township_code(session: Session, typed: str | None) -> str | None:
    """Return the township code chosen (its code from the list) or typed by name (大阳镇); a name
    no township has stays as typed and matches nothing."""
    typed = (typed or "").strip()
    if not typed or typed.isdigit():
        return typed or None
    found = session.scalars(sa.select(AdminUnit.code).where(AdminUnit.level == 2, AdminUnit.name == typed)
                            .order_by(AdminUnit.code).limit(1)).first()
    return found or typed


def market_tasks(session: Session, actor: Actor) -> dict:
    """Return which of the market's own pages the actor uses: list land and its listings (a
    household), its bids (a registered transferee), the ledger and pledges (officials)."""
    if is_anonymous(actor):
        return {}
    bids = actor.user_id is not None and session.scalar(
        sa.select(Transferee.id).where(Transferee.user_id == actor.user_id)) is not None
    return {"list": permissions.can_list_land(actor, actor.household_code), "bids": bids,
            "ledger": permissions.can_open_ledger(actor), "pledges": permissions.can_open_ledger(actor)}


def my_listings_bid_on(session: Session, actor: Actor) -> list[dict]:
    """Return the listings the acting transferee bid on, newest first, each with its best own bid
    and where it stands: highest, outbid, won, not won, or closed."""
    rows = queries.my_bids(session, actor)
    mine: dict[int, dict] = {}
    for bid, listing in rows:  # newest bid first
        row = mine.setdefault(listing.id, {"listing": queries.listing_dict(listing), "my_best": bid.price,
                                           "placed_at": bid.placed_at})
        row["my_best"] = max(row["my_best"], bid.price)
    won = set(session.scalars(sa.select(Offer.listing_id)
                              .join(Transferee, Transferee.id == Offer.transferee_id)
                              .where(Transferee.user_id == actor.user_id, Offer.status == "accepted")))
    for listing_id, row in mine.items():
        row["standing"] = _standing(row["listing"], row["my_best"], listing_id in won)
    facts = with_places(session, [row["listing"] for row in mine.values()])
    return [row | {"listing": fact} for row, fact in zip(mine.values(), facts, strict=True)]


def _standing(listing: dict, my_best: Decimal, won: bool) -> str:
    if listing["status"] in ("awarded", "contracted"):
        return "won" if won else "lost"
    if listing["status"] != "open":
        return "closed"
    return "highest" if listing["best_price"] == my_best else "outbid"


def with_places(session: Session, items: list[dict]) -> list[dict]:
    """Return listing facts with their township's and village's names (no household)."""
    names = place_names(session, {x["township_code"] for x in items} |
                        {x["household_code"][:12] for x in items})
    return [x | {"township": names.get(x["township_code"], x["township_code"]),
                 "village": names.get(x["household_code"][:12], "")} for x in items]


@dataclass
class ListingView:
    """What one person sees of a listing: the public facts and what concerns them."""

    facts: dict
    phase: str  # bidding | matching | deciding (the officer awards) | open / awarded / ... (status)
    sees_all_bids: bool = False
    bids: list = field(default_factory=list)  # (bid, transferee name), best first
    transferee: Transferee | None = None
    deposit: Deposit | None = None
    deposit_required: Decimal | None = None
    standing: str | None = None  # highest | outbid (a bidder's own place)
    may: dict = field(default_factory=dict)
    outcome: dict | None = None


def _phase(listing: Listing) -> str:
    now = clock.now()
    if listing.status != "open":
        return listing.status
    if now < listing.closes_at:
        return "bidding"
    return "matching" if now < listing.priority_until and listing.best_price is not None else "deciding"


def listing_view(session: Session, actor: Actor, listing_id: int) -> ListingView:
    """Return a listing as the actor sees it: its household (and officials) every bid and the
    award; a registered transferee the deposit to pay, its own bids and whether it leads.

    Raises:
        NotFound: no such listing.
    """
    from landrights.market.services import get_listing

    listing = get_listing(session, listing_id)
    facts = with_places(session, [queries.listing_dict(listing)])[0]
    facts["parcels"] = _parcels(session, listing)
    facts["deposit_required"] = deposit_required(session, listing)
    facts["agent"] = listed_by_agent(session, listing)
    view = ListingView(facts=facts, phase=_phase(listing))
    if not is_anonymous(actor):
        view.sees_all_bids = queries._sees_all_bids(session, actor, listing)
        view.transferee = session.scalar(sa.select(Transferee).where(Transferee.user_id == actor.user_id)) \
            if actor.user_id is not None else None
    if view.sees_all_bids:
        view.bids = queries.listing_bids(session, actor, listing_id)[1]
    elif view.transferee is not None:
        _as_bidder(session, view, listing)
    # the county administrator sees every bid but withdraws nothing (it oversees)
    view.may = {"withdraw": view.sees_all_bids and not is_county_admin(actor) and listing.status == "open"
                and not listing.bid_count,
                "bid": _bids_now(view), "match": _matches_now(session, view, listing),
                # the parcels' own pages: the household's and its officials' (not its agent's)
                "parcel_pages": permissions.can_see_all_bids(actor, listing.household_code)}
    view.outcome = _outcome(session, actor, view, listing)
    return view


def listed_by_agent(session: Session, listing: Listing) -> dict | None:
    """Who listed the land for the household under its written entrustment (R2.4): the agent's and
    the household's names and the entrustment's number; None when the household listed it."""
    if listing.entrustment_id is None:
        return None
    agent, household = session.execute(
        sa.select(User.display_name, Household.name).select_from(Entrustment)
        .join(User, User.id == Entrustment.agent_user_id)
        .join(Household, Household.code == Entrustment.household_code)
        .where(Entrustment.id == listing.entrustment_id)).one()
    return {"agent": agent, "household": household, "entrustment_id": listing.entrustment_id}


def _parcels(session: Session, listing: Listing) -> list[dict]:
    names = dict(session.execute(sa.select(Parcel.code, Parcel.name).where(
        Parcel.code.in_([p.parcel_code for p in listing.parcels]), Parcel.valid_to.is_(None))).all())
    return [{"code": p.parcel_code, "name": names.get(p.parcel_code), "area_m2": p.area_m2}
            for p in sorted(listing.parcels, key=lambda p: p.parcel_code)]


def _as_bidder(session: Session, view: ListingView, listing: Listing) -> None:
    me = view.transferee
    view.deposit = session.scalar(sa.select(Deposit).where(Deposit.listing_id == listing.id,
                                                           Deposit.transferee_id == me.id))
    view.deposit_required = view.facts["deposit_required"]
    view.bids = session.execute(sa.select(Bid, Transferee.name)
                                .join(Transferee, Transferee.id == Bid.transferee_id)
                                .where(Bid.listing_id == listing.id, Bid.transferee_id == me.id)
                                .order_by(Bid.price.desc())).all()
    if view.bids:
        view.standing = "highest" if view.bids[0][0].price == listing.best_price else "outbid"


def _bids_now(view: ListingView) -> bool:
    """Bidding is open and the bidder's deposit is held, of at least the listing's (R8.4 (4))."""
    deposit = view.deposit
    return view.phase == "bidding" and deposit is not None and deposit.status == "held" \
        and deposit.amount_yuan >= view.deposit_required


def _matches_now(session: Session, view: ListingView, listing: Listing) -> bool:
    """A member of the listing's collective (R1.21(5)) or its current transferee at renewal (R2.6)
    may match the best bid in the members' window."""
    me = view.transferee
    if view.phase != "matching" or me is None:
        return False
    renewal_holder = listing.renewal_of_id is not None and session.scalar(sa.select(
        TransferContract.transferee_id).where(TransferContract.id == listing.renewal_of_id)) == me.id
    return renewal_holder or is_member_of(session, me, listing.household_code[:14])


def _outcome(session: Session, actor: Actor, view: ListingView, listing: Listing) -> dict | None:
    """Who won at what price, and the contract to sign: for the household, officials and the winner."""
    if listing.status not in ("awarded", "contracted"):
        return None
    offer = session.scalar(sa.select(Offer).where(Offer.listing_id == listing.id, Offer.status == "accepted"))
    winner = offer and session.get(Transferee, offer.transferee_id)
    won = winner is not None and view.transferee is not None and winner.id == view.transferee.id
    if offer is None or not (view.sees_all_bids or won):
        return {"won": False} if view.transferee is not None and view.bids else None
    rent = (m2_to_mu(listing.area_m2) * offer.price).quantize(Decimal("0.01"))
    return {"won": won, "winner": winner.name, "price": offer.price, "annual_rent_yuan": rent,
            "member_match": offer.kind != "best_bid",
            "contract": queries.contract_of_listing(session, actor, listing.id)}


def household_rent(session: Session, household_code: str) -> list[dict]:
    """Return the household's filed transfers with their rent: received, overdue (due before
    today and unpaid, R1.22) and the next instalment. The caller checks the household's area."""
    today = clock.today()
    rows = session.execute(sa.select(TransferContract, Transferee.name)
                           .join(Transferee, Transferee.id == TransferContract.transferee_id)
                           .where(TransferContract.household_code == household_code,
                                  TransferContract.status.in_(("filed", "terminated")))
                           .order_by(TransferContract.id.desc())).all()
    return [_contract_rent(session, contract, transferee, today) for contract, transferee in rows]


def _contract_rent(session: Session, contract: TransferContract, transferee: str, today) -> dict:
    """Return one transfer's rent: received, paid, overdue and (while filed) the next instalment."""
    payments = session.scalars(sa.select(RentPayment).where(RentPayment.contract_id == contract.id)
                               .order_by(RentPayment.due_on)).all()
    return {"contract": contract, "transferee": transferee,
            "last_day": contract.term.upper - timedelta(days=1),
            **_rent_figures(payments, today, contract.status == "filed")}


def _rent_figures(payments: list[RentPayment], today, filed: bool) -> dict:
    """Return received, paid, overdue (due before today, unpaid: R1.22) and the next instalment."""
    paid = [p for p in payments if p.paid_on]
    overdue, upcoming = _unpaid(payments, today)
    return {"received": sum((p.amount_yuan for p in paid), Decimal(0)), "paid": paid,
            "overdue": overdue, "overdue_yuan": sum((p.amount_yuan for p in overdue), Decimal(0)),
            "next": upcoming[0] if upcoming and filed else None}


def _unpaid(payments: list[RentPayment], today) -> tuple[list[RentPayment], list[RentPayment]]:
    """Return the unpaid instalments: those due before today (overdue) and the rest (to come)."""
    unpaid = [p for p in payments if p.paid_on is None]
    return [p for p in unpaid if p.due_on < today], [p for p in unpaid if p.due_on >= today]
