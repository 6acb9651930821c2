"""The transfer contract as printed (R1.23) and the market's transaction attestation (交易鉴证书,
R2.14, R8.9), verifiable by anyone with the same signed QR as certificates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.permissions import Actor, require_login
from landrights.certification import rules as cert_rules
from landrights.errors import NotFound, forbidden
from landrights.market.models import TransferContract, Transferee


def contract_for(session: Session, actor: Actor, code: str) -> TransferContract:
    """Return a transfer contract for one of its parties or an official of its area.

    Raises:
        NotFound: no such contract. Forbidden: anyone else.
    """
    require_login(actor)
    contract = session.scalar(sa.select(TransferContract).where(TransferContract.code == code))
    if contract is None:
        raise NotFound(_l("No transfer contract %(code)s.", code=code), field="code")
    transferee_user = session.scalar(sa.select(Transferee.user_id)
                                     .where(Transferee.id == contract.transferee_id))
    party = (actor.role == "farmer" and actor.household_code == contract.household_code) or \
        transferee_user == actor.user_id
    official = actor.area_prefix is not None and actor.role != "farmer" and \
        contract.household_code.startswith(actor.area_prefix)
    if not (party or official):
        raise forbidden()
    return contract


def filed_on(contract: TransferContract) -> date:
    """Return the filing date (China Standard Time) the attestation carries."""
    return clock.local_date(contract.filed_at)


def attestation_url(base_url: str, key: bytes, contract: TransferContract) -> str:
    """Return the URL the attestation's QR code carries, signed like a certificate's."""
    day = filed_on(contract)
    sig = cert_rules.signature(key, contract.code, 1, day)
    return f"{base_url}/verify/transfer/{contract.code}?d={day:%Y%m%d}&s={sig}"


@dataclass
class TransferCheck:
    """What the public verification of an attestation says."""

    state: str  # filed | terminated | draft | not_found | tampered
    code: str
    contract: TransferContract | None = None


def verify_transfer(session: Session, key: bytes, code: str, *, day: str | None = None,
                    sig: str | None = None) -> TransferCheck:
    """Verify a transfer attestation by code or its signed QR data; anyone may ask."""
    contract = session.scalar(sa.select(TransferContract).where(TransferContract.code == code))
    if sig is not None or day is not None:
        issued = cert_rules.signed_day(day)
        filed = contract is not None and contract.filed_at is not None and filed_on(contract) == issued
        if issued is None or not filed or not cert_rules.signature_matches(key, code, 1, issued, sig or ""):
            return TransferCheck("tampered", code)
    if contract is None:
        return TransferCheck("not_found", code)
    return TransferCheck(contract.status, code, contract)
