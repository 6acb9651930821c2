"""Pure account rules: login throttling, session lifetimes, passwords, token format."""
from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from datetime import datetime, timedelta

from landrights import patterns

TOKEN_PREFIX = "lr_"
ALL_SOURCES = "*"  # the throttle row counting a user name's failures from every source

# passwords: length over complexity, no composition rules (NIST SP 800-63B 3.1.1.2; ASVS 2.1)
PASSWORD_MAX_LENGTH = 128
# below this estimate of guesses (zxcvbn) a password is refused: at most 5 tries per name and
# source and 50 per name in 15 minutes keep online guessing far from it; scrypt slows offline.
PASSWORD_MIN_GUESSES_LOG10 = 8


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """Tell whether a lock is in force at time now."""
    return locked_until is not None and locked_until > now


def after_failure(failures: int, window_started_at: datetime | None, now: datetime, *,
                  max_failures: int, lock_minutes: int) -> tuple[int, datetime | None, datetime | None]:
    """Return (failures, window_started_at, locked_until) after one more failed login.

    Failures count within a window of lock_minutes from the first one (a farmer who mistypes now
    and then is never locked); the max_failures-th locks for lock_minutes and starts afresh.
    """
    window = timedelta(minutes=lock_minutes)
    if window_started_at is None or window_started_at <= now - window:
        failures, window_started_at = 0, now
    failures += 1
    if failures >= max_failures:
        return 0, None, now + window
    return failures, window_started_at, None


def source_key(address: str | None) -> str:
    """Return the source a failed login is counted against: the IPv4 address, or the /64 network
    of an IPv6 address (one subscriber gets a whole /64 and could rotate through it)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def session_expired(created_at: datetime, last_seen_at: datetime, now: datetime, *,
                    idle_minutes: int, max_hours: int) -> bool:
    """Tell whether a login session is past its idle or its absolute timeout (ASVS 3.3.2)."""
    return (last_seen_at <= now - timedelta(minutes=idle_minutes)
            or created_at <= now - timedelta(hours=max_hours))


def new_token() -> str:
    """Return a fresh API bearer token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_id() -> str:
    """Return a fresh login session id (256 random bits; the cookie carries it)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a token or session id is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    """Return a random password that is easy to read aloud (no 0/O, 1/l)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def password_length(password: str) -> int:
    """Return the length a password is judged by: characters, with runs of spaces as one."""
    return len(re.sub(r"\s+", " ", password))


def password_problem(password: str, *, username: str, names: tuple[str, ...] = (),
                     min_length: int) -> str | None:
    """Return why a new password is refused, or None if it is good enough.

    One of: too_short, too_long, has_user_name, repeated, keyboard, date, common, guessable.
    """
    length = password_length(password)
    if length < min_length:
        return "too_short"
    if length > PASSWORD_MAX_LENGTH:
        return "too_long"
    if len(username) >= 3 and username.lower() in password.lower():
        return "has_user_name"
    from zxcvbn import zxcvbn  # loads its lists (the 30,000 commonest passwords …) on first use

    estimate = zxcvbn(password[:72], user_inputs=[username, *names])  # its longest input
    if estimate["guesses_log10"] >= PASSWORD_MIN_GUESSES_LOG10:
        return None
    return _weakness(estimate["sequence"])


_PATTERN_PROBLEMS = {"repeat": "repeated", "sequence": "repeated", "spatial": "keyboard",
                     "date": "date", "regex": "date"}


def _weakness(matches: list[dict]) -> str:
    """Name the biggest weak part zxcvbn found in a password."""
    weak = [m for m in matches if m["pattern"] != "bruteforce"]
    if not weak:
        return "guessable"
    biggest = max(weak, key=lambda m: len(m["token"]))
    if biggest["pattern"] == "dictionary":
        return "has_user_name" if biggest.get("dictionary_name") == "user_inputs" else "common"
    return _PATTERN_PROBLEMS.get(biggest["pattern"], "guessable")


# --- account administration and activation letters (issue 20 §1) ----------------------------

# who may give which role: nobody grants a role above their own
ROLE_RANK = {"farmer": 0, "transferee": 0, "collective_clerk": 1, "township_officer": 2,
             "county_admin": 3, "system": 4}
# the length of the code of each role's area: county 6, township 9, collective 14, household 18
AREA_LENGTHS = {"county_code": 6, "township_code": 9, "collective_code": 14, "household_code": 18}
# an account created by its administrator or for a household has no password until the person
# sets one with the code of its activation letter: no password hash can ever equal this
NO_PASSWORD = "!awaiting-activation"
ACTIVATION_DIGITS = 12  # 10^12 codes; a few tries per 15 minutes, and a slow hash, keep guessing far
ACTIVATION_PREFIX = "activate:"  # the failed-attempt counts of activation, beside the logins'


def may_grant(actor_role: str, role: str) -> bool:
    """Tell whether an actor of actor_role may give an account the role (no higher than its own)."""
    return ROLE_RANK.get(role, 99) <= ROLE_RANK.get(actor_role, -1)


def area_column(role: str, roles: dict) -> str | None:
    """Return the users column holding the area a role needs (None: a transferee's: none)."""
    return roles[role][2] if role in roles else None


def area_shape_ok(column: str, code: str) -> bool:
    """Tell whether an area code has the digits its column needs."""
    return code.isascii() and code.isdigit() and len(code) == AREA_LENGTHS[column]


def new_activation_code() -> str:
    """Return a fresh one-time activation code: 12 random digits (easy to type on a phone)."""
    return "".join(secrets.choice("0123456789") for _ in range(ACTIVATION_DIGITS))


def typed_activation_code(text: str | None) -> str:
    """Return an activation code as typed, without the spaces and dashes it is printed with."""
    return re.sub(r"[\s\-–—]", "", text or "")


def printed_activation_code(code: str) -> str:
    """Return an activation code in groups of four, as printed on the letter: 1234 5678 9012."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def mobile_number(text: str | None) -> str | None:
    """Return a mainland mobile number as 11 digits (spaces, dashes and a +86 prefix dropped), None
    when blank.

    Raises:
        ValueError: not an 11-digit mobile number.
    """
    digits = re.sub(r"[\s\-()]", "", text or "")
    if not digits:
        return None
    digits = re.sub(r"^(\+?86)(?=1\d{10}$)", "", digits)
    if not patterns.PHONE.matches(digits):
        raise ValueError(digits)
    return digits


def account_state(*, is_active: bool, password_hash: str, locked: bool) -> str:
    """Return an account's state as the pages show it: deactivated, awaiting (activation), locked,
    active."""
    if not is_active:
        return "deactivated"
    if password_hash == NO_PASSWORD:
        return "awaiting"
    return "locked" if locked else "active"


def activation_key(username: str) -> str:
    """Return the name failed activations of a user name are counted under (login_throttles)."""
    return (ACTIVATION_PREFIX + username.strip().lower())[:64]
