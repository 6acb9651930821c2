"""Confirmation and certification (确权登记颁证): claims, public notices, objections, sign-offs and
certificates (R3.3-R3.6, R5.3-R5.8).

The flow: surveyed parcels are claimed by households (the survey's CBDKXX link) -> a notice (公示)
shows a collective's households, members and parcels for at least the minimum period -> objections
(异议) name a household or a parcel -> the household signs off (结果确认) -> contract and register
entry -> certificate (证书) -> re-issue, replacement, cancellation. Certificates are never deleted or
rewritten: a trigger written in the migration lets a valid one only end (superseded or cancelled).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import CheckConstraint as Check
from sqlalchemy import ForeignKeyConstraint as FK
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from landrights import patterns
from landrights.db import Base

NOW = sa.text("now()")


class Claim(Base):
    """A household's claim to a surveyed parcel (承包地块归户, CBDKXX): what goes on the notice."""

    __tablename__ = "claims"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "parcel_code"),
        FK(["county_code", "household_code"], ["households.county_code", "households.code"],
           ondelete="RESTRICT"),
        Check(f"parcel_code ~ '{patterns.PARCEL.anchored}'", name="parcel_code_shape"),
        # a household holds land of its own collective only (R4.6, R4.7)
        Check("left(parcel_code, 14) = left(household_code, 14)", name="same_collective"),
        Check("county_code = left(household_code, 6)", name="county_prefix"),
        Check("contract_area_m2 IS NULL OR contract_area_m2 > 0", name="contract_area_positive"),
        Check("contract_area_m2 <= 10000000", name="contract_area_at_most"),  # ranges.PARCEL_AREA_MAX_M2
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    household_code: Mapped[str] = mapped_column(sa.String(18), comment="CBFBM")
    parcel_code: Mapped[str] = mapped_column(sa.String(19), comment="DKBM")
    contract_area_m2: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(16, 2), comment="HTMJ 合同面积 from the second-round ledger")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))


class Notice(Base):
    """公示: one collective's survey results on public display (R5.3: at least the minimum days)."""

    __tablename__ = "notices"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "collective_code", "round"),
        FK(["county_code", "collective_code"], ["collectives.county_code", "collectives.code"],
           ondelete="RESTRICT"),
        Check("min_days >= 1", name="min_days_positive"),
        # R5.3: the period is never shorter than the minimum configured when it opened
        Check("closes_at >= opened_at + make_interval(days => min_days)", name="min_period"),
        Check("county_code = left(collective_code, 6)", name="county_prefix"),
        Check("round >= 1", name="round_positive"),
        # R5.3: at most a year on display (the service's ranges.NOTICE_DAYS, + the partial first day):
        # 367 days in hours, so the bound does not depend on the session's time zone (immutable)
        Check("min_days <= 365", name="min_days_at_most"),
        Check("closes_at <= opened_at + interval '8808 hours'", name="period_at_most_a_year"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    collective_code: Mapped[str] = mapped_column(sa.String(14), comment="FBFBM")
    round: Mapped[int] = mapped_column(sa.Integer, comment="1 first notice, 2+ re-notice of changes")
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    min_days: Mapped[int] = mapped_column(sa.Integer, comment="minimum days in force when opened")
    opened_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    place: Mapped[str | None] = mapped_column(sa.String(200), comment="where the paper copy hangs")

    entries: Mapped[list[NoticeEntry]] = relationship(back_populates="notice",
                                                      order_by="NoticeEntry.id")


class NoticeEntry(Base):
    """One household (parcel_code NULL, with its members) or one parcel version on a notice."""

    __tablename__ = "notice_entries"
    __table_args__ = (
        sa.UniqueConstraint("notice_id", "household_code", "parcel_code",
                            postgresql_nulls_not_distinct=True),
        FK(["parcel_id", "parcel_code"], ["parcels.id", "parcels.code"], ondelete="RESTRICT"),
        Check("(parcel_code IS NULL) = (parcel_id IS NULL)", name="parcel_pair"),
        Check("(parcel_code IS NULL) = (member_ids IS NOT NULL)", name="household_or_parcel"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="RESTRICT"))
    county_code: Mapped[str] = mapped_column(sa.String(6))
    household_code: Mapped[str] = mapped_column(sa.String(18))
    parcel_code: Mapped[str | None] = mapped_column(sa.String(19))
    parcel_id: Mapped[int | None] = mapped_column(sa.BigInteger, comment="the version shown")
    member_ids: Mapped[list[int] | None] = mapped_column(
        ARRAY(sa.BigInteger), comment="household_members versions shown")
    area_m2: Mapped[Decimal | None] = mapped_column(sa.Numeric(16, 2))

    notice: Mapped[Notice] = relationship(back_populates="entries")


class Objection(Base):
    """异议 (R5.4): against one household record or one parcel of a notice; blocks only that."""

    __tablename__ = "objections"
    __table_args__ = (
        sa.Index("ix_objections_open", "county_code", "household_code",
                 postgresql_where=sa.text("status = 'open'")),
        Check("status IN ('open', 'dismissed', 'upheld')", name="status_known"),
        Check("filer_kind IN ('member', 'neighbour', 'collective')", name="filer_kind_known"),
        Check("(status = 'open') = (resolved_at IS NULL)", name="resolved_when_closed"),
        Check("status = 'open' OR length(trim(resolution)) > 0", name="resolution_reason"),
        Check("length(trim(text)) > 0", name="text_given"),
        Check("(evidence IS NULL) = (evidence_name IS NULL)", name="evidence_named"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="RESTRICT"))
    household_code: Mapped[str] = mapped_column(sa.String(18))
    parcel_code: Mapped[str | None] = mapped_column(sa.String(19), comment="NULL: the household record")
    filer_kind: Mapped[str] = mapped_column(sa.String(12), comment="member, neighbour, collective")
    filer_name: Mapped[str] = mapped_column(sa.String(100))
    filed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    filed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    text: Mapped[str] = mapped_column(sa.Text)
    evidence_name: Mapped[str | None] = mapped_column(sa.String(200))
    evidence_type: Mapped[str | None] = mapped_column(sa.String(60))
    evidence: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(sa.String(10), server_default="open")
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    document: Mapped[str | None] = mapped_column(sa.String(200), comment="decision document")
    resolved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class SignOff(Base):
    """结果确认 (R5.5): the representative's confirmation, in the app or as the scan of the signed,
    fingerprinted form recorded by an officer."""

    __tablename__ = "sign_offs"
    __table_args__ = (
        Check("method IN ('farmer', 'officer_scan')", name="method_known"),
        Check("method = 'farmer' OR (scan IS NOT NULL AND scan_name IS NOT NULL)", name="scan_given"),
        Check("contract_version >= 1", name="contract_version_positive"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    household_code: Mapped[str] = mapped_column(sa.String(18))
    signed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    method: Mapped[str] = mapped_column(sa.String(12))
    signer_name: Mapped[str] = mapped_column(sa.String(100))
    signed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    scan_name: Mapped[str | None] = mapped_column(sa.String(200))
    scan_type: Mapped[str | None] = mapped_column(sa.String(60))
    scan: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    contract_code: Mapped[str] = mapped_column(sa.String(19))
    contract_version: Mapped[int] = mapped_column(sa.Integer)
    confirmed_codes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(19)))
    withheld_codes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(19)), server_default="{}")


