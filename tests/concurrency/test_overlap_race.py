"""Two connections insert overlapping parcels at the same moment: exactly one commits.

The trigger's advisory lock makes the second wait for the first, then see its row."""
import threading

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from tests.factories import PARCEL_SQL, square

COLLECTIVES = ("22042110120101", "22042110120102")


def _race(engine, rows):
    barrier = threading.Barrier(len(rows))
    outcomes = [None] * len(rows)

    def insert(i, collective, geom):
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                barrier.wait(timeout=10)
                conn.execute(sa.text(PARCEL_SQL), {"county": "220421", "code": collective + "99901",
                                                   "collective": collective, "geom": geom})
                conn.execute(sa.text("SELECT pg_sleep(0.2)"))  # hold the lock: the other waits
                trans.commit()
                outcomes[i] = "committed"
            except DBAPIError as err:
                trans.rollback()
                outcomes[i] = err.orig.sqlstate

    threads = [threading.Thread(target=insert, args=(i, *row)) for i, row in enumerate(rows)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_exactly_one_of_two_overlapping_inserts_commits(scratch_db):
    outcomes = _race(scratch_db, [(COLLECTIVES[0], square(125.3, 42.6)),
                                  (COLLECTIVES[1], square(125.3005, 42.6005))])
    assert sorted(outcomes) == ["23P01", "committed"]
    with scratch_db.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM parcels WHERE code LIKE '%99901'")) == 1


def test_two_distant_parcels_both_commit(scratch_db):
    outcomes = _race(scratch_db, [(COLLECTIVES[0], square(125.3, 42.6)),
                                  (COLLECTIVES[1], square(125.5, 42.9))])
    assert outcomes == ["committed", "committed"]
