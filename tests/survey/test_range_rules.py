"""One parcel the parcels table would refuse never fails the whole import: a parcel whose surveyed
area (SCMJ, SCMJM) or drawn area lies outside the registry's range (landrights/ranges.py,
migration 0015's CHECKs, R4.14), or whose text is longer than its column, gets a critical finding
that keeps that one parcel out; the rest of the file imports. The rules that guard the table's
constraints cannot be switched off by a county (survey.rules.ALWAYS_ON)."""
from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from shapely.geometry import box

from landrights import ranges
from landrights.accounts.permissions import Actor
from landrights.errors import ValidationFailed
from landrights.registry import services as registry
from landrights.survey import services as survey
from landrights.survey import synthetic as syn
from landrights.survey.models import QualityRule, QualityRuleSwitch

NEW = "22042110120104"


@pytest.fixture
def folder():
    path = Path(tempfile.mkdtemp(prefix="landrights-area-range-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def collective(session, system):
    registry.add_collective(session, system, code=NEW, name="永安村四组")
    return NEW


def _import(session, system, parcels, folder, fmt="geojson"):
    write = {"geojson": lambda: syn.write_geojson(parcels, folder / "dk.geojson"),
             "shapefile": lambda: syn.write_shapefile(parcels, folder / "shp")}[fmt]
    record = survey.import_survey(session, system, write(), collective_code=NEW)
    return record, survey.report(session, record, "en")


def _range_findings(report, rule="scmj_range"):
    return [f for f in report["findings"] if f["rule"] == rule]


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("SCMJ", 20_000_000, "10000000"),
    ("SCMJ", 0, "10000000"),
    ("SCMJ", -5, "10000000"),
    ("SCMJ", 1e20, "10000000"),  # beyond NUMERIC(16,2): the database would say "overflow"
    ("SCMJ", "NaN", "10000000"),  # text where a number belongs
    ("SCMJ", "Infinity", "10000000"),
    ("SCMJM", 15_001, "15000"),
    ("SCMJM", -1, "15000"),
])
def test_an_area_out_of_range_keeps_only_that_parcel_out(session, system, collective, folder,
                                                         field, value, shown):
    parcels = syn.make_parcels(NEW, 5)
    parcels[2].attrs[field] = value
    record, report = _import(session, system, parcels, folder)
    found = _range_findings(report)
    assert [(f["parcel_code"], f["severity"]) for f in found] == [(parcels[2].code, "critical")]
    assert field in found[0]["message"] and shown in found[0]["message"]
    assert (record.imported, record.rejected) == (4, 1)
    assert session.scalar(sa.text("SELECT count(*) FROM parcels WHERE code = :c"),
                          {"c": parcels[2].code}) == 0


def test_a_drawn_area_above_ten_square_kilometres_is_a_finding_not_a_crash(session, system,
                                                                          collective, folder):
    parcels = syn.make_parcels(NEW, 3)
    x0, y0, _, _ = parcels[0].geom.bounds
    # 4 km x 3 km = 12 km², far from the others (no overlap finding muddles the test)
    parcels[0].geom = box(x0 - 20_000, y0 - 20_000, x0 - 16_000, y0 - 17_000)
    parcels[0].attrs["SCMJ"], parcels[0].attrs["SCMJM"] = 9_000_000, 13_500
    record, report = _import(session, system, parcels, folder)
    found = _range_findings(report, "area_at_most")
    assert [f["parcel_code"] for f in found] == [parcels[0].code]
    assert "10000000" in found[0]["message"] and "11999" in found[0]["message"]
    assert (record.imported, record.rejected) == (2, 1)


def test_the_finding_speaks_chinese_and_the_shapefile_path_holds_too(session, system, collective,
                                                                    folder):
    parcels = syn.make_parcels(NEW, 3)
    parcels[1].attrs["SCMJ"] = 20_000_000
    record = survey.import_survey(session, system, syn.write_shapefile(parcels, folder / "shp"),
                                  collective_code=NEW)
    found = _range_findings(survey.report(session, record, "zh"))
    assert len(found) == 1 and "SCMJ" in found[0]["message"] and "10000000" in found[0]["message"]
    assert "实测面积" in found[0]["message"]
    assert record.imported == 2


