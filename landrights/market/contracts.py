"""After the bidding: the award with members' priority and the social-capital gate (R1.21(5), R1.28),
the written transfer contract (R1.23, R4.10), signing and filing with the township ledger (R2.9,
R2.12), registration of long terms (R1.24), rent (R1.22) and statutory termination (R1.25, R1.26)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights import clock, moments, ranges
from landrights.accounts.permissions import Actor, acts_for_household, require_login
from landrights.db import flush_or_raise
from landrights.errors import Conflict, NotFound, ValidationFailed, forbidden
from landrights.evidence import Upload, check_upload
from landrights.geo.area import m2_to_mu
from landrights.market import permissions
from landrights.market.documents import contract_clauses, sees_transfer, unseen_transfer
from landrights.market.endings import release_parcels
from landrights.market.entrustments import (
    in_force,
    require_agent_for,
    require_signed_by_agent,
    within_authority,
)
from landrights.market.identities import is_member_of
from landrights.market.models import (
    TERMINATION_CAUSES,
    Bid,
    CapitalReview,
    Deposit,
    LedgerEntry,
    Listing,
    ListingParcel,
    Offer,
    RentPayment,
    TransferContract,
    Transferee,
)
from landrights.market.services import get_listing
from landrights.registry import services as registry
from landrights.registry.queries import setting


def _gate(session: Session, transferee: Transferee, listing: Listing) -> bool:
    return passes_gate(session, transferee, listing.household_code, listing.area_m2)


def passes_gate(session: Session, transferee: Transferee, household_code: str, area_m2: Decimal) -> bool:
    """Tell whether the transferee may take the land: a member, or a holder of an approved, current
    county review covering the area (R1.28) when the area reaches the county's threshold."""
    if is_member_of(session, transferee, household_code[:14]):
        return True
    county, area_mu = household_code[:6], m2_to_mu(area_m2)
    threshold = setting(session, f"capital_review_from_mu:{county}",
                        setting(session, "capital_review_from_mu", "0"))  # per county, else default
    if area_mu < Decimal(threshold):
        return True
    return session.scalar(sa.select(CapitalReview.id).where(
        CapitalReview.transferee_id == transferee.id, CapitalReview.decision == "approved",
        CapitalReview.county_code == county, CapitalReview.valid_until >= clock.today(),
        CapitalReview.max_area_mu >= area_mu).limit(1)) is not None


def award(session: Session, actor: Actor, *, listing_id: int) -> Offer | None:
    """Award the listing after the members' window: a matching member wins at equal terms, else
    the highest bid of a transferee past the gate. Deposits: the winner's applied, others released.

    Raises:
        Forbidden: not the township officer. Conflict: the window is still open, or already awarded.
    """
    listing = get_listing(session, listing_id, lock=True)
    permissions.require_work_desk(actor, listing.household_code)
    if listing.status != "open":
        raise Conflict(_l("This listing was already decided."), field="listing_id")
    if clock.now() < listing.priority_until:
        raise Conflict(_l("Members may match the best bid until %(until)s.",
                          until=moments.later(listing.priority_until)),
                       field="listing_id", rule="R1.21")
    offer = _winner(session, listing)
    listing.status = "unsold" if offer is None else "awarded"
    if offer is None:  # nobody (qualified) bid: the parcels are free to be listed again
        release_parcels(session, listing.id)
    if offer is not None:
        offer.status = "accepted"
        session.add(offer)
        session.execute(sa.update(Offer).where(Offer.listing_id == listing.id, Offer.status == "pending")
                        .values(status="declined"))
    winner_id = offer.transferee_id if offer else -1
    session.execute(sa.update(Deposit).where(Deposit.listing_id == listing.id).values(
        status=sa.case((Deposit.transferee_id == winner_id, "applied"), else_="released")))
    flush_or_raise(session)
    registry.record(session, actor, "award", "listing", listing.household_code,
                    details={"listing": listing.id, "winner": offer and offer.transferee_id})
    return offer


