"""Logging in: throttled password checks and login sessions kept on the server.

A session cookie carries only a random session id (signed by Flask with SECRET_KEY); the row it
names must be live here on every request, so logout, a password change, deactivation or a key
rotation ends a session for good, and SECRET_KEY alone cannot forge one.

Failed logins are counted per (user name as typed, source address) and per user name over every
source, whether or not an account has the name: an unknown name, a wrong password and a locked
pair cost the same work and answer alike for names that exist and names that do not, and a
lock from one address does not lock the farmer out from another (only the much higher
all-sources count does, against guessing spread over many addresses).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from landrights.accounts import rules
from landrights.accounts.models import LoginSession, LoginThrottle, User
from landrights.errors import TooManyAttempts, Unauthenticated

TOUCH_EVERY = timedelta(minutes=1)  # how stale last_seen_at may get before a request writes it
FORGET_AFTER = timedelta(days=1)  # throttle rows untouched this long (and unlocked) are deleted


@dataclass(frozen=True)
class Policy:
    """The login settings (config LOGIN_* and SESSION_*)."""

    max_failures: int = 5  # per user name and source address
    account_max_failures: int = 50  # per user name over every source
    lock_minutes: int = 15
    idle_minutes: int = 30
    max_hours: int = 12
    password_method: str = "scrypt"

    @classmethod
    def of(cls, config) -> Policy:
        """Read the policy from the app's config."""
        return cls(max_failures=config["LOGIN_MAX_FAILURES"],
                   account_max_failures=config["LOGIN_ACCOUNT_MAX_FAILURES"],
                   lock_minutes=config["LOGIN_LOCK_MINUTES"],
                   idle_minutes=config["SESSION_IDLE_MINUTES"], max_hours=config["SESSION_MAX_HOURS"],
                   password_method=config["PASSWORD_METHOD"])


def _utcnow() -> datetime:
    return datetime.now(UTC)


@cache
def dummy_hash(method: str) -> str:
    """Return a hash made with the accounts' own method: checking a password against it costs what
    checking a real account's does, so the time taken tells nothing about which names exist."""
    return generate_password_hash("timing-equaliser", method=method)


def authenticate(session: Session, username: str, password: str, *, source: str | None,
                 policy: Policy = Policy(), now: datetime | None = None) -> User:
    """Return the active account for a correct user name and password, counting failures.

    Raises:
        TooManyAttempts: too many failures for this name from this source (or from all sources).
        Unauthenticated: wrong user name or password, or a deactivated account (one message).
    """
    now = now or _utcnow()
    key = username.strip().lower()[:64]
    pair, everywhere = _throttle_rows(session, key, rules.source_key(source))
    user = session.scalar(sa.select(User).where(sa.func.lower(User.username) == key))
    hashed = user.password_hash if user is not None else dummy_hash(policy.password_method)
    password_ok = check_password_hash(hashed, password)  # done even when locked: same work
    if rules.is_locked(pair.locked_until, now) or rules.is_locked(everywhere.locked_until, now):
        raise TooManyAttempts(_l("Too many failed logins with this user name. Wait %(minutes)s "
                                 "minutes, or ask your county administrator to lift the lock.",
                                 minutes=policy.lock_minutes), field="username")
    if user is None or not user.is_active or not password_ok:
        _count_failure(pair, now, policy.max_failures, policy.lock_minutes)
        _count_failure(everywhere, now, policy.account_max_failures, policy.lock_minutes)
        session.flush()
        raise Unauthenticated(_l("Wrong user name or password."), field="password")
    session.delete(pair)  # a success forgets this source's failures; the all-sources count stays
    user.last_login_at = now
    session.flush()
    return user


def _throttle_rows(session: Session, key: str, source: str) -> tuple[LoginThrottle, LoginThrottle]:
    """Return the (name, source) and (name, every source) rows, created if new and locked until
    the caller commits, so parallel attempts at one name are counted one after another."""
    table = LoginThrottle.__table__
    rows = [{"username": key, "source": source}, {"username": key, "source": rules.ALL_SOURCES}]
    session.execute(insert(table).values(rows).on_conflict_do_nothing())
    found = session.scalars(sa.select(LoginThrottle).where(
        LoginThrottle.username == key, LoginThrottle.source.in_([source, rules.ALL_SOURCES]))
        .order_by(LoginThrottle.source == rules.ALL_SOURCES).with_for_update()
        .execution_options(populate_existing=True)).all()
    return found[0], found[1]


def throttled(session: Session, key: str, source: str | None, *, policy: Policy,
              now: datetime) -> tuple[LoginThrottle, LoginThrottle, bool]:
    """Return the failure counts of key (a user name, or what else is guessed at: an activation)
    from the source and from every source, locked until the caller commits, and whether either
    holds a lock in force. The one throttle of logins and activations."""
    pair, everywhere = _throttle_rows(session, key, rules.source_key(source))
    locked = rules.is_locked(pair.locked_until, now) or rules.is_locked(everywhere.locked_until, now)
    return pair, everywhere, locked


