"""The register's hash chain, its signed daily heads and the results of verifying it (issue 20 §3).

Written only by the database's own triggers (the chain, migration 0022) and by `landrights audit`
(heads, checks); all three are append-only.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import CheckConstraint as Check
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from landrights import patterns
from landrights.db import Base

COUNTY_SHAPE = f"county_code ~ '{patterns.COUNTY.anchored}'"
CHAINED_TABLES = ("register_entries", "certificates", "transfer_contracts", "withdrawals")


class ChainEntry(Base):
    """One change of a register record, as the change left it, linked to the county's previous one:
    hash = SHA-256(prev_hash || county, seq, table, id, operation, recorded_at, content, one per
    line, UTF-8)."""

    __tablename__ = "register_chain"
    __table_args__ = (
        Check(COUNTY_SHAPE, name="county_shape"),
        Check("seq >= 1", name="seq_positive"),
        Check("source_table IN ('register_entries', 'certificates', 'transfer_contracts', "
              "'withdrawals')", name="source_known"),
        Check("operation IN ('genesis', 'insert', 'update', 'delete')", name="operation_known"),
        Check("length(prev_hash) = 32 AND length(hash) = 32", name="sha256"),
    )

    county_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True,
                                     comment="1, 2, 3 ... in the county, no gap")
    source_table: Mapped[str] = mapped_column(sa.String(40))
    source_id: Mapped[int] = mapped_column(sa.BigInteger, comment="the source row's id")
    operation: Mapped[str] = mapped_column(sa.String(8), comment="genesis: chained at migration 0022")
    content: Mapped[str] = mapped_column(sa.Text, comment="lr_chain_content_<table>(row): jsonb text")
    prev_hash: Mapped[bytes] = mapped_column(sa.LargeBinary, comment="32 zero bytes before seq 1")
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class RegisterHead(Base):
    """A county's chain as it stood on a day (China time): its length and last hash, signed with
    the county's key (landrights.signing), so a later rewrite of the chain shows."""

    __tablename__ = "register_heads"
    __table_args__ = (
        Check(COUNTY_SHAPE, name="county_shape"),
        Check("entries >= 0", name="entries_not_negative"),
        Check("length(head_hash) = 32", name="sha256"),
    )

    county_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True, comment="China Standard Time")
    entries: Mapped[int] = mapped_column(sa.BigInteger, comment="chain length = seq of the head")
    head_hash: Mapped[bytes] = mapped_column(sa.LargeBinary, comment="hash of entry `entries`")
    key_id: Mapped[str] = mapped_column(sa.String(40), comment="signing_keys.key_id")
    signature: Mapped[str] = mapped_column(sa.Text, comment="SM2 over heads.payload(), base64url")
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                  server_default=sa.text("now()"))


class RegisterCheck(Base):
    """One run of `landrights audit verify` over a county: how long the chain was, how many
    findings, and the first (the one the county administrator reads)."""

    __tablename__ = "register_checks"
    __table_args__ = (
        Check(COUNTY_SHAPE, name="county_shape"),
        Check("(findings = 0) = (first_finding IS NULL)", name="finding_named"),
        sa.Index("ix_register_checks_county_code_checked_at", "county_code", "checked_at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    checked_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))
    entries: Mapped[int] = mapped_column(sa.BigInteger)
    findings: Mapped[int] = mapped_column(sa.Integer)
    first_finding: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True),
                                                        comment="chain.Finding as a dict")
