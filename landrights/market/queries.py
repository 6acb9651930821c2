"""Named reads of the market: open listings with filters, one listing, the township ledger, a
household's listings, a transferee's bids, and transfer statistics by township and year."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.permissions import (
    Actor,
    acts_for_household,
    is_anonymous,
    require_area,
    require_login,
)
from landrights.errors import forbidden
from landrights.geo.area import m2_to_mu
from landrights.market import permissions
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
            "parcel_codes": [p.parcel_code for p in listing.parcels],
            "renewal": listing.renewal_of_id is not None}


def _open_where(*, township: str | None = None, land_use: str | None = None,
                min_area_mu: Decimal | None = None, max_price: Decimal | None = None) -> list:
    where = [Listing.status == "open", Listing.closes_at > clock.now()]
    if township:
        where.append(Listing.household_code.startswith(township))
    if land_use:
        where.append(Listing.land_use == land_use)
    if min_area_mu is not None:
        where.append(Listing.area_m2 >= min_area_mu * MU_IN_M2)
    if max_price is not None:
        where.append(sa.func.coalesce(Listing.best_price, Listing.reserve_price) <= max_price)
    return where


def open_listings(session: Session, *, limit: int = 50, **filters) -> list[dict]:
    """Return listings still taking bids, soonest closing first; anyone may browse them."""
    query = sa.select(Listing).where(*_open_where(**filters))
    return [listing_dict(x) for x in session.scalars(query.order_by(Listing.closes_at).limit(limit))]


def _map_where(listing_id: int | None, filters: dict) -> list:
    return [Listing.id == listing_id] if listing_id is not None else _open_where(**filters)


def _live_parcels():
    return sa.select(Parcel.code, Parcel.geom).where(Parcel.valid_to.is_(None)).subquery()


def listing_parcel_features(session: Session, *, bbox, listing_id: int | None = None, limit: int = 500,
                            **filters) -> dict:
    """Return the parcels of open listings (or of one listing) inside a bbox as a GeoJSON
    FeatureCollection: listing facts only, no holder or household (anyone may browse)."""
    live = _live_parcels()
    envelope = sa.func.ST_MakeEnvelope(*bbox, 4490)
    where = [*_map_where(listing_id, filters), live.c.geom.op("&&")(envelope),
             sa.func.ST_Intersects(live.c.geom, envelope)]
    joined = sa.select(ListingParcel.id).join(Listing).join(live, live.c.code == ListingParcel.parcel_code) \
        .where(*where).subquery()
    total = session.scalar(sa.select(sa.func.count()).select_from(joined))
    rows = session.execute(
        sa.select(ListingParcel.parcel_code, ListingParcel.area_m2, Listing,
                  sa.func.ST_AsGeoJSON(live.c.geom, 7).label("geometry"))
        .join(Listing, Listing.id == ListingParcel.listing_id)
        .join(live, live.c.code == ListingParcel.parcel_code)
        .where(*where).order_by(Listing.id, ListingParcel.parcel_code).limit(limit)).all()
    features = [{"type": "Feature", "id": code, "geometry": json.loads(geometry), "properties": {
        "code": code, "listing_id": listing.id, "area_mu": float(m2_to_mu(area).quantize(Decimal("0.01"))),
        "land_use": listing.land_use, "price": str(listing.best_price or listing.reserve_price),
        "closes_at": listing.closes_at.isoformat(), "status": listing.status}}
        for code, area, listing, geometry in rows]
    return {"type": "FeatureCollection", "features": features, "numberMatched": total,
            "numberReturned": len(features)}


def listing_bounds(session: Session, *, listing_id: int | None = None, **filters) -> list[float] | None:
    """Return [minLon, minLat, maxLon, maxLat] of the parcels of open listings (or of one listing)."""
    live = _live_parcels()
    box = session.execute(sa.select(sa.func.ST_XMin(sa.func.ST_Extent(live.c.geom)),
                                    sa.func.ST_YMin(sa.func.ST_Extent(live.c.geom)),
                                    sa.func.ST_XMax(sa.func.ST_Extent(live.c.geom)),
                                    sa.func.ST_YMax(sa.func.ST_Extent(live.c.geom)))
                          .select_from(ListingParcel).join(Listing)
                          .join(live, live.c.code == ListingParcel.parcel_code)
                          .where(*_map_where(listing_id, filters))).one()
    return None if box[0] is None else [round(float(v), 7) for v in box]


def contract_of_listing(session: Session, actor: Actor, listing_id: int) -> TransferContract | None:
    """Return the transfer contract made from a listing, if any and if the actor is a party or an
    official of its area: the listing is public, its contract's code and state are not."""
    from landrights.market.documents import sees_transfer

    contract = session.scalar(sa.select(TransferContract).where(TransferContract.listing_id == listing_id))
    if contract is None or not sees_transfer(session, actor, contract):
        return None
    return contract


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
    if not permissions.can_see_statistics(actor):
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