def _winner(session: Session, listing: Listing) -> Offer | None:
    """A member's match first (R1.21(5), the statute: Rural Land Contracting Law art. 38), the
    current transferee first among members; then the current transferee's renewal match (R2.6, the
    2021 measures art. 10, which cannot narrow the statute's priority); then the best bid."""
    holder = listing.renewal_of_id and session.scalar(
        sa.select(TransferContract.transferee_id).where(TransferContract.id == listing.renewal_of_id))
    matches = session.scalars(sa.select(Offer).where(Offer.listing_id == listing.id,
                                                     Offer.kind.in_(("member_match", "renewal_match")))
                              .order_by(Offer.at, Offer.id)).all()
    members = _member_matches(session, listing, matches, holder)
    if members:
        return members[0]
    renewal = next((o for o in matches if o.kind == "renewal_match"), None)
    if renewal is not None and _gate(session, session.get(Transferee, renewal.transferee_id), listing):
        return renewal
    return _best_bid(session, listing)


def _member_matches(session: Session, listing: Listing, matches: list[Offer], holder) -> list[Offer]:
    """Return the members' matches, the current transferee's first, then the earliest (R1.21(5));
    membership is read again now: an identity ended since the match no longer carries it."""
    collective = listing.household_code[:14]
    members = [o for o in matches if o.kind == "member_match"
               and is_member_of(session, session.get(Transferee, o.transferee_id), collective)]
    return sorted(members, key=lambda o: o.transferee_id != holder)  # stable: then the earliest


def _best_bid(session: Session, listing: Listing) -> Offer | None:
    """Return an offer for the highest bid whose bidder still passes the gate, or None."""
    bids = session.execute(sa.select(Bid, Transferee).join(Transferee, Transferee.id == Bid.transferee_id)
                           .where(Bid.listing_id == listing.id).order_by(Bid.price.desc()))
    for bid, transferee in bids:
        if _gate(session, transferee, listing):
            return Offer(listing_id=listing.id, transferee_id=transferee.id, kind="best_bid", price=bid.price,
                         at=clock.now())
    return None


def draft_contract(session: Session, actor: Actor, *, listing_id: int,
                   transferee_address: str | None = None) -> TransferContract:
    """Generate the transfer contract of an awarded listing with the statutory clauses (R1.23): the
    transferee's address as the officer copied it from its licence or ID card, when given.

    Raises:
        Forbidden: not the township officer. Conflict: the listing is not awarded; the register
            has no address for the household. ValidationFailed: no address of the transferee.
    """
    listing = get_listing(session, listing_id, lock=True)
    permissions.require_work_desk(actor, listing.household_code)
    offer = session.scalar(sa.select(Offer).where(Offer.listing_id == listing_id, Offer.status == "accepted"))
    if listing.status != "awarded" or offer is None:
        raise Conflict(_l("Only an awarded listing gets a contract."), field="listing_id")
    start, end = listing.term.lower, listing.term.upper
    rent = (m2_to_mu(listing.area_m2) * offer.price).quantize(Decimal("0.01"), ROUND_HALF_UP)
    clauses = contract_clauses(session, household_code=listing.household_code,
                               transferee=session.get(Transferee, offer.transferee_id),
                               parcel_codes=[p.parcel_code for p in listing.parcels],
                               transferee_address=transferee_address)
    serial = session.scalar(sa.select(sa.func.nextval("transfer_contract_serial_seq")))
    contract = TransferContract(
        county_code=listing.county_code, code=f"{listing.county_code}{start.year:04d}{serial:08d}",
        listing_id=listing.id, household_code=listing.household_code, transferee_id=offer.transferee_id,
        parcel_codes=[p.parcel_code for p in listing.parcels], area_m2=listing.area_m2, mode=listing.mode,
        land_use=listing.land_use, term=listing.term, price=offer.price, annual_rent_yuan=rent,
        payment_schedule=listing.payment_schedule,
        expropriation_to="承包方（地上附着物和青苗补偿费归实际投入者）",
        clauses=clauses | {
            "mode": listing.mode, "land_use": listing.land_use,
            "term": [listing.term.lower.isoformat(), (listing.term.upper - timedelta(days=1)).isoformat()],
            "price_per_mu_year": str(offer.price), "annual_rent_yuan": str(rent),
            "payment": listing.payment_schedule},
        registrable=(end - start).days >= 5 * 365, status="draft")
    session.add(contract)
    flush_or_raise(session)
    return contract


