"""Reads of the account pages: the collectives whose households get letters, a collective's
households with their accounts, and an account's latest letter."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from landrights.accounts import login, rules
from landrights.accounts.models import ActivationCode, User
from landrights.accounts.permissions import (
    Actor,
    require_issue_letters,
    require_login,
    role_may_issue_letters,
)
from landrights.errors import Forbidden, NotFound
from landrights.registry.models import Collective, Household


@dataclass(frozen=True)
class CollectiveCount:
    """A collective with how many of its households have an account, and how many activated it."""

    code: str
    name: str
    households: int
    accounts: int
    activated: int


@dataclass(frozen=True)
class HouseholdAccount:
    """A household of a collective, its account (if any), that account's state and latest letter."""

    code: str
    name: str
    user: User | None
    state: str  # none, awaiting, active, locked, deactivated
    letter: ActivationCode | None


def letter_collectives(session: Session, actor: Actor, q: str | None = None) -> list[CollectiveCount]:
    """List the collectives of the actor's area (township officer, county administrator) with their
    households' accounts counted; q finds by part of the name or the start of the code.

    Raises:
        Unauthenticated: anonymous. Forbidden: another role.
    """
    require_login(actor)
    if not role_may_issue_letters(actor):
        raise Forbidden(_not_issuer())
    account = (sa.select(User.password_hash).where(User.role == "farmer",
                                                   User.household_code == Household.code)
               .order_by(User.id).limit(1).lateral("account"))
    query = (sa.select(Collective.code, Collective.name, sa.func.count(Household.id),
                       sa.func.count(account.c.password_hash),
                       sa.func.count(account.c.password_hash).filter(
                           account.c.password_hash != rules.NO_PASSWORD))
             .select_from(Collective)
             .outerjoin(Household, Household.collective_code == Collective.code)
             .outerjoin(account, sa.true())
             .where(Collective.code.startswith(actor.area_prefix or "", autoescape=True))
             .group_by(Collective.code, Collective.name).order_by(Collective.code))
    if q:
        query = query.where(sa.or_(Collective.name.contains(q, autoescape=True),
                                   Collective.code.startswith(q, autoescape=True)))
    return [CollectiveCount(*row) for row in session.execute(query)]


def _not_issuer():
    from flask_babel import lazy_gettext as _l

    return _l("Activation letters are issued by the township officer or the county administrator of "
              "the area.")


def collective_accounts(session: Session, actor: Actor, collective_code: str) -> tuple[Collective, list]:
    """Return a collective and its households, each with its account, state and latest letter.

    Raises:
        Forbidden: not the collective's township officer or county administrator. NotFound: no
            such collective.
    """
    require_issue_letters(actor, collective_code)
    collective = session.scalar(sa.select(Collective).where(Collective.code == collective_code))
    if collective is None:
        from flask_babel import lazy_gettext as _l

        raise NotFound(_l("No collective with code %(code)s.", code=collective_code), field="code")
    households = session.scalars(sa.select(Household).where(Household.collective_code == collective_code)
                                 .order_by(Household.code)).all()
    users = {u.household_code: u for u in session.scalars(
        sa.select(User).where(User.role == "farmer", User.household_code.startswith(collective_code))
        .order_by(User.id.desc()))}
    letters = latest_letters(session, [u.id for u in users.values()])
    locks = login.locked_names(session, [u.username for u in users.values()])
    rows = []
    for h in households:
        user = users.get(h.code)
        state = "none" if user is None else rules.account_state(
            is_active=user.is_active, password_hash=user.password_hash,
            locked=user.username.lower() in locks)
        rows.append(HouseholdAccount(h.code, h.name, user, state, letters.get(user.id) if user else None))
    return collective, rows


def latest_letters(session: Session, user_ids: list[int]) -> dict[int, ActivationCode]:
    """Return {account id: its latest activation code} for the accounts that have one."""
    if not user_ids:
        return {}
    rows = session.scalars(sa.select(ActivationCode).where(ActivationCode.user_id.in_(user_ids))
                           .order_by(ActivationCode.user_id, ActivationCode.id.desc())
                           .ext(distinct_on(ActivationCode.user_id)))
    return {row.user_id: row for row in rows}


def letter_state(letter: ActivationCode | None, now: datetime) -> str | None:
    """Return what became of a letter: used, voided, expired or open (None: no letter)."""
    if letter is None:
        return None
    if letter.used_at:
        return "used"
    if letter.voided_at:
        return "voided"
    return "expired" if letter.expires_at <= now else "open"
