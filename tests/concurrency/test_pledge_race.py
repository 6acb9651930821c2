"""A listing races a pledge of the same parcel on committed data (R1.30): the pledge is written but
not committed when the listing's own check runs and finds nothing; the trigger's per-parcel lock
makes the listing wait for the pledge, then see it and be refused."""
from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights.accounts.permissions import Actor
from landrights.errors import DomainError
from landrights.market import pledges
from tests.factories import make_listing
from tests.market.conftest import HOUSEHOLD, parcels_of

OFFICER = Actor(role="township_officer", name="officer", township_code="220421101")


def _waiting_on_advisory_lock(engine) -> bool:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                   "AND NOT granted")) > 0


def test_a_listing_waits_for_an_uncommitted_pledge_and_is_refused(scratch_db):
    pledging = Session(scratch_db)
    codes = parcels_of(pledging, HOUSEHOLD)[:1]
    pledges.record_pledge(pledging, OFFICER, household_code=HOUSEHOLD, parcel_codes=codes,
                          creditor="农商银行", amount_yuan=Decimal("30000"), term_start=date(2027, 1, 1),
                          term_end=date(2027, 12, 31), document="抵押合同 1")
    # flushed: the pledge holds its parcel's lock, and is not committed
    outcome: list = []

    def list_it():
        with Session(scratch_db) as session:
            try:
                make_listing(session, parcel_codes=codes)  # its own check cannot see the pledge yet
                session.commit()
                outcome.append("committed")
            except DomainError as err:
                session.rollback()
                outcome.append(err.rule)

    thread = threading.Thread(target=list_it)
    thread.start()
    deadline = time.monotonic() + 20
    while not _waiting_on_advisory_lock(scratch_db) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _waiting_on_advisory_lock(scratch_db)  # the listing waits for the pledge's transaction
    pledging.commit()
    pledging.close()
    thread.join(timeout=30)
    assert outcome == ["R1.30"]
    with scratch_db.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM listings WHERE household_code = :h"),
                           {"h": HOUSEHOLD}) == 0
