"""Pure rules of confirmation and certification: notice periods, contract terms, who is a
neighbour, masking on public pages, and the signature carried by a certificate's QR code."""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date, datetime, timedelta

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
    """Tell, in constant time, whether a QR's signature is the one this registry made."""
    return hmac.compare_digest(signature(key, code, serial, issued_on), given or "")
