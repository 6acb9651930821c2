"""Migration 0015 on a database that already holds what issue 16 found: rows outside the new
ranges are kept and reported (their constraint added NOT VALID, refusing new and changed rows), and
the parcels of listings that ended unsold, stuck as 'listed', are released."""
from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from landrights import migrate

STUCK = [
    # parents skipped (session_replication_role = replica): only the rows 0015 looks at
    "INSERT INTO persons (county_code, name, sex, id_type, id_number, birth_date) "
    "VALUES ('220421', '旧数据', 1, 9, '                              ', '9999-12-31')",
    "INSERT INTO listings (id, county_code, household_code, mode, term, reserve_price, payment_schedule, "
    "land_use, opens_at, closes_at, priority_until, anti_snipe_minutes, area_m2, status) "
    "OVERRIDING SYSTEM VALUE VALUES (1, '220421', '220421101201010001', 'lease', "
    "daterange('2027-01-01', '2028-01-01'), 500, 'x', 'grain', now(), now() + interval '1 day', "
    "now() + interval '2 days', 5, 1000, 'unsold')",
    "INSERT INTO listing_parcels (county_code, listing_id, parcel_code, term, area_m2, status) "
    "VALUES ('220421', 1, '2204211012010100014', daterange('2027-01-01', '2028-01-01'), 1000, 'listed')",
]


def test_rows_out_of_range_are_kept_and_reported_and_stuck_parcels_freed(server, caplog):
    url = server.create_db("lr_range_migration")
    engine = sa.create_engine(url)
    try:
        migrate.upgrade(engine, "0014")
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for sql in STUCK:
                conn.execute(sa.text(sql))
        with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
            migrate.upgrade(engine)
        assert "ck_persons_birth_date_range" in caplog.text and "VALIDATE CONSTRAINT" in caplog.text
        assert "listing_parcels: 1 parcel(s)" in caplog.text
        with engine.connect() as conn:
            validated = dict(conn.execute(sa.text(
                "SELECT conname, convalidated FROM pg_constraint WHERE conname IN "
                "('ck_persons_birth_date_range', 'ck_persons_id_number_shape', "
                "'ck_parcels_area_at_most')")).all())
            assert validated == {"ck_persons_birth_date_range": False, "ck_persons_id_number_shape": False,
                                 "ck_parcels_area_at_most": True}
            assert conn.scalar(sa.text("SELECT birth_date::text FROM persons")) == "9999-12-31"  # kept
            assert conn.scalar(sa.text("SELECT status FROM listing_parcels")) == "released"
        with pytest.raises(IntegrityError), engine.begin() as conn:  # new rows: refused all the same
            conn.execute(sa.text("INSERT INTO persons (county_code, name, sex, id_type, id_number, "
                                 "birth_date) VALUES ('220421', '新数据', 1, 9, 'X123', '9999-12-31')"))
    finally:
        engine.dispose()
        server.drop_db("lr_range_migration")
