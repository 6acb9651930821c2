"""Two transactions appending to one county's register chain at once (issue 20 §3), on committed
data: the second waits for the first to commit, then links after it, so the chain never forks. A
REPEATABLE READ transaction, whose snapshot cannot see the first one's link, is refused instead
of forking the chain."""
from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from landrights.audit import chain

WAIT_LIMIT = 60  # seconds: a safety net for a hung thread, never a measure
REQUEST = ("INSERT INTO withdrawals (county_code, household_code, kind, homestead_code, request_method, "
           "request_signed_by, requested_at, compensation_yuan, notice_on, effective_on) VALUES ('220421', "
           "CAST(:h AS text), 'homestead', CAST(:h AS text) || 'Z01', 'holder', '户主', now(), 100, "
           "(now() AT TIME ZONE 'Asia/Shanghai')::date, (now() AT TIME ZONE 'Asia/Shanghai')::date) "
           "RETURNING id")
FIRST, SECOND = "220421101201010001", "220421101201010002"


def _wait_for_lock(engine, thread: threading.Thread) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    # autocommit: pg_stat_activity is read once per transaction, so one transaction around the
    # loop would look at the first moment's snapshot for as long as it waits
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        while not conn.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                      "current_database() AND wait_event_type = 'Lock' "
                                      "AND wait_event = 'advisory'")):
            assert thread.is_alive(), "the second append did not wait for the first"
            assert time.monotonic() < deadline, "the second append never reached the chain"
            time.sleep(0.02)


def _links(engine, after: int) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT seq, source_id, prev_hash, hash FROM register_chain WHERE "
                                    "county_code = '220421' AND seq > :a ORDER BY seq"), {"a": after}).all()


def _last(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT max(seq) FROM register_chain WHERE county_code = '220421'"))


def test_two_appends_in_one_county_queue_and_link_in_commit_order(scratch_db):
    before = _last(scratch_db)
    outcome: dict = {}

    def second():
        with Session(scratch_db) as b:
            outcome["id"] = b.scalar(sa.text(REQUEST), {"h": SECOND})
            b.commit()

    with Session(scratch_db) as a:
        first_id = a.scalar(sa.text(REQUEST), {"h": FIRST})  # holds the county's chain until commit
        thread = threading.Thread(target=second)
        thread.start()
        _wait_for_lock(scratch_db, thread)
        a.commit()
    thread.join(timeout=WAIT_LIMIT)
    one, two = _links(scratch_db, before)
    assert (one.seq, one.source_id, two.seq, two.source_id) == (
        before + 1, first_id, before + 2, outcome["id"])
    assert bytes(two.prev_hash) == bytes(one.hash)
    with Session(scratch_db) as session:
        assert chain.verify_county(session, "220421").findings == []


def test_a_stale_snapshot_is_refused_rather_than_forking_the_chain(scratch_db):
    before = _last(scratch_db)
    outcome: dict = {}

    def second(b: Session):
        try:
            b.execute(sa.text(REQUEST), {"h": SECOND})
            b.commit()
        except DBAPIError as err:
            outcome["refused"] = err.orig.sqlstate
            b.rollback()

    with Session(scratch_db) as a, Session(scratch_db) as b:
        b.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        b.execute(sa.text("SELECT 1 FROM register_chain LIMIT 1"))  # its snapshot: before the first link
        a.execute(sa.text(REQUEST), {"h": FIRST})
        thread = threading.Thread(target=second, args=(b,))
        thread.start()
        _wait_for_lock(scratch_db, thread)
        a.commit()
        thread.join(timeout=WAIT_LIMIT)
    assert outcome.get("refused") in ("23505", "40001")  # the key (county, seq), or serialisation
    assert [link.seq for link in _links(scratch_db, before)] == [before + 1]
    with Session(scratch_db) as session:
        assert chain.verify_county(session, "220421").findings == []

