"""Who may keep a collective economic organization's records: its roster of members (R7.x), the
shares quantified to them and the dividends paid on them. The collective's clerk keeps them; the
township officer and the county administrator of its area may act for it; anyone of the area reads
the roster. can_<act> tells, require_<act> refuses, role_may_<act> checks the role before a lookup.
"""
from __future__ import annotations

from landrights.accounts.permissions import OFFICIAL_ROLES, Actor, covers, require_area, require_login
from landrights.errors import forbidden

ROSTER_KEEPERS = ("system", *OFFICIAL_ROLES)


def role_may_keep_roster(actor: Actor) -> bool:
    """Tell whether the actor's role keeps rosters, shares and dividends anywhere (an official)."""
    return actor.role in ROSTER_KEEPERS


def can_keep_roster(actor: Actor, collective_code: str) -> bool:
    """Tell whether the actor admits and ends members, quantifies and moves shares, and records
    distributions and payouts of the collective: its clerk, the township officer or the county
    administrator of its area."""
    return role_may_keep_roster(actor) and covers(actor, collective_code)


def require_keep_roster(actor: Actor, collective_code: str) -> None:
    """Refuse roster, share and dividend changes except to the collective's clerk, the township
    officer or county administrator of its area, or the system.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or area.
    """
    require_login(actor)
    if not can_keep_roster(actor, collective_code):
        raise forbidden()


def require_keeper_role(actor: Actor) -> None:
    """Refuse, before any lookup, an actor whose role never keeps a roster.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role.
    """
    require_login(actor)
    if not role_may_keep_roster(actor):
        raise forbidden()


def can_see_roster(actor: Actor, collective_code: str) -> bool:
    """Tell whether the actor reads the collective's roster: anyone whose area holds it."""
    return covers(actor, collective_code)


def require_see_roster(actor: Actor, collective_code: str) -> None:
    """Refuse a roster outside the actor's area.

    Raises:
        Unauthenticated: anonymous. Forbidden: outside the area.
    """
    require_area(actor, collective_code)