def retransfers_to_sign(session: Session, actor: Actor) -> list:
    """Return the re-transfers waiting for the acting transferee's signature (R1.29)."""
    from landrights.market.retransfer_models import Retransfer

    require_login(actor)
    return list(session.scalars(sa.select(Retransfer)
                                .join(Transferee, Transferee.id == Retransfer.to_transferee_id)
                                .where(Transferee.user_id == actor.user_id, Retransfer.status == "draft")))


def contract_page(session: Session, actor: Actor, code: str) -> dict:
    """Return a transfer contract with its re-transfers and what the actor may do on it.

    Raises:
        Unauthenticated: anonymous. Forbidden: neither a party nor an official of its area, or no
            such contract (one answer for both).
    """
    from landrights.market.documents import contract_for
    from landrights.market.retransfers import retransfers_of

    contract = contract_for(session, actor, code)
    household = acts_for_household(actor, contract.household_code)
    transferee = session.scalar(sa.select(Transferee).where(Transferee.id == contract.transferee_id))
    is_transferee = actor.user_id is not None and transferee.user_id == actor.user_id
    officer = permissions.can_work_desk(actor, contract.household_code)
    last = timedelta(days=1)
    return {"contract": contract, "transferee": transferee, "last_day": contract.term.upper - last,
            "retransfers": [(r, r.term.upper - last) for r in retransfers_of(session, contract.id)],
            "may": _contract_acts(contract, household, is_transferee, officer)}


def _contract_acts(contract: TransferContract, household: bool, is_transferee: bool, officer: bool) -> dict:
    """Return what the actor may do on a contract, by its status and the actor's part in it."""
    draft, filed = contract.status == "draft", contract.status == "filed"
    return {"sign": draft and (household or is_transferee), "scan": draft and officer,
            "register": officer and filed and contract.registrable and contract.registered_at is None,
            "consent": filed and (household or officer), "officer": officer,
            "retransfer": filed and is_transferee}


def listing_bids(session: Session, actor: Actor, listing_id: int) -> tuple[str, list[tuple]]:
    """Return ("all", every bid) for the household, its agent on the listing and the officials of its
    area, or ("own", the actor's own bids) for a bidder; (bid, transferee name) pairs, best first.

    A listing is public, so its number is no secret: an unknown one is 404.

    Raises:
        Unauthenticated: anonymous. NotFound: no such listing. Forbidden: neither a party, an
            official of its area nor a transferee.
    """
    from landrights.market.services import get_listing

    require_login(actor)
    listing = get_listing(session, listing_id)
    query = (sa.select(Bid, Transferee.name).join(Transferee, Transferee.id == Bid.transferee_id)
             .where(Bid.listing_id == listing_id).order_by(Bid.price.desc(), Bid.placed_at))
    if _sees_all_bids(session, actor, listing):
        return "all", session.execute(query).all()
    if actor.user_id is None or is_anonymous(actor) or session.scalar(
            sa.select(Transferee.id).where(Transferee.user_id == actor.user_id)) is None:
        raise forbidden()
    return "own", session.execute(query.where(Transferee.user_id == actor.user_id)).all()


def _sees_all_bids(session: Session, actor: Actor, listing: Listing) -> bool:
    from landrights.market.models import Entrustment

    if permissions.can_see_all_bids(actor, listing.household_code):
        return True
    return listing.entrustment_id is not None and actor.user_id is not None and session.scalar(
        sa.select(Entrustment.agent_user_id).where(Entrustment.id == listing.entrustment_id)) == actor.user_id