class Certificate(Base):
    """土地承包经营权证 (R3.3-R3.6): code = contract code = register code (R4.9); serial counts its
    issues; at most one valid per code (partial unique index)."""

    __tablename__ = "certificates"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "code", "serial"),
        sa.UniqueConstraint("printed_no"),
        sa.Index("uq_certificates_one_valid", "county_code", "code", unique=True,
                 postgresql_where=sa.text("status = 'valid'")),
        FK(["contract_id", "code"], ["contracts.id", "contracts.code"], ondelete="RESTRICT"),
        Check(f"code ~ '{patterns.CONTRACT.anchored}'", name="code_shape"),
        Check("county_code = left(code, 6)", name="county_prefix"),
        Check("kind IN ('issue', 'reissue', 'replace')", name="kind_known"),
        Check("status IN ('valid', 'superseded', 'cancelled')", name="status_known"),
        # 补发 and 换发 carry their reason and document (R3.6)
        Check("kind = 'issue' OR (length(trim(reason)) > 0 AND length(trim(document)) > 0)",
              name="reason_for_reissue"),
        Check("(status = 'valid') = (ended_at IS NULL)", name="ended_when_not_valid"),
        Check("status <> 'cancelled' OR (length(trim(end_reason)) > 0 AND length(trim(end_document)) > 0)",
              name="reason_for_cancellation"),
        Check("serial >= 1", name="serial_positive"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(sa.String(19), comment="CBJYQZBM 经营权证编码")
    serial: Mapped[int] = mapped_column(sa.Integer, comment="1 first issue, then each re-issue")
    printed_no: Mapped[str] = mapped_column(sa.String(20), comment="NO.J + 13 digits (R4.11)")
    contract_id: Mapped[int] = mapped_column(sa.BigInteger, comment="the contract version it shows")
    register_entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("register_entries.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(12), server_default="valid")
    authority: Mapped[str] = mapped_column(sa.String(100), comment="发证机关")
    issued_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    issued_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    reason: Mapped[str | None] = mapped_column(sa.Text, comment="why re-issued or replaced")
    document: Mapped[str | None] = mapped_column(sa.String(200), comment="loss declaration, change")
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    ended_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    end_reason: Mapped[str | None] = mapped_column(sa.Text)
    end_document: Mapped[str | None] = mapped_column(sa.String(200))
    handup_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, comment="handup_imports.id of the package it came from; NULL: issued here")
