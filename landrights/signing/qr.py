"""The signed data a document's QR code carries, the verification code printed under it, and the one
verify_signed that certificates, statements of retained rights and transfer attestations use.

Two formats verify, side by side, at the same addresses:

* **SM2 (from issue 20)**: ``…/verify/<code>?n=<serial>&d=<YYYYMMDD>&k=<key id>&s=<signature>``
  (``…/verify/statement/<code>?d=…&k=…&s=…``, ``…/verify/transfer/<code>?d=…&k=…&s=…``). The
  signature is SM2/SM3 over ``lr-doc/1|<kind>|<code>|<serial>|<YYYY-MM-DD>`` (serial 1 for a
  statement or an attestation), as URL-safe base64 (86 characters), by the county's key named in
  ``k``; anyone can check it with the published public key (scripts/verify-offline.py).
* **HMAC (before issue 20)**: the same address without ``k``, ``s`` being HMAC-SHA256 (first 128
  bits, 22 characters) over ``<code>|<serial>|<YYYY-MM-DD>`` under CERTIFICATE_KEY. QR codes
  printed so keep verifying exactly as they did.

The verification code printed under the QR (核验码, for people whose phone does not scan) is the
document's code, serial, date and 80 bits of the HMAC in Crockford's base32, for both formats: the
server checks it like the HMAC QR. It proves to the server what the QR proves; it cannot be checked
offline (80 bits of an SM2 signature are not a signature).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.orm import Session

from landrights.signing import api

KINDS = ("certificate", "statement", "transfer")
PATHS = {"certificate": "/verify/", "statement": "/verify/statement/", "transfer": "/verify/transfer/"}
PAYLOAD_VERSION = "lr-doc/1"


def signed_day(text: str | None) -> date | None:
    """Read the YYYYMMDD issue date a QR carries, or None when it is not a real date."""
    if not isinstance(text, str) or len(text) != 8 or not text.isascii() or not text.isdecimal():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def payload(kind: str, code: str, serial: int, day: date) -> bytes:
    """Return the bytes an SM2 document signature covers (serial 1 for statements and
    attestations, which have one issue each)."""
    return f"{PAYLOAD_VERSION}|{kind}|{code}|{serial}|{day.isoformat()}".encode()


def _address(base_url: str, kind: str, code: str, serial: int, day: date, signed: str) -> str:
    number = f"n={serial}&" if kind == "certificate" else ""
    return f"{base_url}{PATHS[kind]}{code}?{number}d={day:%Y%m%d}&{signed}"


def signed_url(session: Session, base_url: str, kind: str, code: str, serial: int, day: date) -> str:
    """Return the URL a document's QR code carries, SM2-signed by its county's key in force.

    Raises:
        Conflict: no signing key of the county in force (landrights.signing.keys.signing_key).
    """
    signed = api.sign(session, code[:6], payload(kind, code, serial, day))
    return sm2_url(base_url, kind, code, serial, day, signed.key_id, signed.signature_b64)


def sm2_url(base_url: str, kind: str, code: str, serial: int, day: date, key_id: str,
            signature_b64: str) -> str:
    """Return the URL of a document's QR code carrying an SM2 signature made by key_id."""
    return _address(base_url, kind, code, serial, day, f"k={key_id}&s={signature_b64}")


def hmac_url(base_url: str, key: bytes, kind: str, code: str, serial: int, day: date) -> str:
    """Return the URL QR codes carried before issue 20 (HMAC under CERTIFICATE_KEY); they keep
    verifying."""
    return _address(base_url, kind, code, serial, day, f"s={hmac_signature(key, code, serial, day)}")


# --- HMAC, the format before issue 20, and the typed verification code ------------------------


