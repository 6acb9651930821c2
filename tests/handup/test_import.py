"""The sample package as delivered (issue 18 §2): what enters, as of which dates, with the three
areas; its planted defects as findings that name the table, the key, the rule and what to do; the
household with a critical finding kept out whole (the ID numbers it shares between its two groups:
test_conflicts.py); a second import changing nothing; --all-or-nothing; who may import."""
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from landrights.accounts.permissions import Actor
from landrights.certification.models import Certificate
from landrights.errors import Forbidden, NotFound
from landrights.registry import queries
from landrights.registry.models import Contract, Household, Parcel, RegisterEntry
from tests.handup.conftest import EXPECTED, SAMPLE, SAMPLE_ZIP, import_package

CLEAN = "220421103004010006"  # a household of the sample no finding touches
SYSTEM_VIEW = Actor(role="county_admin", name="县", county_code="220421")


def _cst(day: str) -> datetime:
    return datetime.fromisoformat(day + "T00:00:00+08:00").astimezone(UTC)


def _findings(report, rule):
    return [f for f in report["findings"] if f["rule"] == rule]


def test_a_clean_household_enters_whole_with_its_three_areas(clean_app, clean_session, tmp_path):
    _, report = import_package(clean_app, clean_session, SAMPLE_ZIP, tmp_path)
    expected = EXPECTED["households"][CLEAN]
    found = queries.get_household(clean_session, SYSTEM_VIEW, CLEAN)
    assert found["household"].name == expected["name"]
    assert len(found["members"]) == expected["members"]
    contract = found["contract"]
    assert contract.code == expected["contract"] and contract.status == "registered"
    assert (contract.term_start, contract.term_end) == (date(1999, 1, 1), date(2028, 12, 31))
    links = {cp.parcel_code: cp for cp in contract.parcels}
    assert sorted(links) == expected["parcels"]
    for code in expected["parcels"]:
        areas = EXPECTED["parcels"][code]
        parcel = clean_session.scalar(sa.select(Parcel).where(Parcel.code == code))
        assert parcel.surveyed_area_m2 == Decimal(str(areas["scmj"]))  # SCMJ, measured
        assert links[code].confirmed_area_m2 == Decimal(str(areas["htmj"]))  # HTMJ, confirmed
        assert links[code].contract_area_m2 == Decimal(str(areas["yhtmj"]))  # YHTMJ, original
        assert parcel.status == "registered" and parcel.handup_id == report["id"]
    assert sum(links[c].confirmed_area_m2 for c in links) == Decimal(str(expected["contract_area_m2"]))


def test_records_are_registered_as_of_the_package_dates(clean_app, clean_session, tmp_path):
    import_package(clean_app, clean_session, SAMPLE_ZIP, tmp_path)
    code = EXPECTED["households"][CLEAN]["contract"]
    in_2018 = queries.get_contract(clean_session, SYSTEM_VIEW, code, as_of=_cst("2018-06-01"))
    assert in_2018["contract"].valid_from == _cst("1998-12-20")  # QDSJ, signed
    assert in_2018["register_entry"].registered_at == _cst("2017-03-15")  # DJSJ, registered
    assert in_2018["register_entry"].registrar == "登簿员乙"
    certificate = clean_session.scalar(sa.select(Certificate).where(Certificate.code == code))
    assert certificate.issued_at == _cst("2017-04-01") and certificate.authority == "东丰县人民政府"
    with pytest.raises(NotFound):  # before it was signed, the registry knew no such contract
        queries.get_contract(clean_session, SYSTEM_VIEW, code, as_of=_cst("1998-06-01"))


def test_reserve_parcels_enter_as_the_collectives(clean_app, clean_session, tmp_path):
    import_package(clean_app, clean_session, SAMPLE, tmp_path)
    for code in EXPECTED["uncontracted_parcels"]:
        parcel = clean_session.scalar(sa.select(Parcel).where(Parcel.code == code))
        assert parcel.category == "22" and parcel.status == "surveyed"  # 机动地, R4.22
        assert parcel.collective_code == code[:14] and parcel.valid_from == _cst("2016-04-12")
        found = queries.get_parcel(clean_session, SYSTEM_VIEW, code)
        assert found["contract"] is None


def test_planted_defects_are_findings_naming_table_key_rule(clean_app, clean_session, tmp_path):
    _, report = import_package(clean_app, clean_session, SAMPLE_ZIP, tmp_path)
    defects = EXPECTED["defects"]
    missing = _findings(report, "handup_parcel_not_in_layer")
    assert [(f["table"], f["severity"], f["household"]) for f in missing] == [
        ("CBDKXX", "warning", defects["cbdkxx_parcel_missing"]["household"])]
    assert defects["cbdkxx_parcel_missing"]["parcel"] in missing[0]["key"]
    assert "补测" in missing[0]["message"]  # says what to do
    count = _findings(report, "handup_member_count")
    assert [(f["table"], f["key"], f["severity"]) for f in count] == [
        ("CBF", defects["member_count_mismatch"]["household"], "warning")]
    assert "3" in count[0]["message"] and "2" in count[0]["message"]
    checksum = _findings(report, "handup_id_checksum")
    assert [(f["table"], f["household"], f["severity"]) for f in checksum] == [
        ("CBF_JTCY", defects["bad_id_checksum"]["household"], "critical")]
    assert defects["bad_id_checksum"]["id_number"] not in str(report)  # masked in the report


