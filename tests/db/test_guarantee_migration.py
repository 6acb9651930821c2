"""Migration 0016 on a database that already holds what issue 17 found: a holder's request with a
back-dated notice is kept and reported (its CHECK added NOT VALID): it can still be cancelled, never
take effect; a waiting request of a household whose member's settlement was recorded after it is
flagged for the county's review."""
from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from landrights import migrate

HOUSEHOLD = "220421101201010001"
TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"
BEFORE = [
    # parents skipped (session_replication_role = replica): only the rows 0016 looks at
    "INSERT INTO households (id, county_code, code, collective_code, type, name) OVERRIDING SYSTEM VALUE "
    f"VALUES (1, '220421', '{HOUSEHOLD}', '22042110120101', 1, '杨春林')",
    "INSERT INTO household_members (county_code, household_id, person_id, relation, is_co_holder) "
    "VALUES ('220421', 1, 7, '30', true)",
    "INSERT INTO settlements (county_code, person_id, settled_on, city, document) "
    f"VALUES ('220421', 7, {TODAY} - 10, '长春市', '户口迁移证')",
    # issue 17: notice 200 days back, effective tomorrow; and one filed on the day, unflagged
    "INSERT INTO withdrawals (id, county_code, household_code, kind, homestead_code, request_method, "
    "request_signed_by, requested_at, compensation_yuan, notice_on, effective_on) OVERRIDING SYSTEM VALUE "
    f"VALUES (1, '220421', '{HOUSEHOLD}', 'homestead', '{HOUSEHOLD}Z01', 'holder', '杨春林', now(), 100, "
    f"{TODAY} - 200, {TODAY} + 1), "
    f"(2, '220421', '{HOUSEHOLD}', 'homestead', '{HOUSEHOLD}Z01', 'holder', '杨春林', now(), 100, "
    f"{TODAY}, {TODAY})",
]


def test_back_dated_requests_are_kept_but_never_take_effect_and_waiting_ones_flagged(server, caplog):
    url = server.create_db("lr_guarantee_migration")
    engine = sa.create_engine(url)
    try:
        migrate.upgrade(engine, "0015")
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for sql in BEFORE:
                conn.execute(sa.text(sql))
        with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
            migrate.upgrade(engine, "0016")
        assert "ck_withdrawals_in_app_notice_on_filing" in caplog.text and "VALIDATE" in caplog.text
        assert "2 waiting request(s)" in caplog.text
        with engine.connect() as conn:
            validated = dict(conn.execute(sa.text(
                "SELECT conname, convalidated FROM pg_constraint WHERE conname IN "
                "('ck_withdrawals_in_app_notice_on_filing', 'ck_withdrawals_paper_notice_recent', "
                "'ck_withdrawals_notice_not_after_filing')")).all())
            assert validated == {"ck_withdrawals_in_app_notice_on_filing": False,  # 200 days back
                                 "ck_withdrawals_paper_notice_recent": False,
                                 "ck_withdrawals_notice_not_after_filing": True}
            reviews = dict(conn.execute(sa.text("SELECT id, review FROM withdrawals")).all())
            assert reviews == {1: "pending", 2: "pending"}  # both wait for the county now (G4)
        with pytest.raises(DBAPIError) as info, engine.begin() as conn:
            conn.execute(sa.text("UPDATE withdrawals SET review = 'voluntary', review_note = '县审查' "
                                 "WHERE id = 1"))
        assert info.value.orig.diag.constraint_name == "ck_withdrawals_in_app_notice_on_filing"
        with engine.begin() as conn:  # the holder may still cancel it
            conn.execute(sa.text("UPDATE withdrawals SET status = 'cancelled', cancelled_at = now() "
                                 "WHERE id = 1"))
    finally:
        engine.dispose()
        server.drop_db("lr_guarantee_migration")