def hmac_signature(key: bytes, code: str, serial: int, issued_on: date) -> str:
    """Return the HMAC signature of a document: HMAC-SHA256 over code, serial and issue date,
    first 128 bits, URL-safe base64 without padding."""
    message = f"{code}|{serial}|{issued_on.isoformat()}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hmac_matches(key: bytes, code: str, serial: int, issued_on: date, given: str) -> bool:
    """Tell, in constant time, whether a signature is the HMAC this registry made: the QR's, or
    the shorter one of the verification code printed under it (typed_signature)."""
    expected = hmac_signature(key, code, serial, issued_on)
    if hmac.compare_digest(expected.encode(), (given or "").encode()):  # bytes: any text compares
        return True
    typed = _typed_form(given)
    return typed is not None and hmac.compare_digest(typed_signature(expected).encode(), typed.encode())


# The verification code printed under a document's QR code, for people who type it at /verify/:
# the document's code, the serial (certificates only), the issue date and 80 bits of the HMAC
# in Crockford's base32 (no I, L, O or U; read as 1, 1, 0: nothing to confuse), e.g.
# 220421101201010001J-1-20261209-7K3M-Q9XD-2HPA-W5TN. 80 bits cannot be guessed online, and the
# key never leaves the server, so the code proves what the QR proves.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TYPED_SIGNATURE_CHARS = 16  # 80 bits
_LOOK_ALIKES = str.maketrans("OIL", "011")
_SEPARATORS = re.compile(r"[\s\-_.·—–－]+")
_HEADS = (("certificate", re.compile(r"([0-9]{18}[JQ])([0-9]{1,9})")),
          ("statement", re.compile(r"([0-9]{18}S[0-9]{4})()")),
          ("transfer", re.compile(r"([0-9]{18})()")))


def typed_signature(qr_signature: str) -> str:
    """Return the printed, typeable form of an HMAC signature: its first 80 bits in base32."""
    raw = base64.urlsafe_b64decode(qr_signature + "=" * (-len(qr_signature) % 4))[:10]
    number = int.from_bytes(raw, "big")
    return "".join(CROCKFORD[(number >> shift) & 31] for shift in range(75, -5, -5))


