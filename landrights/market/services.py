"""Market use cases: list (R1.20, R1.21, R2.4), bid (R8.4), match as a member (R1.21(5), R2.5),
award past the social-capital gate (R1.28), and record the transferees and their county review.

Races are settled in the database: a listing's row lock orders its bids; the EXCLUDE constraint
refuses overlapping listings and transfers of a parcel; a unique price per listing and a partial
unique index on accepted offers keep one bid per price and one winner.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import ARRAY, Range
from sqlalchemy.orm import Session

from landrights import clock, moments, ranges
from landrights.accounts.permissions import Actor, require_login
from landrights.certification.models import Objection
from landrights.db import flush_or_raise
from landrights.errors import Conflict, NotFound, ValidationFailed, forbidden
from landrights.market import deposits, identities, permissions
from landrights.market.entrustments import require_agent_for, within_authority
from landrights.market.models import (
    LAND_USES,
    MODES,
    TRANSFEREE_KINDS,
    Bid,
    CapitalReview,
    Deposit,
    Entrustment,
    Listing,
    ListingParcel,
    Offer,
    TransferContract,
    Transferee,
)
from landrights.registry import services as registry
from landrights.registry.models import Contract
from landrights.registry.queries import setting


def register_transferee(session: Session, actor: Actor, *, kind: str, name: str, operating_capacity: str,
                        credit_code: str | None = None, id_number: str | None = None,
                        address: str | None = None) -> Transferee:
    """Register the acting account as a transferee, declaring its operating capacity (R1.21(4))
    and, if it likes, its address (domicile) for the contract (R1.23(1)). An individual may give
    its ID number: it is verified at once if the account is that person's own (identities.py);
    otherwise a township officer verifies the ID card later.

    Raises:
        Unauthenticated: anonymous. ValidationFailed: unknown kind, no capacity declared, an ID
            number for a kind other than an individual (R1.28) or not the account's own person's,
            an address longer than 200 characters.
            Conflict: the account is already registered; the person already has an identity.
    """
    require_login(actor)
    if kind not in TRANSFEREE_KINDS:
        raise ValidationFailed(_l("Kind is cooperative, family farm, company or individual."), field="kind")
    if not (operating_capacity or "").strip():
        raise ValidationFailed(_l("Declare the agricultural operating capacity (machinery, experience, "
                                  "labour)."), field="operating_capacity", rule="R1.21")
    if id_number:
        identities.refuse_person_for_kind(kind)
    person = identities.own_person(session, actor, id_number) if id_number else None
    if session.scalar(sa.select(Transferee.id).where(Transferee.user_id == actor.user_id)):
        raise Conflict(_l("This account is already a registered transferee."), field="user_id")
    transferee = Transferee(user_id=actor.user_id, kind=kind, name=name, credit_code=credit_code,
                            operating_capacity=operating_capacity.strip(),
                            address=identities.address_in(address))
    session.add(transferee)
    flush_or_raise(session)
    if person is not None:
        identities.record_own_identity(session, actor, transferee, person)
    return transferee


def review_capital(session: Session, actor: Actor, *, transferee_id: int, county_code: str, approved: bool,
                   max_area_mu: Decimal, qualification: str, project: str, risk_measures: str,
                   valid_until: date) -> CapitalReview:
    """Record the county's review of a social-capital transferee (R1.28): qualification, project,
    risk measures, and the area it may take.

    Raises:
        Forbidden: not the county administrator. ValidationFailed: a review part missing.
    """
    permissions.require_review_capital(actor, county_code)
    if not all((s or "").strip() for s in (qualification, project, risk_measures)):
        raise ValidationFailed(_l("Record the qualification review, the project review and the risk "
                                  "measures."), field="qualification", rule="R1.28")
    ranges.REVIEW_AREA.check(max_area_mu, "max_area_mu")
    ranges.REVIEW_UNTIL.check(valid_until, "valid_until")
    if valid_until < clock.today():
        raise ValidationFailed(_l("A review is valid from today: give a date from today on."),
                               field="valid_until", rule="R1.28")
    review = CapitalReview(county_code=county_code, transferee_id=transferee_id,
                           decision="approved" if approved else "refused",
                           max_area_mu=max_area_mu if approved else Decimal(0), qualification=qualification,
                           project=project, risk_measures=risk_measures, valid_until=valid_until,
                           decided_by=actor.user_id)
    session.add(review)
    flush_or_raise(session)
    return review


def _lister(session: Session, actor: Actor, household_code: str, parcel_codes: list[str],
            entrustment_id: int | None) -> Entrustment | None:
    """The household itself lists, or an agent holding its written entrustment (R2.4) to list
    these parcels; return the agent's entrustment (None for the household)."""
    require_login(actor)
    if permissions.can_list_land(actor, household_code):
        return None
    return require_agent_for(session, actor, household_code, parcel_codes, "list",
                             entrustment_id=entrustment_id)


