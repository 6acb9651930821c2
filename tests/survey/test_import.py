"""Survey import against real files the tests write: GBK shapefile without .cpg in GK zone 42 with
prefix, GeoPackage in EPSG:4551, GeoJSON in EPSG:4490, each with planted defects."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
import shapely
import sqlalchemy as sa

from landrights.errors import ValidationFailed
from landrights.registry import services as registry
from landrights.survey import services as survey
from landrights.survey import synthetic as syn
from landrights.survey.models import QualityRuleSwitch

NEW = "22042110120104"  # a fourth group, not in the demo: the registry learns it here
OTHER = "22042110120199"


@pytest.fixture
def folder():
    path = Path(tempfile.mkdtemp(prefix="landrights-survey-test-"))
    yield path
    import shutil

    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def collective(session, system):
    registry.add_collective(session, system, code=NEW, name="永安村四组")
    return NEW


def defective(n: int = 20):
    parcels = syn.make_parcels(NEW, n)
    return parcels, syn.plant_defects(parcels, OTHER)


def findings(report: dict) -> set[tuple[str, str]]:
    return {(f["rule"], f["parcel_code"]) for f in report["findings"]}


def expected(d: dict, parcels) -> set[tuple[str, str]]:
    return {
        ("geom_valid", d["bowtie"]),
        ("overlap_file", d["overlap"]), ("overlap_file", d["overlapped"]),
        ("code_unique_file", d["duplicate"]),  # both rows carry it
        # an 18-digit code is not a parcel code: the report names its row, never the file's text
        # (issue 16); a 19-digit code of another collective has the shape and is shown
        ("code_format", None), ("code_format", d["other_collective"]),
        ("area_vs_scmj", d["scmj_off"]),
        ("four_neighbours", d["two_neighbours"]),
        ("gap", parcels[10].code),
    }


def count(session, table: str) -> int:
    return session.scalar(sa.text(f"SELECT count(*) FROM {table}"))


def demo_parcel_in_gk(session, sql: str):
    """Return (code, polygon in EPSG:4551) of the demo parcel an SQL query picks."""
    from pyproj import Transformer

    row = session.execute(sa.text(sql)).one()
    to_gk = Transformer.from_crs(4490, 4551, always_xy=True)
    polygon = shapely.transform(shapely.from_wkt(row.wkt).geoms[0],
                                lambda c: np.column_stack(to_gk.transform(c[:, 0], c[:, 1])))
    return row, polygon


@pytest.mark.parametrize("fmt", ["shapefile", "geopackage", "geojson"])
def test_planted_defects_are_found_and_clean_parcels_enter(session, system, collective, folder,
                                                          fmt):
    parcels, d = defective()
    path = {"shapefile": lambda: syn.write_shapefile(parcels, folder / "shp"),
            "geopackage": lambda: syn.write_geopackage(parcels, folder / "dk.gpkg"),
            "geojson": lambda: syn.write_geojson(parcels, folder / "dk.geojson")}[fmt]()
    record = survey.import_survey(session, system, path, collective_code=collective)
    report = survey.report(session, record)
    assert findings(report) == expected(d, parcels)
    assert report["source_crs"] == {"shapefile": "EPSG:4530", "geopackage": "EPSG:4551",
                                    "geojson": "EPSG:4490"}[fmt]
    critical_rows = {f["row"] for f in report["findings"] if f["severity"] == "critical"}
    assert len(critical_rows) == 7
    assert (report["imported"], report["rejected"]) == (13, 7)
    assert report["classes"]["new"] == 13
    gap = next(f for f in report["findings"] if f["rule"] == "gap")
    assert gap["location"]["type"] == "LineString" and "0.2" in gap["message"]
    bowtie = next(f for f in report["findings"] if f["rule"] == "geom_valid")
    assert bowtie["location"]["type"] == "Point" and "自相交" in bowtie["message"]  # GEOS says it in Chinese


def test_gbk_shapefile_without_cpg_decodes_chinese_names_and_keeps_areas(session, system,
                                                                        collective, folder):
    parcels = syn.make_parcels(NEW, 6)
    record = survey.import_survey(session, system, syn.write_shapefile(parcels, folder / "shp"),
                                  collective_code=collective)
    assert record.encoding == "GB18030" and record.imported == 6
    stored = session.execute(sa.text(
        "SELECT code, name, pointer_name, east, area_m2, surveyed_area_m2, status FROM parcels "
        "WHERE collective_code = :c ORDER BY code"), {"c": NEW}).all()
    for row, parcel in zip(stored, parcels, strict=True):
        assert (row.name, row.pointer_name, row.east) == (
            parcel.attrs["DKMC"], parcel.attrs["ZJRXM"], parcel.attrs["DKDZ"])
        assert row.status == "surveyed"
        assert row.area_m2 == pytest.approx(parcel.geom.area, rel=1e-3)  # geodesic vs GK plane
        assert float(row.surveyed_area_m2) == parcel.attrs["SCMJ"]


def test_gb18030_character_outside_gbk_survives(session, system, collective, folder):
    parcels = syn.make_parcels(NEW, 3, names=["刘䶮"])
    path = syn.write_shapefile(parcels, folder / "shp", encoding="GB18030")
    survey.import_survey(session, system, path, collective_code=collective)
    assert session.scalar(sa.text("SELECT DISTINCT pointer_name FROM parcels WHERE "
                                  "collective_code = :c"), {"c": NEW}) == "刘䶮"


def test_wrong_encoding_is_caught_and_no_garbled_name_is_stored(session, system, collective,
                                                                folder):
    parcels = syn.make_parcels(NEW, 4)
    path = syn.write_shapefile(parcels, folder / "shp")
    record = survey.import_survey(session, system, path, collective_code=collective,
                                  encoding="ISO-8859-1")
    report = survey.report(session, record, "en")
    assert {f["rule"] for f in report["findings"]} == {"text_encoding"}
    assert record.imported == 0 and report["encoding"] == "ISO-8859-1"
    assert "garbled" in report["findings"][0]["message"]


def test_zip_package_with_fbf_table_creates_its_collective(session, system, folder):
    code = "22042110120105"
    parcels = syn.make_parcels(code, 5)
    shp = syn.write_shapefile(parcels, folder / "pkg")
    syn.write_fbf(shp.parent, [{"FBFBM": code, "FBFMC": "永安村五组", "FBFFZRXM": "王组长"}])
    archive = syn.zip_folder(shp.parent, folder / "pkg.zip")
    record = survey.import_survey(session, system, archive, collective_code=code)
    assert record.imported == 5
    assert session.scalar(sa.text("SELECT name || responsible_name FROM collectives WHERE code = :c"),
                          {"c": code}) == "永安村五组王组长"


def test_all_or_nothing_enters_nothing_when_anything_is_critical(session, system, collective,
                                                                 folder):
    parcels, _ = defective()
    before = count(session, "parcels")
    record = survey.import_survey(session, system, syn.write_geojson(parcels, folder / "a.geojson"),
                                  collective_code=collective, all_or_nothing=True)
    assert (record.imported, record.rejected) == (0, 20)
    assert count(session, "parcels") == before


def test_switched_off_rule_does_not_run(session, system, collective, folder):
    session.add(QualityRuleSwitch(county_code="220421", rule_id="four_neighbours",
                                  moment="import", enabled=False))
    parcels, _ = defective()
    record = survey.import_survey(session, system, syn.write_geojson(parcels, folder / "a.geojson"),
                                  collective_code=collective)
    assert "four_neighbours" not in {f["rule"] for f in survey.report(session, record)["findings"]}


def test_resurvey_is_classified_and_changes_become_new_versions(session, system, collective,
                                                                folder):
    parcels = syn.make_parcels(NEW, 8)
    survey.import_survey(session, system, syn.write_geojson(parcels, folder / "v1.geojson"),
                         collective_code=collective)
    parcels[1].geom = shapely.affinity.scale(parcels[1].geom, yfact=0.9, origin="center")
    parcels[2].attrs["DKMC"] = "改名地"
    gone = parcels.pop(3)
    record = survey.import_survey(session, system, syn.write_geopackage(parcels, folder / "v2.gpkg"),
                                  collective_code=collective)
    assert record.classes == {"new": 0, "geometry_changed": 1, "attributes_changed": 1,
                              "unchanged": 5, "missing": [gone.code]}
    versions = session.execute(sa.text(
        "SELECT version, valid_to IS NULL AS live, name FROM parcels WHERE code = :c "
        "ORDER BY version"), {"c": parcels[2].code}).all()
    assert [(v.version, v.live) for v in versions] == [(1, False), (2, True)]
    assert versions[-1].name == "改名地"


def test_registered_parcels_are_never_overwritten(session, system, folder):
    demo, geom = demo_parcel_in_gk(session, (
        "SELECT code, ST_AsText(geom) AS wkt, registered_at IS NOT NULL AS registered FROM parcels "
        "WHERE collective_code = '22042110120103' AND valid_to IS NULL ORDER BY code LIMIT 1"))
    changed = syn.SyntheticParcel(demo.code, shapely.affinity.scale(geom, 0.95, 0.95), {
        "DKMC": "复测地", "DKDZ": "道路", "DKNZ": "道路", "DKXZ": "道路", "DKBZ": "道路"})
    record = survey.import_survey(session, system,
                                  syn.write_geojson([changed], folder / "re.geojson"),
                                  collective_code="22042110120103")
    assert record.classes["geometry_changed"] == 1 and demo.registered
    rows = session.execute(sa.text("SELECT version, status, registered_at IS NOT NULL AS reg, "
                                   "valid_to IS NULL AS live FROM parcels WHERE code = :c "
                                   "ORDER BY version"), {"c": demo.code}).all()
    assert [(r.version, r.status, r.reg, r.live) for r in rows] == [
        (1, "registered", True, False), (2, "surveyed", False, True)]


def test_overlap_with_a_live_registered_parcel_is_critical(session, system, folder):
    demo, geom = demo_parcel_in_gk(session, (
        "SELECT code, ST_AsText(ST_Translate(geom, 0.00005, 0)) AS wkt FROM parcels "
        "WHERE collective_code = '22042110120103' AND valid_to IS NULL ORDER BY code LIMIT 1"))
    intruder = syn.SyntheticParcel("2204211012010399901", geom, {
        "DKDZ": "道路", "DKNZ": "道路", "DKXZ": "道路", "DKBZ": "道路"})
    record = survey.import_survey(session, system,
                                  syn.write_geojson([intruder], folder / "x.geojson"),
                                  collective_code="22042110120103")
    found = survey.report(session, record)["findings"]
    critical = [f for f in found if f["severity"] == "critical"]
    assert {(f["rule"], f["parcel_code"]) for f in critical} == {
        ("overlap_registry", "2204211012010399901")}
    assert any(demo.code in f["message"] for f in critical) and record.imported == 0


@pytest.mark.parametrize("breakage, field", [
    ("broken_zip", "file"), ("missing_dbf", "file"), ("no_crs", "crs"),
    ("other_collective", "collective"), ("wrong_zone", "crs"), ("unknown_collective", "collective"),
])
def test_bad_files_get_a_clear_error_and_change_nothing(session, system, collective, folder,
                                                        breakage, field):
    parcels = syn.make_parcels(NEW, 4)
    shp = syn.write_shapefile(parcels, folder / "shp")
    target, code, srid = shp, collective, None
    if breakage == "broken_zip":
        target = folder / "broken.zip"
        target.write_bytes(b"PK\x03\x04 this is not a zip")
    elif breakage == "missing_dbf":
        shp.with_suffix(".dbf").unlink()
    elif breakage == "no_crs":
        shp.with_suffix(".prj").unlink()
    elif breakage == "other_collective":
        code = "22042110120101"
    elif breakage == "wrong_zone":
        srid = 4551  # the eastings carry zone prefix 42: EPSG:4530 is right
    elif breakage == "unknown_collective":
        code = "22042110120177"
        target = syn.write_shapefile(syn.make_parcels(code, 2), folder / "unknown")
    before = (count(session, "parcels"), count(session, "survey_imports"),
              count(session, "collectives"))
    with pytest.raises(ValidationFailed) as info:
        survey.import_survey(session, system, target, collective_code=code, srid=srid)
    assert info.value.field == field
    assert (count(session, "parcels"), count(session, "survey_imports"),
            count(session, "collectives")) == before


def test_a_file_without_crs_imports_when_one_is_given(session, system, collective, folder):
    shp = syn.write_shapefile(syn.make_parcels(NEW, 3), folder / "shp", prj=False)
    record = survey.import_survey(session, system, shp, collective_code=collective, srid=4530)
    assert (record.imported, record.source_crs) == (3, "EPSG:4530")


def test_parcels_outside_the_known_collective_boundary_are_critical(session, system, folder):
    parcels = syn.make_parcels("22042110120103", 2, start=901)  # far from group 03's boundary
    record = survey.import_survey(session, system, syn.write_geojson(parcels, folder / "o.geojson"),
                                  collective_code="22042110120103")
    report = survey.report(session, record, "en")
    assert {(f["rule"], f["severity"]) for f in report["findings"]} == {
        ("inside_boundary", "critical")}
    assert record.imported == 0 and "outside the collective's boundary" in \
        report["findings"][0]["message"]


def test_the_import_leaves_the_sessions_settings_as_it_found_them(session, system, collective,
                                                                   folder):
    # the import plans without bitmap scans and sorts in 64 MB (services._local_settings); the
    # statements after it, in the same transaction, run with the settings they had before
    settings = "SELECT current_setting('work_mem'), current_setting('enable_bitmapscan')"
    before = session.execute(sa.text(settings)).one()
    path = syn.write_geojson(syn.make_parcels(NEW, 3), folder / "s.geojson")
    record = survey.import_survey(session, system, path, collective_code=collective)
    assert record.imported == 3
    assert session.execute(sa.text(settings)).one() == before == ("8MB", "on")


def test_each_resurvey_version_follows_the_codes_last_one(session, system, collective, folder):
    # the new version is one more than the code's last version (the (county, code, version) key);
    # the import finds it for all codes of the collective at once, closed versions included
    parcels = syn.make_parcels(NEW, 2)
    for k, name in enumerate(["一号地", "二号地", "三号地"]):
        parcels[0].attrs["DKMC"] = name
        survey.import_survey(session, system, syn.write_geojson(parcels, folder / f"{k}.geojson"),
                             collective_code=collective)
    rows = session.execute(sa.text("SELECT code, version, valid_to IS NULL, name FROM parcels "
                                   "WHERE code IN (:a, :b) ORDER BY code, version"),
                           {"a": parcels[0].code, "b": parcels[1].code}).all()
    assert [tuple(r) for r in rows] == [
        (parcels[0].code, 1, False, "一号地"), (parcels[0].code, 2, False, "二号地"),
        (parcels[0].code, 3, True, "三号地"), (parcels[1].code, 1, True, parcels[1].attrs["DKMC"])]


def test_fbf_without_cpg_is_gbk_even_beside_a_dk_table_with_one(session, system, folder):
    code = "22042110120105"
    shp = syn.write_shapefile(syn.make_parcels(code, 3), folder / "pkg", cpg=True, encoding="UTF-8")
    syn.write_fbf(shp.parent, [{"FBFBM": code, "FBFMC": "永安村五组", "FBFFZRXM": "王组长"}])
    survey.import_survey(session, system, shp.parent, collective_code=code)
    assert session.scalar(sa.text("SELECT name || responsible_name FROM collectives WHERE code = :c"),
                          {"c": code}) == "永安村五组王组长"