def count_failure(pair: LoginThrottle, everywhere: LoginThrottle, *, policy: Policy,
                  now: datetime) -> None:
    """Count one more failure from the source and from every source (locking at the limits)."""
    _count_failure(pair, now, policy.max_failures, policy.lock_minutes)
    _count_failure(everywhere, now, policy.account_max_failures, policy.lock_minutes)


def _count_failure(row: LoginThrottle, now: datetime, max_failures: int, lock_minutes: int) -> None:
    row.failures, row.window_started_at, row.locked_until = rules.after_failure(
        row.failures, row.window_started_at, now, max_failures=max_failures,
        lock_minutes=lock_minutes)
    row.updated_at = now


def forget_old_failures(session: Session, now: datetime | None = None, limit: int = 500) -> int:
    """Delete throttle rows nobody has failed on for a day and that hold no lock; return how many.
    Rows another login holds are skipped, never waited for: run it in a transaction of its own
    (after the login's commit), so it can never deadlock with one."""
    now = now or _utcnow()
    old = (sa.select(LoginThrottle.username, LoginThrottle.source)
           .where(LoginThrottle.updated_at < now - FORGET_AFTER,
                  sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now))
           .limit(limit).with_for_update(skip_locked=True))
    result = session.execute(sa.delete(LoginThrottle).where(
        sa.tuple_(LoginThrottle.username, LoginThrottle.source).in_(old)))
    return result.rowcount


def start_session(session: Session, user: User, *, source: str | None, user_agent: str | None,
                  now: datetime | None = None) -> str:
    """Open a login session for an authenticated account; set and return its raw id (for the
    cookie; only its digest is stored)."""
    token = rules.new_session_id()
    now = now or _utcnow()
    session.add(LoginSession(user_id=user.id, token_hash=rules.token_digest(token), created_at=now,
                             last_seen_at=now, source_address=(source or "unknown")[:64],
                             user_agent=(user_agent or "")[:200]))
    session.flush()
    user.login_token = token
    return token


def resume_session(session: Session, token: str, *, policy: Policy = Policy(),
                   now: datetime | None = None) -> User | None:
    """Return the active account of a live login session (not ended, not idle or too old), its
    last-seen time moved on if stale; None for any other session id."""
    now = now or _utcnow()
    found = session.execute(
        sa.select(LoginSession, User).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == rules.token_digest(token),
               LoginSession.ended_at.is_(None), User.is_active)
        .execution_options(populate_existing=True)).first()
    if found is None:
        return None
    login, user = found
    if rules.session_expired(login.created_at, login.last_seen_at, now,
                             idle_minutes=policy.idle_minutes, max_hours=policy.max_hours):
        return None
    if login.last_seen_at < now - TOUCH_EVERY:
        login.last_seen_at = now
        session.flush()
    user.login_token = token
    return user


def end_session(session: Session, token: str, reason: str = "logout",
                now: datetime | None = None) -> None:
    """End one login session (logout)."""
    session.execute(sa.update(LoginSession)
                    .where(LoginSession.token_hash == rules.token_digest(token),
                           LoginSession.ended_at.is_(None))
                    .values(ended_at=now or _utcnow(), end_reason=reason))


def end_sessions(session: Session, *, user_id: int | None, reason: str, keep: str | None = None,
                 now: datetime | None = None) -> int:
    """End every live login session of an account (user_id None: of every account), except the
    one whose raw id is keep; return how many were ended."""
    query = sa.update(LoginSession).where(LoginSession.ended_at.is_(None))
    if user_id is not None:
        query = query.where(LoginSession.user_id == user_id)
    if keep:
        query = query.where(LoginSession.token_hash != rules.token_digest(keep))
    return session.execute(query.values(ended_at=now or _utcnow(), end_reason=reason)).rowcount


def lift_locks(session: Session, username: str) -> int:
    """Delete the failed-login counts and locks of a user name from every source, and those of its
    activation; return how many rows went. (Permission: accounts.services.unlock_login checks it.)"""
    names = [username.strip().lower(), rules.activation_key(username)]
    return session.execute(sa.delete(LoginThrottle).where(LoginThrottle.username.in_(names))).rowcount


def locked_names(session: Session, usernames: list[str], now: datetime | None = None) -> dict:
    """Return {lower-cased user name: locked until} for the names with a lock in force on their
    login or their activation."""
    keys = {u.lower(): u.lower() for u in usernames}
    keys.update({rules.activation_key(u): u.lower() for u in usernames})
    rows = session.execute(
        sa.select(LoginThrottle.username, sa.func.max(LoginThrottle.locked_until))
        .where(LoginThrottle.username.in_(list(keys)),
               LoginThrottle.locked_until > (now or _utcnow()))
        .group_by(LoginThrottle.username))
    locks: dict = {}
    for key, until in rows:
        name = keys[key]
        locks[name] = max(locks.get(name, until), until)
    return locks
