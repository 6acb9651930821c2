"""Activation letters (issue 20 §1): a household's account is issued per collective in one step, an
official's by its administrator; each letter carries a one-time code, of which only a slow hash is
kept. Whoever holds the letter sets the account's password with it on the activation page (and may
leave a mobile number). A new letter voids the code before it; codes are used once and expire;
wrong codes are counted and locked like failed logins (accounts.login)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from landrights import clock
from landrights.accounts import changes, login, rules, services
from landrights.accounts.models import ActivationCode, LoginThrottle, User
from landrights.accounts.permissions import Actor, is_household_account, require_issue_letters
from landrights.errors import Conflict, Forbidden, NotFound, TooManyAttempts, ValidationFailed
from landrights.moments import later
from landrights.registry.models import AdminUnit, Collective, Household

ACTIVATION_DAYS = 60
ACTIVATION_HASH = "scrypt:4096:8:1"  # ~15 ms: a collective's letters at once, 10^12 codes offline
_POLICY = login.Policy()
_WRONG = _l("The user name or the activation code is not right. Check both against your letter.")


@dataclass(frozen=True)
class Letter:
    """One activation letter as printed: the code in clear exists only here, for the printing."""

    username: str
    name: str  # the account's name masked as on the verify page (张* , 欧阳**)
    role: str
    area_code: str
    area_name: str
    code: str
    issued_at: datetime
    expires_at: datetime


def issue_letter(session: Session, actor: Actor, username: str, *, days: int = ACTIVATION_DAYS,
                 hash_method: str = ACTIVATION_HASH, now: datetime | None = None) -> Letter:
    """Issue a new activation letter for one account, voiding the code of any letter before it
    (a lost letter; a person who forgot the password sets a new one with it).

    Raises:
        Forbidden: not the account's administrator (nor, for a household, its township officer).
        NotFound: no such account (told to the system only). Conflict: a deactivated account.
    """
    user = services.household_account(session, actor, username)
    if not rules.may_grant(actor.role, user.role):
        raise Forbidden(_l("Nobody may change an account whose role is above their own."))
    if not user.is_active:
        raise Conflict(_l("This account is deactivated: its administrator reactivates it first."),
                       field="username")
    return _issue(session, actor, user, _names(session, [user]), days, hash_method, now or clock.now())


def issue_letters(session: Session, actor: Actor, usernames: list[str], *, days: int = ACTIVATION_DAYS,
                  hash_method: str = ACTIVATION_HASH, now: datetime | None = None) -> list[Letter]:
    """Issue a new letter for each of several accounts (those a file created), as issue_letter does.

    Raises:
        Forbidden, NotFound, Conflict: as issue_letter, for any of them (then none is issued).
        ValidationFailed: no account named, or more than 2,000.
    """
    names = list(dict.fromkeys(n.strip() for n in usernames if n.strip()))
    if not names or len(names) > 2000:
        raise ValidationFailed(_l("Name between 1 and 2,000 accounts."), field="username")
    now = now or clock.now()
    return [issue_letter(session, actor, n, days=days, hash_method=hash_method, now=now) for n in names]


def issue_collective_letters(session: Session, actor: Actor, collective_code: str, *,
                             renew: bool = False, days: int = ACTIVATION_DAYS,
                             hash_method: str = ACTIVATION_HASH, now: datetime | None = None) -> list[Letter]:
    """Give every household of a collective without an account one, each with its letter (and,
    with renew, a new letter to every account of it still awaiting activation), by household code.

    Raises:
        Forbidden: not the collective's township officer or county administrator. NotFound: no
            such collective. Conflict: no household needs a letter.
    """
    require_issue_letters(actor, collective_code)
    if not session.scalar(sa.select(sa.func.count()).where(Collective.code == collective_code)):
        raise NotFound(_l("No collective with code %(code)s.", code=collective_code), field="collective_code")
    # two officers issuing for one collective at once: one after the other
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("letters:" + collective_code))))
    households = session.scalars(sa.select(Household).where(Household.collective_code == collective_code)
                                 .order_by(Household.code)).all()
    accounts = _household_accounts(session, collective_code)
    now, users = now or clock.now(), []
    for household in households:
        user = accounts.get(household.code)
        if user is None:
            user = User(username=household.code, display_name=household.name, role="farmer",
                        household_code=household.code, password_hash=rules.NO_PASSWORD)
            session.add(user)
            session.flush()
            changes.record(session, actor, user, "created")
        elif not (renew and user.is_active and user.password_hash == rules.NO_PASSWORD):
            continue
        users.append(user)
    if not users:
        raise Conflict(_l("Every household of this collective has an account already. For one "
                          "household, print a new letter from its row."), field="collective_code")
    names = _names(session, users)
    return [_issue(session, actor, u, names, days, hash_method, now) for u in users]


def _household_accounts(session: Session, collective_code: str) -> dict[str, User]:
    """Return {household code: its account} for a collective, also counting an account of another
    role that holds a household code as its user name (that household gets none)."""
    found = session.scalars(sa.select(User).where(sa.or_(
        User.household_code.startswith(collective_code),
        User.username.startswith(collective_code))).order_by(User.id.desc())).all()
    accounts = {u.username: u for u in found if len(u.username) == 18}
    accounts.update({u.household_code: u for u in found if is_household_account(u) and u.household_code})
    return accounts


def _issue(session: Session, actor: Actor, user: User, names: dict, days: int, hash_method: str,
           now: datetime) -> Letter:
    from landrights.signing.qr import mask_name  # the verify page's masking

    area = changes.area_of(user)
    if not area:
        raise ValidationFailed(_l("An account without an area gets no activation letter."), field="username")
    services.void_codes(session, user, now)
    session.flush()  # the old code is void before the new one is in force (uq_activation_codes_live)
    code = rules.new_activation_code()
    session.add(ActivationCode(county_code=area[:6], user_id=user.id, issued_at=now,
                               code_hash=generate_password_hash(code, method=hash_method),
                               issued_by_id=actor.user_id, expires_at=now + timedelta(days=days)))
    changes.record(session, actor, user, "letter_issued")
    return Letter(username=user.username, name=mask_name(user.display_name), role=user.role,
                  area_code=area, area_name=names.get(area, ""), code=code, issued_at=now,
                  expires_at=now + timedelta(days=days))


def _names(session: Session, users: list[User]) -> dict[str, str]:
    """Return {area code: the name printed for it}: a household's collective, an official's unit."""
    codes = {changes.area_of(u) or "" for u in users}
    collectives = {c[:14] for c in codes if len(c) >= 14}
    names = dict(session.execute(sa.select(Collective.code, Collective.name)
                                 .where(Collective.code.in_(collectives))).all())
    names.update(session.execute(sa.select(AdminUnit.code, AdminUnit.name)
                                 .where(AdminUnit.code.in_([c for c in codes if len(c) <= 9]))).all())
    return {code: names.get(code[:14], names.get(code, "")) for code in codes}


def activate(session: Session, *, username: str, code: str, password: str, phone: str | None,
             source: str | None, policy: login.Policy = _POLICY, min_length: int = 10,
             hash_method: str = "scrypt", now: datetime | None = None) -> User:
    """Set an account's first (or, after a new letter, a new) password with its letter's code, and
    its mobile number if given; end its other login sessions. Wrong codes are counted per user name
    and source address, and per user name, and lock like failed logins.

    Raises:
        TooManyAttempts: too many wrong codes for this user name. ValidationFailed: the phone, the
            new password, or a wrong user name or code (one answer for both). Conflict: the code
            was used, replaced by a newer letter, or expired; the account is deactivated.
    """
    now = now or clock.now()
    name = (username or "").strip()[:64]
    pair, everywhere, locked = login.throttled(session, rules.activation_key(name), source,
                                               policy=policy, now=now)
    if locked:
        raise TooManyAttempts(_l("Too many wrong activation codes for this user name. Wait %(minutes)s "
                                 "minutes, or ask your township office to lift the lock.",
                                 minutes=policy.lock_minutes), field="code")
    try:
        phone = rules.mobile_number(phone)
    except ValueError:
        raise ValidationFailed(_l("Give an 11-digit mobile number, or leave it empty."),
                               field="phone") from None
    user = session.scalar(sa.select(User).where(sa.func.lower(User.username) == name.lower())
                          .with_for_update())
    services.check_new_password(password, username=name, min_length=min_length,
                                names=(user.display_name,) if user else ())
    found = _matching(session, user, rules.typed_activation_code(code))
    if found is None:
        login.count_failure(pair, everywhere, policy=policy, now=now)
        session.flush()
        raise ValidationFailed(_WRONG, field="code")
    _refuse_spent(found, user, now)
    user.password_hash = generate_password_hash(password, method=hash_method)
    user.phone = phone or user.phone
    found.used_at = now
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.username == pair.username,
                                                   LoginThrottle.source == pair.source))
    login.end_sessions(session, user_id=user.id, reason="password", now=now)
    session.flush()
    changes.record(session, Actor.of(user), user, "activated")
    return user


def _matching(session: Session, user: User | None, typed: str) -> ActivationCode | None:
    """Return the account's code (of its last five) that the typed one is, or None; as much work
    for an unknown name as for a known one."""
    codes = [] if user is None else session.scalars(
        sa.select(ActivationCode).where(ActivationCode.user_id == user.id)
        .order_by(ActivationCode.id.desc()).limit(5).with_for_update()).all()
    if not codes:
        check_password_hash(login.dummy_hash(ACTIVATION_HASH), typed)
        return None
    return next((c for c in codes if check_password_hash(c.code_hash, typed)), None)


def _refuse_spent(found: ActivationCode, user: User, now: datetime) -> None:
    """Refuse, plainly, a genuine code that can no longer be used.

    Raises:
        Conflict: used, replaced, expired; or the account is deactivated.
    """
    if found.used_at is not None:
        raise Conflict(_l("This activation code was used on %(day)s and cannot be used again. If that "
                          "was not you, ask your township office for a new letter.",
                          day=later(found.used_at)), field="code")
    if found.voided_at is not None:
        raise Conflict(_l("A newer letter replaced this one, so its code no longer works. Use the code "
                          "of the newest letter."), field="code")
    if found.expires_at <= now:
        raise Conflict(_l("This activation code expired on %(day)s. Ask your township office for a new "
                          "letter.", day=later(found.expires_at)), field="code")
    if not user.is_active:
        raise Conflict(_l("This account is deactivated. Ask your township office."), field="code")
