"""ID numbers in conflict in the database (migration 0020), by raw SQL: one identity per number
(the partial unique index); a listing of the number in conflict is a row of its own, may be a
household member and representative, and is named by nothing that speaks for a person (23514
person_in_conflict, on insert and on update); it points at the identity of its number
(persons_id_conflict_target); a person who speaks for someone never becomes such a listing
(person_identity_in_use)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import id_number, refused

NUMBER = id_number("22042119700101201")  # not in the demo; male
PERSON = ("INSERT INTO persons (county_code, name, sex, id_type, id_number, id_conflict_of) "
          "VALUES ('220421', :name, 1, 1, :number, :of) RETURNING id")


def _person(session, name: str, number: str = NUMBER, of: int | None = None) -> int:
    return session.execute(sa.text(PERSON), {"name": name, "number": number, "of": of}).scalar()


@pytest.fixture
def pair(session):
    """(the identity of NUMBER, a listing of it in conflict)."""
    first = _person(session, "赵长海")
    return first, _person(session, "孙长海", of=first)


def test_one_identity_per_number(session, pair):
    assert refused(session, PERSON, name="钱长海", number=NUMBER, of=None) == (
        "23505", "uq_persons_county_code_id_type_id_number")


def test_a_listing_in_conflict_may_be_a_member_and_a_representative(session, pair):
    household = session.execute(sa.text(
        "SELECT id, code FROM households WHERE code LIKE '22042110120101%' ORDER BY code LIMIT 1"
    )).one()
    session.execute(sa.text("INSERT INTO household_members (county_code, household_id, person_id, "
                            "relation, is_co_holder) VALUES ('220421', :h, :p, '10', true)"),
                    {"h": household.id, "p": pair[1]})
    session.execute(sa.text("UPDATE households SET representative_id = :p WHERE id = :h"),
                    {"h": household.id, "p": pair[1]})


# every row that speaks for a person, by a column naming it; the trigger refuses before any
# other rule of the row is checked, so a row holding the person alone shows it
SPEAKS_FOR = [("users", "person_id"), ("memberships", "person_id"), ("settlements", "person_id"),
              ("share_holdings", "person_id"), ("share_transfers", "from_person_id"),
              ("share_transfers", "to_person_id"), ("withdrawals", "share_person_id"),
              ("transferee_identities", "person_id")]


@pytest.mark.parametrize("table, column", SPEAKS_FOR)
def test_a_listing_in_conflict_speaks_for_no_one(session, pair, table, column):
    assert refused(session, f"INSERT INTO {table} ({column}) VALUES (:p)", p=pair[1]) == (
        "23514", "person_in_conflict")


def test_no_account_is_moved_onto_a_listing_in_conflict(session, pair):
    """(Memberships, settlements and share holdings are history: never updated at all.)"""
    account = session.scalar(sa.text("SELECT min(id) FROM users"))
    assert refused(session, "UPDATE users SET person_id = :p WHERE id = :id", p=pair[1],
                   id=account) == ("23514", "person_in_conflict")


def test_a_listing_points_at_the_identity_of_its_number(session, pair):
    other = _person(session, "钱长海", id_number("22042119700101203"))
    assert refused(session, PERSON, name="李长海", number=NUMBER, of=other) == (
        "23514", "persons_id_conflict_target")  # another number's person
    assert refused(session, PERSON, name="李长海", number=NUMBER, of=pair[1]) == (
        "23514", "persons_id_conflict_target")  # a listing, not the identity
    assert refused(session, "UPDATE persons SET id_number = :n WHERE id = :id",
                   n=id_number("22042119700101205"), id=pair[1]) == (
        "23514", "persons_id_conflict_target")  # a listing keeps its number (corrected: a new row)
    assert refused(session, "UPDATE persons SET id_conflict_of = :o WHERE id = :id",
                   o=other, id=pair[0]) == ("23514", "persons_id_conflict_target")
    assert refused(session, "UPDATE persons SET id_conflict_of = id WHERE id = :id",
                   id=pair[0]) == ("23514", "ck_persons_id_conflict_not_self")


HAND_OVER = ["SET CONSTRAINTS persons_id_conflict_insert, persons_id_conflict_update DEFERRED",
             "UPDATE persons SET id_conflict_of = :second WHERE id = :first",
             "UPDATE persons SET id_conflict_of = NULL WHERE id = :second",
             "SET CONSTRAINTS persons_id_conflict_insert, persons_id_conflict_update IMMEDIATE"]


def test_a_number_passes_to_its_listing_in_one_transaction(session, pair):
    with session.begin_nested():
        for statement in HAND_OVER:
            session.execute(sa.text(statement), {"first": pair[0], "second": pair[1]})
    assert session.execute(sa.text("SELECT id, id_conflict_of FROM persons WHERE id = ANY(:ids) "
                                   "ORDER BY id"), {"ids": list(pair)}).all() == [
        (pair[0], pair[1]), (pair[1], None)]


def test_a_person_who_speaks_for_someone_never_becomes_a_listing(session, pair):
    session.execute(sa.text("UPDATE users SET person_id = :p WHERE id = (SELECT min(id) FROM "
                            "users)"), {"p": pair[0]})
    with pytest.raises(sa.exc.DBAPIError) as info:
        with session.begin_nested():
            for statement in HAND_OVER:
                session.execute(sa.text(statement), {"first": pair[0], "second": pair[1]})
    assert (info.value.orig.sqlstate, info.value.orig.diag.constraint_name) == (
        "23514", "person_identity_in_use")