def create_listing(session: Session, actor: Actor, *, household_code: str, parcel_codes: list[str],
                   mode: str, term_start: date, term_end: date, reserve_price: Decimal,
                   payment_schedule: str, land_use: str, conditions: str | None = None,
                   entrustment_id: int | None = None) -> Listing:
    """List the management right of some parcels of a confirmed contract for bids (挂牌).

    Raises:
        Forbidden: neither the household nor its agent within the entrustment (R2.4).
        ValidationFailed: beyond the agent's authority (R2.4), a mode or use outside agriculture,
            a term past the contract's (R1.21(3)), parcels outside the registered contract.
        Conflict: a parcel under an open objection, or already listed or transferred for an
            overlapping term (EXCLUDE listing_parcels_no_overlap).
    """
    entrustment = _lister(session, actor, household_code, parcel_codes, entrustment_id)
    _check_terms(mode, land_use, reserve_price, term_start, term_end)
    contract = _confirmed_contract(session, household_code, parcel_codes)
    _check_term_within(contract, term_start, term_end)
    if entrustment is not None:
        within_authority(entrustment, term_end, reserve_price)
    _no_open_objection(session, parcel_codes)
    term = Range(term_start, term_end + timedelta(days=1), bounds="[)")
    _not_pledged(session, parcel_codes, term)
    now = clock.now()
    bid_days = int(setting(session, "market_bid_days", "7"))
    closes = now + timedelta(days=bid_days)
    priority = timedelta(hours=int(setting(session, "market_priority_hours", "72")))
    areas = {cp.parcel_code: cp.confirmed_area_m2 for cp in contract.parcels}
    listing = Listing(county_code=household_code[:6], household_code=household_code, listed_by=actor.user_id,
                      entrustment_id=entrustment and entrustment.id, mode=mode, term=term,
                      reserve_price=reserve_price,
                      payment_schedule=payment_schedule, land_use=land_use, conditions=conditions,
                      opens_at=now, closes_at=closes,
                      priority_until=closes + priority,
                      anti_snipe_minutes=int(setting(session, "market_anti_snipe_minutes", "5")),
                      area_m2=sum(areas[c] for c in parcel_codes), status="open",
                      renewal_of_id=_renewal_of(session, household_code, parcel_codes, term_start))
    listing.deposit_yuan = deposits.deposit_for(session, listing.area_m2, reserve_price)  # announced: R8.4
    session.add(listing)
    flush_or_raise(session)
    for code in sorted(parcel_codes):  # one order for the per-parcel locks of migration 0007
        session.add(ListingParcel(county_code=listing.county_code, listing=listing, parcel_code=code,
                                  term=term, area_m2=areas[code], status="listed"))
    flush_or_raise(session)
    registry.record(session, actor, "list", "household", household_code,
                    details={"listing": listing.id, "parcels": parcel_codes})
    return listing


def _check_terms(mode: str, land_use: str, reserve_price: Decimal, term_start: date, term_end: date) -> None:
    """Refuse a mode or use outside agriculture (R1.20, R1.21), no reserve price, dates out of range."""
    if mode not in MODES:
        raise ValidationFailed(_l("Mode is lease (出租/转包), shares (入股) or other."), field="mode",
                               rule="R1.20")
    if land_use not in LAND_USES:
        raise ValidationFailed(_l("The land stays in agricultural use."), field="land_use", rule="R1.21")
    if not reserve_price or reserve_price <= 0:
        raise ValidationFailed(_l("Give a reserve price per mu and year."), field="reserve_price")
    ranges.PRICE.check(reserve_price, "reserve_price")
    ranges.TERM_START.check(term_start, "term_start")
    ranges.TERM_END.check(term_end, "term_end")


