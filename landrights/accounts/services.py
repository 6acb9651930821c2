"""Account use cases: create accounts, set passwords, deactivate, lift login locks, issue and
revoke API tokens. Logging in and login sessions are in accounts.login."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from landrights.accounts import changes, linking, login, rules
from landrights.accounts.models import ROLES, ActivationCode, ApiToken, User
from landrights.accounts.permissions import (
    Actor,
    can_issue_token,
    can_list_accounts,
    can_look_after_account,
    has_own_account,
    is_system,
    require_administer_accounts,
    require_manage_accounts,
    role_may_look_after_account,
)
from landrights.db import flush_or_raise
from landrights.errors import Conflict, Forbidden, Formatted, NotFound, ValidationFailed
from landrights.registry.models import Household

PASSWORD_MIN_LENGTH = 10
TOKEN_DAYS = 90


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_user(session: Session, actor: Actor, *, username: str, password: str, role: str,
                display_name: str, hash_method: str = "scrypt",
                min_length: int = PASSWORD_MIN_LENGTH, person: str | None = None,
                **jurisdiction) -> User:
    """Create an account with a role and its jurisdiction; person (an ID number) links it to the
    person it belongs to (see link_person).

    Raises:
        Forbidden: only the system or a county admin (in their county) creates accounts.
        ValidationFailed: unknown role, missing jurisdiction, weak password, unknown household,
            no such person (in the household, for a farmer). Conflict: the person has an account.
    """
    _require_account_admin(actor, jurisdiction)
    if role not in ROLES:
        raise ValidationFailed(_l("Unknown role: %(role)s", role=role), field="role")
    needed = ROLES[role][2]
    if needed and not jurisdiction.get(needed):
        raise ValidationFailed(_l("The role %(role)s needs %(field)s.", role=role, field=needed),
                               field=needed)
    check_new_password(password, username=username, names=(display_name,), min_length=min_length)
    if role == "farmer":
        _check_household(session, jurisdiction["household_code"])
    user = User(username=username, display_name=display_name, role=role,
                password_hash=generate_password_hash(password, method=hash_method),
                **{k: v for k, v in jurisdiction.items() if v})
    if person is not None:
        user.person_id = linking.person_to_link(session, actor, user, person)
    session.add(user)
    flush_or_raise(session)  # uq_users_person_active: one active account per person
    changes.record(session, actor, user, "created")
    return user


def link_person(session: Session, actor: Actor, username: str, id_number: str) -> User:
    """Link an account to the person it belongs to (users.person_id), so that the account's word
    is the person's: a transferee verifies its identity by its own account (market.identities).
    A farmer's account links only a member of its household; a person has one active account.

    Raises:
        Forbidden: not its administrator. NotFound: no such account. ValidationFailed: no such
            person (in the household, for a farmer). Conflict: the person has another active
            account, or the account's transferee identity rests on the person linked now.
    """
    user = _administered(session, actor, username)
    person_id = linking.person_to_link(session, actor, user, id_number)
    if user.person_id not in (None, person_id) and linking.own_identity_rests_on_link(session, user):
        raise Conflict(_l("This account's transferee identity was verified as the person it is "
                          "linked to now. End that identity first, then link the account anew."),
                       field="person", rule="R1.21")
    user.person_id = person_id
    flush_or_raise(session)
    return user



def _require_account_admin(actor: Actor, jurisdiction: dict) -> None:
    require_manage_accounts(actor, [v for v in jurisdiction.values() if v])


def _administered(session: Session, actor: Actor, username: str) -> User:
    """Return the account named username if the actor administers it (system, or the county
    administrator of the account's area).

    Raises:
        Unauthenticated: anonymous. Forbidden: another role or county. NotFound: no such account
            (told to its admins only).
    """
    require_administer_accounts(actor)
    user = session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.lower())
                          .with_for_update())
    if user is None:
        if not is_system(actor):  # a county admin learns nothing about accounts elsewhere
            raise Forbidden(_l("Only a county administrator manages accounts in their county."))
        raise NotFound(_l("No user %(name)s.", name=username), field="username")
    _require_account_admin(actor, {"county_code": user.county_code, "township_code": user.township_code,
                                   "collective_code": user.collective_code,
                                   "household_code": user.household_code})
    return user


def administered(session: Session, actor: Actor, username: str) -> User:
    """Return the account named username, locked, if the actor administers it (the system, or
    the county administrator of the account's area).

    Raises:
        Forbidden: another role or county, or (for a county administrator) no such account.
        NotFound: no such account (told to the system only).
    """
    return _administered(session, actor, username)


def household_account(session: Session, actor: Actor, username: str) -> User:
    """Return an account, locked, that the actor may look after: any it administers, and for a
    township officer a household's (farmer) account in its township (lift a lock, print a letter).

    Raises:
        Forbidden: not one the actor looks after; for a township officer also no such account.
        NotFound: no such account (told to the system only).
    """
    if not role_may_look_after_account(actor):
        return _administered(session, actor, username)
    user = session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.lower())
                          .with_for_update())
    if user is None or not can_look_after_account(actor, user):
        raise Forbidden(_l("A township officer looks after the household accounts of its township "
                           "only."))
    return user


def _check_household(session: Session, household_code: str) -> None:
    exists = session.scalar(sa.select(sa.func.count()).where(Household.code == household_code))
    if not exists:
        raise ValidationFailed(_l("No household with code %(code)s.", code=household_code),
                               field="household_code")


_PASSWORD_PROBLEMS = {
    "too_short": _l("The password needs at least %(n)s characters. A few words you can remember, "
                    "with spaces between them, make a good one."),
    "too_long": _l("The password may have at most %(m)s characters."),
    "has_user_name": _l("The password must not contain the user name or the name of the account."),
    "repeated": _l("The password repeats characters or follows a simple sequence (like 1234 or "
                   "abcabc), which is easy to guess. Choose a less predictable one."),
    "keyboard": _l("The password is a row of keys on the keyboard (like qwerty), which is easy to "
                   "guess. Choose a less predictable one."),
    "date": _l("The password is built on a date or a year, which is easy to guess. Choose "
               "something else."),
    "common": _l("The password is one of the most used passwords, or built on one. Choose "
                 "another."),
    "guessable": _l("The password is too easy to guess. Make it longer, for example a few words "
                    "you can remember."),
}


def check_new_password(password: str, *, username: str, names: tuple[str, ...] = (),
                       min_length: int = PASSWORD_MIN_LENGTH) -> None:
    """Refuse a new password that is too short, holds the user name, or is easy to guess: the one
    rule for account creation, the command line and every password change (ASVS 2.1).

    Raises:
        ValidationFailed: the password, saying why in plain words.
    """
    problem = rules.password_problem(password, username=username, names=names,
                                     min_length=min_length)
    if problem:
        raise ValidationFailed(Formatted(_PASSWORD_PROBLEMS[problem],
                                         {"n": min_length, "m": rules.PASSWORD_MAX_LENGTH}),
                               field="password")


def change_own_password(session: Session, actor: Actor, *, current: str, new: str,
                        keep_session: str | None, hash_method: str = "scrypt",
                        min_length: int = PASSWORD_MIN_LENGTH) -> int:
    """Change the acting account's password after checking its current one; end its other login
    sessions and return how many were ended.

    Raises:
        Forbidden: no account of its own (anonymous, system). ValidationFailed: wrong current
        password, or a weak new one.
    """
    user = session.get(User, actor.user_id, with_for_update=True) if actor.user_id else None
    if user is None or not has_own_account(actor):
        raise Forbidden(_l("Log in to change your password."))
    if not check_password_hash(user.password_hash, current):
        raise ValidationFailed(_l("The current password is not right."), field="current_password")
    ended = _set_password(session, user, new, keep_session, hash_method, min_length)
    changes.record(session, actor, user, "password_changed")
    return ended


def set_password(session: Session, actor: Actor, username: str, password: str, *,
                 hash_method: str = "scrypt", min_length: int = PASSWORD_MIN_LENGTH) -> int:
    """Give an account a new password (its administrator, e.g. for a farmer who forgot it); end
    all its login sessions and return how many were ended.

    Raises:
        Forbidden: not its administrator. NotFound: no such account. ValidationFailed: weak.
    """
    user = _administered(session, actor, username)
    ended = _set_password(session, user, password, None, hash_method, min_length)
    void_codes(session, user)  # a letter handed out before can no longer set another password
    changes.record(session, actor, user, "password_set")
    return ended


def void_codes(session: Session, user: User, now: datetime | None = None) -> int:
    """Void the account's activation code in force, if any; return how many were voided."""
    return session.execute(sa.update(ActivationCode).where(
        ActivationCode.user_id == user.id, ActivationCode.used_at.is_(None),
        ActivationCode.voided_at.is_(None)).values(voided_at=now or _utcnow())).rowcount


def _set_password(session, user, password, keep_session, hash_method, min_length) -> int:
    check_new_password(password, username=user.username, names=(user.display_name,),
                       min_length=min_length)
    user.password_hash = generate_password_hash(password, method=hash_method)
    session.flush()
    return login.end_sessions(session, user_id=user.id, reason="password", keep=keep_session)


def set_active(session: Session, actor: Actor, username: str, active: bool) -> User:
    """Deactivate an account (ending its login sessions and revoking its tokens, so reactivating
    it later brings none of them back) or reactivate it.

    Raises:
        Forbidden: not its administrator, or an administrator deactivating themself.
        NotFound: no such account. Conflict: its person has another active account.
    """
    user = _administered(session, actor, username)
    if not active and user.id == actor.user_id:
        raise Forbidden(_l("You cannot deactivate your own account."))
    if not rules.may_grant(actor.role, user.role):
        raise Forbidden(_l("Nobody may change an account whose role is above their own."))
    if user.is_active == active:
        return user
    before = changes.snapshot(user)
    user.is_active = active
    if not active:
        _revoke_everything(session, user, "deactivated")
        void_codes(session, user)
    flush_or_raise(session)  # uq_users_person_active: its person may have another account now
    changes.record(session, actor, user, "reactivated" if active else "deactivated", before)
    return user


def revoke_access(session: Session, actor: Actor, username: str) -> tuple[int, int]:
    """End every login session and revoke every token of an account (a lost phone, a leaked
    token); return (sessions ended, tokens revoked).

    Raises:
        Forbidden: not its administrator. NotFound: no such account.
    """
    return _revoke_everything(session, _administered(session, actor, username), "revoked")


def _revoke_everything(session: Session, user: User, reason: str) -> tuple[int, int]:
    now = _utcnow()
    ended = login.end_sessions(session, user_id=user.id, reason=reason, now=now)
    revoked = session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id,
                                                        ApiToken.revoked_at.is_(None))
                              .values(revoked_at=now)).rowcount
    return ended, revoked


