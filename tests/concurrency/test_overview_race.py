"""Two officers change parcels of one village at the same moment, each in its own transaction:
both commit and the village's overview (parcel_overviews, migration 0012) counts both changes.

Without the overview's advisory lock the second transaction recomputed the row from a snapshot
without the first's change, then failed on the key (or, with an upsert, lost the first's change)."""
import threading

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

COLLECTIVE = "22042110120101"  # demo 永安村一组: all its parcels are registered


def _two_surveyed(engine) -> list[str]:
    """Make two far-apart parcels of the collective 'surveyed' (they are registered in the demo:
    close them and add new surveyed versions, committed), and return their codes."""
    with engine.begin() as conn:
        codes = conn.scalars(sa.text(
            "SELECT code FROM parcels WHERE collective_code = :c AND valid_to IS NULL "
            "ORDER BY ST_X(ST_Centroid(geom)) LIMIT 1"), {"c": COLLECTIVE}).all() + conn.scalars(sa.text(
            "SELECT code FROM parcels WHERE collective_code = :c AND valid_to IS NULL "
            "ORDER BY ST_X(ST_Centroid(geom)) DESC LIMIT 1"), {"c": COLLECTIVE}).all()
        for code in codes:
            conn.execute(sa.text(
                "WITH closed AS (UPDATE parcels SET valid_to = now() WHERE code = :c AND valid_to IS NULL "
                "RETURNING *) INSERT INTO parcels (county_code, code, version, collective_code, geom, "
                "status, valid_from) SELECT county_code, code, version + 1, collective_code, geom, "
                "'surveyed', now() + interval '1 second' FROM closed"), {"c": code})
    return codes


def overview(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text(
            "SELECT parcels, registered FROM parcel_overviews WHERE collective_code = :c"),
            {"c": COLLECTIVE}).one())


def live(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text(
            "SELECT count(*), count(*) FILTER (WHERE status = 'registered') FROM parcels "
            "WHERE collective_code = :c AND valid_to IS NULL"), {"c": COLLECTIVE}).one())


def test_two_registrations_in_one_village_at_once_are_both_counted(scratch_db):
    codes = _two_surveyed(scratch_db)
    before = overview(scratch_db)
    assert before == live(scratch_db)
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def register(i: int, code: str) -> None:
        with scratch_db.connect() as conn:
            trans = conn.begin()
            try:
                barrier.wait(timeout=10)
                conn.execute(sa.text("UPDATE parcels SET status = 'registered' WHERE code = :c "
                                     "AND valid_to IS NULL"), {"c": code})
                conn.execute(sa.text("SELECT pg_sleep(0.3)"))  # hold it: the other one waits
                trans.commit()
                outcomes[i] = "committed"
            except DBAPIError as err:
                trans.rollback()
                outcomes[i] = err.orig.sqlstate

    threads = [threading.Thread(target=register, args=(i, c)) for i, c in enumerate(codes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert outcomes == ["committed", "committed"]
    assert overview(scratch_db) == live(scratch_db) == (before[0], before[1] + 2)
