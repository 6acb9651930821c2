"""Re-transfers of a filed management right (再流转, R1.29, R2.10): the household's written consent
and the re-transfer itself.

The database holds the races: one re-transfer of a contract for overlapping terms (EXCLUDE), and a
re-transfer always names a recorded consent (NOT NULL foreign key).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import CheckConstraint as Check
from sqlalchemy.dialects.postgresql import DATERANGE, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from landrights import patterns
from landrights.db import Base
from landrights.market.models import term_range


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
