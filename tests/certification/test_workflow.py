"""The confirmation path through the services: notice -> objection -> correction -> re-notice ->
sign-off -> contract and register -> certificate -> verify (R5.3-R5.8, R3.6, R4.9)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from landrights.certification import certificates, objections, services
from landrights.certification.models import Claim
from landrights.errors import Conflict, ValidationFailed
from landrights.evidence import Upload
from landrights.registry.models import Contract, ContractParcel, Parcel, RegisterEntry
from tests.certification.conftest import COLLECTIVE, PENDING, SCAN, after_days, farmer_of

KEY = b"k" * 32


def _claimed(session, household):
    return list(session.scalars(sa.select(Claim.parcel_code).where(Claim.household_code == household)
                                .order_by(Claim.parcel_code)))


def test_notice_shows_only_households_waiting(session, officer):
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE)
    shown = {e.household_code for e in notice.entries}
    assert shown == set(PENDING)  # the registered households of group 03 are not shown again
    parcel_entries = [e for e in notice.entries if e.parcel_code]
    assert {e.parcel_code for e in parcel_entries} == {c for h in PENDING for c in _claimed(session, h)}
    assert (notice.closes_at - notice.opened_at).days >= 7


def test_whole_path_with_objection_correction_and_renotice(app, session, officer, county):
    household, other = PENDING[0], PENDING[1]
    first = services.open_notice(session, officer, collective_code=COLLECTIVE)
    objected = _claimed(session, household)[0]
    objection = objections.file_objection(session, farmer_of(household), notice_id=first.id,
                                        household_code=household, parcel_code=objected,
                                        text="东至写错了，应为张家地")
    after_days(8)
    # the open objection holds back only the parcel it names
    state = services.household_state(session, household)
    assert set(state.withheld) == {objected}
    assert {p.code for _, p in state.confirmable} == set(_claimed(session, household)) - {objected}
    assert services.household_state(session, other).withheld == {}

    objections.uphold_objection(session, officer, objection_id=objection.id, reason="现场核实，东至有误",
                              document="核实记录 2026-12-05", parcel_changes={"east": "张家地"})
    assert services.household_state(session, household).withheld[objected]  # waits for re-notice
    second = services.open_notice(session, officer, collective_code=COLLECTIVE)
    assert {(e.household_code, e.parcel_code) for e in second.entries if e.parcel_code} == \
        {(household, objected)}
    with pytest.raises(Conflict):
        services.sign_off(session, farmer_of(household), household_code=household)  # re-notice up
    after_days(8)
    signed = services.sign_off(session, farmer_of(household), household_code=household)
    assert signed.method == "farmer" and objected in signed.confirmed_codes

    contract = session.scalar(sa.select(Contract).where(Contract.code == household + "J",
                                                        Contract.valid_to.is_(None)))
    assert contract.status == "registered" and contract.version == 1
    assert (contract.term_start.isoformat(), contract.term_end.isoformat()) == ("1999-01-01", "2028-12-31")
    parcels = session.scalars(sa.select(Parcel).join(ContractParcel, ContractParcel.parcel_id == Parcel.id)
                              .where(ContractParcel.contract_id == contract.id)).all()
    assert {p.code for p in parcels} == set(_claimed(session, household))
    assert next(p for p in parcels if p.code == objected).east == "张家地"
    assert all(p.status == "registered" for p in parcels)
    entry = session.scalar(sa.select(RegisterEntry).where(RegisterEntry.code == contract.code))
    assert entry.contract_id == contract.id

    cert = certificates.issue_certificate(session, county, code=contract.code)
    assert cert.printed_no.startswith("NO.J") and len(cert.printed_no) == 17
    url = certificates.verify_url(session, "https://land.example", cert)
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    seen = certificates.verify(session, KEY, contract.code, serial=query["n"], day=query["d"],
                               sig=query["s"], key_id=query["k"])
    assert seen.state == "valid" and seen.holder.endswith("*")
    assert seen.parcel_count == len(parcels)
    assert seen.total_area_m2 == pytest.approx(float(sum(Decimal(p.area_m2) for p in parcels)), abs=0.05)


def test_officer_records_sign_off_with_scan(session, officer):
    services.open_notice(session, officer, collective_code=COLLECTIVE)
    after_days(8)
    signed = services.sign_off(session, officer, household_code=PENDING[2], scan=SCAN)
    assert signed.method == "officer_scan" and signed.scan_name == SCAN.name


def test_the_minimum_notice_period_holds(session, officer):
    with pytest.raises(ValidationFailed) as info:
        services.open_notice(session, officer, collective_code=COLLECTIVE, days=6)
    assert (info.value.field, info.value.rule) == ("days", "R5.3")
    session.execute(sa.text("UPDATE settings SET value = '10' WHERE key = 'notice_min_days'"))
    with pytest.raises(ValidationFailed):
        services.open_notice(session, officer, collective_code=COLLECTIVE, days=7)
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE)
    assert notice.min_days == 10 and notice.closes_at - notice.opened_at >= timedelta(days=10)
    after_days(9)
    with pytest.raises(Conflict):  # still up on day 9: nobody may sign yet
        services.sign_off(session, farmer_of(PENDING[0]), household_code=PENDING[0])
    with pytest.raises(Conflict):  # and no second notice while the first is up
        services.open_notice(session, officer, collective_code=COLLECTIVE)


def test_the_database_refuses_a_notice_shorter_than_its_minimum(session, officer):
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE)
    with pytest.raises(IntegrityError) as info, session.begin_nested():
        session.execute(sa.text("INSERT INTO notices (county_code, collective_code, round, opened_at, "
                                "closes_at, min_days) VALUES ('220421', :c, 99, now(), "
                                "now() + interval '6 days', 7)"), {"c": COLLECTIVE})
    assert info.value.orig.diag.constraint_name == "ck_notices_min_period"
    with pytest.raises(DBAPIError) as info, session.begin_nested():
        session.execute(sa.text("DELETE FROM notice_entries WHERE notice_id = :n"), {"n": notice.id})
    assert info.value.orig.diag.constraint_name == "notice_entries_history"


def test_objections_are_filed_only_while_the_notice_is_up(session, officer):
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE)
    after_days(8)
    with pytest.raises(Conflict) as info:
        objections.file_objection(session, farmer_of(PENDING[0]), notice_id=notice.id,
                                household_code=PENDING[0], text="晚了")
    assert info.value.rule == "R5.4"


def test_an_objection_against_the_household_record_holds_back_the_whole_household(session, officer):
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE)
    objection = objections.file_objection(session, officer, notice_id=notice.id, household_code=PENDING[3],
                                        text="漏登了儿媳", filer_name="孙桂芝", filer_kind="member")
    after_days(8)
    with pytest.raises(Conflict):
        services.sign_off(session, farmer_of(PENDING[3]), household_code=PENDING[3])
    assert services.sign_off(session, farmer_of(PENDING[4]), household_code=PENDING[4])  # others go on
    with pytest.raises(ValidationFailed) as info:  # upheld needs its correction
        objections.uphold_objection(session, officer, objection_id=objection.id, reason="属实")
    assert info.value.field == "correction"
    objections.dismiss_objection(session, officer, objection_id=objection.id,
                                 reason="经核实，儿媳户籍不在本村")
    assert services.sign_off(session, farmer_of(PENDING[3]), household_code=PENDING[3])


def test_a_member_correction_goes_on_a_new_notice(session, officer):
    household = PENDING[5]
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE)
    entry = next(e for e in notice.entries if e.household_code == household and e.member_ids)
    person_id = session.scalar(sa.text("SELECT person_id FROM household_members WHERE id = :i"),
                               {"i": entry.member_ids[-1]})
    id_number = session.scalar(sa.text("SELECT id_number FROM persons WHERE id = :i"), {"i": person_id})
    objection = objections.file_objection(session, farmer_of(household), notice_id=notice.id,
                                        household_code=household, text="共有人标注错误")
    objections.uphold_objection(session, officer, objection_id=objection.id, reason="更正共有人",
                              member_changes=[{"id_number": id_number, "is_co_holder": False}])
    after_days(8)
    state = services.household_state(session, household)
    assert "new notice" in str(state.blocked)
    second = services.open_notice(session, officer, collective_code=COLLECTIVE)
    assert {e.household_code for e in second.entries} == {household}
    after_days(8)
    assert services.sign_off(session, farmer_of(household), household_code=household)


@pytest.mark.parametrize("upload, problem", [
    (Upload("x.pdf", "application/pdf", b""), "empty"),
    (Upload("x.exe", "application/x-msdownload", b"MZ\x90"), "PDF, JPEG or PNG"),
    (Upload("x.pdf", "application/pdf", b"<html>not a pdf"), "PDF, JPEG or PNG"),
])
def test_bad_evidence_is_refused_and_nothing_is_filed(app, session, officer, upload, problem):
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE)
    with pytest.raises(ValidationFailed) as info:
        objections.file_objection(session, farmer_of(PENDING[0]), notice_id=notice.id,
                                household_code=PENDING[0], text="x", evidence=upload)
    with app.test_request_context("/?lang=en"):
        assert info.value.field == "evidence" and problem in str(info.value.message)
    assert session.scalar(sa.text("SELECT count(*) FROM objections")) == 0


def test_an_officer_sign_off_needs_the_scan(session, officer):
    services.open_notice(session, officer, collective_code=COLLECTIVE)
    after_days(8)
    with pytest.raises(ValidationFailed) as info:
        services.sign_off(session, officer, household_code=PENDING[0])
    assert (info.value.field, info.value.rule) == ("scan", "R5.5")
