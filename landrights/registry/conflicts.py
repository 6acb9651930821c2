"""ID numbers in conflict (migration 0020): a county's hand-up package listed one ID number in two
households. Both households enter as registered; the first listing (by household code, or the
person the registry already held) is the number's person, its identity; each further listing is
a person row of its own marked ``id_conflict_of``, shown in its household as registered and never
an identity: the database refuses any account, collective membership, shares, settlement,
withdrawal or transferee identity that names it.

Lookups by ID number read identities only (``identity_number``); where a number in conflict is
listed in the officer's area they say so (``refuse_number_in_conflict``): while it is open,
nobody can tell whose number it is, so it verifies no one. An officer resolves a conflict:

* ``keep_listing`` - the same person listed twice: they belong to this household. The other
  listings end (a new version of each household's members); where this household held the
  duplicate row, the registry's person takes its place.
* ``correct_number`` - two people under one number: this household's member gets the corrected
  number (a new person row; the membership moves to it as a new version). If this member held
  the identity, the number passes to the other listing.

The CLI is ``landrights conflicts list | keep | correct``.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.permissions import Actor, covers
from landrights.db import flush_or_raise
from landrights.errors import Conflict, NotFound, ValidationFailed
from landrights.registry import permissions, rules
from landrights.registry.models import Household, HouseholdMember, Person
from landrights.registry.services import add_person, lock_code, record, revise_member

_MEMBER = ("relation", "is_co_holder", "remark_code", "remark_text")


def identity_number(id_number: str | None):
    """Return the condition selecting the person an ID number identifies: never a listing in
    conflict (persons.id_conflict_of)."""
    return sa.and_(Person.id_number == (id_number or "").strip(), Person.id_conflict_of.is_(None))


def _live_listings(session: Session, id_number: str, county_code: str | None = None):
    """Return the live household listings of an ID number: (person, membership, household code),
    by household code."""
    query = (sa.select(Person, HouseholdMember, Household.code)
             .join(HouseholdMember, sa.and_(HouseholdMember.person_id == Person.id,
                                            HouseholdMember.valid_to.is_(None)))
             .join(Household, Household.id == HouseholdMember.household_id)
             .where(Person.id_number == (id_number or "").strip()).order_by(Household.code))
    if county_code:
        query = query.where(Person.county_code == county_code)
    return session.execute(query).all()


def households_in_conflict(session: Session, id_number: str) -> list[str]:
    """Return the households listing an ID number while it is in conflict (a duplicate listing
    of it is live); [] when it is not."""
    listings = _live_listings(session, id_number)
    if not any(person.id_conflict_of is not None for person, _, _ in listings):
        return []
    return [code for _, _, code in listings]


def refuse_number_in_conflict(session: Session, actor: Actor, id_number: str,
                              field: str = "id_number") -> None:
    """Refuse an ID number in conflict that is listed in the actor's area (elsewhere, the
    caller's own answer stands: no oracle of other areas' numbers).

    Raises:
        Conflict: the number is listed for more than one person, one of them in the area.
    """
    mine = [code for code in households_in_conflict(session, id_number) if covers(actor, code)]
    if mine:
        raise Conflict(_l("This ID number is listed for more than one person in the registry "
                          "(among them in household %(households)s): it identifies no one until "
                          "the county resolves the conflict, by correcting the number of one of "
                          "them or by deciding which household the person belongs to.",
                          households=", ".join(mine)), field=field, rule="R4.26")


def list_conflicts(session: Session, actor: Actor, limit: int = 500) -> list[dict]:
    """Return the open conflicts with a listing in the actor's area: the number (as the actor may
    see it) and each live listing (household, name, relation, whether it is the identity)."""
    permissions.require_edit_register(actor, actor.area_prefix or "")
    numbers = (sa.select(Person.county_code, Person.id_type, Person.id_number)
               .join(HouseholdMember, sa.and_(HouseholdMember.person_id == Person.id,
                                              HouseholdMember.valid_to.is_(None)))
               .where(Person.id_conflict_of.is_not(None),
                      Person.county_code.startswith((actor.area_prefix or "")[:6]))
               .distinct().order_by(Person.id_number).limit(limit))
    found = []
    for county, _, number in session.execute(numbers):
        listings = _live_listings(session, number, county)
        if not any(covers(actor, code) for _, _, code in listings):
            continue
        found.append({"id_number": rules.shown_id_number(actor, listings[0][2], number),
                      "same_name": len({p.name for p, _, _ in listings}) == 1,
                      "listings": [{"household": code, "name": p.name, "relation": m.relation,
                                    "identity": p.id_conflict_of is None}
                                   for p, m, code in listings]})
    return found


def _listing(session: Session, household_code: str, id_number: str):
    """Return this household's live listing of the number (membership locked) and its person."""
    row = session.execute(
        sa.select(HouseholdMember, Person).join(Person, Person.id == HouseholdMember.person_id)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(Household.code == household_code, Person.id_number == (id_number or "").strip(),
               HouseholdMember.valid_to.is_(None))
        .with_for_update(of=HouseholdMember)).first()
    if row is None:
        raise NotFound(_l("No member with ID number %(id)s in household %(code)s.",
                          id=rules.mask_id_number(id_number), code=household_code),
                       field="id_number")
    lock_code(session, "id_number", f"{row[1].county_code}:{row[1].id_type}:{row[1].id_number}")
    return row


def _require_reason(reason: str | None) -> str:
    if not (reason or "").strip():
        raise ValidationFailed(_l("Say why the member record changes."), field="reason")
    return reason.strip()


