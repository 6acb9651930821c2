"""Who may record homesteads (宅基地, R6.x): the township approves a homestead (R6.4) and the
register records it and a house's disposal (R6.5), so a registry writer of the household's area
does (the system, the county administrator, the township officer). A homestead's withdrawal is the
effect of the holder's own request (rights.permissions).
can_<act> tells, require_<act> refuses.
"""
from __future__ import annotations

from landrights.accounts.permissions import REGISTRY_WRITERS, Actor, covers, require_registry_writer


def can_record_homestead(actor: Actor, household_code: str) -> bool:
    """Tell whether the actor records the household's approved homestead or its house's disposal:
    a registry writer of its area."""
    return actor.role in REGISTRY_WRITERS and covers(actor, household_code)


def require_record_homestead(actor: Actor, household_code: str) -> None:
    """Refuse homestead records outside a registry writer's area.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or area.
    """
    require_registry_writer(actor, household_code)
