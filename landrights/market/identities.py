"""Who a transferee is (R1.21(5), R1.28). A transferee is the person it names only once that is
verified: by the person's own account (users.person_id), or by a township officer of the person's
area who saw the ID card (who, when, which document, recorded and shown). A claim nobody verified
is never stored, so until then the transferee is an outsider for every rule: no member's match,
no member's priority at the award, no way around the county's review.

One person, one transferee identity (the partial unique index of migration 0018). Only an
individual has one: a company, a cooperative or a family farm is social capital whoever owns it
(R1.28 as the local rules read it), so its owner's membership never passes to it.

``verified_person_id`` is the one query every rule about a transferee's person reads.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.models import User
from landrights.accounts.permissions import Actor, covers, require_login
from landrights.collective.queries import member_collectives
from landrights.db import flush_or_raise
from landrights.errors import NotFound, ValidationFailed, forbidden
from landrights.market import permissions
from landrights.market.models import Transferee, TransfereeIdentity
from landrights.registry.conflicts import identity_number, refuse_number_in_conflict
from landrights.registry.models import ChangeEvent, Household, HouseholdMember, Person
from landrights.registry.rules import mask_id_number

_NOT_YOURS = _l("This ID number is not the one of the person your account belongs to. Bring the ID card "
                "to the township officer of the person's area, who verifies it.")
_NOT_IN_AREA = _l("No person with this ID number is registered in your township. Verify only the ID "
                  "card of a person of your township.")


def verified_person_id(session: Session, transferee_id: int) -> int | None:
    """Return the person a transferee is verified to be, or None (an outsider for every rule)."""
    return session.scalar(sa.select(TransfereeIdentity.person_id).where(
        TransfereeIdentity.transferee_id == transferee_id, TransfereeIdentity.ended_at.is_(None)))


def is_member_of(session: Session, transferee: Transferee, collective_code: str) -> bool:
    """Tell whether the transferee is a verified person who is a member of the collective (R1.21(5))."""
    person = verified_person_id(session, transferee.id)
    return person is not None and session.scalar(
        sa.select(sa.literal(collective_code).in_(member_collectives(person))))


def refuse_person_for_kind(kind: str) -> None:
    """Refuse a person's ID number for any kind but an individual (R1.28).

    Raises:
        ValidationFailed: a company, cooperative or family farm gave an ID number.
    """
    if kind != "individual":
        raise ValidationFailed(_l("Only an individual gives an ID number: a company, cooperative or "
                                  "family farm is reviewed by the county whoever owns it."),
                               field="id_number", rule="R1.28")


def own_person(session: Session, actor: Actor, id_number: str) -> int:
    """Return the person an account belongs to if id_number is theirs; any other number, known or
    not, gets the same answer (no oracle of ID numbers).

    Raises:
        ValidationFailed: the number is not the account's own person's.
    """
    person = actor.user_id is not None and session.scalar(
        sa.select(Person.id).join(User, User.person_id == Person.id)
        .where(User.id == actor.user_id, identity_number(id_number)))
    if not person:
        raise ValidationFailed(_NOT_YOURS, field="id_number", rule="R1.21")
    return person


def record_own_identity(session: Session, actor: Actor, transferee: Transferee,
                        person_id: int) -> TransfereeIdentity:
    """Record that the transferee is its account's own person (the account's word is the person's).

    Raises:
        Conflict: the person or the transferee already has an identity.
    """
    return _record(session, actor, TransfereeIdentity(
        transferee_id=transferee.id, kind=transferee.kind, person_id=person_id, method="own_account",
        verified_by=actor.user_id, verified_at=clock.now()))


def verify_identity(session: Session, actor: Actor, *, transferee_id: int, id_number: str,
                    document: str | None = None) -> TransfereeIdentity:
    """Verify who an individual transferee is: its own account giving its own person's ID number,
    or the township officer of the person's area who saw the ID card (document: which one).

    Raises:
        Unauthenticated: anonymous. Forbidden: neither the transferee's account nor a township
            officer's. NotFound: no such transferee (officers). ValidationFailed: not an individual,
            the number not the account's own, no such person in the officer's township, no document
            named. Conflict: the person or the transferee already has an identity.
    """
    require_login(actor)
    if permissions.can_verify_identities(actor) and actor.user_id is not None:
        return _by_officer(session, actor, transferee_id, id_number, document)
    transferee = session.scalar(sa.select(Transferee).where(Transferee.user_id == actor.user_id))
    if actor.user_id is None or transferee is None or transferee.id != transferee_id:
        raise forbidden()
    refuse_person_for_kind(transferee.kind)
    return record_own_identity(session, actor, transferee, own_person(session, actor, id_number))


def _by_officer(session: Session, actor: Actor, transferee_id: int, id_number: str,
                document: str | None) -> TransfereeIdentity:
    transferee = session.get(Transferee, transferee_id)
    if transferee is None:
        raise NotFound(_l("No transferee no. %(id)s.", id=transferee_id), field="transferee_id")
    if transferee.user_id == actor.user_id:  # nobody vouches for themselves
        raise forbidden()
    refuse_person_for_kind(transferee.kind)
    if not (document or "").strip():
        raise ValidationFailed(_l("Name the identity document you saw (e.g. resident ID card, its "
                                  "issuing authority and validity)."), field="document", rule="R1.21")
    refuse_number_in_conflict(session, actor, id_number)  # whose number it is, nobody can tell
    person = _person_in_area(session, actor, id_number)
    return _record(session, actor, TransfereeIdentity(
        transferee_id=transferee.id, kind=transferee.kind, person_id=person, method="officer_id_card",
        document=document.strip(), verified_by=actor.user_id, verified_at=clock.now()))


def _person_in_area(session: Session, actor: Actor, id_number: str) -> int:
    """Return the person with this ID number whose household or membership lies in the actor's
    township; an unknown number and a person elsewhere get the same answer."""
    household = sa.select(Household.code) \
        .join(HouseholdMember, HouseholdMember.household_id == Household.id) \
        .where(HouseholdMember.person_id == Person.id, HouseholdMember.valid_to.is_(None)).scalar_subquery()
    collective = member_collectives(Person.id).limit(1).scalar_subquery()
    for person, *codes in session.execute(sa.select(Person.id, household, collective)
                                          .where(identity_number(id_number))):
        if any(code and covers(actor, code) for code in codes):
            return person
    raise ValidationFailed(_NOT_IN_AREA, field="id_number", rule="R1.21")


def _record(session: Session, actor: Actor, identity: TransfereeIdentity) -> TransfereeIdentity:
    session.add(identity)
    flush_or_raise(session)  # uq_transferee_identities_one_per_*: one person, one identity
    _audit(session, actor, "verify_identity", identity)
    return identity


def _audit(session: Session, actor: Actor, action: str, identity: TransfereeIdentity,
           reason: str | None = None) -> None:
    county = session.scalar(sa.select(Person.county_code).where(Person.id == identity.person_id))
    session.add(ChangeEvent(county_code=county, actor_id=actor.user_id, action=action, entity="transferee",
                            entity_code=str(identity.transferee_id), reason=reason,
                            details={"method": identity.method, "person_id": identity.person_id}))


def end_identity(session: Session, actor: Actor, *, transferee_id: int, reason: str) -> TransfereeIdentity:
    """End a transferee's identity (wrongly verified, or the person moves it to another account):
    the transferee's own account, or the township officer of the person's area.

    Raises:
        Unauthenticated: anonymous. Forbidden: anyone else (a transferee without one alike).
        ValidationFailed: no reason.
    """
    require_login(actor)
    identity = session.scalar(sa.select(TransfereeIdentity).where(
        TransfereeIdentity.transferee_id == transferee_id, TransfereeIdentity.ended_at.is_(None))
        .with_for_update())
    owner = session.scalar(sa.select(Transferee.user_id).where(Transferee.id == transferee_id))
    if identity is None or not (actor.user_id is not None and owner == actor.user_id
                                or _officer_of_person(session, actor, identity.person_id)):
        raise forbidden()
    if not (reason or "").strip():
        raise ValidationFailed(_l("Say why the identity ends."), field="reason")
    identity.ended_at, identity.end_reason, identity.ended_by = clock.now(), reason.strip(), actor.user_id
    flush_or_raise(session)
    _audit(session, actor, "end_identity", identity, reason.strip())
    return identity


def _officer_of_person(session: Session, actor: Actor, person_id: int) -> bool:
    if not permissions.can_verify_identities(actor):
        return False
    number = session.scalar(sa.select(Person.id_number).where(Person.id == person_id))
    try:
        return _person_in_area(session, actor, number) == person_id
    except ValidationFailed:
        return False


def identity_of(session: Session, transferee_id: int) -> dict | None:
    """Return the live identity of a transferee as shown to it and to officials: who it is (name,
    masked ID number), how and when verified, by whom, on which document; None if it has none."""
    row = session.execute(
        sa.select(TransfereeIdentity, Person.name, Person.id_number, User.display_name)
        .join(Person, Person.id == TransfereeIdentity.person_id)
        .outerjoin(User, User.id == TransfereeIdentity.verified_by)
        .where(TransfereeIdentity.transferee_id == transferee_id, TransfereeIdentity.ended_at.is_(None))
    ).first()
    if row is None:
        return None
    identity, name, number, verifier = row
    return {"person_name": name, "id_number": mask_id_number(number), "method": identity.method,
            "verified_at": identity.verified_at, "verified_by": verifier, "document": identity.document}


def transferee_dict(session: Session, transferee: Transferee) -> dict:
    """Return a transferee as shown to its account and to officials, with its live identity."""
    return {"id": transferee.id, "kind": transferee.kind, "name": transferee.name,
            "address": transferee.address, "identity": identity_of(session, transferee.id)}


def address_in(address: str | None) -> str | None:
    """Return a transferee's address as kept: stripped, None when blank.

    Raises:
        ValidationFailed: longer than 200 characters.
    """
    address = (address or "").strip()
    if len(address) > 200:
        raise ValidationFailed(_l("An address has at most 200 characters."), field="address")
    return address or None


def set_address(session: Session, actor: Actor, address: str | None) -> Transferee:
    """Set (or clear) the acting transferee's own address, printed in its next contracts when the
    officer gives none and the register has none (R1.23(1)); a contract drafted keeps the address
    it printed.

    Raises:
        Unauthenticated: anonymous. NotFound: the account is not a registered transferee.
        ValidationFailed: longer than 200 characters.
    """
    transferee = transferee_of(session, actor)
    transferee.address = address_in(address)
    flush_or_raise(session)
    return transferee


def transferee_of(session: Session, actor: Actor) -> Transferee:
    """Return the transferee registered by the acting account.

    Raises:
        Unauthenticated: anonymous. NotFound: the account is not a registered transferee.
    """
    require_login(actor)
    found = actor.user_id is not None and session.scalar(
        sa.select(Transferee).where(Transferee.user_id == actor.user_id))
    if not found:
        raise NotFound(_l("Your account is not a registered transferee."), field="user_id")
    return found