def sign_contract(session: Session, actor: Actor, *, code: str) -> TransferContract:
    """Sign as the household (itself, or its agent entrusted to sign: R2.4) or as the transferee;
    when both have signed the contract is filed with the collective and entered in the township
    ledger (R2.9, R2.12) and its rent falls due yearly.

    Raises:
        Unauthenticated: anonymous. Forbidden: neither party nor the household's agent in force
            (an unknown code alike). ValidationFailed: beyond the agent's authority.
            Conflict: not a draft.
    """
    contract = _contract(session, actor, code, agent_act="sign")
    household, agent = _signing_side(session, actor, contract)
    if contract.status != "draft":  # told to the parties only: the status is theirs to know
        raise Conflict(_l("The contract is already %(status)s.", status=contract.status), field="code")
    if agent is not None:
        within_authority(agent, contract.term.upper - timedelta(days=1), contract.price,
                         fields=("code", "code"))
    now = clock.now()
    _put_signature(contract, household, agent, now)
    if contract.household_signed_at and contract.transferee_signed_at:
        _file(session, contract, now)
    flush_or_raise(session)
    if agent is not None:
        registry.record(session, actor, "sign_as_agent", "transfer", code, details={"entrustment": agent.id})
    return contract


def _signing_side(session: Session, actor: Actor, contract: TransferContract) -> tuple[bool, object]:
    """Return (signs as the household itself, the entrustment when an agent signs for it); neither
    for the transferee. Refuses anyone else (R2.4)."""
    household = permissions.can_sign_contract(actor, contract.household_code)
    transferee = actor.user_id is not None and session.scalar(
        sa.select(Transferee.user_id).where(Transferee.id == contract.transferee_id)) == actor.user_id
    agent = None if household or transferee else require_agent_for(
        session, actor, contract.household_code, contract.parcel_codes, "sign")
    return household, agent


def _put_signature(contract: TransferContract, household: bool, agent, now) -> None:
    """Date the household's signature (by itself or its agent) or else the transferee's; a
    signature already given keeps its time."""
    if household or agent is not None:
        contract.household_signed_at = contract.household_signed_at or now
        contract.household_entrustment_id = agent and agent.id
    else:
        contract.transferee_signed_at = contract.transferee_signed_at or now


def record_scanned_signatures(session: Session, actor: Actor, *, code: str, scan: Upload | None,
                              signed_on: date | None = None,
                              entrustment_id: int | None = None) -> TransferContract:
    """Record, as the township officer, that both parties signed the paper contract, with its scan;
    the contract is then filed and entered in the ledger exactly as when both sign in the app.
    signed_on: the date on the paper (default today). entrustment_id: the household's side was
    signed by its agent under this entrustment, checked as an agent's signature in the app is, on
    the day the paper was signed (R2.4).

    Raises:
        Forbidden: not the township officer of the area (an unknown code alike). ValidationFailed:
            no scan, or not a real PDF/JPEG/PNG up to 10 MB; a signing date in the future or before
            the award; an entrustment not in force that day for signing, or beyond its authority,
            or whose agent is the transferee. Conflict: not a draft.
    """
    contract = _contract(session, actor, code, role_may=permissions.role_may_work_desk)
    permissions.require_work_desk(actor, contract.household_code)
    if scan is None:
        raise ValidationFailed(_l("Attach the scan of the paper contract signed by both parties."),
                               field="scan", rule="R1.23")
    check_upload(scan, "scan")
    if contract.status != "draft":
        raise Conflict(_l("The contract is already %(status)s.", status=contract.status), field="code")
    signed_on = _paper_signed_on(session, contract, signed_on)
    agent = None if entrustment_id is None else _paper_agent(session, contract, entrustment_id, signed_on)
    now = clock.now()
    contract.household_signed_at = contract.household_signed_at or now
    contract.transferee_signed_at = contract.transferee_signed_at or now
    contract.household_entrustment_id = agent and agent.id
    contract.signature_method, contract.signatures_recorded_by = "officer_scan", actor.user_id
    contract.signature_scan_name, contract.signature_scan_type = scan.name, scan.content_type
    contract.signature_scan = scan.data
    _file(session, contract, now)
    flush_or_raise(session)
    registry.record(session, actor, "sign_scan", "transfer", code, details={
        "signed_on": signed_on.isoformat(), "entrustment": agent and agent.id})
    return contract


