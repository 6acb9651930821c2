"""Who may do what on the confirmation path (确权登记颁证, R5.x): the township officer of the area
records the parcels a household claims, opens public notices, records paper objections and decides
objections (R5.3, R5.4); the household confirms the result itself or by its signed paper (R5.5);
the county administrator issues, re-issues, replaces and cancels certificates (R3.3, R5.8).
can_<act> tells, require_<act> refuses, role_may_<act> checks the role before a lookup.
"""
from __future__ import annotations

from landrights.accounts.permissions import (
    OFFICIAL_ROLES,
    Actor,
    acts_for_household,
    covers,
    require_certificate_issuer,
    require_notice_officer,
    township_officer_of,
)


def notice_scope(actor: Actor) -> str | None:
    """Return the code prefix of the notices the actor reads: a farmer's whole collective (its
    neighbours' records are posted to it, R5.4), an official's area; None for no area."""
    prefix = actor.area_prefix
    if prefix is None:
        return None
    return prefix[:14] if actor.role == "farmer" else prefix


def can_see_notices(actor: Actor, collective_code: str) -> bool:
    """Tell whether the actor reads the notices of the collective."""
    scope = notice_scope(actor)
    return scope is not None and collective_code.startswith(scope)


def role_may_open_notice(actor: Actor) -> bool:
    """Tell whether the actor's role opens public notices anywhere (a township officer)."""
    return actor.role in ("system", "township_officer")


def can_open_notice(actor: Actor, collective_code: str) -> bool:
    """Tell whether the actor opens the collective's public notice (R5.3): its township officer."""
    return township_officer_of(actor, collective_code)


def require_open_notice(actor: Actor, collective_code: str) -> None:
    """Refuse a notice to anyone but the township officer of the collective.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or township.
    """
    require_notice_officer(actor, collective_code)


def can_claim_parcels(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor records which surveyed parcels the household claims: the township
    officer of its area."""
    return township_officer_of(actor, household_code)


def require_claim_parcels(actor: Actor, household_code: str) -> None:
    """Refuse recording a household's claim to anyone but the township officer of its area.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or township.
    """
    require_notice_officer(actor, household_code)


def can_object(actor: Actor, collective_code: str) -> bool:
    """Tell whether the actor may object on a notice of the collective at all (R5.4): any farmer
    (a member, or a neighbour named in a parcel's four sides, from anywhere), the collective's
    clerk, the township officer of its area; what it may object to is decided per record."""
    return actor.role == "farmer" or can_object_as_collective(actor, collective_code) or \
        township_officer_of(actor, collective_code)


def can_object_as_collective(actor: Actor, collective_code: str) -> bool:
    """Tell whether the actor objects for the collective (the 发包方): its clerk (R5.4)."""
    return actor.role == "collective_clerk" and actor.collective_code == collective_code


def can_object_to_any_household(actor: Actor) -> bool:
    """Tell whether the actor may object to every household of a notice it reads: the collective's
    clerk and the township officer; a farmer only to its own household and named neighbours'."""
    return actor.role in ("collective_clerk", "township_officer", "system")


def role_may_record_paper_objection(actor: Actor) -> bool:
    """Tell whether the actor's role records paper objections, naming their filer: a township
    officer (the system files none)."""
    return actor.role == "township_officer"


def can_record_paper_objection(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor records a paper objection against the household for whoever filed
    it (a member, a neighbour, the collective): the township officer of its area."""
    return role_may_record_paper_objection(actor) and covers(actor, household_code)


def role_may_decide_objection(actor: Actor) -> bool:
    """Tell whether the actor's role decides objections anywhere."""
    return actor.role in ("system", "township_officer")


def can_decide_objection(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor dismisses or upholds an objection against the household (R5.4): the
    township officer of its area."""
    return township_officer_of(actor, household_code)


def require_decide_objection(actor: Actor, household_code: str) -> None:
    """Refuse a decision on an objection to anyone but the township officer of its area.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or township.
    """
    require_notice_officer(actor, household_code)


def can_see_objection(actor: Actor, household_code: str, filed_by: int | None) -> bool:
    """Tell whether the actor opens an objection against the household: a farmer who filed it or
    whose household it is about, an official of the household's area."""
    if actor.role == "farmer":
        return (actor.user_id is not None and filed_by == actor.user_id) or \
            actor.household_code == household_code
    return covers(actor, household_code)


def can_confirm(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor opens the household's confirmation of the survey result (结果确认,
    R5.5): the household itself, or the township officer of its area recording its signed paper."""
    return acts_for_household(actor, household_code) or township_officer_of(actor, household_code)


def can_sign_off_in_app(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor confirms the household's result in the app: its own account (an
    officer records the signed and fingerprinted paper instead, R5.5)."""
    return acts_for_household(actor, household_code)


def can_see_progress(actor: Actor) -> bool:
    """Tell whether the actor sees confirmation progress of its area: an official."""
    return actor.role in ("system", *OFFICIAL_ROLES)


def can_issue_certificate(actor: Actor, code: str) -> bool:
    """Tell whether the actor issues, re-issues, replaces or cancels the certificate of a household
    or contract code: the county administrator of its county (R3.3, R5.8)."""
    return actor.role in ("system", "county_admin") and covers(actor, code)


def require_issue_certificate(actor: Actor, code: str) -> None:
    """Refuse certificates to anyone but the county administrator of the county.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or county.
    """
    require_certificate_issuer(actor, code)
