"""Who may read the map's layers (vector tiles, OGC API features): any account, each seeing the
parcels of its own scope (registry.permissions: a household's, an official's area); open listings
are public facts on the market page, but the map needs an account.
can_<act> tells, require_<act> refuses.
"""
from __future__ import annotations

from landrights.accounts.permissions import Actor, require_login


def can_see_map(actor: Actor) -> bool:
    """Tell whether the actor reads the map's layers: any account, not the anonymous public."""
    return actor.role != "anonymous"


def require_see_map(actor: Actor) -> None:
    """Refuse the map to the anonymous public.

    Raises:
        Unauthenticated: anonymous.
    """
    require_login(actor)
