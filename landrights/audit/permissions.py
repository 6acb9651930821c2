"""Who may check the register's hash chain and read its signed heads (R3.6: the register is the
authoritative record). Verifying the chain and signing the daily head are the operator's jobs on
the command line (the system); the county administrator reads its county's heads and last check
on the Tamper check page; anyone reads the published heads.
can_<act> tells, require_<act> refuses.
"""
from __future__ import annotations

from landrights.accounts.permissions import Actor
from landrights.errors import forbidden


def can_verify_register(actor: Actor) -> bool:
    """Tell whether the actor verifies chains and records signed heads: the operator (the system,
    the command line's actor)."""
    return actor.role == "system"


def require_verify_register(actor: Actor) -> None:
    """Refuse verification and signing to anyone but the operator.

    Raises:
        Forbidden: not the system.
    """
    if not can_verify_register(actor):
        raise forbidden()


def can_see_register_heads(actor: Actor) -> bool:
    """Tell whether the actor opens the Tamper check page of its county: a county administrator."""
    return actor.role == "county_admin" and bool(actor.county_code)


def require_see_register_heads(actor: Actor) -> None:
    """Refuse the Tamper check page to anyone but a county administrator.

    Raises:
        Forbidden: another role.
    """
    if not can_see_register_heads(actor):
        raise forbidden()
