"""The record of account changes (account_changes): who changed an account, when, and what became
of its role, area and state. Never a password: a password change is recorded as an event only."""
from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights.accounts.models import ROLES, AccountChange, User
from landrights.accounts.permissions import Actor


class Snapshot(NamedTuple):
    """An account's role, the code of its area and whether it may log in."""

    role: str
    area: str | None
    active: bool


def area_of(user) -> str | None:
    """Return the code of the area an account's role works in (None for a transferee)."""
    column = ROLES.get(user.role, (None, None, None))[2]
    return getattr(user, column) if column else None


def snapshot(user: User) -> Snapshot:
    """Return what account_changes keeps of an account."""
    return Snapshot(user.role, area_of(user), bool(user.is_active))


def record(session: Session, actor: Actor, user: User, action: str,
           before: Snapshot | None = None) -> AccountChange:
    """Record one change of an account by the actor (flushed, so the account has its id)."""
    if user.id is None:
        session.flush()
    after = snapshot(user)
    before = before or (None if action == "created" else after)
    area = after.area or (before.area if before else None)
    row = AccountChange(
        county_code=area[:6] if area else None, user_id=user.id, actor_id=actor.user_id,
        actor_name=(actor.name or actor.role)[:100], action=action, **_before(before),
        role_after=after.role, area_after=after.area, active_after=after.active)
    session.add(row)
    return row


def _before(before: Snapshot | None) -> dict:
    """Return the columns of the account as it was (none for a new account)."""
    if before is None:
        return {"role_before": None, "area_before": None, "active_before": None}
    return {"role_before": before.role, "area_before": before.area, "active_before": before.active}


def history(session: Session, user: User, limit: int = 200) -> list[AccountChange]:
    """Return an account's changes, newest first."""
    return list(session.scalars(sa.select(AccountChange).where(AccountChange.user_id == user.id)
                                .order_by(AccountChange.id.desc()).limit(limit)))
