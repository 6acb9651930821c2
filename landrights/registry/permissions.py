"""Who may read and change the register: collectives, households, persons, parcels, contracts
(R3.6: the register is the authoritative record; the county keeps it, the township manages
contracts in its area, R2.2, R3.2). Jurisdiction follows the code hierarchy (R4.5-R4.8): a record
lies in an official's area when its code starts with the area's code. A household's own account
reads its own household and the parcels of its contract (R1.3), nothing else.
can_<act> tells, require_<act> refuses.
"""
from __future__ import annotations

from landrights.accounts.permissions import (
    REGISTRY_WRITERS,
    Actor,
    covers,
    may_list_households,
    require_area,
    require_county_writer,
    require_registry_writer,
    sees_personal_data,
)


def reads_own_household_only(actor: Actor) -> bool:
    """Tell whether the actor's view of the register is its own household's (a farmer's account:
    its members and the parcels of its contract), not an area's."""
    return actor.role == "farmer"


def can_see_record(actor: Actor, code: str) -> bool:
    """Tell whether the actor reads the record with this code (collective, household, parcel): its
    area holds it (a farmer's area is its household)."""
    return covers(actor, code)


def require_see_record(actor: Actor, code: str) -> None:
    """Refuse a record outside the actor's area, from the code alone (no oracle of codes).

    Raises:
        Unauthenticated: anonymous. Forbidden: outside the area.
    """
    require_area(actor, code)


def can_list_households(actor: Actor) -> bool:
    """Tell whether the actor lists the households of an area it has."""
    return may_list_households(actor)


def can_list_collectives(actor: Actor) -> bool:
    """Tell whether the actor lists the collectives of its area: an official."""
    return actor.area_prefix is not None and not reads_own_household_only(actor)


def can_edit_register(actor: Actor, code: str) -> bool:
    """Tell whether the actor changes the register under this code (a collective, household,
    parcel, contract; members; conflicts of ID numbers): a registry writer of the area (the
    system, the county administrator, the township officer), never a clerk or a household."""
    return actor.role in REGISTRY_WRITERS and covers(actor, code)


def require_edit_register(actor: Actor, code: str) -> None:
    """Refuse registry changes except by a registry writer of the area.

    Raises:
        Unauthenticated: anonymous. Forbidden: wrong role or outside the jurisdiction.
    """
    require_registry_writer(actor, code)


def can_add_person(actor: Actor, county_code: str) -> bool:
    """Tell whether the actor records persons of the county (county-wide records): a registry
    writer working in that county."""
    prefix = actor.area_prefix
    return actor.role in REGISTRY_WRITERS and prefix is not None and \
        (prefix == "" or prefix[:6] == county_code)


def require_add_person(actor: Actor, county_code: str) -> None:
    """Refuse county-wide person records except to registry writers working in that county.

    Raises:
        Unauthenticated: anonymous. Forbidden: wrong role or another county.
    """
    require_county_writer(actor, county_code)


def can_see_personal_data(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor's job needs full ID numbers and phones of the household: the township
    officer and county administrator of its area (contracts, certificates) and the household
    itself; a collective's clerk keeps the roster by name and sees them masked."""
    return sees_personal_data(actor, household_code)