def _check_term_within(contract, term_start: date, term_end: date) -> None:
    """Refuse a term that ends before it starts or after the contract's end (R1.21(3))."""
    if not term_start < term_end:
        raise ValidationFailed(_l("The transfer term must end after it starts."), field="term_end")
    if term_end > contract.term_end:  # the day as people write it, in the reader's language
        raise ValidationFailed(_l("The transfer term must end by the contract's end, %(end)s.",
                                  end=moments.day_later(contract.term_end)),
                               field="term_end", rule="R1.21")


def _confirmed_contract(session: Session, household_code: str, parcel_codes: list[str]) -> Contract:
    contract = session.scalar(sa.select(Contract).where(
        Contract.household_code == household_code, Contract.valid_to.is_(None),
        Contract.status == "registered"))
    held = {cp.parcel_code for cp in contract.parcels} if contract else set()
    if not parcel_codes or not set(parcel_codes) <= held:
        raise ValidationFailed(_l("Only parcels of the household's confirmed, registered contract can be "
                                  "listed."), field="parcel_codes", rule="R1.21")
    return contract


def _renewal_of(session: Session, household_code: str, parcel_codes: list[str], start: date) -> int | None:
    """Return the filed transfer of some of these parcels that ends at most market_renewal_gap_days
    before the new term starts: listing them again is its renewal (R2.6)."""
    gap = timedelta(days=int(setting(session, "market_renewal_gap_days", "90")))
    ends = sa.func.upper(TransferContract.term)
    return session.scalar(sa.select(TransferContract.id).where(
        TransferContract.household_code == household_code, TransferContract.status == "filed",
        TransferContract.parcel_codes.overlap(sa.cast(parcel_codes, ARRAY(sa.String(19)))),
        ends <= start, ends >= start - gap).order_by(ends.desc()).limit(1))


def _not_pledged(session: Session, parcel_codes: list[str], term: Range) -> None:
    """Refuse a listing of a pledged parcel with its code (the trigger of migration 0007 decides
    races: it holds the per-parcel lock that pledges take too)."""
    from landrights.market.pledges import pledged_parcel

    pledged = pledged_parcel(session, parcel_codes, term)
    if pledged:
        raise Conflict(_l("Parcel %(code)s is pledged for an overlapping term; it can be listed once the "
                          "pledge is released.", code=pledged), field="parcel_codes", rule="R1.30")


def _no_open_objection(session: Session, parcel_codes: list[str]) -> None:
    objected = session.scalar(sa.select(Objection.parcel_code).where(
        Objection.parcel_code.in_(parcel_codes), Objection.status == "open").limit(1))
    if objected:
        raise Conflict(_l("Parcel %(code)s is under an open objection.", code=objected),
                       field="parcel_codes", rule="R5.4")


def record_deposit(session: Session, actor: Actor, *, listing_id: int, transferee_id: int,
                   amount_yuan: Decimal, receipt: str) -> Deposit:
    """Record a bidder's deposit (保证金) for a listing (township officer).

    Raises:
        Forbidden: not the township officer. ValidationFailed: no such transferee (never the
            database's foreign-key text), no receipt, an amount out of range or below the
            listing's deposit (R8.4 (4), naming it). Conflict: the listing no longer takes bids;
            already recorded.
    """
    listing = get_listing(session, listing_id)
    permissions.require_work_desk(actor, listing.household_code)
    if session.get(Transferee, transferee_id) is None:
        raise ValidationFailed(_l("Choose the transferee who paid: find it by its name and pick it from the "
                                  "list."), field="transferee_id", rule="R8.4")
    ranges.DEPOSIT.check(amount_yuan, "amount_yuan")
    deposits.require_enough_recorded(session, listing, amount_yuan)
    if not (receipt or "").strip():
        raise ValidationFailed(_l("Enter the number of the receipt given for the deposit."), field="receipt",
                               rule="R8.4")
    if listing.status != "open":
        raise Conflict(_l("This listing no longer takes bids: no deposit is recorded for it."),
                       field="listing_id", rule="R8.4")
    if session.scalar(sa.select(Deposit.id).where(Deposit.listing_id == listing_id,
                                                  Deposit.transferee_id == transferee_id)):
        raise Conflict(_l("The deposit is already recorded."), field="transferee_id")
    deposit = Deposit(listing_id=listing_id, transferee_id=transferee_id, amount_yuan=amount_yuan,
                      receipt=receipt.strip(), status="held")
    session.add(deposit)
    flush_or_raise(session)
    return deposit


