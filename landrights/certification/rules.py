"""Pure rules of confirmation and certification: notice periods, contract terms, who is a
neighbour, masking on public pages, the signature carried by a certificate's QR code and the
verification code printed under it, and which certificate acts apply."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

NOTICE_MIN_DAYS = 7  # R5.3: a notice stays up at least 7 days (configurable in settings)
OBJECTION_FILERS = ("member", "neighbour", "collective")


def notice_closes_at(opened_at: datetime, days: int) -> datetime:
    """Return when a notice of `days` full days opened at opened_at closes: at the end (midnight,
    China Standard Time) of the days-th day after the opening day, so never sooner (R5.3)."""
    cst = timedelta(hours=8)
    after_last_day = (opened_at + cst).date() + timedelta(days=days + 1)
    return datetime.combine(after_last_day, datetime.min.time(), tzinfo=opened_at.tzinfo) - cst


def contract_term(second_round_start: date, years: int) -> tuple[date, date]:
    """Return the family contract's term: `years` from the second-round start (R1.5, R5.6)."""
    end = second_round_start.replace(year=second_round_start.year + years) - timedelta(days=1)
    return second_round_start, end


def names_neighbour(sides: tuple[str | None, ...], names: set[str]) -> bool:
    """Tell whether one of the names appears in a parcel's four-neighbour fields (四至)."""
    text = " ".join(s for s in sides if s)
    return any(name and name in text for name in names)


def mask_name(name: str | None) -> str:
    """Mask a person's name for a public page: the family name stays (张三 -> 张*, 欧阳娜娜 -> 欧阳**)."""
    if not name:
        return ""
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * (len(name) - keep)


def printed_no(number: int) -> str:
    """Return the printed serial of the paper form: NO.J + 13 digits (R4.11)."""
    return f"NO.J{number:013d}"


def signed_day(text: str | None) -> date | None:
    """Read the YYYYMMDD issue date a QR carries, or None when it is not a real date."""
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except (TypeError, ValueError):
        return None


def signature(key: bytes, code: str, serial: int, issued_on: date) -> str:
    """Return the QR signature of a certificate: HMAC-SHA256 over code, serial and issue date,
    first 128 bits, URL-safe base64 without padding."""
    message = f"{code}|{serial}|{issued_on.isoformat()}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signature_matches(key: bytes, code: str, serial: int, issued_on: date, given: str) -> bool:
    """Tell, in constant time, whether a signature is the one this registry made: the QR's, or
    the shorter one of the verification code printed under it (typed_signature)."""
    expected = signature(key, code, serial, issued_on)
    if hmac.compare_digest(expected.encode(), (given or "").encode()):  # bytes: any text compares
        return True
    typed = _typed_form(given)
    return typed is not None and hmac.compare_digest(typed_signature(expected).encode(), typed.encode())


# The verification code printed under a document's QR code, for people who type it at /verify/:
# the document's code, the serial (certificates only), the issue date and 80 bits of the QR's
# signature in Crockford's base32 (no I, L, O or U; read as 1, 1, 0: nothing to confuse), e.g.
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
    """Return the printed, typeable form of a QR signature: its first 80 bits in base32."""
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
    """Return the verification code printed under a QR code (serial None: a statement or an
    attestation, which have one issue each)."""
    sig = typed_signature(qr_signature)
    head = code if serial is None else f"{code}-{serial}"
    groups = "-".join(sig[i:i + 4] for i in range(0, TYPED_SIGNATURE_CHARS, 4))
    return f"{head}-{issued_on:%Y%m%d}-{groups}"


@dataclass(frozen=True)
class TypedCode:
    """What a typed verification code names: which kind of document, and its signed data."""

    kind: str  # certificate | statement | transfer
    code: str
    serial: str | None
    day: str
    sig: str


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
                     query.get("d", ""), query.get("s", ""))


def verification_code_of(verify_url: str) -> str:
    """Return the verification code to print under the QR code that carries verify_url."""
    signed = _from_url(verify_url)
    day = signed and signed_day(signed.day)
    if day is None or len(signed.sig) != 22 or (signed.kind == "certificate" and not
                                                (signed.serial or "").isdecimal()):
        return ""  # not a URL this registry signs: nothing to print
    return verification_code(signed.code, signed.serial and int(signed.serial), day, signed.sig)


def read_verification_code(text: str | None) -> TypedCode | None:
    """Read a typed verification code (separators, spaces and letter case do not matter) or a
    pasted verification URL, or None when it has not the shape of either. Only the shape is read
    here: whether it is genuine is for the verification, which checks the signature before it
    reads the register."""
    if "/verify/" in (text or "").lower():
        return _from_url(text)
    # NFKC: full-width characters an input method gives (２２０４…Ｊ) are the ASCII ones
    plain = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "").upper())
    if len(plain) <= TYPED_SIGNATURE_CHARS + 8 or len(plain) > 64:
        return None
    head, day, sig = plain[:-24], plain[-24:-16], plain[-16:]
    if not day.isascii() or not day.isdecimal() or _typed_form(sig) is None:
        return None
    for kind, shape in _HEADS:
        found = shape.fullmatch(head)
        if found:
            return TypedCode(kind, found.group(1), found.group(2) or None, day, _typed_form(sig))
    return None


def certificate_actions(statuses: list[str]) -> tuple[str, ...]:
    """Return the acts that apply to a contract's certificates, given their statuses: 补发, 换发 and
    注销 of the one in force; else a first issue, or a new issue after the last was cancelled (R3.6)."""
    if "valid" in statuses:
        return ("reissue", "replace", "cancel")
    return ("issue",)