def _paper_signed_on(session: Session, contract: TransferContract, signed_on: date | None) -> date:
    """Return the date the paper was signed: today unless given; a date given is never in the
    future and never before the award the contract comes from."""
    if signed_on is None:
        return clock.today()
    awarded = session.scalar(sa.select(Offer.at).where(Offer.listing_id == contract.listing_id,
                                                       Offer.status == "accepted"))
    earliest = clock.local_date(awarded) if awarded else ranges.SIGNED_ON.low
    ranges.Span(ranges.SIGNED_ON.label, earliest, ranges.HORIZON, past=True, rule="R1.23") \
        .check(signed_on, "signed_on")
    return signed_on


def _paper_agent(session: Session, contract: TransferContract, entrustment_id: int, signed_on: date):
    """Return the entrustment under which the household's agent signed the paper (R2.4): in force
    on signed_on for signing all the contract's parcels, within its authority, and not held by the
    transferee's own account (an agent acts for the household, never for itself against it).

    Raises:
        ValidationFailed: naming entrustment_id.
    """
    ranges.ROW_ID.check(entrustment_id, "entrustment_id")
    agent = require_signed_by_agent(session, entrustment_id, contract.household_code, contract.parcel_codes,
                                    signed_on)
    transferee = session.get(Transferee, contract.transferee_id)
    if agent.agent_user_id == transferee.user_id:
        raise ValidationFailed(_l("The agent of this entrustment is the transferee: it cannot sign for the "
                                  "household too."), field="entrustment_id", rule="R2.4")
    within_authority(agent, contract.term.upper - timedelta(days=1), contract.price,
                     fields=("entrustment_id", "entrustment_id"))
    return agent


def _contract(session: Session, actor: Actor, code: str, *, role_may=None,
              agent_act: str | None = None) -> TransferContract:
    """Lock a transfer contract for an act: refuse first an actor whose role never does it
    (role_may, one of market.permissions.role_may_*), then an unknown code and a contract the
    actor may not see with one answer, so no one learns from a refusal whether a code exists or
    what state its contract is in. The household's agent entrusted with agent_act on its parcels
    sees it too (R2.4).

    Raises:
        Unauthenticated: anonymous. Forbidden: another role; no such contract the actor may see.
    """
    require_login(actor)
    if role_may is not None and not role_may(actor):
        raise forbidden()
    contract = session.scalar(sa.select(TransferContract).where(TransferContract.code == code)
                              .with_for_update())
    if contract is None or not (sees_transfer(session, actor, contract) or agent_act and in_force(
            session, actor, contract.household_code, contract.parcel_codes, agent_act)):
        raise unseen_transfer()
    return contract


def _file(session: Session, contract: TransferContract, now) -> None:
    contract.status, contract.filed_at = "filed", now
    session.execute(sa.update(ListingParcel).where(ListingParcel.listing_id == contract.listing_id)
                    .values(status="transferred"))
    session.execute(sa.update(Listing).where(Listing.id == contract.listing_id).values(status="contracted"))
    session.add(LedgerEntry(county_code=contract.county_code, township_code=contract.household_code[:9],
                            contract_code=contract.code, event="filed", parcel_codes=contract.parcel_codes,
                            area_m2=contract.area_m2, annual_rent_yuan=contract.annual_rent_yuan, at=now))
    due = contract.term.lower
    while due < contract.term.upper:
        session.add(RentPayment(contract_id=contract.id, due_on=due, amount_yuan=contract.annual_rent_yuan))
        due = date(due.year + 1, due.month, min(due.day, 28))


