"""Named reads of the market: open listings with filters, one listing, the township ledger, a
household's listings, a transferee's bids, and transfer statistics by township and year."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.permissions import Actor, require_area, require_login
from landrights.errors import forbidden
from landrights.geo.area import m2_to_mu
from landrights.market.models import Bid, LedgerEntry, Listing, ListingParcel, TransferContract, Transferee
from landrights.registry.models import Parcel

MU_IN_M2 = Decimal(10000) / Decimal(15)


def listing_dict(listing: Listing) -> dict:
    """Return the public facts of a listing (no personal data)."""
    return {"id": listing.id, "household_code": listing.household_code,
            "township_code": listing.household_code[:9], "mode": listing.mode, "land_use": listing.land_use,
            "term_start": listing.term.lower, "term_end": listing.term.upper - timedelta(days=1),
            "area_mu": m2_to_mu(listing.area_m2).quantize(Decimal("0.01")),
            "reserve_price": listing.reserve_price,
            "best_price": listing.best_price, "bid_count": listing.bid_count, "closes_at": listing.closes_at,
            "priority_until": listing.priority_until, "status": listing.status,
            "parcel_codes": [p.parcel_code for p in listing.parcels]}


def open_listings(session: Session, *, township: str | None = None, land_use: str | None = None,
                  min_area_mu: Decimal | None = None, max_price: Decimal | None = None,
                  limit: int = 50) -> list[dict]:
    """Return listings still taking bids, soonest closing first; anyone may browse them."""
    query = sa.select(Listing).where(Listing.status == "open", Listing.closes_at > clock.now())
    if township:
        query = query.where(Listing.household_code.startswith(township))
    if land_use:
        query = query.where(Listing.land_use == land_use)
    if min_area_mu is not None:
        query = query.where(Listing.area_m2 >= min_area_mu * MU_IN_M2)
    if max_price is not None:
        query = query.where(sa.func.coalesce(Listing.best_price, Listing.reserve_price) <= max_price)
    return [listing_dict(x) for x in session.scalars(query.order_by(Listing.closes_at).limit(limit))]


def open_listings_bounds(session: Session) -> tuple[float, float, float, float] | None:
    """Return the lon/lat box of the parcels of open listings (public facts), or None if none."""
    box = sa.func.ST_Extent(Parcel.geom)
    row = session.execute(
        sa.select(sa.func.ST_XMin(box), sa.func.ST_YMin(box), sa.func.ST_XMax(box), sa.func.ST_YMax(box))
        .select_from(ListingParcel).join(Listing, Listing.id == ListingParcel.listing_id)
        .join(Parcel, sa.and_(Parcel.county_code == ListingParcel.county_code,
                              Parcel.code == ListingParcel.parcel_code, Parcel.valid_to.is_(None)))
        .where(Listing.status == "open", Listing.closes_at > clock.now(),
               ListingParcel.status == "listed")).one()
    return None if row[0] is None else tuple(row)


def contract_of_listing(session: Session, listing_id: int) -> TransferContract | None:
    """Return the transfer contract made from a listing, if any."""
    return session.scalar(sa.select(TransferContract).where(TransferContract.listing_id == listing_id))


def ledger(session: Session, actor: Actor, township_code: str) -> list[LedgerEntry]:
    """Return the township's transfer ledger (流转台账), newest first.

    Raises:
        Forbidden: outside the actor's area.
    """
    require_area(actor, township_code)
    return list(session.scalars(sa.select(LedgerEntry).where(LedgerEntry.township_code == township_code)
                                .order_by(LedgerEntry.at.desc())))


def household_listings(session: Session, actor: Actor, household_code: str) -> list[dict]:
    """Return a household's listings, newest first.

    Raises:
        Forbidden: not the household nor an official of its area.
    """
    require_area(actor, household_code)
    return [listing_dict(x) for x in session.scalars(sa.select(Listing).where(
        Listing.household_code == household_code).order_by(Listing.id.desc()))]


def my_bids(session: Session, actor: Actor) -> list[tuple]:
    """Return the acting transferee's bids with their listing's state."""
    require_login(actor)
    return session.execute(
        sa.select(Bid, Listing).join(Listing, Listing.id == Bid.listing_id)
        .join(Transferee, Transferee.id == Bid.transferee_id)
        .where(Transferee.user_id == actor.user_id).order_by(Bid.placed_at.desc())).all()


def statistics(session: Session, actor: Actor) -> list[dict]:
    """Return transferred area, share of contracted area and average rent per mu by township and
    year in the actor's county or township (from the ledger's filings).

    Raises:
        Forbidden: not an official with an area.
    """
    require_login(actor)
    prefix = (actor.area_prefix or "")[:9]
    if actor.role not in ("system", "county_admin", "township_officer", "collective_clerk"):
        raise forbidden()
    rows = session.execute(sa.text("""
        WITH filed AS (
            SELECT township_code, extract(year FROM at)::int AS year, sum(area_m2) AS area_m2,
                   sum(annual_rent_yuan) AS rent
            FROM transfer_ledger WHERE event = 'filed' AND township_code LIKE :prefix || '%'
            GROUP BY 1, 2),
        contracted AS (
            SELECT left(c.household_code, 9) AS township_code, sum(cp.confirmed_area_m2) AS area_m2
            FROM contracts c JOIN contract_parcels cp ON cp.contract_id = c.id
            WHERE c.valid_to IS NULL AND c.household_code LIKE :prefix || '%' GROUP BY 1)
        SELECT f.township_code, f.year, f.area_m2, f.rent, c.area_m2 AS contracted_m2
        FROM filed f LEFT JOIN contracted c USING (township_code) ORDER BY 1, 2"""),
        {"prefix": prefix}).all()
    return [{"township_code": t, "year": y, "area_mu": float(m2_to_mu(a)),
             "share": float(a / c) if c else None,
             "rent_per_mu": float(r / m2_to_mu(a)) if a else None} for t, y, a, r, c in rows]