def unlock_login(session: Session, actor: Actor, username: str) -> int:
    """Lift the failed-login (and failed-activation) locks on an account's user name from every
    source; return how many counts were cleared. The account's administrator does it, and a
    township officer for the households of its township.

    Raises:
        Forbidden: neither. NotFound: no such account.
    """
    user = household_account(session, actor, username)
    cleared = login.lift_locks(session, user.username)
    changes.record(session, actor, user, "unlocked")
    return cleared


class IssuedToken(str):
    """A new API token (the str itself, shown once) with its id and expiry."""

    id: int
    expires_at: datetime


def issue_token(session: Session, actor: Actor, username: str, name: str = "api", *,
                days: int = TOKEN_DAYS, now: datetime | None = None) -> IssuedToken:
    """Create an API token for a user, valid for days, and return it; only its digest is kept.

    Raises:
        Forbidden: only the system, or the user themself. NotFound: no such user.
        ValidationFailed: a lifetime under one day.
    """
    user = session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.lower()))
    if user is None:
        raise NotFound(_l("No user %(name)s.", name=username), field="username")
    if not can_issue_token(actor, user.id):
        raise Forbidden(_l("You may only create tokens for yourself."))
    if days < 1:
        raise ValidationFailed(_l("A token must be valid for at least one day."), field="days")
    value = rules.new_token()
    row = ApiToken(user=user, name=name, token_hash=rules.token_digest(value),
                   expires_at=(now or _utcnow()) + timedelta(days=days))
    session.add(row)
    flush_or_raise(session)
    token = IssuedToken(value)
    token.id, token.expires_at = row.id, row.expires_at
    return token


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one API token by its id: the next call with it is refused.

    Raises:
        Forbidden: not the token's owner nor its account's administrator. NotFound: no such token.
    """
    token = session.get(ApiToken, token_id, with_for_update=True)
    if token is None:
        if not is_system(actor):
            raise Forbidden(_l("You may only revoke your own tokens, or those of accounts you "
                               "administer."))
        raise NotFound(_l("No token %(id)s.", id=token_id), field="token")
    if actor.user_id is None or actor.user_id != token.user_id:
        _administered(session, actor, token.user.username)
    token.revoked_at = token.revoked_at or _utcnow()
    session.flush()
    return token


def list_tokens(session: Session, actor: Actor, username: str) -> list[ApiToken]:
    """List an account's API tokens, newest first (revoked and expired ones too).

    Raises:
        Forbidden: not its administrator. NotFound: no such account.
    """
    user = _administered(session, actor, username)
    return list(session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id.desc())))


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
                      _tokens.expires_at > sa.bindparam("now", type_=sa.DateTime(timezone=True)),
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
    if not can_list_accounts(actor):
        raise Forbidden(_l("Only a county administrator lists accounts."))
    query = sa.select(User).order_by(User.username)
    if not is_system(actor):  # a county administrator: its county's
        query = query.where(sa.or_(User.county_code == actor.county_code,
                                   User.township_code.startswith(actor.county_code),
                                   User.collective_code.startswith(actor.county_code),
                                   User.household_code.startswith(actor.county_code)))
    return list(session.scalars(query))
