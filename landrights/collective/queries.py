"""Named reads of the collective: its roster with bases and shares."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights.accounts.permissions import Actor
from landrights.collective import permissions
from landrights.collective.models import Membership, ShareHolding
from landrights.registry.models import Household, HouseholdMember, Person


def member_collectives(person_id) -> sa.Select:
    """Return the query of the collectives a person is a member of now (R7.3): person_id is an id
    or a correlated column (Person.id). The one read of membership another domain makes: the
    market's member priority (R1.21(5)) and the township of a transferee's person."""
    return sa.select(Membership.collective_code).where(Membership.person_id == person_id,
                                                       Membership.status == "member")


def roster(session: Session, actor: Actor, collective_code: str) -> list[dict]:
    """Return the collective's members (live and lost) with basis, status and live shares.

    Raises:
        Forbidden: outside the actor's area.
    """
    permissions.require_see_roster(actor, collective_code)
    rows = session.execute(
        sa.select(Membership, Person.name, Household.code, ShareHolding.quantity)
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(HouseholdMember, sa.and_(HouseholdMember.person_id == Person.id,
                                            HouseholdMember.valid_to.is_(None)))
        .outerjoin(Household, Household.id == HouseholdMember.household_id)
        .outerjoin(ShareHolding, sa.and_(ShareHolding.person_id == Person.id,
                                         ShareHolding.valid_to.is_(None)))
        .where(Membership.collective_code == collective_code)
        .order_by(Household.code, Membership.id)).all()
    return [{"name": name, "household_code": household, "basis": m.basis, "basis_date": m.basis_date,
             "basis_document": m.basis_document, "status": m.status, "loss_cause": m.loss_cause,
             "lost_on": m.lost_on, "shares": shares} for m, name, household, shares in rows]
