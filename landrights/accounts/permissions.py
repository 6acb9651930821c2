"""Who may see and change what: roles and jurisdictions, checked first by every service.

Jurisdiction follows the code hierarchy (R4.5-R4.8): every registry code starts with its
county (6), township (9) and collective (14) code, so a prefix decides whether a record lies
inside an official's area. A farmer sees only their own household.

This is the base of every domain's permissions.py (each names its acts: can_<act> tells,
require_<act> refuses, role_may_<act> checks the role before a lookup) and the accounts domain's
own: who administers accounts, looks after a household's, issues letters.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from landrights.errors import Forbidden, Unauthenticated, forbidden

OFFICIAL_ROLES = ("county_admin", "township_officer", "collective_clerk")
REGISTRY_WRITERS = ("system", "county_admin", "township_officer")


@dataclass(frozen=True)
class Actor:
    """The one acting: an account's role and jurisdiction, or the system (CLI, demo load)."""

    role: str
    user_id: int | None = None
    name: str = ""
    county_code: str | None = None
    township_code: str | None = None
    collective_code: str | None = None
    household_code: str | None = None

    @classmethod
    def of(cls, user) -> Actor:
        """Return the actor for a User row."""
        return cls(role=user.role, user_id=user.id, name=user.display_name,
                   county_code=user.county_code, township_code=user.township_code,
                   collective_code=user.collective_code, household_code=user.household_code)

    @property
    def area_prefix(self) -> str | None:
        """Return the code prefix of this actor's jurisdiction ('' = everything, None = none)."""
        return {
            "system": "",
            "county_admin": self.county_code,
            "township_officer": self.township_code,
            "collective_clerk": self.collective_code,
            "farmer": self.household_code,
        }.get(self.role)


SYSTEM = Actor(role="system", name="system")
ANONYMOUS = Actor(role="anonymous", name="")


# --- who the actor is: the building blocks of every domain's permissions.py ---------------------
# A role is compared only in a permissions.py module (tests/test_gates.py): elsewhere code asks a
# named question, here or in its domain's permissions.py (docs/architecture.md, "Permissions").

def is_system(actor: Actor) -> bool:
    """Tell whether the actor is the system (the command line, the demo load): it does every act."""
    return actor.role == "system"


def is_anonymous(actor: Actor) -> bool:
    """Tell whether nobody is logged in."""
    return actor.role == "anonymous"


def is_county_admin(actor: Actor) -> bool:
    """Tell whether the actor is a county administrator (the system is not one)."""
    return actor.role == "county_admin"


def is_household_account(account) -> bool:
    """Tell whether an account (an Actor, a User row, a letter) is a household's (a farmer's):
    it holds a household code as its area (R1.3: the household is the contracting party)."""
    return account.role == "farmer"


def acts_for_household(actor: Actor, household_code: str | None) -> bool:
    """Tell whether the actor is the household's own account (a farmer acting for it)."""
    return actor.role == "farmer" and actor.household_code == household_code


def own_household(actor: Actor) -> str | None:
    """Return the code of the household the actor acts for (a farmer's own), or None."""
    return actor.household_code if actor.role == "farmer" else None


def township_officer_of(actor: Actor, code: str) -> bool:
    """Tell whether the actor is the township officer of the area holding code (or the system):
    who runs notices, objection decisions, the market's desk and paper records (R2.2)."""
    return actor.role in ("system", "township_officer") and covers(actor, code)


def require_login(actor: Actor) -> None:
    """Refuse the anonymous public.

    Raises:
        Unauthenticated: no account.
    """
    if actor.role == "anonymous":
        raise Unauthenticated(_l("Please log in first."))


def covers(actor: Actor, code: str) -> bool:
    """Tell whether a registry code lies inside the actor's jurisdiction."""
    prefix = actor.area_prefix
    return prefix is not None and code.startswith(prefix)


def require_area(actor: Actor, code: str) -> None:
    """Refuse a record outside the actor's jurisdiction.

    Raises:
        Unauthenticated: anonymous. Forbidden: outside the jurisdiction.
    """
    require_login(actor)
    if not covers(actor, code):
        raise forbidden()


def require_registry_writer(actor: Actor, code: str) -> None:
    """Refuse registry changes except by the system, a county admin or a township officer in area.

    Raises:
        Unauthenticated: anonymous. Forbidden: wrong role or outside the jurisdiction.
    """
    require_login(actor)
    if actor.role not in REGISTRY_WRITERS or not covers(actor, code):
        raise forbidden()


