"""Migration 0022 on a database that already holds records: it chains them ('genesis', per county,
in table order), so the verification passes on an upgraded database; a draft transfer stays off;
down and up again rebuilds the chain."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import migrate
from landrights.audit import chain

HOUSEHOLD = "220421101201010001"
CONTRACT = HOUSEHOLD + "J"
TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"
TRANSFER = ("INSERT INTO transfer_contracts (id, county_code, code, listing_id, household_code, "
            "transferee_id, parcel_codes, area_m2, mode, land_use, term, price, annual_rent_yuan, "
            "payment_schedule, expropriation_to, clauses, household_signed_at, transferee_signed_at, "
            "filed_at, status) "
            "OVERRIDING SYSTEM VALUE VALUES ({id}, '220421', '22042120260000000{id}', {id}, "
            "'" + HOUSEHOLD + "', "
            "1, ARRAY['2204211012010100001'], 6667, 'lease', 'grain', '[2027-01-01,2029-01-01)', 500, 5000, "
            "'每年1月', '承包方', '{{}}', now(), now(), {filed}, '{status}')")
BEFORE = [
    # parents skipped (session_replication_role = replica): only the rows 0022 chains
    "INSERT INTO register_entries (id, county_code, code, version, contract_id, registrar, registered_at) "
    f"OVERRIDING SYSTEM VALUE VALUES (1, '220421', '{CONTRACT}', 1, 1, '登簿人', now())",
    "INSERT INTO certificates (id, county_code, code, serial, printed_no, contract_id, register_entry_id, "
    f"kind, authority, issued_at) OVERRIDING SYSTEM VALUE VALUES (1, '220421', '{CONTRACT}', 1, "
    "'NO.J0000000000001', 1, 1, 'issue', '东丰县人民政府', now())",
    "INSERT INTO withdrawals (id, county_code, household_code, kind, homestead_code, request_method, "
    "request_signed_by, requested_at, compensation_yuan, notice_on, effective_on) OVERRIDING SYSTEM VALUE "
    f"VALUES (1, '220421', '{HOUSEHOLD}', 'homestead', '{HOUSEHOLD}Z01', 'holder', '杨春林', now(), 100, "
    f"{TODAY}, {TODAY})",
    TRANSFER.format(id=1, filed="now()", status="filed"),
    TRANSFER.format(id=2, filed="NULL", status="draft"),
    "INSERT INTO register_entries (id, county_code, code, version, contract_id, registrar, registered_at) "
    "OVERRIDING SYSTEM VALUE VALUES (2, '220422', '220422101201010001J', 1, 2, '登簿人', now())",
]


def _chain(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT county_code, seq, source_table, source_id, operation "
                                    "FROM register_chain ORDER BY county_code, seq")).all()


def test_existing_records_are_chained_at_upgrade_and_verify(server):
    url = server.create_db("lr_chain_migration")
    engine = sa.create_engine(url)
    try:
        migrate.upgrade(engine, "0021")
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for sql in BEFORE:
                conn.execute(sa.text(sql))
        migrate.upgrade(engine, "0022")
        genesis = [("220421", 1, "register_entries", 1, "genesis"),
                   ("220421", 2, "certificates", 1, "genesis"),
                   ("220421", 3, "transfer_contracts", 1, "genesis"),
                   ("220421", 4, "withdrawals", 1, "genesis"),
                   ("220422", 1, "register_entries", 2, "genesis")]
        assert _chain(engine) == genesis
        with Session(engine) as session:
            for county in ("220421", "220422"):
                assert chain.verify_county(session, county).findings == []
        migrate.downgrade(engine, "0021")
        migrate.upgrade(engine, "0022")
        assert _chain(engine) == genesis
    finally:
        engine.dispose()
        server.drop_db("lr_chain_migration")
