"""Settlement in a town (进城落户), voluntary paid withdrawal (有偿退出) and retained-rights statements.

The guarantee (DESIGN.md G1-G2, R1.10, R6.7, R7.6) is in the shape of the data: a settlement row
references only the person; nothing references a settlement, so no withdrawal, membership loss or
contract change can be made "because of" one. A withdrawal starts from the holder's own request,
names its compensation, and respects its notice period in the database (R1.14: six months), dated
by its filing. Migration 0016's triggers flag a withdrawal of a household with a settlement in the
review window whatever the order of recording, and refuse its effect until the county finds it
voluntary (G4).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import CheckConstraint as Check
from sqlalchemy import ForeignKeyConstraint as FK
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from landrights import clock
from landrights.db import Base

NOW = sa.text("now()")
_FILED_ON = "(requested_at AT TIME ZONE 'Asia/Shanghai')::date"  # the filing's China day
KINDS = ("land_return", "homestead", "shares")


class Settlement(Base):
    """A person settled in a town: where, when, on what document. Changes residence fields only."""

    __tablename__ = "settlements"
    __table_args__ = (
        Check("length(trim(city)) > 0", name="city_given"),
        # no hukou transfer before the 1958 regulation; "not after today" is the service's (R9.1)
        Check("settled_on BETWEEN '1958-01-09' AND '2100-12-31'", name="settled_on_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    settled_on: Mapped[date] = mapped_column(sa.Date)
    city: Mapped[str] = mapped_column(sa.String(100), comment="town or city of the new hukou")
    address: Mapped[str | None] = mapped_column(sa.String(200))
    document: Mapped[str] = mapped_column(sa.String(200), comment="hukou transfer record")
    recorded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)


class Withdrawal(Base):
    """有偿退出: the holder's own, paid, cancellable request to give up one right (G3)."""

    __tablename__ = "withdrawals"
    __table_args__ = (
        FK(["county_code", "household_code"], ["households.county_code", "households.code"],
           ondelete="RESTRICT"),
        Check("kind IN ('land_return', 'homestead', 'shares')", name="kind_known"),
        Check("status IN ('requested', 'cancelled', 'effective')", name="status_known"),
        Check("request_method IN ('holder', 'officer_scan')", name="request_method_known"),
        # G3: only the holder's own signed request; an officer only records its scan
        Check("request_method = 'holder' OR request_scan IS NOT NULL", name="holder_request"),
        Check("compensation_yuan > 0", name="paid"),  # G3, R1.14, R6.6: never without compensation
        Check("improvement_yuan >= 0", name="improvement_not_negative"),  # R1.11
        Check("effective_on >= notice_on", name="effective_after_notice"),
        # R1.14: contracted land is returned on six months' written notice
        Check("kind <> 'land_return' OR effective_on >= notice_on + interval '6 months'",
              name="six_months_notice"),
        Check("(kind = 'land_return') = (parcel_codes IS NOT NULL)", name="land_names_parcels"),
        Check("(kind = 'homestead') = (homestead_code IS NOT NULL)", name="homestead_named"),
        Check("(kind = 'shares') = (share_quantity IS NOT NULL AND share_person_id IS NOT NULL)",
              name="shares_named"),
        Check("review IN ('none', 'pending', 'voluntary', 'not_voluntary')", name="review_known"),
        Check("(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_when"),
        Check("compensation_yuan <= 1000000000", name="compensation_at_most"),  # ranges.AMOUNT_MAX
        Check("improvement_yuan <= compensation_yuan", name="improvement_within_compensation"),  # R1.11
        Check("share_quantity > 0 AND share_quantity <= 100000000", name="share_quantity_range"),
        Check("notice_on BETWEEN '1978-01-01' AND '2100-12-31'", name="notice_on_range"),
        Check("effective_on <= '2100-12-31'", name="effective_on_range"),
        # R1.14, issue 17: the notice is dated by the filing, a China Standard Time day (migration
        # 0016). In the app the request is the notice; an officer records the date on the signed
        # paper, at most 30 days back (rules.PAPER_NOTICE_DAYS). A cancelled request is exempt, so
        # one made before these rules can still be cancelled, never take effect.
        Check(f"status = 'cancelled' OR notice_on <= {_FILED_ON}", name="notice_not_after_filing"),
        Check(f"status = 'cancelled' OR request_method <> 'holder' OR notice_on = {_FILED_ON}",
              name="in_app_notice_on_filing"),
        Check(f"status = 'cancelled' OR notice_on >= {_FILED_ON} - 30", name="paper_notice_recent"),
        Check("status <> 'effective' OR (effected_at IS NOT NULL AND "
              "(effected_at AT TIME ZONE 'Asia/Shanghai')::date >= effective_on)", name="effect_on_its_date"),
        Check("review NOT IN ('voluntary', 'not_voluntary') OR review_note IS NOT NULL",
              name="review_noted"),  # G4: the county's finding says how it was checked
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    household_code: Mapped[str] = mapped_column(sa.String(18))
    kind: Mapped[str] = mapped_column(sa.String(12))
    parcel_codes: Mapped[list[str] | None] = mapped_column(ARRAY(sa.String(19)))
    homestead_code: Mapped[str | None] = mapped_column(sa.String(21))
    share_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id", ondelete="RESTRICT"))
    share_quantity: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    request_method: Mapped[str] = mapped_column(sa.String(12))
    request_signed_by: Mapped[str] = mapped_column(sa.String(100), comment="the holder who signed")
    request_scan_name: Mapped[str | None] = mapped_column(sa.String(200))
    request_scan: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    requested_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    compensation_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    improvement_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), server_default="0",
                                                      comment="R1.11 improvements, land only")
    notice_on: Mapped[date] = mapped_column(sa.Date, comment="written notice given")
    effective_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(12), server_default="requested")
    cancelled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    effected_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    review: Mapped[str] = mapped_column(sa.String(14), server_default="none",
                                        comment="G4: county review of voluntariness")
    review_note: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))

    @property
    def filed_on(self) -> date:
        """The day the request was filed, in China Standard Time (the server's clock)."""
        return clock.local_date(self.requested_at)


class Statement(Base):
    """A retained-rights statement as issued: what it showed, verifiable by code and QR (G5)."""

    __tablename__ = "statements"
    __table_args__ = (sa.UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(sa.String(24), comment="household code + S + serial")
    household_code: Mapped[str] = mapped_column(sa.String(18))
    issued_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    content: Mapped[dict] = mapped_column(JSONB, comment="the rights shown, minimal personal data")