def sees_personal_data(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor's job needs full ID numbers and phones of this household.

    Township officers and county administrators prepare contracts and certificates, and a farmer
    sees their own household; a collective clerk keeps the roster by name and sees them masked.
    """
    if actor.role in ("system", "county_admin", "township_officer"):
        return covers(actor, household_code)
    return actor.role == "farmer" and actor.household_code == household_code


def require_county_writer(actor: Actor, county_code: str) -> None:
    """Refuse county-wide records (persons) except to registry writers working in that county.

    Raises:
        Unauthenticated: anonymous. Forbidden: wrong role or another county.
    """
    require_login(actor)
    prefix = actor.area_prefix
    if actor.role not in REGISTRY_WRITERS or prefix is None or \
            not (prefix == "" or prefix[:6] == county_code):
        raise forbidden()


def may_import_surveys(actor: Actor) -> bool:
    """Tell whether the actor's role imports survey results (a registry writer)."""
    return actor.role in REGISTRY_WRITERS


def may_list_households(actor: Actor) -> bool:
    """Tell whether the actor has an area whose households it may list."""
    return actor.area_prefix is not None


def may_switch_rules(actor: Actor, county_code: str) -> bool:
    """Tell whether the actor switches the county's quality rules (its administrator)."""
    return actor.role == "system" or (actor.role == "county_admin"
                                       and actor.county_code == county_code)


def county_of(actor: Actor) -> str | None:
    """Return the county code of the actor's area, or None without one."""
    prefix = actor.area_prefix or ""
    return prefix[:6] if len(prefix) >= 6 else None


def require_notice_officer(actor: Actor, code: str) -> None:
    """Refuse notices, objection decisions and recorded sign-offs except to the township officer
    of the area (or the system).

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or township.
    """
    require_login(actor)
    if not township_officer_of(actor, code):
        raise forbidden()


def require_certificate_issuer(actor: Actor, code: str) -> None:
    """Refuse issuing, re-issuing, replacing and cancelling certificates except to the county
    administrator (the county government issues them, R3.3, R5.8) or the system.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or county.
    """
    require_login(actor)
    if actor.role not in ("system", "county_admin") or not covers(actor, code):
        raise forbidden()


# --- accounts: who administers them, who looks after a household's, who issues letters ---------

_NOT_ACCOUNT_ADMIN = _l("Only a county administrator manages accounts in their county.")


def can_administer_accounts(actor: Actor) -> bool:
    """Tell whether the actor administers accounts at all: the system, or a county administrator
    with its county (the county government keeps the register, R3.6)."""
    return actor.role == "system" or (actor.role == "county_admin" and bool(actor.county_code))


def require_administer_accounts(actor: Actor) -> None:
    """Refuse anyone but the system and a county administrator.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role.
    """
    require_login(actor)
    if not can_administer_accounts(actor):
        raise Forbidden(_NOT_ACCOUNT_ADMIN)


def can_manage_accounts(actor: Actor, area_codes) -> bool:
    """Tell whether the actor creates or changes accounts whose areas are area_codes: the system,
    or the county administrator of the county holding every one of them."""
    if actor.role == "system":
        return True
    county = actor.county_code or ""
    return actor.role == "county_admin" and bool(county) and all(str(c).startswith(county)
                                                                  for c in area_codes)


def require_manage_accounts(actor: Actor, area_codes) -> None:
    """Refuse accounts outside the actor's county (or any, to anyone but an administrator).

    Raises:
        Forbidden: not the system nor the county administrator of every area named.
    """
    if not can_manage_accounts(actor, area_codes):
        raise Forbidden(_NOT_ACCOUNT_ADMIN)


def can_list_accounts(actor: Actor) -> bool:
    """Tell whether the actor lists accounts: the system (all), a county administrator (its county's)."""
    return actor.role in ("system", "county_admin")


def can_give_area(actor: Actor, area_code: str) -> bool:
    """Tell whether the actor gives an account this area: the system any, a county administrator
    one in its county."""
    return actor.role == "system" or area_code.startswith(actor.county_code or "-")


def can_edit_account(actor: Actor, account) -> bool:
    """Tell whether an account's page offers its administrator to change the account's role and
    area (edit_account checks the rest): another's account, not a transferee's (a transferee
    registers itself in the market and has no area)."""
    return account.id != actor.user_id and account.role != "transferee"


def role_may_look_after_account(actor: Actor) -> bool:
    """Tell whether the actor is a township officer, who looks after its township's households'
    accounts (lifts a lock, prints a letter) without administering accounts."""
    return actor.role == "township_officer"


def can_look_after_account(actor: Actor, account) -> bool:
    """Tell whether a township officer looks after this account: a household's in its township."""
    return actor.role == "township_officer" and is_household_account(account) and \
        bool(actor.township_code) and (account.household_code or "").startswith(actor.township_code)


def has_own_account(actor: Actor) -> bool:
    """Tell whether the actor acts through an account of its own (not the public, not the system):
    it changes its own password."""
    return actor.role not in ("anonymous", "system")


def can_issue_token(actor: Actor, user_id: int) -> bool:
    """Tell whether the actor creates an API token for the account user_id: its own, or the system."""
    return actor.role == "system" or actor.user_id == user_id


def role_may_issue_letters(actor: Actor) -> bool:
    """Tell whether the actor's role issues activation letters anywhere (checked before a lookup)."""
    return actor.role in REGISTRY_WRITERS


def can_issue_letters(actor: Actor, area_code: str) -> bool:
    """Tell whether the actor issues activation letters for accounts of the area holding
    area_code: the system, the county administrator or the township officer of the area."""
    return role_may_issue_letters(actor) and covers(actor, area_code)


def require_issue_letters(actor: Actor, area_code: str) -> None:
    """Refuse letters except to the system, the county administrator and the township officer of
    the area (a household's, or a collective's).

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or area.
    """
    require_login(actor)
    if not can_issue_letters(actor, area_code):
        raise Forbidden(_l("Activation letters are issued by the township officer or the county "
                           "administrator of the area."))
