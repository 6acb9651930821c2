"""Who may do what in the land market: each act named as its service is (CKAN-style); can_<act>
tells (pages, templates through `can`), require_<act> refuses (services), role_may_<act> checks
the role before a record is looked up, so a refusal tells nobody whether a code exists.

The household decides whether, to whom and how its land is transferred (R2.3), itself or through
an agent holding its written entrustment (R2.4: entrustments.require_agent_for, a lookup, not a
role). The township officer of the household's area runs the desk: deposits, the award, the
uniform contract and its paper signatures, filing and the ledger, registration, pledges (R2.2,
R2.10-R2.13, R8.4). The county administrator reviews social capital (R1.28) and oversees. A
transferee is any account registered as one (R1.21(4)); its own records say what it may do.
"""
from __future__ import annotations

from landrights.accounts.permissions import (
    OFFICIAL_ROLES,
    Actor,
    acts_for_household,
    covers,
    require_login,
    township_officer_of,
)
from landrights.errors import forbidden

AGENT_ROLES = ("farmer", "transferee", "collective_clerk")  # who may hold an entrustment (R2.4)


def can_register_transferee(actor: Actor) -> bool:
    """Tell whether the actor registers its account as a transferee: any account (R1.21(4): it
    declares its operating capacity; the county reviews social capital, R1.28)."""
    return actor.role != "anonymous"


def can_list_land(actor: Actor, household_code: str | None) -> bool:
    """Tell whether the actor lists the household's land itself: the household's own account
    (R2.3; an agent lists by its entrustment, R2.4)."""
    return bool(household_code) and acts_for_household(actor, household_code)


def can_entrust(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor records an entrustment of the household: the household itself in the
    app, or the township officer of its area from the paper signed by both (R2.4)."""
    return acts_for_household(actor, household_code) or township_officer_of(actor, household_code)


def can_entrust_in_app(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor gives the household's consent to an entrustment in the app (the
    agent then accepts): the household's own account; an officer records the paper instead."""
    return acts_for_household(actor, household_code)


def can_revoke_entrustment(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor revokes the household's entrustment: the household, or the township
    officer of its area on its written revocation (the agent renounces it, by its record)."""
    return acts_for_household(actor, household_code) or township_officer_of(actor, household_code)


def can_be_agent(account, household_code: str) -> bool:
    """Tell whether an account may be the household's agent (R2.4 names the 发包方, an
    intermediary or another person): the clerk of its own collective, another household's account,
    or a transferee's; never the household's own, never an official who supervises the transfer."""
    return account.role in AGENT_ROLES and (
        account.role == "transferee"
        or (account.role == "farmer" and account.household_code != household_code)
        or (account.role == "collective_clerk" and account.collective_code == household_code[:14]))


def can_withdraw_listing(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor withdraws the household's open listing nobody bid on: the household
    itself or the township officer of its area (an agent by its entrustment, R2.4)."""
    return acts_for_household(actor, household_code) or township_officer_of(actor, household_code)


def can_see_all_bids(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor sees every bid on the household's listing: the household, the
    township officer and county administrator of its area (the agent who listed it, by its
    entrustment); a bidder sees its own bids only."""
    return acts_for_household(actor, household_code) or (
        actor.role in ("system", "county_admin", "township_officer") and covers(actor, household_code))


def can_see_transfer(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor sees the household's transfer contracts: the household and the
    officials of its area (the transferee of one, by its record)."""
    return acts_for_household(actor, household_code) or (
        actor.role in ("system", *OFFICIAL_ROLES) and covers(actor, household_code))


def can_sign_contract(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor signs the household's transfer contract as the household: its own
    account (the transferee signs by its record; an agent by its entrustment, R2.4)."""
    return acts_for_household(actor, household_code)


def role_may_record_rent(actor: Actor) -> bool:
    """Tell whether the actor's role records rent payments anywhere."""
    return actor.role in ("farmer", "system", "township_officer")


def can_record_rent(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor records a rent payment the household received (R1.22): the household
    itself or the township officer of its area."""
    return acts_for_household(actor, household_code) or township_officer_of(actor, household_code)


def role_may_terminate(actor: Actor) -> bool:
    """Tell whether the actor's role terminates transfer contracts anywhere."""
    return actor.role in ("farmer", "collective_clerk")


def can_terminate(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor terminates the household's transfer for a statutory cause: the
    household (R1.25) or, when it does not act, its collective's clerk (R1.26)."""
    return acts_for_household(actor, household_code) or (
        actor.role == "collective_clerk" and actor.collective_code == household_code[:14])


def role_may_consent_to_retransfer(actor: Actor) -> bool:
    """Tell whether the actor's role records a household's consent to a re-transfer anywhere."""
    return actor.role in ("farmer", "system", "township_officer")


def can_consent_to_retransfer(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor records the household's written consent to a re-transfer (R1.29):
    the household in the app, or the township officer of its area with the signed paper."""
    return acts_for_household(actor, household_code) or township_officer_of(actor, household_code)


def role_may_work_desk(actor: Actor) -> bool:
    """Tell whether the actor's role works a township's market desk anywhere."""
    return actor.role in ("system", "township_officer")


def can_work_desk(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor does the township's steps for the household's land: deposits (R8.4),
    the award, the uniform contract and its paper signatures (R2.11), registration (R1.24), a
    lapsed award, pledges and their release (R1.30, R2.10): the township officer of its area."""
    return township_officer_of(actor, household_code)


def require_work_desk(actor: Actor, household_code: str) -> None:
    """Refuse the township's steps for the household's land to anyone but its township officer.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or township.
    """
    require_login(actor)
    if not can_work_desk(actor, household_code):
        raise forbidden()


def can_review_capital(actor: Actor, county_code: str) -> bool:
    """Tell whether the actor records the county's review of a social-capital transferee (R1.28):
    the county administrator of the county."""
    return actor.role in ("system", "county_admin") and covers(actor, county_code)


def require_review_capital(actor: Actor, county_code: str) -> None:
    """Refuse the review of social capital to anyone but the county's administrator.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or county.
    """
    require_login(actor)
    if not can_review_capital(actor, county_code):
        raise forbidden()


def can_find_transferees(actor: Actor) -> bool:
    """Tell whether the actor looks transferees up by name (to record a deposit): the township
    officer and the county administrator."""
    return actor.role in ("system", "county_admin", "township_officer")


def can_see_statistics(actor: Actor) -> bool:
    """Tell whether the actor sees the transfer statistics of its area: an official."""
    return actor.role in ("system", *OFFICIAL_ROLES)


def can_open_ledger(actor: Actor) -> bool:
    """Tell whether the market page links the actor to the township's ledger (R2.12) and the
    pledges (R2.10): the township officer and the county administrator."""
    return actor.role in ("township_officer", "county_admin")


def can_verify_identities(actor: Actor) -> bool:
    """Tell whether the actor verifies a transferee's identity from the ID card it saw: a township
    officer (for persons of its township; member priority rests on it, R1.21(5))."""
    return actor.role == "township_officer"
