"""Pure account rules: login throttling, token format, role jurisdictions."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

TOKEN_PREFIX = "lr_"


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """Tell whether an account is locked at time now."""
    return locked_until is not None and locked_until > now


def after_failure(failed_logins: int, now: datetime, *, max_failures: int,
                  lock_minutes: int) -> tuple[int, datetime | None]:
    """Return (failures, locked_until) after one more failed login."""
    failures = failed_logins + 1
    if failures >= max_failures:
        return 0, now + timedelta(minutes=lock_minutes)
    return failures, None


def new_token() -> str:
    """Return a fresh API bearer token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    """Return a random password that is easy to read aloud (no 0/O, 1/l)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))
