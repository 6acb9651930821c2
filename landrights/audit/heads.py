"""The daily signed register head (issue 20 §3): each county's chain length and last hash on a day,
signed with the county's key (landrights.signing, SM2), kept in register_heads and published as
JSON, so a copy held outside the registry shows any later rewrite of the chain."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import clock, signing
from landrights.audit.models import RegisterHead

ZERO_HASH = bytes(32)
HEADING = "landrights register head"


def payload(county_code: str, day: date, entries: int, head_hash: bytes) -> bytes:
    """Return the exact bytes a head's signature covers (UTF-8, one field per line)."""
    return (f"{HEADING}\ncounty {county_code}\ndate {day.isoformat()}\nentries {entries}\n"
            f"hash {head_hash.hex()}\n").encode()


@dataclass(frozen=True)
class Recorded:
    """What `record_head` did for one county: the head, and whether it was made just now."""

    head: RegisterHead
    created: bool


def record_head(session: Session, county_code: str, day: date | None = None) -> Recorded:
    """Record and sign county_code's head for day (default: today, China time), once: a second
    run on the same day returns the head already recorded.

    Raises:
        Conflict: the county has no signing key in force (landrights.signing).
    """
    day = day or clock.today()
    existing = session.get(RegisterHead, (county_code, day))
    if existing is not None:
        return Recorded(existing, False)
    last = session.execute(sa.text(
        "SELECT seq, hash FROM register_chain WHERE county_code = :c ORDER BY seq DESC LIMIT 1"),
        {"c": county_code}).first()
    entries, head_hash = (last.seq, bytes(last.hash)) if last else (0, ZERO_HASH)
    signed = signing.sign(session, county_code, payload(county_code, day, entries, head_hash))
    inserted = session.execute(sa.text(
        "INSERT INTO register_heads (county_code, day, entries, head_hash, key_id, signature) "
        "VALUES (:c, :d, :n, :h, :k, :s) ON CONFLICT DO NOTHING RETURNING county_code"),
        {"c": county_code, "d": day, "n": entries, "h": head_hash, "k": signed.key_id,
         "s": signed.signature_b64}).first()
    return Recorded(session.get(RegisterHead, (county_code, day), populate_existing=True),
                    inserted is not None)


def recorded(session: Session, county_code: str, limit: int | None = None) -> list[RegisterHead]:
    """Return county_code's heads, the newest first (all of them, or the last `limit`)."""
    query = (sa.select(RegisterHead).where(RegisterHead.county_code == county_code)
             .order_by(RegisterHead.day.desc()).limit(limit))
    return list(session.scalars(query))


def signature_holds(session: Session, head: RegisterHead) -> bool:
    """Tell whether a head's signature verifies with its key over its payload."""
    data = payload(head.county_code, head.day, head.entries, bytes(head.head_hash))
    return signing.verify(session, head.key_id, data, head.signature).ok


def public(head: RegisterHead) -> dict:
    """Return a head as published: the signed fields, the payload as signed, the signature."""
    data = payload(head.county_code, head.day, head.entries, bytes(head.head_hash))
    return {"county_code": head.county_code, "date": head.day.isoformat(), "entries": head.entries,
            "head_hash": bytes(head.head_hash).hex(), "key_id": head.key_id,
            "signature": head.signature, "algorithm": "SM2 with SM3",
            "payload_base64": base64.b64encode(data).decode()}


def from_public(data: dict) -> RegisterHead:
    """Return a published head (public()) as a RegisterHead not in any session, to compare.

    Raises:
        ValueError: a field is missing or malformed.
    """
    try:
        return RegisterHead(county_code=str(data["county_code"]), day=date.fromisoformat(data["date"]),
                            entries=int(data["entries"]), head_hash=bytes.fromhex(data["head_hash"]),
                            key_id=str(data["key_id"]), signature=str(data["signature"]))
    except (KeyError, TypeError) as err:
        raise ValueError(f"a head lacks {err}") from None
