"""The statement of retained rights (G5): what the household holds at issue, kept as issued, printed
with a QR code signed like a certificate's. The paper names the holder and the rights; no ID
numbers, phones or addresses. Anyone holding it verifies it by its QR code and learns only whether
it is genuine, when it was issued, the holder masked and the size of the contracted land."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import clock, patterns
from landrights.accounts.permissions import Actor
from landrights.db import flush_or_raise
from landrights.rights.models import Statement
from landrights.rights.queries import retained_rights
from landrights.signing import qr


def _content(rights: dict) -> dict:
    """Keep what proves the rights; drop geometry and anything personal beyond names."""
    contract = rights["contract"]
    homestead = rights["homestead"]
    return {
        "household": rights["household"],
        "members": [{"name": m["name"], "member_of": m["member_of"]} for m in rights["members"]],
        "contract": contract and {k: v for k, v in contract.items() if k != "parcels"} | {
            "parcels": [{"code": p["code"], "name": p["name"], "area_m2": p["area_m2"]}
                        for p in contract["parcels"]]},
        "homestead": homestead and {k: v for k, v in homestead.items() if k != "geometry"},
        "shares": rights["shares"] and {"certificate": rights["shares"]["certificate"],
                                        "total": rights["shares"]["total"]},
        "dividends": rights["dividends"],
        "transfers": rights["transfers"],
    }


def issue_statement(session: Session, actor: Actor, household_code: str) -> Statement:
    """Issue a statement of the household's retained rights as they are now.

    Raises:
        NotFound: no such household. Forbidden: not the household nor an official of its area.
    """
    rights = retained_rights(session, actor, household_code)
    serial = (session.scalar(sa.select(sa.func.count(Statement.id))
                             .where(Statement.household_code == household_code)) or 0) + 1
    statement = Statement(county_code=household_code[:6], code=f"{household_code}S{serial:04d}",
                          household_code=household_code, issued_at=clock.now(), content=_content(rights))
    session.add(statement)
    flush_or_raise(session)
    return statement


def issued_on(statement: Statement) -> date:
    """Return the statement's issue date in China Standard Time."""
    return clock.local_date(statement.issued_at)


def verify_url(session: Session, base_url: str, statement: Statement) -> str:
    """Return the URL the statement's QR code carries, signed like a certificate's.

    Raises:
        Conflict: no signing key of the county in force.
    """
    return qr.signed_url(session, base_url, "statement", statement.code, 1, issued_on(statement))


@dataclass
class StatementCheck:
    """What the public verification of a statement says: the verdict, the issue date, the holder
    masked and the size of the contracted land (to compare with the paper). Nothing else: no
    dividends, rent, transferees, members or ID numbers (G5)."""

    state: str  # genuine | unverified
    code: str
    issued_on: date | None = None
    holder: str = ""
    parcel_count: int | None = None  # None: the household held no contract then
    total_area_m2: float | None = None
    signed: qr.SignedCheck = qr.NOT_SIGNED  # the key that signed the QR, and if it was revoked


def verify_statement(session: Session, key: bytes, code: str, *, day: str | None = None,
                     sig: str | None = None, key_id: str | None = None) -> StatementCheck:
    """Verify a statement by the signed data of its QR code (SM2 with key_id, or the HMAC under
    key of QR codes printed before); anyone may ask (G5).

    A code alone, altered or forged data and an unknown code all get the same answer,
    'unverified', decided before the register is read."""
    if not patterns.STATEMENT.matches(code):
        return StatementCheck("unverified", code)
    signed = qr.verify_signed(session, key, "statement", code, day=day, sig=sig, key_id=key_id)
    if not signed.ok:
        return StatementCheck("unverified", code)
    statement = session.scalar(sa.select(Statement).where(Statement.code == code))
    if statement is None or issued_on(statement) != signed.day:
        return StatementCheck("unverified", code)
    contract = statement.content.get("contract")
    return StatementCheck("genuine", code, signed.day,
                          qr.mask_name(statement.content["household"]["name"]),
                          len(contract["parcels"]) if contract else None,
                          contract["total_area_m2"] if contract else None, signed)