def test_a_household_with_a_critical_finding_stays_out_whole(clean_app, clean_session, tmp_path):
    _, report = import_package(clean_app, clean_session, SAMPLE_ZIP, tmp_path)
    out = EXPECTED["defects"]["bad_id_checksum"]["household"]
    assert clean_session.scalar(sa.select(Household).where(Household.code == out)) is None
    assert clean_session.scalar(sa.select(Contract).where(Contract.household_code == out)) is None
    for code in EXPECTED["households"][out]["parcels"]:  # its land stays with it
        assert clean_session.scalar(sa.select(Parcel).where(Parcel.code == code)) is None
    bad = EXPECTED["defects"]["bad_id_checksum"]["id_number"]  # 罗凤琴's: none of its members
    assert clean_session.scalar(sa.text("SELECT count(*) FROM persons WHERE id_number = :n"),
                                {"n": bad}) == 0
    # warnings do not keep a household out: 010007 enters with the parcels its contract has
    parcels = queries.get_household(clean_session, SYSTEM_VIEW, "220421103004010007")["contract"].parcels
    assert sorted(p.parcel_code for p in parcels) == EXPECTED["households"]["220421103004010007"]["parcels"]
    assert len(queries.get_household(clean_session, SYSTEM_VIEW, "220421103004010011")["members"]) == 2
    assert report["households_kept_out"] == clean_session.scalar(sa.text(
        "SELECT count(DISTINCT household_code) FROM handup_findings WHERE import_id = :i "
        "AND severity = 'critical'"), {"i": report["id"]})


def test_counts_per_table(clean_app, clean_session, tmp_path):
    _, report = import_package(clean_app, clean_session, SAMPLE_ZIP, tmp_path)
    counts = report["counts"]
    assert counts["CBF"]["read"] == EXPECTED["counts"]["households"]
    assert counts["CBF_JTCY"]["read"] == EXPECTED["counts"]["members"]
    assert counts["DK"]["read"] == EXPECTED["counts"]["parcels"]
    for table, c in counts.items():
        assert c["read"] == c["entered"] + c["unchanged"] + c["kept_out"], table
    entered = clean_session.scalar(sa.select(sa.func.count()).select_from(Household))
    assert counts["CBF"]["entered"] == entered == 40 - report["households_kept_out"]
    assert counts["CBDKXX"]["kept_out"] >= 1  # the link to the parcel the layer lacks


def test_a_second_import_changes_nothing_and_says_so(clean_app, clean_session, tmp_path):
    import_package(clean_app, clean_session, SAMPLE_ZIP, tmp_path)
    tables = ("parcels", "contracts", "contract_parcels", "register_entries", "certificates",
              "household_members", "persons", "households")
    before = {t: clean_session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables}
    _, again = import_package(clean_app, clean_session, SAMPLE, tmp_path)
    assert again["changed_nothing"]
    assert all(c["entered"] == 0 for c in again["counts"].values())
    assert {t: clean_session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables} == before


def test_all_or_nothing_refuses_everything(clean_app, clean_session, tmp_path):
    _, report = import_package(clean_app, clean_session, SAMPLE_ZIP, tmp_path, all_or_nothing=True)
    assert all(c["entered"] == 0 for c in report["counts"].values())
    assert report["counts"]["CBF"]["kept_out"] == 40
    assert clean_session.scalar(sa.text("SELECT count(*) FROM households")) == 0
    assert clean_session.scalar(sa.text("SELECT count(*) FROM parcels")) == 0


@pytest.mark.parametrize("actor", [
    Actor(role="township_officer", name="站长", township_code="220421103"),
    Actor(role="farmer", name="户", household_code="220421103004010006"),
    Actor(role="county_admin", name="另一县", county_code="220422"),
])
def test_only_the_county_administrator_imports(clean_app, clean_session, tmp_path, actor):
    with pytest.raises(Forbidden):
        import_package(clean_app, clean_session, SAMPLE_ZIP, tmp_path, actor=actor)
    assert clean_session.scalar(sa.text("SELECT count(*) FROM handup_imports")) == 0


def test_register_entries_and_history_name_the_package(clean_app, clean_session, tmp_path):
    _, report = import_package(clean_app, clean_session, SAMPLE_ZIP, tmp_path)
    entry = clean_session.scalar(sa.select(RegisterEntry).where(
        RegisterEntry.code == EXPECTED["households"][CLEAN]["contract"]))
    assert entry.document == "汇交成果 220421103004.zip" and entry.handup_id == report["id"]
    events = clean_session.execute(sa.text(
        "SELECT action, document FROM change_events WHERE entity = 'household' "
        "AND entity_code = :c"), {"c": CLEAN}).all()
    assert events == [("handup", "汇交成果 220421103004.zip")]
