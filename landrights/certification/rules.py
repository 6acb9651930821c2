"""Pure rules of confirmation and certification: notice periods, contract terms, who is a
neighbour, and which certificate acts apply. The signature a certificate's
QR code carries, and the verification code printed under it: landrights.signing.qr."""
from __future__ import annotations

from datetime import date, datetime, timedelta

NOTICE_MIN_DAYS = 7  # R5.3: a notice stays up at least 7 days (configurable in settings)
OBJECTION_FILERS = ("member", "neighbour", "collective")
OBJECTION_DECISIONS = ("dismiss", "uphold")
CERTIFICATE_CHANGES = ("reissue", "replace", "cancel")  # 补发, 换发, 注销 of the certificate in force (R3.6)


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


def printed_no(number: int) -> str:
    """Return the printed serial of the paper form: NO.J + 13 digits (R4.11)."""
    return f"NO.J{number:013d}"


def certificate_actions(statuses: list[str]) -> tuple[str, ...]:
    """Return the acts that apply to a contract's certificates, given their statuses: 补发, 换发 and
    注销 of the one in force; else a first issue, or a new issue after the last was cancelled (R3.6)."""
    if "valid" in statuses:
        return CERTIFICATE_CHANGES
    return ("issue",)