def _typed_form(given: str | None) -> str | None:
    """Return a typed signature as this registry prints it, or None when it is not one."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", given or "").upper())
    text = text.translate(_LOOK_ALIKES)
    if len(text) != TYPED_SIGNATURE_CHARS or any(c not in CROCKFORD for c in text):
        return None
    return text


def verification_code(code: str, serial: int | None, issued_on: date, qr_signature: str) -> str:
    """Return the verification code printed under a QR code, from the document's HMAC signature
    (serial None: a statement or an attestation, which have one issue each)."""
    sig = typed_signature(qr_signature)
    head = code if serial is None else f"{code}-{serial}"
    groups = "-".join(sig[i:i + 4] for i in range(0, TYPED_SIGNATURE_CHARS, 4))
    return f"{head}-{issued_on:%Y%m%d}-{groups}"


@dataclass(frozen=True)
class TypedCode:
    """What a typed verification code or a pasted URL names: the kind of document, its signed data
    and, for an SM2 URL, the key."""

    kind: str  # certificate | statement | transfer
    code: str
    serial: str | None
    day: str
    sig: str
    key_id: str | None = None


_VERIFY_PATH = re.compile(r".*/verify/(?:(statement|transfer)/)?([0-9A-Z]{18,23})/?", re.IGNORECASE)


def _from_url(text: str) -> TypedCode | None:
    """Read the signed data of a verification URL (what the QR carries, pasted)."""
    parts = urlsplit(text.strip())
    found = _VERIFY_PATH.fullmatch(parts.path)
    if found is None:
        return None
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    kind = (found.group(1) or "certificate").lower()
    return TypedCode(kind, found.group(2).upper(), query.get("n") if kind == "certificate" else None,
                     query.get("d", ""), query.get("s", ""), query.get("k"))


def verification_code_of(verify_url: str, key: bytes) -> str:
    """Return the verification code to print under the QR code that carries verify_url (either
    format: the code comes from the HMAC under key), or "" for a URL this registry does not sign."""
    signed = _from_url(verify_url)
    day = signed and signed_day(signed.day)
    if day is None or signed.kind not in KINDS or (signed.kind == "certificate" and not
                                                  (signed.serial or "").isdecimal()):
        return ""
    serial = int(signed.serial) if signed.kind == "certificate" else None
    return verification_code(signed.code, serial, day, hmac_signature(key, signed.code, serial or 1, day))


def read_verification_code(text: str | None) -> TypedCode | None:
    """Read a typed verification code (separators, spaces and letter case do not matter) or a
    pasted verification URL, or None when it has not the shape of either. Only the shape is read
    here: whether it is genuine is for verify_signed."""
    if "/verify/" in (text or "").lower():
        return _from_url(text)
    # NFKC: full-width characters an input method gives (２２０４…Ｊ) are the ASCII ones
    plain = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "").upper())
    if len(plain) <= TYPED_SIGNATURE_CHARS + 8 or len(plain) > 64:
        return None
    head, day, sig = plain[:-24], plain[-24:-16], plain[-16:]
    if not day.isascii() or not day.isdecimal() or _typed_form(sig) is None:
        return None
    return _typed_head(head, day, _typed_form(sig))


def _typed_head(head: str, day: str, sig: str) -> TypedCode | None:
    """Return the typed code whose head (document code, and serial) has one of the three shapes."""
    for kind, shape in _HEADS:
        found = shape.fullmatch(head)
        if found:
            return TypedCode(kind, found.group(1), found.group(2) or None, day, sig)
    return None


# --- the one verification -----------------------------------------------------------------------

SERIAL = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class SignedCheck:
    """What verify_signed found: whether the signed data is this registry's, the day it names,
    and for an SM2 signature the key and the day that key was revoked (if it was)."""

    ok: bool
    day: date | None = None
    serial: int | None = None
    key_id: str | None = None  # None: the HMAC format (or not verified)
    revoked_on: date | None = None


NOT_SIGNED = SignedCheck(False)


def verify_signed(session: Session, hmac_key: bytes, kind: str, code: str, *,
                  serial: str | None = None, day: str | None = None, sig: str | None = None,
                  key_id: str | None = None) -> SignedCheck:
    """Check the signed data of a document's QR code (or typed verification code), before the
    caller reads the register: an SM2 signature by the named key of the document's county, or
    the HMAC under hmac_key. Anything else, malformed or altered, is NOT_SIGNED."""
    issued, number = signed_day(day), _serial_of(kind, serial)
    if issued is None or number is None or not isinstance(sig, str) or not sig:
        return NOT_SIGNED
    if key_id is None:
        ok = hmac_matches(hmac_key, code, number, issued, sig)
        return SignedCheck(True, issued, number) if ok else NOT_SIGNED
    return _sm2_check(session, kind, code, number, issued, sig, key_id)


def _serial_of(kind: str, serial: str | None) -> int | None:
    """Return the serial the signature covers: the QR's for a certificate, 1 for the others."""
    if kind != "certificate":
        return 1
    return int(serial) if isinstance(serial, str) and SERIAL.fullmatch(serial) else None


def _sm2_check(session: Session, kind: str, code: str, number: int, issued: date, sig: str,
               key_id: str) -> SignedCheck:
    if not isinstance(key_id, str) or key_id[:7] != f"{code[:6]}-":  # only the county's own key
        return NOT_SIGNED
    verdict = api.verify(session, key_id, payload(kind, code, number, issued), sig)
    if not verdict.ok:
        return NOT_SIGNED
    return SignedCheck(True, issued, number, key_id, verdict.revoked_on)


def mask_name(name: str | None) -> str:
    """Mask a person's name for a public page (the verification answers): the family name stays
    (张三 -> 张*, 欧阳娜娜 -> 欧阳**)."""
    if not name:
        return ""
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * (len(name) - keep)


def signed_fields(signed: SignedCheck) -> dict:
    """Return what the verification API says of the signature: the key, and the day it was revoked
    (both None for the HMAC format and for anything not verified)."""
    return {"key_id": signed.key_id,
            "key_revoked_on": signed.revoked_on.isoformat() if signed.revoked_on else None}
