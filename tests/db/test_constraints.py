"""The law in the database: every CHECK, FK, unique index and trigger refuses bad rows with its
SQLSTATE, whatever path writes them (raw SQL here, not the services)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from landrights.registry.rules import id_check_char

COLLECTIVE = "22042110120101"  # demo: 永安村一组
FAR = (125.30, 42.60)  # a free spot away from the demo village


def refused(session, sql: str, **params) -> tuple[str, str | None]:
    """Run sql in a savepoint; return (SQLSTATE, constraint name) of its refusal."""
    with pytest.raises(DBAPIError) as info:
        with session.begin_nested():
            session.execute(sa.text(sql), params)
    return info.value.orig.sqlstate, info.value.orig.diag.constraint_name


def square(x0: float, y0: float, size_deg: float = 0.001) -> str:
    x1, y1 = x0 + size_deg, y0 + size_deg
    return f"SRID=4490;MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"


def id_number(body17: str) -> str:
    return body17 + id_check_char(body17)


PARCEL_SQL = ("INSERT INTO parcels (county_code, code, collective_code, version, geom, status) "
              "VALUES (:county, :code, :collective, 1, ST_GeomFromEWKT(:geom), 'surveyed')")


def insert_parcel(session, code: str, geom: str, collective: str = COLLECTIVE):
    session.execute(sa.text(PARCEL_SQL), {"county": code[:6], "code": code,
                                          "collective": collective, "geom": geom})


@pytest.mark.parametrize("code, level, parent, constraint", [
    ("22042", 1, None, "ck_admin_units_code_shape"),
    ("220421101", 3, "220421", "ck_admin_units_level_length"),
    ("220421999", 2, "220422", "ck_admin_units_parent_prefix"),
])
def test_admin_unit_codes(session, code, level, parent, constraint):
    state, name = refused(session, "INSERT INTO admin_units (county_code, code, level, name, "
                          "parent_code) VALUES (left(:code, 6), :code, :level, 'x', :parent)",
                          code=code, level=level, parent=parent)
    assert (state, name) == ("23514", constraint)


def test_collective_code_must_have_14_digits(session):
    state, name = refused(session, "INSERT INTO collectives (county_code, code, name, admin_code) "
                          "VALUES ('220421', '2204211012019', 'x', '2204211012019')")
    assert (state, name) == ("23514", "ck_collectives_code_shape")


def test_collective_needs_known_admin_unit(session):
    state, name = refused(session, "INSERT INTO collectives (county_code, code, name, admin_code) "
                          "VALUES ('220421', '22042110120199', 'x', '22042110120199')")
    assert (state, name) == ("23503", "fk_collectives_county_code_admin_code_admin_units")


@pytest.mark.parametrize("number, sex, constraint", [
    ("220421199001011235", 1, "ck_persons_id_card_checksum"),  # wrong check character
    ("22042119901301123X", 1, "ck_persons_id_card_checksum"),  # month 13
    ("2204211990010112", 1, "ck_persons_id_card_checksum"),  # too short
    (id_number("22042119900101123"), 2, "ck_persons_id_card_sex"),  # 17th digit odd = male
])
def test_person_id_card_rules(session, number, sex, constraint):
    state, name = refused(session, "INSERT INTO persons (county_code, name, sex, id_type, "
                          "id_number) VALUES ('220421', '测试', :sex, 1, :num)", sex=sex, num=number)
    assert (state, name) == ("23514", constraint)


def test_person_other_id_types_skip_the_checksum(session):
    session.execute(sa.text("INSERT INTO persons (county_code, name, sex, id_type, id_number) "
                            "VALUES ('220421', '测试', 1, 5, 'E12345678')"))


@pytest.mark.parametrize("code, collective, state_constraint", [
    ("2204211012010100", COLLECTIVE, ("23514", "ck_households_code_shape")),
    ("220421101201020001", COLLECTIVE, ("23514", "ck_households_collective_prefix")),
    ("220421101201990001", "22042110120199", ("23503",
                                              "fk_households_county_code_collective_code_collectives")),
])
def test_household_codes(session, code, collective, state_constraint):
    result = refused(session, "INSERT INTO households (county_code, code, collective_code, type, "
                     "name) VALUES ('220421', :code, :coll, 1, 'x')", code=code, coll=collective)
    assert result == state_constraint


@pytest.mark.parametrize("code, collective, constraint", [
    ("220421101201019990", COLLECTIVE, "ck_parcels_code_shape"),
    ("2204211012010299901", COLLECTIVE, "ck_parcels_collective_prefix"),
])
def test_parcel_codes(session, code, collective, constraint):
    state, name = refused(session, PARCEL_SQL, county=code[:6], code=code, collective=collective,
                          geom=square(*FAR))
    assert (state, name) == ("23514", constraint)


def test_parcel_county_code_must_lead_its_code(session):
    state, name = refused(session, PARCEL_SQL, county="220422", code=COLLECTIVE + "99901",
                          collective=COLLECTIVE, geom=square(*FAR))
    assert state in ("23514", "23503")
    assert name in ("ck_parcels_county_prefix",
                    "fk_parcels_county_code_collective_code_collectives")


def test_parcel_geometry_must_be_valid(session):
    bowtie = ("SRID=4490;MULTIPOLYGON(((125.3 42.6,125.301 42.601,125.301 42.6,"
              "125.3 42.601,125.3 42.6)))")
    assert refused(session, PARCEL_SQL, county="220421", code=COLLECTIVE + "99901",
                   collective=COLLECTIVE, geom=bowtie) == ("23514", "ck_parcels_geom_valid")


def test_parcel_geometry_must_not_be_empty(session):
    assert refused(session, PARCEL_SQL, county="220421", code=COLLECTIVE + "99901",
                   collective=COLLECTIVE, geom="SRID=4490;MULTIPOLYGON EMPTY") == \
        ("23514", "ck_parcels_geom_valid")


@pytest.mark.parametrize("geom", [
    "SRID=4326;MULTIPOLYGON(((125.3 42.6,125.301 42.6,125.301 42.601,125.3 42.6)))",
    "SRID=4490;POINT(125.3 42.6)",
    "SRID=4490;POLYGON((125.3 42.6,125.301 42.6,125.301 42.601,125.3 42.6))",
])
def test_parcel_geometry_type_and_srid(session, geom):
    state, _ = refused(session, PARCEL_SQL, county="220421", code=COLLECTIVE + "99901",
                       collective=COLLECTIVE, geom=geom)
    assert state == "22023"


def test_parcel_area_is_geodesic_and_stored(session):
    insert_parcel(session, COLLECTIVE + "99901", square(*FAR))
    area = session.scalar(sa.text("SELECT area_m2 FROM parcels WHERE code = :c"),
                          {"c": COLLECTIVE + "99901"})
    # 0.001° × 0.001° at 42.6°N: about 111 m × 82 m
    assert 9000 < area < 9300


def test_surveyed_area_must_be_positive(session):
    state, name = refused(session, "INSERT INTO parcels (county_code, code, collective_code, "
                          "version, geom, surveyed_area_m2) VALUES ('220421', :code, :coll, 1, "
                          "ST_GeomFromEWKT(:geom), -5)", code=COLLECTIVE + "99901",
                          coll=COLLECTIVE, geom=square(*FAR))
    assert (state, name) == ("23514", "ck_parcels_surveyed_area_positive")


def test_two_live_versions_of_one_code_are_refused(session):
    insert_parcel(session, COLLECTIVE + "99901", square(*FAR))
    state, name = refused(session, "INSERT INTO parcels (county_code, code, collective_code, "
                          "version, geom) VALUES ('220421', :code, :coll, 2, "
                          "ST_GeomFromEWKT(:geom))", code=COLLECTIVE + "99901", coll=COLLECTIVE,
                          geom=square(FAR[0] + 0.01, FAR[1]))
    assert (state, name) == ("23505", "uq_parcels_live_code")


@pytest.mark.parametrize("code, mode, start, end, constraint", [
    ("220421101201010001X", "110", "1999-01-01", "2028-12-31", "ck_contracts_code_shape"),
    ("220421101201010002J", "110", "1999-01-01", "2028-12-31", "ck_contracts_household_prefix"),
    ("220421101201010001Q", "110", "1999-01-01", "2028-12-31",
     "ck_contracts_suffix_matches_mode"),
    ("220421101201010001J", "110", "2028-12-31", "1999-01-01", "ck_contracts_term_order"),
])
def test_contract_rules(session, code, mode, start, end, constraint):
    state, name = refused(session, "INSERT INTO contracts (county_code, code, version, "
                          "household_code, mode, term_start, term_end) VALUES ('220421', :code, "
                          "9, '220421101201010001', :mode, :start, :end)",
                          code=code, mode=mode, start=start, end=end)
    assert (state, name) == ("23514", constraint)


def test_user_role_needs_its_jurisdiction(session):
    state, name = refused(session, "INSERT INTO users (username, password_hash, display_name, "
                          "role) VALUES ('nobody', 'x', 'x', 'township_officer')")
    assert (state, name) == ("23514", "ck_users_officer_township")
