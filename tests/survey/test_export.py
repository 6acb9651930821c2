"""Export for hand-up (汇交): the demo village written as a GeoPackage and as a GBK shapefile
folder, read back with pyogrio and GDAL's ogrinfo, and re-imported through the survey import,
which must find every parcel unchanged."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
import sqlalchemy as sa

from landrights.accounts.permissions import Actor
from landrights.certification import certificates
from landrights.errors import Forbidden, ValidationFailed
from landrights.registry import services as registry
from landrights.survey import export
from landrights.survey import services as survey
from landrights.survey import synthetic as syn
from landrights.survey.export import export_package

GROUP1 = "22042110120101"
COUNTY = "220421"
TABLES = ["FBF", "CBF", "CBF_JTCY", "CBHT", "CBDKXX", "CBJYQZ", "LZHT"]


@pytest.fixture
def folder():
    path = Path(tempfile.mkdtemp(prefix="landrights-export-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def out_path(folder: Path, fmt: str) -> Path:
    return folder / ("yongan.gpkg" if fmt == "gpkg" else "yongan")


def dk_path(out: Path, fmt: str) -> Path:
    return out if fmt == "gpkg" else out / "DK.shp"


def read_table(out: Path, fmt: str, name: str):
    """Return (meta, wkb, {field: values}) of one exported layer or DBF table."""
    if fmt == "gpkg":
        source, layer = out, name
    else:
        source, layer = out / (f"{name}.shp" if name == "DK" else f"{name}.dbf"), None
    meta, _, wkb, values = pyogrio.raw.read(source, layer=layer, read_geometry=name == "DK")
    return meta, wkb, dict(zip(meta["fields"], values, strict=True))


def scalar(session, sql: str, **params):
    return session.scalar(sa.text(sql), params)


@pytest.mark.parametrize("fmt", ["gpkg", "shp"])
def test_reimported_export_is_unchanged_parcel_for_parcel(session, system, folder, fmt):
    out = out_path(folder, fmt)
    result = export_package(session, system, out, collective_code=GROUP1, file_format=fmt)
    live = scalar(session, "SELECT count(*) FROM parcels WHERE collective_code = :c AND "
                           "valid_to IS NULL", c=GROUP1)
    assert result.counts["DK"] == live > 0
    record = survey.import_survey(session, system, out, collective_code=GROUP1)
    assert record.classes == {"new": 0, "geometry_changed": 0, "attributes_changed": 0,
                              "unchanged": live, "missing": []}
    assert (record.imported, record.rejected) == (0, 0)


@pytest.mark.parametrize("fmt", ["gpkg", "shp"])
def test_a_table_written_in_many_batches_is_whole(session, system, folder, fmt, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 7)  # the demo group's parcels in many appends
    out = out_path(folder, fmt)
    result = export_package(session, system, out, collective_code=GROUP1, file_format=fmt)
    dk = read_table(out, fmt, "DK")[2]
    assert list(dk["BSM"]) == list(range(1, result.counts["DK"] + 1)) and len(dk["BSM"]) > 14
    assert len(read_table(out, fmt, "CBF_JTCY")[2]["CYXM"]) == result.counts["CBF_JTCY"] > 7
    record = survey.import_survey(session, system, out, collective_code=GROUP1)
    assert record.classes["unchanged"] == result.counts["DK"] and record.imported == 0


@pytest.mark.parametrize("srid", [4530, 4551])
def test_gauss_krueger_export_round_trips_with_or_without_zone_prefix(session, system, folder,
                                                                      srid):
    out = folder / "gk.gpkg"
    export_package(session, system, out, collective_code=GROUP1, srid=srid)
    meta, wkb, _ = read_table(out, "gpkg", "DK")
    assert meta["crs"] == f"EPSG:{srid}"
    eastings = shapely.get_coordinates(shapely.from_wkb(wkb))[:, 0]
    # R4.13: 4530 = zone 42 with the prefix (42 500 000-based), 4551 = CM 126E without
    if srid == 4530:
        assert (eastings // 1_000_000 == 42).all()
    else:
        assert (eastings < 1_000_000).all() and (eastings > 300_000).all()
    record = survey.import_survey(session, system, out, collective_code=GROUP1)
    assert record.source_crs == f"EPSG:{srid}"
    assert record.classes["unchanged"] == len(wkb) and record.imported == 0


def test_shapefile_is_gbk_with_cpg_and_prj_and_keeps_chinese_text_codes_and_areas(
        session, system, folder):
    out = out_path(folder, "shp")
    export_package(session, system, out, collective_code=GROUP1, file_format="shp", srid=4530)
    assert (out / "DK.cpg").read_text().strip().upper() == "GBK"
    assert "CGCS2000_3_Degree_GK_Zone_42" in (out / "DK.prj").read_text()
    raw_dbf = (out / "DK.dbf").read_bytes()
    expected = session.execute(sa.text(
        "SELECT code, name, east, soil_grade, surveyed_area_m2, surveyed_area_mu, "
        "is_basic_farmland FROM parcels WHERE collective_code = :c AND valid_to IS NULL "
        "ORDER BY code"), {"c": GROUP1}).all()
    assert expected[0].name.encode("gbk") in raw_dbf  # the bytes on disk are GBK, not UTF-8
    assert expected[0].name.encode("utf-8") not in raw_dbf
    meta, _, dk = read_table(out, "shp", "DK")
    assert meta["encoding"] in ("GBK", "UTF-8")  # GDAL recodes from the .cpg's GBK
    assert list(dk["DKBM"]) == [r.code for r in expected]
    assert list(dk["DKMC"]) == [r.name for r in expected]
    assert list(dk["DKDZ"]) == [r.east for r in expected]
    assert list(dk["DLDJ"]) == [r.soil_grade for r in expected]  # '03', zero kept
    assert list(dk["SCMJ"]) == [float(r.surveyed_area_m2) for r in expected]
    assert list(dk["SCMJM"]) == [float(r.surveyed_area_mu) for r in expected]
    assert set(dk["SFJBNT"]) <= {"1", "2"} and set(dk["YSDM"]) == {"211011"}
    for name in TABLES:
        assert (out / f"{name}.dbf").exists() and (out / f"{name}.cpg").exists()
        assert not (out / f"{name}.shp").exists()  # attribute tables carry no geometry


@pytest.mark.parametrize("fmt", ["gpkg", "shp"])
def test_gdal_ogrinfo_reads_the_export_with_chinese_text(session, system, folder, fmt):
    out = out_path(folder, fmt)
    export_package(session, system, out, collective_code=GROUP1, file_format=fmt, srid=4551)
    first = session.execute(sa.text(
        "SELECT code, name FROM parcels WHERE collective_code = :c AND valid_to IS NULL "
        "ORDER BY code LIMIT 1"), {"c": GROUP1}).one()
    listing = subprocess.run(["ogrinfo", "-ro", "-q", str(dk_path(out, fmt)), "DK", "-where",
                              f"DKBM = '{first.code}'"], capture_output=True, text=True,
                             check=True).stdout
    assert f"DKMC (String) = {first.name}" in listing
    assert "MULTIPOLYGON" in listing or "POLYGON" in listing
    summary = subprocess.run(["ogrinfo", "-ro", "-so", str(dk_path(out, fmt)), "DK"],
                             capture_output=True, text=True, check=True).stdout
    assert "CGCS2000" in summary and "SCMJ: Real" in summary
    if fmt == "gpkg":
        layers = subprocess.run(["ogrinfo", "-ro", "-q", str(out)], capture_output=True,
                                text=True, check=True).stdout
        assert all(f": {name} (None)" in layers for name in TABLES)
        assert ": DK (Multi Polygon)" in layers


@pytest.mark.parametrize("fmt", ["gpkg", "shp"])
def test_attribute_tables_hold_the_rows_of_the_registry(session, system, folder, fmt):
    certified = session.scalars(sa.text(
        "SELECT code FROM contracts WHERE county_code = :c AND valid_to IS NULL AND status = "
        "'registered' ORDER BY code LIMIT 2"), {"c": COUNTY}).all()
    for code in certified:
        certificates.issue_certificate(session, system, code=code)
    out = out_path(folder, fmt)
    result = export_package(session, system, out, county_code=COUNTY, file_format=fmt)
    expected = {
        "DK": "SELECT count(*) FROM parcels WHERE county_code = :c AND valid_to IS NULL",
        "FBF": "SELECT count(*) FROM collectives WHERE county_code = :c",
        "CBF": "SELECT count(*) FROM households WHERE county_code = :c",
        "CBF_JTCY": "SELECT count(*) FROM household_members WHERE county_code = :c AND "
                    "valid_to IS NULL",
        "CBHT": "SELECT count(*) FROM contracts WHERE county_code = :c AND valid_to IS NULL "
                "AND status = 'registered'",
        "CBDKXX": "SELECT count(*) FROM contract_parcels cp JOIN contracts k ON k.id = "
                  "cp.contract_id WHERE k.county_code = :c AND k.valid_to IS NULL AND "
                  "k.status = 'registered'",
        "CBJYQZ": "SELECT count(*) FROM certificates WHERE county_code = :c AND status = 'valid'",
        "LZHT": "SELECT count(*) FROM transfer_contracts WHERE county_code = :c AND "
                "status = 'filed'",
    }
    for name, sql in expected.items():
        rows = read_table(out, fmt, name)[2]
        n = len(next(iter(rows.values())))
        assert result.counts[name] == n == scalar(session, sql, c=COUNTY), name
    assert result.counts["FBF"] == 3 and result.counts["LZHT"] >= 1  # the demo's lease
    issued = read_table(out, fmt, "CBJYQZ")[2]
    assert list(issued["CBJYQZBM"]) == certified and all(issued["FZJG"])
    assert all(n.startswith("NO.J") for n in issued["CBJYQZLSH"])
    members = read_table(out, fmt, "CBF_JTCY")[2]
    ids = set(members["CYZJHM"])
    assert len(ids) == len(members["CYZJHM"])
    assert scalar(session, "SELECT count(*) FROM persons WHERE id_number = ANY(:ids)",
                  ids=list(ids)) == len(ids)  # full ID numbers, not masked
    contracts = read_table(out, fmt, "CBHT")[2]
    k = session.execute(sa.text(
        "SELECT code, term_start, term_end FROM contracts WHERE county_code = :c AND "
        "valid_to IS NULL AND status = 'registered' ORDER BY code LIMIT 1"), {"c": COUNTY}).one()
    assert contracts["CBHTBM"][0] == k.code
    assert contracts["CBQXQ"][0] == np.datetime64(k.term_start)
    assert contracts["CBQXZ"][0] == np.datetime64(k.term_end)
    links = read_table(out, fmt, "CBDKXX")[2]
    for cert, contract in zip(links["CBJYQZBM"], links["CBHTBM"], strict=True):
        assert cert == (contract if contract in certified else None)  # R4.9: same code
    transferred = scalar(session, "SELECT parcel_codes[1] FROM transfer_contracts WHERE "
                                  "status = 'filed' ORDER BY code LIMIT 1")
    i = list(links["DKBM"]).index(transferred)
    assert links["LZHTBM"][i] == scalar(session, "SELECT code FROM transfer_contracts WHERE "
                                                 ":p = ANY(parcel_codes) AND status = 'filed'",
                                        p=transferred)


def test_county_export_holds_every_collective_and_reimports_per_collective(session, system,
                                                                          folder):
    out = folder / "county.gpkg"
    export_package(session, system, out, county_code=COUNTY)
    codes = list(read_table(out, "gpkg", "FBF")[2]["FBFBM"])
    assert codes == sorted(codes) and len(codes) == 3
    for code in codes:
        record = survey.import_survey(session, system, out, collective_code=code)
        mine = scalar(session, "SELECT count(*) FROM parcels WHERE collective_code = :c AND "
                               "valid_to IS NULL", c=code)
        assert record.classes["unchanged"] == mine and record.imported == 0


def test_survey_attributes_outside_the_standard_are_exported_too(session, system, folder):
    code = "22042110120104"  # a new group, surveyed from a synthetic file with CBFBM_OLD
    registry.add_collective(session, system, code=code, name="永安村四组")
    parcels = syn.make_parcels(code, 12)
    survey.import_survey(session, system, syn.write_geojson(parcels, folder / "in.geojson"),
                         collective_code=code)
    out = folder / "x"
    export_package(session, system, out, collective_code=code, file_format="shp")
    dk = read_table(out, "shp", "DK")[2]
    assert list(dk["CBFBM_OLD"]) == [p.attrs["CBFBM_OLD"] for p in parcels]
    record = survey.import_survey(session, system, out, collective_code=code)
    assert record.classes["unchanged"] == 12


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"collective_code": "22042110120199"}, "collective"),
    ({"county_code": "220499"}, "county"),
    ({}, "collective"),
    ({"collective_code": GROUP1, "county_code": COUNTY}, "collective"),
    ({"collective_code": GROUP1, "file_format": "kml"}, "format"),
    ({"collective_code": GROUP1, "srid": 4326}, "crs"),
    ({"collective_code": GROUP1, "srid": 4502}, "crs"),  # 6-degree zone: not for hand-up
])
def test_bad_requests_are_refused_by_name_and_write_nothing(session, system, folder, kwargs,
                                                            field):
    with pytest.raises(ValidationFailed) as err:
        export_package(session, system, folder / "bad.gpkg", **kwargs)
    assert err.value.field == field
    assert list(folder.iterdir()) == []


def test_out_in_a_missing_folder_is_refused(session, system, folder):
    with pytest.raises(ValidationFailed) as err:
        export_package(session, system, folder / "no" / "x.gpkg", collective_code=GROUP1)
    assert err.value.field == "out"


def test_bad_crs_message_names_the_option(app, session, system, folder):
    with app.test_request_context("/?lang=en"), pytest.raises(ValidationFailed) as err:
        export_package(session, system, folder / "bad.gpkg", collective_code=GROUP1, srid=3857)
    assert "--crs EPSG:3857" in str(err.value.message) and err.value.rule == "R4.13"


def test_existing_out_is_refused_unless_forced_and_replaced_whole(session, system, folder):
    out = out_path(folder, "shp")
    out.mkdir()
    (out / "old.txt").write_text("keep me")
    with pytest.raises(ValidationFailed) as err:
        export_package(session, system, out, collective_code=GROUP1, file_format="shp")
    assert err.value.field == "out" and (out / "old.txt").exists()
    export_package(session, system, out, collective_code=GROUP1, file_format="shp", force=True)
    assert not (out / "old.txt").exists() and (out / "DK.shp").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["yongan"]  # no staging left behind


def test_text_outside_gbk_refuses_the_shapefile_and_leaves_nothing(session, system, folder):
    session.execute(sa.text("UPDATE parcels SET pointer_name = '刘䶮' WHERE collective_code = :c "
                            "AND valid_to IS NULL AND status = 'surveyed'"), {"c": "22042110120103"})
    with pytest.raises(ValidationFailed) as err:
        export_package(session, system, folder / "out", county_code=COUNTY, file_format="shp")
    assert err.value.field == "format" and "ZJRXM" in str(err.value.message)
    assert list(folder.iterdir()) == []
    export_package(session, system, folder / "out.gpkg", county_code=COUNTY)  # UTF-8 holds it
    assert "刘䶮" in set(read_table(folder / "out.gpkg", "gpkg", "DK")[2]["ZJRXM"])


def test_only_registry_writers_of_the_area_export(session, folder):
    clerk = Actor(role="collective_clerk", collective_code=GROUP1)
    other = Actor(role="township_officer", township_code="220421102")
    for actor in (clerk, other):
        with pytest.raises(Forbidden):
            export_package(session, actor, folder / "x.gpkg", collective_code=GROUP1)
    officer = Actor(role="township_officer", township_code="220421101")
    with pytest.raises(Forbidden):
        export_package(session, officer, folder / "x.gpkg", county_code=COUNTY)
    assert export_package(session, officer, folder / "x.gpkg", collective_code=GROUP1).counts["DK"]
