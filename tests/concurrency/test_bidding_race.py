"""Bidders race on one listing through real connections and committed data: no bid is lost, no two
bids are accepted at one price, the highest valid bid leads; two officers awarding at once produce
exactly one winner."""
from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import clock
from landrights.errors import DomainError
from landrights.market import contracts
from landrights.market import services as market
from tests.factories import COUNTY, make_listing, pay_deposit
from tests.market.conftest import HOUSEHOLD, make_bidder, parcels_of


def _prepare(engine, bidders: int):
    from landrights.accounts.permissions import Actor

    officer = Actor(role="township_officer", name="officer", township_code="220421101")
    with Session(engine) as session:
        listing = make_listing(session, parcel_codes=parcels_of(session, HOUSEHOLD)[:1])
        made = [make_bidder(session, f"racer{i}", "company") for i in range(bidders)]
        for bidder in made:
            pay_deposit(session, officer, listing, bidder)
        session.commit()
        return listing.id, made, officer


def _run(threads):
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)


def test_concurrent_bids_are_never_lost_or_doubled(scratch_db):
    listing_id, bidders, _ = _prepare(scratch_db, 6)
    barrier = threading.Barrier(len(bidders))
    accepted: list[Decimal] = []
    lock = threading.Lock()

    def bid_loop(bidder, offset):
        barrier.wait(timeout=10)
        for step in range(10):
            price = Decimal(600 + step * 10 + offset)
            with Session(scratch_db) as session:
                try:
                    market.place_bid(session, bidder.actor, listing_id=listing_id, price=price)
                    session.commit()
                except DomainError:
                    session.rollback()
                    continue
            with lock:
                accepted.append(price)

    _run([threading.Thread(target=bid_loop, args=(b, i)) for i, b in enumerate(bidders)])
    with scratch_db.connect() as conn:
        stored = conn.execute(sa.text("SELECT price FROM bids WHERE listing_id = :l ORDER BY id"),
                              {"l": listing_id}).scalars().all()
        best, count = conn.execute(sa.text("SELECT best_price, bid_count FROM listings WHERE id = :l"),
                                   {"l": listing_id}).one()
    assert sorted(stored) == sorted(accepted) and len(stored) == count  # none lost, none invented
    assert len(set(stored)) == len(stored)  # never two at one price
    assert stored == sorted(stored)  # each accepted bid beat the one before it
    assert best == max(stored)


def test_two_officers_awarding_at_once_make_one_winner(scratch_db):
    listing_id, bidders, officer = _prepare(scratch_db, 2)
    with Session(scratch_db) as session:
        market.place_bid(session, bidders[0].actor, listing_id=listing_id, price=Decimal(700))
        market.review_capital(session, COUNTY, transferee_id=bidders[0].transferee_id, county_code="220421",
                              approved=True, max_area_mu=Decimal(100), qualification="营业执照",
                              project="粮食种植", risk_measures="风险保障金", valid_until=date(2030, 1, 1))
        session.commit()
    clock.travel(timedelta(days=11))
    try:
        barrier = threading.Barrier(2)
        outcomes = []

        def award():
            barrier.wait(timeout=10)
            with Session(scratch_db) as session:
                try:
                    contracts.award(session, officer, listing_id=listing_id)
                    session.commit()
                    outcomes.append("awarded")
                except DomainError as err:
                    session.rollback()
                    outcomes.append(type(err).__name__)

        _run([threading.Thread(target=award) for _ in range(2)])
    finally:
        clock.reset()
    assert sorted(outcomes) == ["Conflict", "awarded"]
    with scratch_db.connect() as conn:
        accepted = conn.scalar(sa.text("SELECT count(*) FROM offers WHERE listing_id = :l "
                                       "AND status = 'accepted'"), {"l": listing_id})
    assert accepted == 1
