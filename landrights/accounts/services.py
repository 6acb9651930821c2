"""Account use cases: create users, log in with throttling, issue and check API tokens."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from landrights.accounts import rules
from landrights.accounts.models import ROLES, ApiToken, User
from landrights.accounts.permissions import Actor
from landrights.db import flush_or_raise
from landrights.errors import (
    Forbidden,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    ValidationFailed,
)
from landrights.registry.models import Household

_DUMMY_HASH = generate_password_hash("timing-equaliser", method="pbkdf2:sha256:1000")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_user(session: Session, actor: Actor, *, username: str, password: str, role: str,
                display_name: str, hash_method: str = "scrypt", **jurisdiction) -> User:
    """Create an account with a role and its jurisdiction.

    Raises:
        Forbidden: only the system or a county admin (in their county) creates accounts.
        ValidationFailed: unknown role, missing jurisdiction, short password, unknown household.
    """
    _require_account_admin(actor, jurisdiction)
    if role not in ROLES:
        raise ValidationFailed(_l("Unknown role: %(role)s", role=role), field="role")
    needed = ROLES[role][2]
    if needed and not jurisdiction.get(needed):
        raise ValidationFailed(_l("The role %(role)s needs %(field)s.", role=role, field=needed),
                               field=needed)
    if len(password) < 8:
        raise ValidationFailed(_l("A password needs at least 8 characters."), field="password")
    if role == "farmer":
        _check_household(session, jurisdiction["household_code"])
    user = User(username=username, display_name=display_name, role=role,
                password_hash=generate_password_hash(password, method=hash_method),
                **{k: v for k, v in jurisdiction.items() if v})
    session.add(user)
    flush_or_raise(session)
    return user


def _require_account_admin(actor: Actor, jurisdiction: dict) -> None:
    if actor.role == "system":
        return
    county = actor.county_code or ""
    codes = [v for v in jurisdiction.values() if v]
    if actor.role != "county_admin" or not county or \
            not all(str(c).startswith(county) for c in codes):
        raise Forbidden(_l("Only a county administrator creates accounts in their county."))


def _check_household(session: Session, household_code: str) -> None:
    exists = session.scalar(sa.select(sa.func.count()).where(Household.code == household_code))
    if not exists:
        raise ValidationFailed(_l("No household with code %(code)s.", code=household_code),
                               field="household_code")


def authenticate(session: Session, username: str, password: str, *, max_failures: int = 5,
                 lock_minutes: int = 15, now: datetime | None = None) -> User:
    """Return the user for a correct user name and password, counting failures.

    Raises:
        TooManyAttempts: the account is locked after repeated failures.
        Unauthenticated: wrong user name or password (one message for both).
    """
    now = now or _utcnow()
    user = session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.lower())
                          .with_for_update())
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # same work whether or not the name exists
        raise Unauthenticated(_l("Wrong user name or password."), field="password")
    if rules.is_locked(user.locked_until, now):
        raise TooManyAttempts(_l("Too many failed logins: this account is locked for a while. "
                                 "Try again later or ask your administrator."))
    if not user.is_active or not check_password_hash(user.password_hash, password):
        user.failed_logins, user.locked_until = rules.after_failure(
            user.failed_logins, now, max_failures=max_failures, lock_minutes=lock_minutes)
        session.flush()
        raise Unauthenticated(_l("Wrong user name or password."), field="password")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    session.flush()
    return user


def issue_token(session: Session, actor: Actor, username: str, name: str = "api") -> str:
    """Create an API token for a user and return it; only its digest is kept.

    Raises:
        Forbidden: only the system, or the user themself. NotFound: no such user.
    """
    user = session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.lower()))
    if user is None:
        raise NotFound(_l("No user %(name)s.", name=username), field="username")
    if actor.role != "system" and actor.user_id != user.id:
        raise Forbidden(_l("You may only create tokens for yourself."))
    token = rules.new_token()
    session.add(ApiToken(user=user, name=name, token_hash=rules.token_digest(token)))
    flush_or_raise(session)
    return token


@dataclass(frozen=True, eq=False)
class TokenUser(UserMixin):
    """The account of a bearer-token request, as Flask-Login, Actor.of and the templates read it:
    only an active account's role, name and jurisdiction (no ORM entity, no relationships)."""

    id: int
    role: str
    display_name: str
    county_code: str | None
    township_code: str | None
    collective_code: str | None
    household_code: str | None


_users, _tokens = User.__table__.c, ApiToken.__table__.c
# one Core statement, compiled once: a live token (not revoked, not expired) of an active account
_TOKEN_USER = (sa.select(*[_users[f.name] for f in fields(TokenUser)])
               .select_from(ApiToken.__table__.join(User.__table__, _users.id == _tokens.user_id))
               .where(_tokens.token_hash == sa.bindparam("digest", type_=sa.String),
                      _tokens.revoked_at.is_(None),
                      sa.or_(_tokens.expires_at.is_(None),
                             _tokens.expires_at > sa.bindparam("now", type_=sa.DateTime(timezone=True))),
                      _users.is_active))


def user_for_token(session: Session, token: str, now: datetime | None = None) -> TokenUser | None:
    """Return the active account a live bearer token belongs to, or None (unknown, revoked or
    expired token, or a deactivated account): checked in the database on every request."""
    row = session.connection().execute(_TOKEN_USER, {"digest": rules.token_digest(token),
                                                     "now": now or _utcnow()}).first()
    return None if row is None else TokenUser(*row)


def list_users(session: Session, actor: Actor) -> list[User]:
    """List accounts the actor administers.

    Raises:
        Forbidden: only the system or a county admin lists accounts.
    """
    query = sa.select(User).order_by(User.username)
    if actor.role == "county_admin":
        query = query.where(sa.or_(User.county_code == actor.county_code,
                                   User.township_code.startswith(actor.county_code),
                                   User.collective_code.startswith(actor.county_code),
                                   User.household_code.startswith(actor.county_code)))
    elif actor.role != "system":
        raise Forbidden(_l("Only a county administrator lists accounts."))
    return list(session.scalars(query))
