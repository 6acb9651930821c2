"""A withdrawal and a member's settlement recorded at the same moment, on committed data (G4): each
written but not committed when the other's trigger looks for it. The per-household lock both
triggers take makes the second wait for the first, then see it: the request waits for the county
whichever was recorded first."""
from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.rights import services

HOUSEHOLD = "220421101201010001"
DAUGHTER = "220421198411303622"


def _file(session) -> None:
    homestead = session.scalar(sa.text("SELECT code FROM homesteads WHERE household_code = :h"),
                               {"h": HOUSEHOLD})
    holder = Actor(role="farmer", name="杨春林", household_code=HOUSEHOLD)
    services.request_withdrawal(session, holder, household_code=HOUSEHOLD, kind="homestead",
                                compensation_yuan=Decimal("50000"), effective_on=clock.today(),
                                homestead_code=homestead)


def _settle(session) -> None:
    services.record_settlement(session, SYSTEM, id_number=DAUGHTER, city="长春市", document="户口迁移证",
                               settled_on=clock.today() - timedelta(days=10))


def _waiting_on_advisory_lock(engine) -> bool:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                   "AND NOT granted")) > 0


@pytest.mark.parametrize("first, second", [(_settle, _file), (_file, _settle)],
                         ids=["settlement-first", "withdrawal-first"])
def test_the_later_record_waits_and_the_request_is_flagged(scratch_db, first, second):
    earlier = Session(scratch_db)
    first(earlier)  # flushed: it holds the household's lock, and is not committed
    failures: list = []

    def record_second():
        with Session(scratch_db) as session:
            try:
                second(session)  # its trigger cannot see the first record yet
                session.commit()
            except Exception as err:  # reported below, not lost in the thread
                failures.append(err)

    thread = threading.Thread(target=record_second)
    thread.start()
    deadline = time.monotonic() + 20
    while not _waiting_on_advisory_lock(scratch_db) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _waiting_on_advisory_lock(scratch_db)  # the second waits for the first's transaction
    earlier.commit()
    earlier.close()
    thread.join(timeout=30)
    assert failures == []
    with scratch_db.connect() as conn:
        assert conn.scalar(sa.text("SELECT review FROM withdrawals WHERE household_code = :h"),
                           {"h": HOUSEHOLD}) == "pending"
