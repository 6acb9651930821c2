"""An account linked to a person while, in another transaction, the person's number passes to its
other listing (registry.conflicts.correct_number): whichever commits first, the other is refused,
so no account ever names a listing in conflict (migration 0020: the guard reads the person FOR
SHARE, which the update of the person waits for and which waits for it; with FOR KEY SHARE the
first race let the link through). Two connections on committed data, the second statement run in
a thread until it waits on the first's lock."""
from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from tests.factories import id_number

NUMBER = id_number("22042119700101201")
HAND_OVER = ["SET CONSTRAINTS persons_id_conflict_insert, persons_id_conflict_update DEFERRED",
             "UPDATE persons SET id_conflict_of = :second WHERE id = :first",
             "UPDATE persons SET id_conflict_of = NULL WHERE id = :second",
             "SET CONSTRAINTS persons_id_conflict_insert, persons_id_conflict_update IMMEDIATE"]
LINK = "UPDATE users SET person_id = :first WHERE id = :user"


def _setup(engine) -> dict:
    with engine.begin() as conn:
        insert = ("INSERT INTO persons (county_code, name, sex, id_type, id_number, "
                  "id_conflict_of) VALUES ('220421', :name, 1, 1, :n, :of) RETURNING id")
        first = conn.execute(sa.text(insert), {"name": "赵长海", "n": NUMBER, "of": None}).scalar()
        second = conn.execute(sa.text(insert), {"name": "孙长海", "n": NUMBER, "of": first}).scalar()
        user = conn.scalar(sa.text("SELECT min(id) FROM users"))
        conn.execute(sa.text("UPDATE users SET person_id = NULL WHERE id = :u"), {"u": user})
    return {"first": first, "second": second, "user": user}


def _run(conn, statements, params) -> str:
    try:
        for statement in statements:
            conn.execute(sa.text(statement), params)
        conn.commit()
        return "done"
    except sa.exc.DBAPIError as exc:
        conn.rollback()
        return exc.orig.diag.constraint_name


def _waiting(engine) -> bool:
    with engine.connect() as conn:
        return conn.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")) > 0


def _race(engine, first_statements, second_statements, params) -> tuple[str, str]:
    """Run the first transaction up to its commit, the second until it waits on it; commit the
    first; return both outcomes."""
    outcome = {}
    with engine.connect() as one, engine.connect() as two:
        for statement in first_statements:
            one.execute(sa.text(statement), params)
        thread = threading.Thread(target=lambda: outcome.update(
            second=_run(two, second_statements, params)))
        thread.start()
        for _ in range(600):
            if _waiting(engine) or not thread.is_alive():
                break
            time.sleep(0.05)
        waited = thread.is_alive()
        one.commit()
        thread.join(timeout=60)
    assert waited, "the second transaction did not wait for the first's lock"
    return "done", outcome["second"]


def _linked_listings(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM users u JOIN persons p "
                                   "ON p.id = u.person_id WHERE p.id_conflict_of IS NOT NULL"))


def test_the_number_passes_first_then_the_link_is_refused(scratch_db):
    params = _setup(scratch_db)
    assert _race(scratch_db, HAND_OVER, [LINK], params) == ("done", "person_in_conflict")
    assert _linked_listings(scratch_db) == 0


def test_the_link_comes_first_then_the_number_stays(scratch_db):
    params = _setup(scratch_db)
    assert _race(scratch_db, [LINK], HAND_OVER, params) == ("done", "person_identity_in_use")
    assert _linked_listings(scratch_db) == 0
