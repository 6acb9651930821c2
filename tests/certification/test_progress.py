"""The confirmation progress report (/progress): each parcel's stage and each household's (its
least advanced parcel's), counted per collective, checked against the workflow's own records."""
import pytest
import sqlalchemy as sa

from landrights.certification import certificates, objections, queries, services
from landrights.errors import ValidationFailed
from tests.certification.conftest import COLLECTIVE, PENDING
from tests.factories import FAR, insert_parcel, square

ORDER = ["surveyed", "on_notice", "objected", "confirmed", "certified"]


def expected_stages(session, collective: str) -> tuple[dict, dict]:
    """Count the stages from the records one by one: the report's definitions, in Python."""
    rows = session.execute(sa.text(
        "SELECT p.id, p.code, coalesce(c.household_code, (SELECT k.household_code FROM contracts k "
        "JOIN contract_parcels cp ON cp.contract_id = k.id WHERE k.valid_to IS NULL "
        "AND cp.parcel_code = p.code LIMIT 1)) FROM parcels p LEFT JOIN claims c "
        "ON c.county_code = p.county_code AND c.parcel_code = p.code "
        "WHERE p.valid_to IS NULL AND p.collective_code = :c"), {"c": collective}).all()
    contracted = set(session.scalars(sa.text(
        "SELECT cp.parcel_id FROM contract_parcels cp JOIN contracts k ON k.id = cp.contract_id "
        "WHERE k.valid_to IS NULL")))
    certified = set(session.scalars(sa.text(
        "SELECT cp.parcel_id FROM contract_parcels cp JOIN contracts k ON k.id = cp.contract_id "
        "JOIN certificates z ON z.contract_id = k.id AND z.status = 'valid' WHERE k.valid_to IS NULL")))
    objected = set(session.execute(sa.text(
        "SELECT household_code, parcel_code FROM objections WHERE status = 'open'")).all())
    noticed = set(session.scalars(sa.text(
        "SELECT e.parcel_id FROM notice_entries e JOIN notices n ON n.id = e.notice_id "
        "WHERE n.closes_at > now()")))
    parcels, households = dict.fromkeys(ORDER, 0), {}
    for pid, code, household in rows:
        stage = ("certified" if pid in certified else "confirmed" if pid in contracted
                 else "objected" if (household, code) in objected or (household, None) in objected
                 else "on_notice" if pid in noticed else "surveyed")
        parcels[stage] += 1
        if household is not None:
            households[household] = min(households.get(household, stage), stage, key=ORDER.index)
    counted = dict.fromkeys(ORDER, 0)
    for stage in households.values():
        counted[stage] += 1
    return parcels, counted


def test_every_stage_is_counted_for_parcels_and_households(session, officer, county):
    insert_parcel(session, COLLECTIVE + "99901", square(*FAR), collective=COLLECTIVE)  # claimed by none
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE)
    one = session.scalar(sa.text("SELECT parcel_code FROM claims WHERE household_code = :h "
                                 "ORDER BY parcel_code LIMIT 1"), {"h": PENDING[0]})
    objections.file_objection(session, officer, notice_id=notice.id, household_code=PENDING[0],
                              parcel_code=one, text="面积不对", filer_name="张三", filer_kind="member")
    objections.file_objection(session, officer, notice_id=notice.id, household_code=PENDING[1],
                              text="漏登了儿媳", filer_name="孙桂芝", filer_kind="member")
    contract = session.scalar(sa.text(
        "SELECT k.code FROM contracts k WHERE k.valid_to IS NULL AND k.household_code LIKE :c || '%' "
        "ORDER BY k.code LIMIT 1"), {"c": COLLECTIVE})
    certificates.issue_certificate(session, county, code=contract)
    row = next(r for r in queries.progress(session, officer) if r["code"] == COLLECTIVE)
    parcels, households = expected_stages(session, COLLECTIVE)
    assert row["parcels"] == parcels and row["households"] == households
    assert all(parcels[stage] > 0 for stage in ORDER)  # the test reaches every stage
    assert households["objected"] == 1 and households["certified"] == 1


def test_every_live_parcel_of_an_area_is_counted_with_its_area(session, county):
    # a parcel no claim, contract or notice names is counted from its village's overview (0012)
    insert_parcel(session, COLLECTIVE + "99902", square(*FAR), collective=COLLECTIVE)
    rows = {r["code"]: r for r in queries.progress(session, county)}
    for prefix in ("220421", COLLECTIVE[:9], COLLECTIVE):
        n, area = session.execute(sa.text(
            "SELECT count(*), sum(area_m2) FROM parcels WHERE valid_to IS NULL AND code LIKE :p || '%'"),
            {"p": prefix}).one()
        assert sum(rows[prefix]["parcels"].values()) == n, prefix
        assert sum(rows[prefix]["parcels_area_m2"].values()) == pytest.approx(area, abs=0.01), prefix
    assert rows[COLLECTIVE]["parcels"]["surveyed"] >= 1


def test_an_area_finer_than_a_collective_is_refused_by_name(session, county):
    with pytest.raises(ValidationFailed) as refused:
        queries.progress(session, county, area=COLLECTIVE + "00001")
    assert refused.value.field == "area"
