"""Certificates: one valid per contract (database), re-issue (补发), replacement (换发),
cancellation (注销), every version kept, and verification that catches a forged QR (R3.6, R4.9)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from landrights import clock
from landrights.certification import certificates, services
from landrights.certification.models import Certificate
from landrights.errors import Conflict, NotFound, ValidationFailed
from landrights.registry import queries as registry_queries
from landrights.registry import services as registry
from landrights.signing import qr
from tests.certification.conftest import COLLECTIVE, PENDING, after_days, farmer_of
from tests.certification.helpers import confirmed_household

KEY = b"q" * 32


@pytest.fixture
def contract(session, officer):
    return confirmed_household(session, officer, PENDING[0])


def _qr(session, cert):
    url = certificates.verify_url(session, "https://x", cert)
    return dict(part.split("=") for part in url.split("?")[1].split("&"))


def _hmac_qr(cert):
    """The QR data of a certificate printed before SM2 signatures (HMAC under KEY)."""
    url = qr.hmac_url("https://x", KEY, "certificate", cert.code, cert.serial, certificates.issued_on(cert))
    return dict(part.split("=") for part in url.split("?")[1].split("&"))


def test_issue_then_reissue_then_replace_keeps_every_version(session, county, contract):
    first = certificates.issue_certificate(session, county, code=contract)
    with pytest.raises(Conflict):
        certificates.issue_certificate(session, county, code=contract)  # R3.6: 补发/换发 instead
    lost = certificates.reissue_certificate(session, county, code=contract, kind="reissue",
                                            reason="原证遗失", document="遗失声明 东丰报 2026-12-01")
    changed = certificates.reissue_certificate(session, county, code=contract, kind="replace",
                                               reason="地块变更", document="变更决定 2号")
    rows = session.scalars(sa.select(Certificate).where(Certificate.code == contract)
                           .order_by(Certificate.serial)).all()
    assert [(c.serial, c.kind, c.status) for c in rows] == [
        (1, "issue", "superseded"), (2, "reissue", "superseded"), (3, "replace", "valid")]
    assert len({c.printed_no for c in rows}) == 3
    old = certificates.verify(session, KEY, contract, **_rename(_qr(session, first)))
    assert old.state == "superseded" and old.current_serial == changed.serial
    assert certificates.verify(session, KEY, contract, **_rename(_qr(session, lost))).state == "superseded"
    assert certificates.verify(session, KEY, contract, **_rename(_qr(session, changed))).state == "valid"


def _rename(q: dict) -> dict:
    return {"serial": q["n"], "day": q["d"], "sig": q["s"], "key_id": q.get("k")}


def test_cancel_needs_reason_and_document(session, county, contract):
    certificates.issue_certificate(session, county, code=contract)
    with pytest.raises(ValidationFailed) as info:
        certificates.cancel_certificate(session, county, code=contract, reason="放弃承包", document="")
    assert info.value.field == "document"
    cancelled = certificates.cancel_certificate(session, county, code=contract, reason="自愿交回承包地",
                                                document="交回申请 3号")
    assert cancelled.status == "cancelled" and cancelled.ended_at is not None
    seen = certificates.verify(session, KEY, contract, **_rename(_qr(session, cancelled)))
    assert seen.state == "cancelled"
    with pytest.raises(NotFound):
        certificates.cancel_certificate(session, county, code=contract, reason="x", document="y")


def test_a_tampered_qr_a_bare_code_and_an_unknown_code_get_one_answer(session, county, contract):
    cert = certificates.issue_certificate(session, county, code=contract)
    genuine = _rename(_qr(session, cert))
    assert certificates.verify(session, KEY, contract, **genuine).state == "valid"
    other = contract[:-5] + "9999J"
    cases = [
        (contract, genuine | {"sig": genuine["sig"][:-1] + ("A" if genuine["sig"][-1] != "A" else "B")}),
        (contract, genuine | {"serial": "2"}),          # a later serial with the old signature
        (contract, genuine | {"day": "20200101"}),      # another issue date
        (other, genuine),                               # the signature of another code
        (contract, genuine | {"sig": None}),            # signature removed
    ]
    for code, data in cases:
        refused = certificates.Verification("unverified", code)
        assert certificates.verify(session, KEY, code, **data) == refused, data
    assert certificates.verify(session, KEY, contract, **genuine | {"serial": "１"}).state == "unverified"
    for key_id in (None, "220422-5f3a9c1e", "220421-00000000"):  # no key, another county's, an unknown one
        seen = certificates.verify(session, KEY, contract, **genuine | {"key_id": key_id})
        assert seen.state == "unverified"
    printed_before = _rename(_hmac_qr(cert))  # a QR code printed before SM2 signatures still verifies
    assert certificates.verify(session, KEY, contract, **printed_before).state == "valid"
    assert certificates.verify(session, b"another key", contract, **printed_before).state == "unverified"
    # a code alone, existing or not, opens nothing: guessing codes tells nothing (issue 16)
    assert certificates.verify(session, KEY, contract) == certificates.Verification("unverified", contract)
    assert certificates.verify(session, KEY, other) == certificates.Verification("unverified", other)


def test_verification_says_when_the_register_moved_on(session, officer, county, contract):
    first = _rename(_qr(session, certificates.issue_certificate(session, county, code=contract)))
    assert certificates.verify(session, KEY, contract, **first).register_changed is False
    household = contract[:18]
    parcel = services.household_state(session, household).kept[0].parcel_code
    registry.revise_parcel(session, officer, code=parcel, reason="resurvey", north="水渠")
    services.open_notice(session, officer, collective_code=COLLECTIVE)
    after_days(8)
    before = clock.now()
    after_days(1)
    again = services.sign_off(session, farmer_of(household), household_code=household)
    assert again.contract_version == 2 and again.confirmed_codes == [parcel]
    # the register as it was: version 1 and its register entry stay readable as of a date
    was = registry_queries.get_contract(session, county, contract, as_of=before)
    now = registry_queries.get_contract(session, county, contract)
    assert (was["contract"].version, was["register_entry"].version) == (1, 1)
    assert (now["contract"].version, now["register_entry"].version) == (2, 2)
    old_parcel = next(cp.parcel_id for cp in was["contract"].parcels if cp.parcel_code == parcel)
    new_parcel = next(cp.parcel_id for cp in now["contract"].parcels if cp.parcel_code == parcel)
    assert old_parcel != new_parcel
    seen = certificates.verify(session, KEY, contract, **first)
    assert seen.state == "valid" and seen.register_changed  # 换发 is due
    replaced = certificates.reissue_certificate(session, county, code=contract, kind="replace",
                                                reason="地块四至变更", document="变更登记 5号")
    replaced_qr = _rename(_qr(session, replaced))
    assert certificates.verify(session, KEY, contract, **replaced_qr).register_changed is False
    live = session.scalar(sa.text("SELECT id FROM contracts WHERE code = :c AND valid_to IS NULL"),
                          {"c": contract})
    assert replaced.contract_id == live  # the new certificate shows contract version 2


def test_the_database_allows_one_valid_certificate_per_contract(session, county, contract):
    cert = certificates.issue_certificate(session, county, code=contract)
    with pytest.raises(IntegrityError) as info, session.begin_nested():
        session.execute(sa.text(
            "INSERT INTO certificates (county_code, code, serial, printed_no, contract_id, "
            "register_entry_id, kind, status, authority, issued_at, reason, document) "
            "SELECT county_code, code, 9, 'NO.J9999999999999', contract_id, register_entry_id, "
            "'reissue', 'valid', authority, now(), 'x', 'y' FROM certificates WHERE id = :id"),
            {"id": cert.id})
    assert info.value.orig.sqlstate == "23505" and "uq_certificates_one_valid" in str(info.value)


@pytest.mark.parametrize("statement", [
    "UPDATE certificates SET authority = 'forged' WHERE id = :id",
    "UPDATE certificates SET status = 'valid', ended_at = NULL WHERE id = :id",
    "DELETE FROM certificates WHERE id = :id",
])
def test_a_certificate_record_is_never_rewritten(session, county, contract, statement):
    cert = certificates.issue_certificate(session, county, code=contract)
    certificates.cancel_certificate(session, county, code=contract, reason="r", document="d")
    with pytest.raises(DBAPIError) as info, session.begin_nested():
        session.execute(sa.text(statement), {"id": cert.id})
    assert info.value.orig.sqlstate == "P0001"
    assert info.value.orig.diag.constraint_name == "certificates_history"


def test_a_cancelled_certificate_can_be_issued_anew_with_its_reason(session, county, contract):
    """注销 used to leave the household without a certificate for good: 颁发 said "already issued"
    and 补发/换发 "no valid certificate" (issue 19). A new issue after the cancellation takes the
    next serial and a new printed number (R4.11), says why (R3.6), and leaves the cancelled one
    cancelled; the partial unique index still allows one valid certificate only."""
    first = certificates.issue_certificate(session, county, code=contract)
    certificates.cancel_certificate(session, county, code=contract, reason="误注销", document="注销决定 1号")
    with pytest.raises(ValidationFailed) as info:
        certificates.issue_certificate(session, county, code=contract)  # why, and on what document
    assert info.value.field == "reason"
    with pytest.raises(ValidationFailed) as info:
        certificates.issue_certificate(session, county, code=contract, reason="撤销误注销", document=" ")
    assert info.value.field == "document"
    anew = certificates.issue_certificate(session, county, code=contract, reason="撤销误注销",
                                          document="县农业农村局决定 2号")
    assert (anew.serial, anew.kind, anew.status) == (2, "issue", "valid")
    assert anew.printed_no != first.printed_no and anew.printed_no.startswith("NO.J")
    assert (anew.reason, anew.document) == ("撤销误注销", "县农业农村局决定 2号")
    rows = session.execute(sa.select(Certificate.serial, Certificate.status).where(
        Certificate.code == contract).order_by(Certificate.serial)).all()
    assert [tuple(r) for r in rows] == [(1, "cancelled"), (2, "valid")]
    event = session.execute(sa.text(
        "SELECT reason, document, details->>'serial' FROM change_events WHERE entity = 'certificate' "
        "AND entity_code = :c AND action = 'issue' ORDER BY id DESC LIMIT 1"), {"c": contract}).one()
    assert tuple(event) == ("撤销误注销", "县农业农村局决定 2号", "2")  # the register keeps why
    old = certificates.verify(session, KEY, contract, **_rename(_qr(session, first)))
    assert old.state == "cancelled" and old.current_serial == 2
    assert certificates.verify(session, KEY, contract, **_rename(_qr(session, anew))).state == "valid"
    with pytest.raises(Conflict) as info:  # one in force: 补发 or 换发, never a second issue
        certificates.issue_certificate(session, county, code=contract, reason="x", document="y")
    assert anew.printed_no in str(info.value.message)


def test_a_new_issue_is_noted_on_the_printed_certificate(session, county, contract):
    certificates.issue_certificate(session, county, code=contract)
    first = session.scalar(sa.select(Certificate).where(Certificate.code == contract))
    assert certificates._notes(first) == ()
    certificates.cancel_certificate(session, county, code=contract, reason="误注销", document="决定 1号")
    anew = certificates.issue_certificate(session, county, code=contract, reason="撤销误注销",
                                          document="决定 2号")
    assert certificates._notes(anew) == ("重新颁发：撤销误注销（决定 2号）",)


def test_the_verification_code_printed_under_the_qr_verifies_like_the_qr(session, county, contract):
    cert = certificates.issue_certificate(session, county, code=contract)
    url = certificates.verify_url(session, "https://x", cert)
    typed = qr.read_verification_code(qr.verification_code_of(url, KEY).lower().replace("-", " "))
    assert qr.verification_code_of(url, KEY) == certificates.verification_code(KEY, cert)
    assert (typed.kind, typed.code, typed.serial) == ("certificate", contract, "1")
    seen = certificates.verify(session, KEY, typed.code, serial=typed.serial, day=typed.day, sig=typed.sig)
    assert seen.state == "valid" and seen.certificate.id == cert.id
    wrong = typed.sig[:-1] + ("0" if typed.sig[-1] != "0" else "1")
    refused = certificates.verify(session, KEY, typed.code, serial=typed.serial, day=typed.day, sig=wrong)
    assert refused == certificates.Verification("unverified", contract)
