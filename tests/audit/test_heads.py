"""The daily signed register head (issue 20 §3): the chain's length and last hash of a county on a
day, signed with the county's key (landrights.signing); recorded once a day; a later rewrite of the
chain, even a consistent one, contradicts it; a copy kept outside the registry checks a backup."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.audit import heads, services
from landrights.audit.models import RegisterCheck
from landrights.errors import Forbidden
from tests.audit.conftest import COUNTY_CODE, chain_rows, head_seq, rogue, verify

REWRITE = ("DELETE FROM register_chain WHERE county_code = '220421'", """
DO $$ BEGIN
  PERFORM lr_chain_lock(ARRAY['220421']);
  EXECUTE lr_chain_append_sql('register_entries', 'genesis', 'SELECT r.county_code, r.id, '
    'lr_chain_content_register_entries(r) AS content FROM register_entries r')
    USING clock_timestamp(), ARRAY['220421'];
  EXECUTE lr_chain_append_sql('transfer_contracts', 'genesis', 'SELECT r.county_code, r.id, '
    'lr_chain_content_transfer_contracts(r) AS content FROM transfer_contracts r WHERE '
    'lr_chain_wanted_transfer_contracts(r)') USING clock_timestamp(), ARRAY['220421'];
END $$""")


@pytest.fixture
def signed(app, session, signing_module):
    """Today's head of the demo county, signed."""
    with app.app_context():
        yield services.record_head(session, SYSTEM, COUNTY_CODE).head


def test_the_head_is_signed_once_a_day(app, session, signed):
    last = chain_rows(session)[-1]
    assert (signed.day, signed.entries, bytes(signed.head_hash)) == (
        clock.today(), last.seq, bytes(session.scalar(sa.text(
            "SELECT hash FROM register_chain WHERE county_code = '220421' AND seq = :s"), {"s": last.seq})))
    payload = heads.payload(COUNTY_CODE, signed.day, signed.entries, bytes(signed.head_hash))
    assert payload.decode().splitlines() == [
        "landrights register head", "county 220421", f"date {signed.day.isoformat()}",
        f"entries {signed.entries}", f"hash {bytes(signed.head_hash).hex()}"]
    with app.app_context():
        assert heads.signature_holds(session, signed)
        again = services.record_head(session, SYSTEM, COUNTY_CODE)
    assert not again.created and again.head.signature == signed.signature
    assert session.scalar(sa.text("SELECT count(*) FROM register_heads")) == 1
    assert verify(session).findings == []


def test_a_consistent_rewrite_of_the_chain_contradicts_the_signed_head(session, signed):
    rogue(session, *REWRITE)  # every link computes again, every record matches its link
    assert head_seq(session) == signed.entries
    (finding,) = verify(session).findings
    assert (finding.kind, finding.seq, finding.detail["day"]) == (
        "head_mismatch", signed.entries, signed.day.isoformat())


def test_deleted_last_links_contradict_the_signed_head(session, signed):
    rogue(session, "DELETE FROM register_chain WHERE county_code = '220421' AND seq = :s", s=signed.entries)
    kinds = [(f.kind, f.seq) for f in verify(session).findings]
    assert kinds[0] == ("head_mismatch", signed.entries) and ("not_chained", None) in kinds


def test_a_forged_signature_is_named(app, session, signed):
    forged = signed.signature[:-4] + ("AAAA" if not signed.signature.endswith("AAAA") else "BBBB")
    rogue(session, "UPDATE register_heads SET signature = :s", s=forged)
    session.expire_all()
    with app.app_context():
        report = services.verify_register(session, SYSTEM, COUNTY_CODE)
    assert [(f.kind, f.detail["day"]) for f in report.findings] == [
        ("head_signature", signed.day.isoformat())]


def test_a_copy_of_the_published_heads_checks_the_chain(app, session, signed):
    copy = [heads.public(signed)]
    with app.app_context():
        assert services.verify_register(session, SYSTEM, COUNTY_CODE, copy).ok
        rogue(session, *REWRITE, "DELETE FROM register_heads")  # the registry's own heads go too
        report = services.verify_register(session, SYSTEM, COUNTY_CODE, copy)
    assert [(f.kind, f.seq, f.detail["copy"]) for f in report.findings] == [
        ("head_mismatch", signed.entries, True)]
    checks = session.execute(sa.select(RegisterCheck.findings, RegisterCheck.first_finding)
                             .order_by(RegisterCheck.id)).all()
    assert [c.findings for c in checks] == [0, 1] and checks[1].first_finding["kind"] == "head_mismatch"


def test_verification_and_heads_are_the_operators(session):
    county = Actor(role="county_admin", user_id=None, name="县", county_code=COUNTY_CODE)
    with pytest.raises(Forbidden):
        services.verify_register(session, county, COUNTY_CODE)
    with pytest.raises(Forbidden):
        services.record_head(session, county, COUNTY_CODE)
