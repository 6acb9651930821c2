"""How a listing ends without a transfer, and frees its parcels: unsold at the award (no bid, or no
bidder past the county's review: contracts.award), withdrawn by the household before anyone bid,
or its award lapsing because the contract was not signed by both parties.

The parcels of a listing block any overlapping listing or transfer while they are 'listed' or
'transferred' (EXCLUDE listing_parcels_no_overlap). Each ending here sets them 'released', and the
trigger lr_listing_ended (migration 0015) does the same for any path that ends a listing unsold or
withdrawn, so no ending can leave a parcel that can never be listed again (issue 16).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights.accounts.permissions import Actor, require_login
from landrights.db import flush_or_raise
from landrights.errors import Conflict, ValidationFailed, forbidden
from landrights.market import permissions
from landrights.market.entrustments import require_agent_for
from landrights.market.models import Deposit, Listing, ListingParcel, Offer, TransferContract
from landrights.market.services import get_listing
from landrights.registry import services as registry


def release_parcels(session: Session, listing_id: int) -> None:
    """Free the still-listed parcels of a listing that ended without a transfer."""
    session.execute(sa.update(ListingParcel).where(ListingParcel.listing_id == listing_id,
                                                   ListingParcel.status == "listed")
                    .values(status="released"))


def _household_agent_or_officer(session: Session, actor: Actor, listing: Listing) -> None:
    """Refuse all but the household, the township officer, and an agent whose entrustment to
    withdraw these parcels is in force now (R2.4: not revoked, in its term)."""
    if permissions.can_withdraw_listing(actor, listing.household_code):
        return
    if permissions.role_may_work_desk(actor):  # the officer of another township (never an agent)
        raise forbidden()
    require_agent_for(session, actor, listing.household_code, [p.parcel_code for p in listing.parcels],
                      "withdraw_listing")


def withdraw_listing(session: Session, actor: Actor, *, listing_id: int) -> Listing:
    """Withdraw an open listing nobody has bid on: the household (or its agent entrusted to withdraw
    it, R2.4), or the township officer. Its parcels are free again and the deposits recorded are released.

    Raises:
        Unauthenticated: anonymous. Forbidden: anyone else. Conflict: not open, or bids placed
            (bidders have paid their deposits and rely on the listing: the award decides it).
    """
    require_login(actor)
    listing = get_listing(session, listing_id, lock=True)
    _household_agent_or_officer(session, actor, listing)
    if listing.status != "open" or listing.bid_count:
        raise Conflict(_l("Only an open listing nobody has bid on can be withdrawn; once bids are placed "
                          "the township officer awards it."), field="listing_id", rule="R8.4")
    listing.status = "withdrawn"
    session.execute(sa.update(Deposit).where(Deposit.listing_id == listing.id).values(status="released"))
    release_parcels(session, listing.id)
    flush_or_raise(session)
    registry.record(session, actor, "withdraw", "listing", listing.household_code,
                    details={"listing": listing.id})
    return listing


def lapse_award(session: Session, actor: Actor, *, listing_id: int, reason: str) -> Listing:
    """End an award whose contract the parties did not both sign (the winner refused or did not
    come): the township officer records why; the draft contract becomes void, the listing ends
    unsold and its parcels are free to be listed again.

    Raises:
        Forbidden: not the township officer of the area. ValidationFailed: no reason.
        Conflict: the listing is not awarded, or its contract is already signed by both.
    """
    listing = get_listing(session, listing_id, lock=True)
    permissions.require_work_desk(actor, listing.household_code)
    if not (reason or "").strip():
        raise ValidationFailed(_l("Say why the award lapses (e.g. the winner did not sign)."),
                               field="reason", rule="R8.4")
    contract = session.scalar(sa.select(TransferContract).where(TransferContract.listing_id == listing.id)
                              .with_for_update())
    if listing.status != "awarded" or (contract is not None and contract.status != "draft"):
        raise Conflict(_l("Only an award whose contract is not yet signed by both parties can lapse."),
                       field="listing_id", rule="R8.4")
    if contract is not None:
        contract.status = "void"
    session.execute(sa.update(Offer).where(Offer.listing_id == listing.id, Offer.status == "accepted")
                    .values(status="declined"))
    listing.status = "unsold"
    release_parcels(session, listing.id)
    flush_or_raise(session)
    registry.record(session, actor, "lapse_award", "listing", listing.household_code, reason=reason.strip(),
                    details={"listing": listing.id, "contract": contract and contract.code})
    return listing
