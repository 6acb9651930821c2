"""What can happen to a management right after it is filed or while it is held: the household's
written consent to a re-transfer and the re-transfer itself (再流转, R1.29, R2.10), and pledges of
the management right as financing security (融资担保/抵押, R1.30, R2.10).

The database holds the races: one re-transfer of a contract for overlapping terms (EXCLUDE), a
re-transfer always names a recorded consent (NOT NULL foreign key), and a trigger refuses a listing
of a parcel under an active pledge for an overlapping term, with a per-parcel advisory lock that
the pledge's own insert takes too (migration 0007).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import CheckConstraint as Check
from sqlalchemy import ForeignKeyConstraint as FK
from sqlalchemy.dialects.postgresql import ARRAY, DATERANGE, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from landrights import patterns
from landrights.db import Base
from landrights.market.models import term_range

NOW = sa.text("now()")


class RetransferConsent(Base):
    """The household's written consent that the transferee may re-transfer (R1.29): given in the
    app by the household, or its signed paper recorded by the township officer with the scan."""

    __tablename__ = "retransfer_consents"
    __table_args__ = (
        Check("method IN ('farmer', 'officer_scan')", name="method_known"),
        Check("method = 'farmer' OR (scan IS NOT NULL AND scan_name IS NOT NULL)", name="scan_given"),
        Check("until BETWEEN '1978-01-01' AND '2100-12-31'", name="until_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))  # the distribution key (docs/scale.md)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("transfer_contracts.id", ondelete="RESTRICT"),
                                             index=True)
    until: Mapped[date] = mapped_column(sa.Date, comment="the latest last day a re-transfer may have")
    method: Mapped[str] = mapped_column(sa.String(12))
    signer_name: Mapped[str] = mapped_column(sa.String(100))
    consented_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    recorded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    scan_name: Mapped[str | None] = mapped_column(sa.String(200))
    scan_type: Mapped[str | None] = mapped_column(sa.String(60))
    scan: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)


class Retransfer(Base):
    """再流转合同: the transferee passes the whole transfer on to another transferee for the
    remaining term or less, with the household's consent, filed like any transfer (R1.29, R2.10)."""

    __tablename__ = "retransfers"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "code"),  # the code begins with the county
        Check(f"code ~ '{patterns.TRANSFER_CONTRACT.anchored}' AND left(code, 6) = county_code",
              name="code_shape"),
        Check("NOT isempty(term)", name="term_not_empty"),
        Check("price > 0", name="price_positive"),
        Check("status IN ('draft', 'filed')", name="status_known"),
        Check("status = 'draft' OR (transferor_signed_at IS NOT NULL AND transferee_signed_at IS NOT NULL "
              "AND filed_at IS NOT NULL)", name="filed_when_signed"),
        ExcludeConstraint(("contract_id", "="), ("term", "&&"), using="gist", name="retransfers_no_overlap"),
        Check("price <= 100000", name="price_at_most"),
        Check("annual_rent_yuan BETWEEN 0 AND 100000000000", name="rent_range"),
        term_range(),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(sa.String(18), comment="LZHTBM 流转合同编码 (R4.10)")
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("transfer_contracts.id", ondelete="RESTRICT"),
                                             comment="the transfer passed on")
    consent_id: Mapped[int] = mapped_column(sa.ForeignKey("retransfer_consents.id", ondelete="RESTRICT"),
                                            comment="never without the household's consent (R1.29)")
    to_transferee_id: Mapped[int] = mapped_column(sa.ForeignKey("transferees.id", ondelete="RESTRICT"))
    term = mapped_column(DATERANGE, nullable=False, comment="[start, end), within the original term")
    price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), comment="yuan per mu per year")
    annual_rent_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    payment_schedule: Mapped[str] = mapped_column(sa.String(200))
    transferor_signed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    transferee_signed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    filed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), comment="备案 (R2.10)")
    status: Mapped[str] = mapped_column(sa.String(12), server_default="draft")


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
