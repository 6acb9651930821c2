"""The register's hash chain (issue 20 §3), kept by the database itself: every register entry,
certificate event, filed transfer and withdrawal is appended in the same transaction as the change,
each link SHA-256 over its content and the previous link; a verification recomputes it and names
the first record or link that no longer matches."""
from __future__ import annotations

import hashlib
from datetime import UTC
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from landrights import clock
from landrights.accounts.permissions import Actor
from landrights.certification import certificates
from landrights.market import contracts
from landrights.rights import services as rights
from tests.audit.conftest import CONTRACT, chain_rows, head_seq, rogue, verify

COUNTY = Actor(role="county_admin", user_id=None, name="县", county_code="220421")
HOUSEHOLD = "220421101201010001"


def _homestead_request(session):
    homestead = session.scalar(sa.text("SELECT code FROM homesteads WHERE household_code = :h "
                                       "AND valid_to IS NULL"), {"h": HOUSEHOLD})
    holder = Actor(role="farmer", name="杨春林", household_code=HOUSEHOLD)
    return rights.request_withdrawal(session, holder, household_code=HOUSEHOLD, kind="homestead",
                                     compensation_yuan=Decimal("40000"), effective_on=clock.today(),
                                     homestead_code=homestead), holder


def test_the_demo_register_is_chained_and_verifies(session):
    rows = chain_rows(session)
    assert {r.source_table for r in rows} >= {"register_entries", "transfer_contracts"}
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert verify(session).findings == []


def test_certificate_events_and_withdrawals_join_the_chain_in_their_transaction(session):
    before = head_seq(session)
    first = certificates.issue_certificate(session, COUNTY, code=CONTRACT)
    second = certificates.reissue_certificate(session, COUNTY, code=CONTRACT, kind="reissue",
                                              reason="原证遗失", document="遗失声明 第1号")
    withdrawal, holder = _homestead_request(session)
    rights.cancel_withdrawal(session, holder, withdrawal_id=withdrawal.id)
    added = [(r.source_table, r.source_id, r.operation, r.row.get("status"))
             for r in chain_rows(session, after=before)]
    assert added == [("certificates", first.id, "insert", "valid"),
                     ("certificates", first.id, "update", "superseded"),  # the 补发 ends the first
                     ("certificates", second.id, "insert", "valid"),
                     ("withdrawals", withdrawal.id, "insert", "requested"),
                     ("withdrawals", withdrawal.id, "update", "cancelled")]
    assert verify(session).findings == []


def test_each_link_is_sha256_of_the_previous_link_and_its_content(session):
    certificates.issue_certificate(session, COUNTY, code=CONTRACT)
    last, before = session.execute(sa.text(
        "SELECT * FROM register_chain WHERE county_code = '220421' ORDER BY seq DESC LIMIT 2")).all()
    at = last.recorded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    line = "\n".join(["220421", str(last.seq), "certificates", str(last.source_id), "insert", at,
                      last.content])
    assert bytes(last.prev_hash) == bytes(before.hash)
    assert bytes(last.hash) == hashlib.sha256(bytes(before.hash) + line.encode()).digest()
    # the content is recomputable from the row as it is now
    again = session.scalar(sa.text("SELECT lr_chain_content_certificates(c) FROM certificates c "
                                   "WHERE id = :i"), {"i": last.source_id})
    assert again == last.content


def test_an_update_that_changes_nothing_adds_no_link(session):
    before = head_seq(session)
    session.execute(sa.text("UPDATE withdrawals SET review = review"))
    session.execute(sa.text("UPDATE transfer_contracts SET status = status"))
    assert head_seq(session) == before


def test_one_statement_of_many_rows_takes_consecutive_links_in_id_order(session):
    before = head_seq(session)
    ids = session.scalars(sa.text(
        "INSERT INTO withdrawals (county_code, household_code, kind, homestead_code, request_method, "
        "request_signed_by, requested_at, compensation_yuan, notice_on, effective_on) "
        "SELECT '220421', h, 'homestead', h || 'Z01', 'holder', '户主', now(), 100, d, d "
        "FROM unnest(ARRAY['220421101201010002', '220421101201010001']) AS h, "
        "(SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS d) t RETURNING id")).all()
    session.execute(sa.text("UPDATE withdrawals SET status = 'cancelled', cancelled_at = now()"))
    links = chain_rows(session, after=before)
    assert [(r.seq, r.source_id, r.operation) for r in links] == [
        (before + 1, min(ids), "insert"), (before + 2, max(ids), "insert"),
        (before + 3, min(ids), "update"), (before + 4, max(ids), "update")]
    assert verify(session).findings == []


def test_a_transfer_joins_when_filed_and_its_termination_follows(session):
    filed = session.execute(sa.text("SELECT id, code, household_code FROM transfer_contracts "
                                     "WHERE status = 'filed' LIMIT 1")).one()
    assert ("transfer_contracts", filed.id) in {(r.source_table, r.source_id) for r in chain_rows(session)}
    before = head_seq(session)
    household = Actor(role="farmer", name="户主", household_code=filed.household_code)
    contracts.terminate(session, household, code=filed.code, cause="abandoned_two_years",
                        evidence="村委会证明 第3号")
    added = chain_rows(session, after=before)
    assert [(r.source_id, r.operation, r.row["status"]) for r in added] == [
        (filed.id, "update", "terminated")]
    assert verify(session).findings == []


