"""Registered history is never rewritten: closing a version is the only change (P0001)."""
import pytest
import sqlalchemy as sa

from tests.factories import refused


@pytest.fixture
def registered_parcel(session):
    return session.execute(sa.text(
        "SELECT id, code FROM parcels WHERE registered_at IS NOT NULL AND valid_to IS NULL "
        "ORDER BY code LIMIT 1")).one()


def test_update_of_a_registered_parcel_is_refused(session, registered_parcel):
    state, name = refused(session, "UPDATE parcels SET name = 'changed' WHERE id = :id",
                          id=registered_parcel.id)
    assert (state, name) == ("P0001", "parcels_history")


def test_geometry_of_a_registered_parcel_cannot_be_moved(session, registered_parcel):
    state, name = refused(session, "UPDATE parcels SET geom = ST_Translate(geom, 0.1, 0) "
                          "WHERE id = :id", id=registered_parcel.id)
    assert (state, name) == ("P0001", "parcels_history")


def test_delete_of_a_registered_parcel_is_refused(session, registered_parcel):
    # contract_parcels references it too, but the history trigger answers first
    state, name = refused(session, "DELETE FROM parcels WHERE id = :id", id=registered_parcel.id)
    assert (state, name) == ("P0001", "parcels_history")


def test_closing_a_registered_version_is_allowed(session, registered_parcel):
    session.execute(sa.text("UPDATE parcels SET valid_to = now() + interval '1 second' "
                            "WHERE id = :id"), {"id": registered_parcel.id})
    assert session.scalar(sa.text("SELECT valid_to IS NOT NULL FROM parcels WHERE id = :id"),
                          {"id": registered_parcel.id})


def test_closing_and_changing_at_once_is_refused(session, registered_parcel):
    state, _ = refused(session, "UPDATE parcels SET valid_to = now() + interval '1 second', "
                       "name = 'sneaky' WHERE id = :id", id=registered_parcel.id)
    assert state == "P0001"


def test_reopening_a_closed_version_is_refused(session, registered_parcel):
    session.execute(sa.text("UPDATE parcels SET valid_to = now() + interval '1 second' "
                            "WHERE id = :id"), {"id": registered_parcel.id})
    state, _ = refused(session, "UPDATE parcels SET valid_to = NULL WHERE id = :id",
                       id=registered_parcel.id)
    assert state == "P0001"


@pytest.mark.parametrize("sql, constraint", [
    ("UPDATE contracts SET term_end = '2058-12-31' WHERE registered_at IS NOT NULL",
     "contracts_history"),
    ("UPDATE contracts SET registered_at = NULL WHERE registered_at IS NOT NULL",
     "contracts_history"),
    ("DELETE FROM register_entries", "register_entries_history"),
    ("UPDATE register_entries SET registrar = 'x'", "register_entries_history"),
    ("UPDATE contract_parcels SET confirmed_area_m2 = confirmed_area_m2 + 100",
     "contract_parcels_history"),
    ("DELETE FROM contract_parcels", "contract_parcels_history"),
    ("UPDATE household_members SET relation = '99' WHERE registered_at IS NOT NULL",
     "household_members_history"),
])
def test_registered_rows_refuse_changes(session, sql, constraint):
    assert refused(session, sql) == ("P0001", constraint)


def test_adding_a_parcel_to_a_registered_contract_is_refused(session):
    row = session.execute(sa.text(
        "SELECT c.id AS contract_id, p.id AS parcel_id, p.code FROM contracts c, parcels p "
        "WHERE c.registered_at IS NOT NULL AND p.valid_to IS NULL LIMIT 1")).one()
    state, name = refused(session, "INSERT INTO contract_parcels (county_code, contract_id, "
                          "parcel_id, parcel_code, confirmed_area_m2) VALUES ('220421', :c, :p, "
                          ":code, 1)", c=row.contract_id, p=row.parcel_id, code=row.code)
    assert (state, name) == ("P0001", "contract_parcels_history")


def test_a_bulk_insert_with_one_link_to_a_registered_contract_is_refused_whole(session):
    # the INSERT guard runs once per statement (migration 0028): one registered contract among
    # many draft links still refuses the statement, and none of its rows stays
    draft = session.execute(sa.text(
        "INSERT INTO contracts (county_code, code, version, household_code, mode, term_start, "
        "term_end, status, valid_from, valid_to) SELECT county_code, code, version + 100, "
        "household_code, mode, term_start, term_end, 'draft', valid_from, valid_from + "
        "interval '1 day' FROM contracts "
        "WHERE registered_at IS NOT NULL ORDER BY id LIMIT 1 RETURNING id")).scalar_one()
    registered = session.scalar(sa.text(
        "SELECT id FROM contracts WHERE registered_at IS NOT NULL ORDER BY id LIMIT 1"))
    before = session.scalar(sa.text("SELECT count(*) FROM contract_parcels"))
    insert = ("INSERT INTO contract_parcels (county_code, contract_id, parcel_id, parcel_code, "
              "confirmed_area_m2) SELECT p.county_code, CASE WHEN p.rn = 3 THEN :registered "
              "ELSE :draft END, p.id, p.code, 1 FROM (SELECT id, code, county_code, "
              "row_number() OVER (ORDER BY code) AS rn FROM parcels WHERE valid_to IS NULL "
              "ORDER BY code LIMIT 5) p")
    state, name = refused(session, insert, registered=registered, draft=draft)
    assert (state, name) == ("P0001", "contract_parcels_history")
    assert session.scalar(sa.text("SELECT count(*) FROM contract_parcels")) == before
    session.execute(sa.text(insert.replace("CASE WHEN p.rn = 3 THEN :registered ELSE :draft END",
                                           ":draft")), {"draft": draft})
    assert session.scalar(sa.text("SELECT count(*) FROM contract_parcels "
                                  "WHERE contract_id = :d"), {"d": draft}) == 5


def test_unregistered_drafts_may_still_be_edited(session):
    session.execute(sa.text(
        "INSERT INTO parcels (county_code, code, collective_code, version, geom) VALUES "
        "('220421', '2204211012010199901', '22042110120101', 1, ST_GeomFromEWKT("
        "'SRID=4490;MULTIPOLYGON(((125.3 42.6,125.301 42.6,125.301 42.601,125.3 42.6)))'))"))
    session.execute(sa.text("UPDATE parcels SET name = '新名' WHERE code = '2204211012010199901'"))
    session.execute(sa.text("DELETE FROM parcels WHERE code = '2204211012010199901'"))
