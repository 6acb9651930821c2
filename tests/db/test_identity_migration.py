"""Migration 0018 on a database holding transferees linked to persons on their word alone and an
entrustment of the old shape: only a link whose account really is the person's becomes an identity
(the others are dropped and counted in the log); the entrustment keeps both signatures and gains
the acts it was used for; the downgrade gives back the verified links and the old columns."""
from __future__ import annotations

import logging

import sqlalchemy as sa

from landrights import migrate

OLD = [
    # parents skipped (session_replication_role = replica): only the rows 0018 looks at
    "INSERT INTO persons (id, county_code, name, sex, id_type, id_number) OVERRIDING SYSTEM VALUE "
    "VALUES (1, '220421', '本人', 1, 9, 'P-0001'), (2, '220421', '他人', 1, 9, 'P-0002')",
    "INSERT INTO users (id, username, password_hash, display_name, role, person_id) "
    "OVERRIDING SYSTEM VALUE VALUES (1, 'own', 'x', 'own', 'transferee', 1), "
    "(2, 'word', 'x', 'word', 'transferee', NULL), (3, 'firm', 'x', 'firm', 'transferee', 2)",
    "INSERT INTO transferees (id, user_id, kind, name, person_id, operating_capacity) "
    "OVERRIDING SYSTEM VALUE VALUES (1, 1, 'individual', '本人', 1, 'x'), "
    "(2, 2, 'individual', '冒名', 1, 'x'), (3, 3, 'company', '公司', 2, 'x')",
    "INSERT INTO entrustments (county_code, household_code, agent_user_id, scope, parcel_codes, valid_from, "
    "valid_to, signed_by_household, signed_by_agent, document) VALUES ('220421', '220421101201010001', 2, "
    "'代为挂牌', '{2204211012010100001}', '2026-01-01', '2027-01-01', true, true, '委托书 1')",
]


def test_only_links_of_the_persons_own_account_become_identities(server, caplog):
    url = server.create_db("lr_identity_migration")
    engine = sa.create_engine(url)
    try:
        migrate.upgrade(engine, "0017")
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for sql in OLD:
                conn.execute(sa.text(sql))
        with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
            migrate.upgrade(engine)
        assert "2 unverified transferee-person links dropped" in caplog.text
        with engine.connect() as conn:
            kept = conn.execute(sa.text("SELECT transferee_id, person_id, method "
                                        "FROM transferee_identities")).all()
            assert [tuple(r) for r in kept] == [(1, 1, "own_account")]
            old = conn.execute(sa.text("SELECT acts, consent_method, household_signed_at IS NOT NULL, "
                                       "agent_signed_at IS NOT NULL, document FROM entrustments")).one()
            assert tuple(old) == (["list", "withdraw_listing"], "app", True, True, "委托书 1")
        migrate.downgrade(engine, "0017")
        with engine.connect() as conn:
            links = conn.execute(sa.text("SELECT id, person_id FROM transferees ORDER BY id")).all()
            assert [tuple(r) for r in links] == [(1, 1), (2, None), (3, None)]
            signed = conn.execute(sa.text("SELECT signed_by_household, signed_by_agent FROM entrustments"))
            assert tuple(signed.one()) == (True, True)
    finally:
        engine.dispose()
        server.drop_db("lr_identity_migration")
