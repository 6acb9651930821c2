"""Which person an account belongs to (users.person_id): the one person with an ID number that an
account of its role and area may be linked to, and whether a transferee identity rests on the link.
The use cases are accounts.services.create_user and link_person."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights.accounts.models import User
from landrights.accounts.permissions import Actor, is_county_admin, is_household_account
from landrights.errors import Conflict, ValidationFailed
from landrights.registry.conflicts import identity_number, refuse_number_in_conflict
from landrights.registry.models import Household, HouseholdMember, Person

_NO_SUCH_PERSON = _l("No person with this ID number is registered in the county. Check the number "
                     "against the ID card.")


def person_to_link(session: Session, actor: Actor, user: User, id_number: str) -> int:
    """Return the one person with this ID number an account of this role and area may be linked
    to: a member of its household for a farmer, a person of the administrator's county (or of the
    account's) otherwise. An unknown number and a person elsewhere get the same answer.

    Raises:
        ValidationFailed: no such person there, or the number is registered in several counties.
        Conflict: another active account is linked to the person, or the number is listed for
            more than one person in the actor's area (registry.conflicts).
    """
    refuse_number_in_conflict(session, actor, id_number, field="person")
    query = sa.select(Person.id).where(identity_number(id_number))
    if is_household_account(user):
        query = query.join(HouseholdMember, HouseholdMember.person_id == Person.id) \
            .join(Household, Household.id == HouseholdMember.household_id) \
            .where(Household.code == user.household_code, HouseholdMember.valid_to.is_(None))
    county = actor.county_code if is_county_admin(actor) else _county_of(user)
    if county:
        query = query.where(Person.county_code == county)
    found = session.scalars(query.distinct()).all()
    if is_household_account(user) and not found:
        raise ValidationFailed(_l("No member of household %(code)s has this ID number. A farmer's "
                                  "account belongs to a member of its household.",
                                  code=user.household_code), field="person", rule="R1.3")
    if len(found) != 1:
        raise ValidationFailed(_NO_SUCH_PERSON if not found else _l(
            "This ID number is registered in several counties: give the account's county."),
                               field="person")
    other = session.scalar(sa.select(User.username).where(
        User.person_id == found[0], User.is_active, User.id != user.id if user.id else sa.true()))
    if other is not None:
        raise Conflict(_l("This person already has an active account: one person, one account."),
                       field="person", rule="R1.21")
    return found[0]


def _county_of(user: User) -> str | None:
    codes = (user.county_code, user.township_code, user.collective_code, user.household_code)
    return next((code[:6] for code in codes if code), None)


def own_identity_rests_on_link(session: Session, user: User) -> bool:
    """Tell whether the account's transferee has a live identity verified by its own account."""
    from landrights.market.models import Transferee, TransfereeIdentity

    return session.scalar(sa.select(sa.func.count()).select_from(TransfereeIdentity)
                          .join(Transferee, Transferee.id == TransfereeIdentity.transferee_id)
                          .where(Transferee.user_id == user.id, TransfereeIdentity.ended_at.is_(None),
                                 TransfereeIdentity.method == "own_account")) > 0


def linked_people(session: Session, users: list[User]) -> dict[int, dict]:
    """Return, by account id, the person each linked account belongs to: name and masked ID
    number (the accounts page shows who an account is without showing the number)."""
    from landrights.registry.rules import mask_id_number

    ids = [u.person_id for u in users if u.person_id is not None]
    people = {} if not ids else {row.id: row for row in session.execute(
        sa.select(Person.id, Person.name, Person.id_number).where(Person.id.in_(ids)))}
    return {u.id: {"name": people[u.person_id].name,
                   "id_number": mask_id_number(people[u.person_id].id_number)}
            for u in users if u.person_id in people}