def _move_membership(session: Session, member: HouseholdMember, person_id: int) -> HouseholdMember:
    """Close a membership and start its next version naming another person (the household's
    representative follows)."""
    now = clock.now()
    member.valid_to = now
    flush_or_raise(session)
    moved = HouseholdMember(county_code=member.county_code, household_id=member.household_id,
                            person_id=person_id, valid_from=now,
                            **{f: getattr(member, f) for f in _MEMBER})
    session.add(moved)
    session.execute(sa.update(Household).where(
        Household.id == member.household_id, Household.representative_id == member.person_id)
        .values(representative_id=person_id).execution_options(synchronize_session=False))
    flush_or_raise(session)
    return moved


def keep_listing(session: Session, actor: Actor, *, household_code: str, id_number: str,
                 reason: str, document: str | None = None) -> HouseholdMember:
    """Resolve a person listed in two households: they belong to this one; the other listings
    end, and the registry's person (the identity) is this household's member.

    Raises:
        Forbidden: not a registry writer of every household listing the number.
        NotFound: no such member. ValidationFailed: no reason, no other listing, or listings
            naming different people (correct_number is for them).
    """
    permissions.require_edit_register(actor, household_code)
    reason = _require_reason(reason)
    member, person = _listing(session, household_code, id_number)
    others = _same_person_elsewhere(session, person, household_code)
    for _, code in others:
        permissions.require_edit_register(actor, code)
    for _, code in others:
        revise_member(session, actor, household_code=code, id_number=person.id_number,
                      reason=reason, document=document, remove=True)
    if person.id_conflict_of is not None:  # this household held the duplicate row
        member = _move_membership(session, member, person.id_conflict_of)
    record(session, actor, "keep_listing", "member", household_code, reason=reason,
           document=document, details={"person_id": member.person_id,
                                       "ended": [code for _, code in others]})
    return member


def _same_person_elsewhere(session: Session, person: Person, household_code: str) -> list[tuple]:
    """Return (person row, household code) of the number's live listings in other households;
    refuse when there are none, or when they name different people (R4.26)."""
    others = [(p, code) for p, _, code in _live_listings(session, person.id_number,
                                                          person.county_code)
              if code != household_code and p.id_type == person.id_type]
    if not others:
        raise ValidationFailed(_l("This ID number is listed in this household only: there is "
                                  "no conflict to resolve."), field="id_number")
    if any(p.name != person.name for p, _ in others):
        raise ValidationFailed(_l("The listings of this number name different people: two people "
                                  "share it. Correct the number of one of them instead."),
                               field="id_number", rule="R4.26")
    return others


def correct_number(session: Session, actor: Actor, *, household_code: str, id_number: str,
                   new_id_number: str, reason: str, document: str | None = None,
                   sex: int | None = None) -> Person:
    """Resolve two people sharing one ID number: this household's member gets the corrected
    number, as a new person row its membership moves to (a new version). If the member held the
    identity, the number passes to the other listing.

    Raises:
        Forbidden: not a registry writer of the household. NotFound: no such member.
        ValidationFailed: no reason, a number not in conflict, or a bad new number.
        Conflict: the new number is registered already, or the member's person holds an account,
            membership or other rights under the number (it cannot pass on).
    """
    permissions.require_edit_register(actor, household_code)
    reason = _require_reason(reason)
    member, person = _listing(session, household_code, id_number)
    if not households_in_conflict(session, person.id_number):
        raise ValidationFailed(_l("This member's ID number is not in conflict: there is nothing "
                                  "to resolve here."), field="id_number")
    fresh = add_person(session, actor, county_code=person.county_code, name=person.name,
                       sex=sex or person.sex, id_type=person.id_type, id_number=new_id_number,
                       birth_date=_birth_date(person.id_type, new_id_number, person.birth_date),
                       phone=person.phone, hukou_address=person.hukou_address,
                       residence_address=person.residence_address)
    _move_membership(session, member, fresh.id)
    if person.id_conflict_of is None:
        _hand_over(session, person)
    record(session, actor, "correct_id_number", "member", household_code, reason=reason,
           document=document, details={"from_person_id": person.id, "person_id": fresh.id})
    return fresh


def _birth_date(id_type: int, number: str, otherwise: date | None) -> date | None:
    """Return the birth date a resident ID card number carries (digits 7-14), else otherwise."""
    number = (number or "").strip()
    if id_type != 1 or rules.id_number_problem(number):
        return otherwise
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


_TRIGGERS = "persons_id_conflict_insert, persons_id_conflict_update"


def _hand_over(session: Session, old: Person) -> None:
    """Pass a number from its identity (whose member got another number) to its first other live
    listing: that row becomes the identity, the old one and every other listing its duplicates.
    The steps break the pointers' rule in between, so its check waits for the last one."""
    heir = session.scalar(
        sa.select(Person.id).join(HouseholdMember, sa.and_(HouseholdMember.person_id == Person.id,
                                                           HouseholdMember.valid_to.is_(None)))
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(Person.id_conflict_of == old.id).order_by(Household.code, Person.id).limit(1))
    if heir is None:
        return
    steps = [sa.update(Person).where(Person.id == old.id).values(id_conflict_of=heir),
             sa.update(Person).where(Person.id == heir).values(id_conflict_of=None),
             sa.update(Person).where(Person.id_conflict_of == old.id, Person.id != heir)
             .values(id_conflict_of=heir)]
    try:
        session.execute(sa.text(f"SET CONSTRAINTS {_TRIGGERS} DEFERRED"))
        for step in steps:
            session.execute(step.execution_options(synchronize_session=False))
        session.execute(sa.text(f"SET CONSTRAINTS {_TRIGGERS} IMMEDIATE"))
    except DBAPIError as exc:
        from landrights.registry.constraints import translate

        session.rollback()
        raise translate(exc) from exc
    session.expire_all()
