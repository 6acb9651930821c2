"""A corrected package (issue 18 §2): it brings in what the first import kept out, and a row it
changes becomes a new version while the old one stays readable as of its time; certificates
arrive with their re-issue, replacement and cancellation history and verify like any other.
The corrected packages are the sample's tables written as a GeoPackage or DBF files."""
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from landrights.accounts.permissions import Actor
from landrights.certification import certificates
from landrights.certification.models import Certificate
from landrights.registry import queries
from landrights.registry.models import Contract, HouseholdMember, Person
from tests.handup.conftest import EXPECTED, SAMPLE_ZIP, import_package
from tests.handup.packages import corrected, sample_tables, write_package

VIEW = Actor(role="county_admin", name="县", county_code="220421")


def _verify(app, session, certificate):
    url = certificates.verify_url(session, "", certificate)
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    return certificates.verify(session, app.config["CERTIFICATE_KEY"].encode(), certificate.code,
                               serial=query["n"], day=query["d"], sig=query["s"], key_id=query["k"])


@pytest.mark.parametrize("ownership", ["gpkg", "dbf"])
def test_a_corrected_package_brings_in_what_was_kept_out(clean_app, clean_session, tmp_path,
                                                          ownership):
    _, first = import_package(clean_app, clean_session, SAMPLE_ZIP, tmp_path)
    assert first["households_kept_out"] > 0
    package = write_package(tmp_path / "fixed", corrected(sample_tables()), ownership=ownership)
    _, second = import_package(clean_app, clean_session, package, tmp_path)
    assert second["households_kept_out"] == 0
    assert second["counts"]["CBF"]["entered"] == first["households_kept_out"]
    assert second["counts"]["CBF"]["unchanged"] == 40 - first["households_kept_out"]
    assert second["ownership_format"] == ownership
    assert clean_session.scalar(sa.text("SELECT count(*) FROM households")) == 40
    assert clean_session.scalar(sa.text("SELECT count(*) FROM contract_parcels")) == \
        EXPECTED["counts"]["contract_parcels"] - 1  # the link to a parcel the layer lacks
    assert second["findings"] == []
    # the listings group 02 held of group 01's numbers are closed: no number is in conflict now
    assert clean_session.scalar(sa.text(
        "SELECT count(*) FROM persons p JOIN household_members m ON m.person_id = p.id "
        "WHERE p.id_conflict_of IS NOT NULL AND m.valid_to IS NULL")) == 0
    assert second["counts"]["CBF_JTCY"]["closed"] == 19


def test_certificates_keep_their_reissue_and_replacement_history(clean_app, clean_session,
                                                                  tmp_path):
    package = write_package(tmp_path / "fixed", corrected(sample_tables()))
    import_package(clean_app, clean_session, package, tmp_path)
    for code, kind, day in ((EXPECTED["edge_cases"]["reissued_certificate"], "reissue",
                             "2020-09-01"),
                            (EXPECTED["edge_cases"]["replaced_certificate"], "replace",
                             "2022-03-01")):
        rows = clean_session.scalars(sa.select(Certificate).where(Certificate.code == code)
                                     .order_by(Certificate.serial)).all()
        assert [(c.serial, c.kind, c.status) for c in rows] == [
            (1, "issue", "superseded"), (2, kind, "valid")]
        assert rows[1].issued_at == datetime.fromisoformat(day + "T00:00+08:00")
        assert rows[0].ended_at == rows[1].issued_at and rows[1].reason in ("证书遗失", "证书破损")
        assert _verify(clean_app, clean_session, rows[1]).state == "valid"
        assert _verify(clean_app, clean_session, rows[0]).state == "superseded"


def test_a_certificate_verifies_through_the_public_page(clean_app, clean_session, clean_client,
                                                        tmp_path):
    package = write_package(tmp_path / "fixed", corrected(sample_tables()))
    import_package(clean_app, clean_session, package, tmp_path)
    certificate = clean_session.scalar(sa.select(Certificate).where(
        Certificate.code == "220421103004010001J"))
    url = certificates.verify_url(clean_session, "", certificate)
    page = clean_client.get(url)
    assert page.status_code == 200 and "有效" in page.get_data(as_text=True)
    assert "2017-04-01" in page.get_data(as_text=True) or "2017年4月1日" in page.get_data(
        as_text=True)


def test_a_changed_row_becomes_a_new_version(clean_app, clean_session, tmp_path):
    tables = corrected(sample_tables())
    import_package(clean_app, clean_session, write_package(tmp_path / "one", tables), tmp_path)
    household = "220421103004010006"
    member = next(r for r in tables["CBF_JTCY"] if r["CBFBM"] == household and r["YHZGX"] == "10")
    member["CYBZ"] = "7"  # 外出务工人员
    link = next(r for r in tables["CBDKXX"] if r["CBFBM"] == household)
    link["HTMJ"] = 4000.0
    before = datetime.now(UTC) - timedelta(seconds=1)
    _, report = import_package(clean_app, clean_session, write_package(tmp_path / "two", tables),
                               tmp_path)
    assert report["counts"]["CBF_JTCY"]["changed"] == 1
    assert report["counts"]["CBHT"]["changed"] == 1
    person = clean_session.scalar(sa.select(Person).where(Person.id_number == member["CYZJHM"]))
    versions = clean_session.scalars(sa.select(HouseholdMember).where(
        HouseholdMember.person_id == person.id).order_by(HouseholdMember.id)).all()
    assert [v.remark_code for v in versions] == ["6", "7"]
    assert versions[0].valid_to == versions[1].valid_from and versions[1].valid_from > before
    contracts = clean_session.scalars(sa.select(Contract).where(
        Contract.household_code == household).order_by(Contract.version)).all()
    assert [(c.version, c.valid_to is None) for c in contracts] == [(1, False), (2, True)]
    old = queries.get_contract(clean_session, VIEW, contracts[0].code,
                               as_of=datetime(2018, 6, 1, tzinfo=UTC))
    assert old["contract"].version == 1 and old["register_entry"].version == 1
    assert {cp.parcel_code: float(cp.confirmed_area_m2) for cp in old["contract"].parcels}[
        link["DKBM"]] == EXPECTED["parcels"][link["DKBM"]]["htmj"]
    live = {cp.parcel_code: float(cp.confirmed_area_m2) for cp in contracts[1].parcels}
    assert live[link["DKBM"]] == 4000.0


def test_a_later_cancellation_cancels_the_certificate(clean_app, clean_session, tmp_path):
    tables = corrected(sample_tables())
    import_package(clean_app, clean_session, write_package(tmp_path / "one", tables), tmp_path)
    tables["CBJYQZ_QZZX"] = [{"CBJYQZBM": "220421103004010003J", "ZXYY": "承包地被依法征收",
                              "ZXRQ": "2023-05-06"}]
    _, report = import_package(clean_app, clean_session, write_package(tmp_path / "two", tables),
                               tmp_path)
    assert report["counts"]["CBJYQZ_QZZX"]["entered"] == 1
    certificate = clean_session.scalar(sa.select(Certificate).where(
        Certificate.code == "220421103004010003J"))
    assert certificate.status == "cancelled" and certificate.end_reason == "承包地被依法征收"
    assert certificate.ended_at.astimezone(UTC).date() == date(2023, 5, 5)  # 2023-05-06 CST
    _, again = import_package(clean_app, clean_session, write_package(tmp_path / "three", tables),
                              tmp_path)
    assert again["changed_nothing"]
