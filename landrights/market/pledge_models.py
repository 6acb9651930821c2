"""Pledges of the management right as financing security (融资担保/抵押, R1.30, R2.10) and the parcels
each one covers.

A trigger refuses a listing of a parcel under an active pledge for an overlapping term, with a
per-parcel advisory lock that the pledge's own insert takes too (migration 0007).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import CheckConstraint as Check
from sqlalchemy import ForeignKeyConstraint as FK
from sqlalchemy.dialects.postgresql import ARRAY, DATERANGE
from sqlalchemy.orm import Mapped, mapped_column, relationship

from landrights.db import Base
from landrights.market.models import term_range

NOW = sa.text("now()")


class Pledge(Base):
    """经营权融资担保 (R1.30): the management right of some parcels pledged to a creditor for a term,
    by the household, or by a transferee with the household's written consent; filed (R2.10)."""

    __tablename__ = "pledges"
    __table_args__ = (
        FK(["county_code", "household_code"], ["households.county_code", "households.code"],
           ondelete="RESTRICT"),
        Check("pledgor IN ('household', 'transferee')", name="pledgor_known"),
        Check("amount_yuan > 0", name="amount_positive"),
        Check("NOT isempty(term)", name="term_not_empty"),
        Check("length(trim(creditor)) > 0 AND length(trim(document)) > 0", name="creditor_and_document"),
        # R1.30: a transferee pledges its transfer only with the household's written consent
        Check("pledgor = 'household' OR (contract_id IS NOT NULL AND length(trim(consent_document)) > 0)",
              name="transferee_with_consent"),
        Check("status IN ('active', 'released')", name="status_known"),
        Check("(status = 'released') = (released_at IS NOT NULL)", name="released_when"),
        Check("amount_yuan <= 1000000000", name="amount_at_most"),  # ranges.AMOUNT_MAX
        term_range(),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    household_code: Mapped[str] = mapped_column(sa.String(18), comment="the contractor of the land")
    contract_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("transfer_contracts.id", ondelete="RESTRICT"),
        comment="a transferee's pledged transfer")
    pledgor: Mapped[str] = mapped_column(sa.String(12))
    creditor: Mapped[str] = mapped_column(sa.String(100), comment="the financial institution")
    amount_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), comment="secured amount")
    term = mapped_column(DATERANGE, nullable=False, comment="[start, end) of the pledge")
    document: Mapped[str] = mapped_column(sa.String(200), comment="the guarantee contract")
    consent_document: Mapped[str | None] = mapped_column(sa.String(200))
    filed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    filed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    status: Mapped[str] = mapped_column(sa.String(10), server_default="active")
    released_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    release_document: Mapped[str | None] = mapped_column(sa.String(200))
    parcel_codes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(19)))

    parcels: Mapped[list[PledgeParcel]] = relationship(back_populates="pledge")


class PledgeParcel(Base):
    """A pledged parcel; while its pledge is active no listing of it may overlap the term."""

    __tablename__ = "pledge_parcels"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id", ondelete="RESTRICT"), index=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    parcel_code: Mapped[str] = mapped_column(sa.String(19), index=True)

    pledge: Mapped[Pledge] = relationship(back_populates="parcels")
