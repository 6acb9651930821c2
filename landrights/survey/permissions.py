"""Who may bring survey results into the register and read them: the ownership survey (R5.2)
becomes parcels of a collective, so a registry writer of the collective's area imports it (the
system, the county administrator, the township officer); the officials of an area read its imports
and the county's quality rules; the county administrator switches the county's rules (R4.14 keeps
some on). A hand-up export (汇交, R5.9) carries full ID numbers: registry writers only.
can_<act> tells, require_<act> refuses, role_may_<act> checks the role before a lookup.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from landrights.accounts.permissions import (
    OFFICIAL_ROLES,
    Actor,
    covers,
    may_import_surveys,
    may_switch_rules,
    require_login,
    require_registry_writer,
)
from landrights.errors import Forbidden


def role_may_import_survey(actor: Actor) -> bool:
    """Tell whether the actor's role imports survey results anywhere (a registry writer): the
    survey upload's larger body limit is for these roles only."""
    return may_import_surveys(actor)


def can_import_survey(actor: Actor, collective_code: str) -> bool:
    """Tell whether the actor imports a survey of the collective's parcels (R5.2, R3.1): a registry
    writer of its area."""
    return role_may_import_survey(actor) and covers(actor, collective_code)


def require_import_survey(actor: Actor, code: str) -> None:
    """Refuse a survey import (of a collective's parcels or a household's contractor records)
    outside a registry writer's area.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or area.
    """
    require_registry_writer(actor, code)


def can_export_survey(actor: Actor, area_code: str) -> bool:
    """Tell whether the actor exports an area's data for hand-up (R5.9, with full ID numbers): a
    registry writer of the area."""
    return role_may_import_survey(actor) and covers(actor, area_code)


def require_export_survey(actor: Actor, area_code: str) -> None:
    """Refuse an export outside a registry writer's area (the package carries full ID numbers).

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or area.
    """
    require_registry_writer(actor, area_code)


def can_see_import(actor: Actor, collective_code: str) -> bool:
    """Tell whether the actor reads a survey import of the collective: anyone whose area holds it."""
    return covers(actor, collective_code)


def can_list_imports(actor: Actor) -> bool:
    """Tell whether the actor lists the latest imports of its area: an official (a farmer's area
    is its household, which no import is of)."""
    return actor.area_prefix is not None and actor.role != "farmer"


def can_see_rules(actor: Actor, county_code: str) -> bool:
    """Tell whether the actor reads the county's quality rules: an official of the county."""
    prefix = actor.area_prefix
    return actor.role in ("system", *OFFICIAL_ROLES) and prefix is not None and \
        (prefix == "" or prefix[:6] == county_code)


def require_see_rules(actor: Actor, county_code: str) -> None:
    """Refuse the county's quality rules to anyone but its officials.

    Raises:
        Unauthenticated: anonymous. Forbidden: not an official of this county.
    """
    require_login(actor)
    if not can_see_rules(actor, county_code):
        raise Forbidden(_l("Only officials of this county see its quality rules."))


def can_switch_rules(actor: Actor, county_code: str) -> bool:
    """Tell whether the actor switches the county's quality rules on or off: its administrator."""
    return may_switch_rules(actor, county_code)
