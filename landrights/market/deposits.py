"""The deposit (保证金) a bidder pays before bidding on a listing (R8.4 (4): intending transferees
register and pay a deposit). No rule found says how much, so it is the county's setting
(migration 0021): market_deposit_share of one year's rent at the reserve price, rounded up to
10 yuan, at least market_deposit_min_yuan. The listing shows it; the township officer records no
less (services.record_deposit); a bid needs a held deposit of at least that (services.place_bid)."""
from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights import ranges
from landrights.errors import ValidationFailed
from landrights.geo.area import m2_to_mu
from landrights.market.models import Deposit, Listing
from landrights.registry.models import AdminUnit
from landrights.registry.queries import setting


def deposit_required(session: Session, listing: Listing) -> Decimal:
    """Return the deposit a bidder pays before bidding on the listing, in yuan: the one announced
    when it was published (migration 0027), so a county changing its setting does not change it
    for a listing already open; a listing published before that is priced from the settings."""
    if listing.deposit_yuan is not None:
        return listing.deposit_yuan
    return deposit_for(session, listing.area_m2, listing.reserve_price)


def deposit_for(session: Session, area_m2: Decimal, reserve_price: Decimal) -> Decimal:
    """Return the deposit the county's settings ask for land of this area and reserve price."""
    share = Decimal(setting(session, "market_deposit_share", "0.1"))
    least = Decimal(setting(session, "market_deposit_min_yuan", "100"))
    rent = m2_to_mu(area_m2) * reserve_price * share
    tens = (rent / 10).to_integral_value(rounding=ROUND_CEILING) * 10
    return min(max(tens, least), ranges.DEPOSIT_MAX).quantize(Decimal("0.01"))


def require_enough_recorded(session: Session, listing: Listing, amount_yuan: Decimal) -> None:
    """Refuse to record a deposit below the listing's (R8.4 (4)).

    Raises:
        ValidationFailed: naming the sum required (field amount_yuan).
    """
    required = deposit_required(session, listing)
    if amount_yuan < required:
        raise ValidationFailed(_l("The deposit for this listing is %(y)s yuan: record it once at least that "
                                  "much is paid.", y=required), field="amount_yuan", rule="R8.4")


def require_paid(session: Session, listing: Listing, transferee_id: int) -> None:
    """Refuse a bid unless the township recorded the bidder's deposit, held and of at least the
    listing's (R8.4 (4)), saying how to pay it.

    Raises:
        ValidationFailed: the sum, where and how to pay it (field deposit).
    """
    deposit = session.scalar(sa.select(Deposit).where(Deposit.listing_id == listing.id,
                                                      Deposit.transferee_id == transferee_id))
    required = deposit_required(session, listing)
    if deposit is not None and deposit.status == "held" and deposit.amount_yuan >= required:
        return
    station = session.scalar(sa.select(AdminUnit.name).where(AdminUnit.code == listing.household_code[:9]))
    if deposit is not None and deposit.status == "held":
        raise ValidationFailed(_l("Your deposit of %(paid)s yuan is less than the %(y)s yuan this listing "
                                  "requires: ask the rural economic management station of %(t)s, quoting "
                                  "listing no. %(n)s.", paid=deposit.amount_yuan, y=required,
                                  t=station or "", n=listing.id), field="deposit", rule="R8.4")
    raise ValidationFailed(_l("To bid, first pay a deposit of %(y)s yuan at the rural economic management "
                              "station of %(t)s, in cash or by bank transfer, quoting listing no. %(n)s and "
                              "bringing your business licence or ID card; you may bid once the station has "
                              "recorded it.", y=required, t=station or "", n=listing.id),
                           field="deposit", rule="R8.4")
