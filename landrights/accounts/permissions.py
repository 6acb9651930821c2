"""Who may see and change what: roles and jurisdictions, checked first by every service.

Jurisdiction follows the code hierarchy (R4.5-R4.8): every registry code starts with its
county (6), township (9) and collective (14) code, so a prefix decides whether a record lies
inside an official's area. A farmer sees only their own household.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from landrights.errors import Unauthenticated, forbidden

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
    if actor.role not in ("system", "township_officer") or not covers(actor, code):
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