def test_the_rules_bounds_are_the_ranges_and_the_databases(session):
    rule = session.get(QualityRule, ("scmj_range", "import"))
    drawn = session.get(QualityRule, ("area_at_most", "import"))
    assert rule.severity == drawn.severity == "critical"
    assert Decimal(str(rule.params["max_m2"])) == ranges.PARCEL_AREA_MAX_M2
    assert Decimal(str(drawn.params["max_m2"])) == ranges.PARCEL_AREA_MAX_M2
    assert Decimal(str(rule.params["max_mu"])) == ranges.PARCEL_AREA_MU.high
    checks = " ".join(session.scalars(sa.text(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname IN "
        "('ck_parcels_surveyed_area_at_most', 'ck_parcels_surveyed_mu_range', "
        "'ck_parcels_area_at_most')")))
    assert str(ranges.PARCEL_AREA_MAX_M2) in checks
    assert str(int(ranges.PARCEL_AREA_MU.high)) in checks


@pytest.mark.parametrize(("field", "value"), [("DKMC", "长" * 101), ("ZJRXM", "名" * 51),
                                              ("DKBZXX", "注" * 201), ("TDLYLX", "01234"),
                                              ("DKDZ", "路" * 101)])
def test_a_text_longer_than_its_column_keeps_only_that_parcel_out(session, system, collective,
                                                                 folder, field, value):
    parcels = syn.make_parcels(NEW, 3)
    parcels[1].attrs[field] = value
    record, report = _import(session, system, parcels, folder)
    found = _range_findings(report, "field_lengths")
    assert [(f["parcel_code"], f["severity"]) for f in found] == [(parcels[1].code, "critical")]
    assert field in found[0]["message"] and str(len(value)) in found[0]["message"]
    assert value not in found[0]["message"]  # the file's text is never echoed (issue 16)
    assert (record.imported, record.rejected) == (2, 1)


def test_the_text_lengths_are_the_columns(session):
    from landrights.registry.models import Parcel
    from landrights.registry.rules import DK_FIELDS

    limits = session.get(QualityRule, ("field_lengths", "import")).params
    columns = {name: Parcel.__table__.c[column].type.length for name, column in DK_FIELDS.items()
               if isinstance(Parcel.__table__.c[column].type, sa.String)}
    assert limits == columns


# the rules whose absence let one parcel fail the whole import (each tried switched off)
GUARDS = ("code_format", "code_unique_file", "overlap_file", "code_tables", "scmj_range", "area_at_most",
          "field_lengths")


@pytest.mark.parametrize("rule_id", GUARDS)
def test_the_county_cannot_switch_the_guarding_rules_off(session, rule_id):
    county = Actor(role="county_admin", county_code="220421")
    with pytest.raises(ValidationFailed) as refused:
        survey.switch_rule(session, county, county_code="220421", rule_id=rule_id,
                           moment="import", enabled=False)
    assert refused.value.field == "rule_id"
    assert session.scalar(sa.text("SELECT count(*) FROM quality_rule_switches")) == 0


def test_switch_rows_written_around_the_service_turn_none_of_them_off(session, system, collective,
                                                                     folder):
    """Each of these rules, switched off, let one bad parcel fail the whole import (checked: a
    duplicate code, a code of another collective, two overlapping parcels, a DKLB outside its
    table, an SCMJ of 20 km², a name of 101 characters)."""
    for rule_id in GUARDS:
        session.add(QualityRuleSwitch(county_code="220421", rule_id=rule_id, moment="import",
                                      enabled=False))
    parcels = syn.make_parcels(NEW, 20)
    defects = syn.plant_defects(parcels, "22042110120199")
    parcels[12].attrs["DKLB"] = "77"
    parcels[13].attrs["SCMJ"] = 20_000_000
    parcels[14].attrs["DKMC"] = "长" * 101
    record, report = _import(session, system, parcels, folder)
    kept_out = {f["parcel_code"] for f in report["findings"] if f["severity"] == "critical"}
    assert {defects["duplicate"], defects["overlap"], parcels[12].code, parcels[13].code,
            parcels[14].code} <= kept_out
    assert (record.imported, record.rejected) == (10, 10)  # 7 planted defects and 3 more


def test_the_rules_page_shows_them_always_on_without_a_switch(client, auth):
    auth.login("county")
    page = client.get("/surveys/rules").get_data(as_text=True)
    row = page[page.index('data-rule-id="scmj_range"'):]
    row = row[:row.index("</tr>")]
    assert "always on" in row or "始终启用" in row
    assert 'name="rule_id"' not in row