def test_a_draft_transfer_stays_off_the_chain(session):
    before = head_seq(session)
    rogue(session, "UPDATE transfer_contracts SET status = 'signed' WHERE status = 'filed'")
    session.execute(sa.text("UPDATE transfer_contracts SET payment_schedule = '每年一次' "
                            "WHERE status = 'signed'"))  # a contract not yet filed (R2.9)
    assert head_seq(session) == before


def test_the_chain_is_append_only(session):
    for sql in ("UPDATE register_chain SET content = '{}' WHERE seq = 1",
                "DELETE FROM register_chain WHERE seq = 1", "TRUNCATE register_chain"):
        with pytest.raises(DBAPIError) as refused, session.begin_nested():
            session.execute(sa.text(sql))
        assert refused.value.orig.diag.sqlstate == "P0001"
        assert refused.value.orig.diag.constraint_name == "register_chain_history"


# --- a rogue administrator, with SQL and the triggers off -------------------------------------------

def test_a_register_entry_edited_with_the_triggers_off_is_named(session):
    entry = session.execute(sa.text("SELECT id, code, version FROM register_entries ORDER BY id "
                                     "LIMIT 1 OFFSET 2")).one()
    rogue(session, "UPDATE register_entries SET registrar = '某人' WHERE id = :i", i=entry.id)
    first = verify(session).findings[0]
    assert (first.kind, first.table, first.source_id) == ("content_changed", "register_entries", entry.id)
    assert first.record["code"] == entry.code and first.record["registrar"] == "某人"
    seq = session.scalar(sa.text("SELECT max(seq) FROM register_chain WHERE source_table = "
                                 "'register_entries' AND source_id = :i"), {"i": entry.id})
    assert first.seq == seq


def test_a_register_entry_deleted_with_the_triggers_off_is_named(session):
    entry = session.execute(sa.text("SELECT id, code FROM register_entries ORDER BY id DESC LIMIT 1")).one()
    rogue(session, "DELETE FROM register_entries WHERE id = :i", i=entry.id)
    findings = verify(session).findings
    assert [(f.kind, f.source_id, f.record["code"]) for f in findings] == [
        ("row_deleted", entry.id, entry.code)]


def test_a_row_added_with_the_triggers_off_is_named(session):
    rogue(session, "INSERT INTO register_entries (county_code, code, version, contract_id, registrar, "
                   "registered_at, valid_to) SELECT county_code, code, version + 1, contract_id, '某人', "
                   "now(), now() + interval '1 day' "
                   "FROM register_entries WHERE code = :c", c=CONTRACT)
    (finding,) = verify(session).findings
    assert (finding.kind, finding.seq, finding.record["code"], finding.record["version"]) == (
        "not_chained", None, CONTRACT, 2)


def test_a_deleted_chain_link_is_named(session):
    rogue(session, "DELETE FROM register_chain WHERE county_code = '220421' AND seq = 7")
    findings = verify(session).findings
    assert (findings[0].kind, findings[0].seq, findings[0].detail) == (
        "chain_deleted", 7, {"first": 7, "last": 7})
    # the record whose link went is then on no link at all
    assert [f.kind for f in findings[1:]] == ["not_chained"]


def test_an_edited_chain_link_is_named_even_with_its_hash_recomputed(session):
    row = chain_rows(session)[9]
    rogue(session, "UPDATE register_chain SET content = replace(content, '\"version\": 1', '\"version\": 9') "
                   "WHERE county_code = '220421' AND seq = :s", s=row.seq)
    first = verify(session).findings[0]
    assert (first.kind, first.seq, first.source_id) == ("chain_changed", row.seq, row.source_id)
    # with its hash recomputed, the next link breaks, and the record no longer matches the link
    rogue(session, "UPDATE register_chain SET hash = sha256(prev_hash || lr_chain_line(county_code, seq, "
                   "source_table, source_id, operation, recorded_at, content)) WHERE county_code = '220421' "
                   "AND seq = :s", s=row.seq)
    assert [(f.kind, f.seq) for f in verify(session).findings] == [
        ("content_changed", row.seq), ("chain_changed", row.seq + 1)]


def test_a_switched_off_trigger_is_named(session):
    session.execute(sa.text("ALTER TABLE withdrawals DISABLE TRIGGER withdrawals_chain_insert"))
    (finding,) = verify(session).findings
    assert (finding.kind, finding.table) == ("triggers_off", "withdrawals")


def test_only_the_county_of_the_tampering_is_named(session):
    rogue(session, "UPDATE register_entries SET note = 'x' WHERE id = (SELECT min(id) FROM register_entries)")
    assert verify(session, "220422").findings == []  # another county's chain (empty) is whole
