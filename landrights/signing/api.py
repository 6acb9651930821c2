"""sign and verify: the two calls every signer uses (documents' QR codes, the register's head)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from landrights.signing import keys, sm2


@dataclass(frozen=True)
class SignedBy:
    """A signature and the key that made it: key_id names the public key to verify it with."""

    key_id: str
    signature_b64: str  # SM2 r || s, URL-safe base64 without padding (86 characters)


@dataclass(frozen=True)
class Verdict:
    """Whether a signature is the key's over the payload; revoked_on: the day (China Standard
    Time) the key was revoked, when it was (what it signed still verifies, but read it with care)."""

    ok: bool
    key_id: str
    revoked_on: date | None = None


def sign(session: Session, county_code: str, payload: bytes) -> SignedBy:
    """Sign payload with the county's key in force today (SM2 with SM3, signer id
    1234567812345678).

    Raises:
        Conflict: no key of the county in force, or its private half is missing (keys.signing_key).
    """
    key = keys.signing_key(session, county_code)
    signature = sm2.sign(keys.private_key(key.key_id), payload)
    return SignedBy(key.key_id, sm2.b64(signature))


def verify(session: Session, key_id: str, payload: bytes, signature: str | bytes) -> Verdict:
    """Check a signature (base64url text, or the raw 64 bytes) with the published public key of
    key_id; an unknown key or a malformed signature is ok=False, never an error."""
    raw = signature if isinstance(signature, bytes) else sm2.from_b64(signature)
    key = keys.find(session, key_id) if raw else None
    if key is None or not sm2.verify(key.public_key, payload, raw):
        return Verdict(False, key_id)
    return Verdict(True, key_id, keys.revoked_on(key))
