"""Use cases of the register's chain: verify a county (the operator's command), record its daily
signed head (the operator's timer), and what the county administrator sees."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights.accounts.permissions import Actor
from landrights.audit import chain, heads, permissions
from landrights.audit.models import RegisterCheck, RegisterHead

RECENT_HEADS = 30


def verify_register(session: Session, actor: Actor, county_code: str,
                    copied_heads: list[dict] | None = None) -> chain.Report:
    """Verify county_code's chain, heads and records, and keep the result for the county's page;
    copied_heads: heads as published, kept outside the registry, compared as well.

    Raises:
        Forbidden: not the operator (system).
    """
    permissions.require_verify_register(actor)
    report = chain.verify_county(session, county_code, signatures=heads.signature_holds)
    if copied_heads:
        extra = chain.head_findings(session, county_code, [heads.from_public(h) for h in copied_heads],
                                    heads.signature_holds, copy=True)
        report = chain.Report(county_code, report.entries, sorted(report.findings + extra, key=chain.order))
    session.add(RegisterCheck(county_code=county_code, entries=report.entries,
                              findings=len(report.findings),
                              first_finding=report.findings[0].as_dict() if report.findings else None))
    session.flush()
    return report


def record_head(session: Session, actor: Actor, county_code: str) -> heads.Recorded:
    """Record and sign today's head of county_code's chain, once a day.

    Raises:
        Forbidden: not the operator (system). Conflict: no signing key in force for the county.
    """
    permissions.require_verify_register(actor)
    return heads.record_head(session, county_code)


def counties(session: Session, actor: Actor) -> list[str]:
    """Return the counties the operator's commands cover by default.

    Raises:
        Forbidden: not the operator (system).
    """
    permissions.require_verify_register(actor)
    return chain.chained_counties(session)


@dataclass(frozen=True)
class Overview:
    """What the county administrator sees: the recent heads and the last verification."""

    county_code: str
    heads: list[RegisterHead]
    last_check: RegisterCheck | None


def register_overview(session: Session, actor: Actor) -> Overview:
    """Return the county administrator's county's recent signed heads and last verification.

    Raises:
        Forbidden: not a county administrator.
    """
    permissions.require_see_register_heads(actor)
    last = session.scalars(sa.select(RegisterCheck).where(RegisterCheck.county_code == actor.county_code)
                           .order_by(RegisterCheck.checked_at.desc(), RegisterCheck.id.desc())
                           .limit(1)).first()
    return Overview(actor.county_code, heads.recorded(session, actor.county_code, RECENT_HEADS), last)


def published_heads(session: Session, county_code: str) -> list[dict]:
    """Return every signed head of a county as published (anyone may read them)."""
    return [heads.public(h) for h in heads.recorded(session, county_code)]