def get_listing(session: Session, listing_id: int, lock: bool = False) -> Listing:
    """Return a listing (locked for update when asked).

    Raises:
        NotFound: no such listing.
    """
    query = sa.select(Listing).where(Listing.id == listing_id)
    listing = session.scalar(query.with_for_update() if lock else query)
    if listing is None:
        raise NotFound(_l("No listing no. %(id)s.", id=listing_id), field="listing_id")
    return listing


def _transferee(session: Session, actor: Actor) -> Transferee:
    require_login(actor)
    found = session.scalar(sa.select(Transferee).where(Transferee.user_id == actor.user_id))
    if found is None:
        raise forbidden()
    return found


def _not_its_agent(session: Session, actor: Actor, listing: Listing) -> None:
    """Refuse the agent who listed the land a bid or match on it: an agent acts for the household,
    never for itself against it (R2.4)."""
    agent = listing.entrustment_id and session.scalar(
        sa.select(Entrustment.agent_user_id).where(Entrustment.id == listing.entrustment_id))
    if agent and agent == actor.user_id:
        raise Conflict(_l("You listed this land as the household's agent: you cannot bid on it or "
                          "match its best bid."), field="listing_id", rule="R2.4")


def place_bid(session: Session, actor: Actor, *, listing_id: int, price: Decimal) -> Bid:
    """Place an open ascending bid; a bid in the last N minutes extends the close by N minutes.

    Raises:
        Forbidden: not a registered transferee. ValidationFailed: below the reserve or the best bid,
            no deposit held of at least the listing's (saying how to pay it, R8.4 (4)).
            Conflict: outside the bidding window; the listing's own agent (R2.4).
    """
    transferee = _transferee(session, actor)
    ranges.PRICE.check(price, "price")
    listing = get_listing(session, listing_id, lock=True)  # orders the bids of this listing
    _not_its_agent(session, actor, listing)
    now = clock.now()
    if listing.status != "open" or not listing.opens_at <= now < listing.closes_at:
        raise Conflict(_l("Bidding on this listing is closed."), field="listing_id", rule="R8.4")
    deposits.require_paid(session, listing, transferee.id)  # held, and at least the listing's (R8.4 (4))
    if listing.best_price is None and price < listing.reserve_price:
        raise ValidationFailed(_l("Bid at least the reserve price, %(price)s yuan per mu and year.",
                                  price=listing.reserve_price), field="price", rule="R8.4")
    if listing.best_price is not None and price <= listing.best_price:
        raise ValidationFailed(_l("Bid more than %(price)s yuan per mu and year.", price=listing.best_price),
                               field="price", rule="R8.4")
    bid = Bid(listing_id=listing_id, transferee_id=transferee.id, price=price, placed_at=now)
    session.add(bid)
    listing.best_price, listing.bid_count = price, listing.bid_count + 1
    window = timedelta(minutes=listing.anti_snipe_minutes)
    if listing.closes_at - now < window:  # anti-sniping
        gap = listing.priority_until - listing.closes_at
        listing.closes_at += window
        listing.priority_until = listing.closes_at + gap
    flush_or_raise(session)
    return bid


def match_as_member(session: Session, actor: Actor, *, listing_id: int) -> Offer:
    """Match the best bid at equal terms within the priority window: a member of the collective
    (R1.21(5), R2.5), or the current transferee when the land is listed again at expiry (R2.6).

    Raises:
        Forbidden: neither a member nor the current transferee. Conflict: outside the window, no bid.
    """
    transferee = _transferee(session, actor)
    listing = get_listing(session, listing_id, lock=True)
    _not_its_agent(session, actor, listing)
    now = clock.now()
    if not listing.closes_at <= now < listing.priority_until or listing.best_price is None:
        raise Conflict(_l("Members match the best bid after bidding closes and before %(until)s.",
                          until=moments.later(listing.priority_until)), field="listing_id", rule="R1.21")
    if identities.is_member_of(session, transferee, listing.household_code[:14]):
        kind = "member_match"
    elif listing.renewal_of_id and session.scalar(sa.select(TransferContract.transferee_id).where(
            TransferContract.id == listing.renewal_of_id)) == transferee.id:
        kind = "renewal_match"
    else:
        raise forbidden()
    offer = Offer(listing_id=listing_id, transferee_id=transferee.id, kind=kind,
                  price=listing.best_price, status="pending", at=now)
    session.add(offer)
    flush_or_raise(session)
    return offer
