"""Who may do what with retained rights (G1-G5): settling in a town is never a condition and never
an effect on a household's rights (R1.10), so no act here depends on where a member lives.

The household and the officials of its area read its rights and get a statement of them (G5). A
withdrawal (有偿退出) is the holder's own written request (R1.14, G3), filed by the household in
the app or recorded by the township officer of its area from the signed paper; either of them may
cancel it before it takes effect; the county administrator reviews one a settlement holds back
(G4). Registry writers record a settlement (residence only, G1) and give due withdrawals effect.
can_<act> tells, require_<act> refuses, role_may_<act> checks the role before a lookup.
"""
from __future__ import annotations

from landrights.accounts.permissions import (
    REGISTRY_WRITERS,
    Actor,
    acts_for_household,
    covers,
    require_area,
    require_certificate_issuer,
    require_registry_writer,
    township_officer_of,
)


def can_open_my_rights(actor: Actor) -> bool:
    """Tell whether the actor has a page of its own household's rights: a household's account."""
    return actor.role == "farmer"


def can_see_rights(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor reads the household's retained rights, its withdrawals and
    statements (G5): the household itself and the officials of its area."""
    return covers(actor, household_code)


def require_see_rights(actor: Actor, household_code: str) -> None:
    """Refuse a household's rights outside the actor's area, from the code alone (no oracle).

    Raises:
        Unauthenticated: anonymous. Forbidden: not the household nor an official of its area.
    """
    require_area(actor, household_code)


def can_issue_statement(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor gets a verifiable statement of the household's rights (G5): whoever
    reads them."""
    return can_see_rights(actor, household_code)


def role_may_record_settlement(actor: Actor) -> bool:
    """Tell whether the actor's role records settlements anywhere (a registry writer)."""
    return actor.role in REGISTRY_WRITERS


def can_record_settlement(actor: Actor, code: str) -> bool:
    """Tell whether the actor records that a member of the household (or a person of the county)
    settled in a town: a registry writer of its area; only the residence changes (R1.10, G1)."""
    return role_may_record_settlement(actor) and covers(actor, code)


def can_record_settlement_on_page(actor: Actor, household_code: str) -> bool:
    """Tell whether the household's rights page offers the actor the settlement form: the township
    officer of its area (the county records them through the API and the command line)."""
    return actor.role == "township_officer" and covers(actor, household_code)


def can_request_withdrawal(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor files the household's withdrawal request (R1.14, G3): the household
    itself, or the township officer of its area recording the holder's signed request."""
    return acts_for_household(actor, household_code) or township_officer_of(actor, household_code)


def can_request_withdrawal_in_app(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor's request is the holder's own written notice, given the day it is
    filed in the app (R1.14): the household's own account; an officer gives the paper's date."""
    return acts_for_household(actor, household_code)


def role_may_cancel_withdrawal(actor: Actor) -> bool:
    """Tell whether the actor's role cancels withdrawal requests anywhere."""
    return actor.role in ("farmer", "system", "township_officer")


def can_cancel_withdrawal(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor cancels the household's request before it takes effect (G3): the
    holder, or the township officer of its area."""
    return acts_for_household(actor, household_code) or township_officer_of(actor, household_code)


def role_may_review_withdrawal(actor: Actor) -> bool:
    """Tell whether the actor's role reviews withdrawals anywhere (the county decides, G4)."""
    return actor.role in ("system", "county_admin")


def can_review_withdrawal(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor finds whether a flagged request is voluntary (G4): the county
    administrator of the household's county."""
    return role_may_review_withdrawal(actor) and covers(actor, household_code)


def require_review_withdrawal(actor: Actor, household_code: str) -> None:
    """Refuse a review to anyone but the county administrator of the household's county.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or county.
    """
    require_certificate_issuer(actor, household_code)


def role_may_apply_withdrawals(actor: Actor) -> bool:
    """Tell whether the actor gives due withdrawals effect (the daily run, R1.14, R6.6, R7.11): a
    registry writer, in its area."""
    return actor.role in REGISTRY_WRITERS


def require_record_settlement(actor: Actor, code: str) -> None:
    """Refuse a settlement record outside a registry writer's area.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or area.
    """
    require_registry_writer(actor, code)