def record_rent(session: Session, actor: Actor, *, code: str, due_on: date, paid_on: date) -> RentPayment:
    """Record a rent payment received by the household (R1.22): the household or the officer.

    Raises:
        Forbidden: someone else (an unknown code alike). NotFound: no such instalment.
        Conflict: already paid.
    """
    contract = _contract(session, actor, code, role_may=permissions.role_may_record_rent)
    if not permissions.can_record_rent(actor, contract.household_code):
        raise forbidden()
    payment = session.scalar(sa.select(RentPayment).where(RentPayment.contract_id == contract.id,
                                                          RentPayment.due_on == due_on).with_for_update())
    if payment is None:
        raise NotFound(_l("No rent instalment due on %(date)s.", date=due_on), field="due_on")
    if payment.paid_on is not None:
        raise Conflict(_l("This instalment was paid on %(date)s.", date=payment.paid_on), field="due_on")
    ranges.PAID_ON.check(paid_on, "paid_on")  # a payment received: not in the future
    payment.paid_on = paid_on
    flush_or_raise(session)
    return payment


def terminate(session: Session, actor: Actor, *, code: str, cause: str, evidence: str) -> TransferContract:
    """Terminate a filed contract for a statutory cause only, with evidence: the household (R1.25), or
    the collective when the household does not act on causes 1-3 (R1.26).

    Raises:
        Forbidden: someone else (an unknown code alike). ValidationFailed: any other cause, no
            evidence. Conflict: not filed.
    """
    contract = _contract(session, actor, code, role_may=permissions.role_may_terminate)
    _check_termination(actor, contract, cause, evidence)
    if contract.status != "filed":
        raise Conflict(_l("Only a filed contract can be terminated."), field="code")
    contract.status, contract.termination_cause, contract.termination_evidence = "terminated", cause, evidence
    session.execute(sa.update(ListingParcel).where(ListingParcel.listing_id == contract.listing_id)
                    .values(status="released"))
    session.add(LedgerEntry(county_code=contract.county_code, township_code=contract.household_code[:9],
                            contract_code=contract.code, event="terminated",
                            parcel_codes=contract.parcel_codes,
                            area_m2=contract.area_m2, annual_rent_yuan=contract.annual_rent_yuan,
                            at=clock.now()))
    flush_or_raise(session)
    return contract


def _check_termination(actor: Actor, contract: TransferContract, cause: str, evidence: str) -> None:
    """Refuse a termination by anyone but the household or its collective, for another cause than
    the statute's (the collective: causes 1-3 only), or without evidence (R1.25, R1.26)."""
    if not permissions.can_terminate(actor, contract.household_code):
        raise forbidden()
    _check_cause(acts_for_household(actor, contract.household_code), cause, evidence)


def _check_cause(household: bool, cause: str, evidence: str) -> None:
    """Refuse a cause outside the statute's, the collective's serious breach (R1.26: causes 1-3
    only; household is False for the collective), or no evidence (R1.25)."""
    if cause not in TERMINATION_CAUSES:
        raise ValidationFailed(_l("A transfer contract ends early only if the transferee changed the "
                                  "agricultural use, abandoned the land two years or more, seriously "
                                  "damaged it, or seriously breached the contract."),
                               field="cause", rule="R1.25")
    if not household and cause == "serious_breach":  # R1.26: the collective, causes 1-3 only
        raise forbidden()
    if not (evidence or "").strip():
        raise ValidationFailed(_l("Attach the evidence of the cause."), field="evidence", rule="R1.25")


def register_transfer(session: Session, actor: Actor, *, code: str) -> TransferContract:
    """Register the management right of a filed transfer of five years or more, on the parties'
    application (R1.24): then it can be asserted against third parties.

    Raises:
        Forbidden: not the township officer (an unknown code alike). Conflict: not filed, shorter
            than five years, or already registered.
    """
    contract = _contract(session, actor, code, role_may=permissions.role_may_work_desk)
    permissions.require_work_desk(actor, contract.household_code)
    if contract.status != "filed" or not contract.registrable or contract.registered_at is not None:
        raise Conflict(_l("Only a filed transfer of five years or more is registered, once."),
                       field="code", rule="R1.24")
    contract.registered_at = clock.now()
    flush_or_raise(session)
    registry.record(session, actor, "register", "transfer", code)
    return contract
