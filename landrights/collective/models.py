"""The collective economic organization (集体经济组织): its roster (R7.2-R7.6), shares quantified per
member and held one certificate per household (R7.10), transfers inside the collective (R7.11),
its settings (R7.10 collective share, R7.12 inheritance), and yearly dividends (R7.13).

Membership ends only for the four statutory causes (R7.5), enforced by a CHECK: settling in a town,
studying, military service or working away is not among them and cannot be written (R7.6, G1).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import CheckConstraint as Check
from sqlalchemy import ForeignKeyConstraint as FK
from sqlalchemy.orm import Mapped, mapped_column

from landrights.db import Base

NOW = sa.text("now()")
BASES = ("birth", "marriage", "adoption", "policy_migration", "vote")  # R7.3
LOSS_CAUSES = ("civil_servant", "other_membership", "nationality", "death")  # R7.5, the only ones


class CollectiveSettings(Base):
    """Per-collective choices of its charter (章程)."""

    __tablename__ = "collective_settings"
    __table_args__ = (
        FK(["county_code", "collective_code"], ["collectives.county_code", "collectives.code"],
           ondelete="RESTRICT"),
        # R7.10: a collective share, if any, is generally at most 30 %
        Check("collective_share_percent >= 0 AND collective_share_percent <= 30",
              name="collective_share_at_most_30"),
    )

    county_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    collective_code: Mapped[str] = mapped_column(sa.String(14), primary_key=True)
    collective_share_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), server_default="0")
    inheritance_allowed: Mapped[bool] = mapped_column(server_default=sa.false(),
                                                      comment="R7.12: off unless the charter says so")


class Membership(Base):
    """A person's membership of a collective: how it began and, only for a statutory cause, ended."""

    __tablename__ = "memberships"
    __table_args__ = (
        # one membership at a time: joining another collective ends the first (R7.5(2))
        sa.Index("uq_memberships_one_live", "person_id", unique=True,
                 postgresql_where=sa.text("status = 'member'")),
        FK(["county_code", "collective_code"], ["collectives.county_code", "collectives.code"],
           ondelete="RESTRICT"),
        Check("basis IN ('birth', 'marriage', 'adoption', 'policy_migration', 'vote')", name="basis_known"),
        Check("status IN ('member', 'lost')", name="status_known"),
        Check("loss_cause IS NULL OR loss_cause IN ('civil_servant', 'other_membership', 'nationality', "
              "'death')", name="statutory_loss_only"),
        Check("(status = 'member') = (loss_cause IS NULL AND lost_on IS NULL)", name="lost_with_cause"),
        Check("status = 'member' OR length(trim(loss_document)) > 0", name="loss_documented"),
        Check("length(trim(basis_document)) > 0", name="basis_documented"),
        # ranges.BASIS_DATE, ranges.LOST_ON: "not after today" is the services' (a CHECK is immutable)
        Check("basis_date BETWEEN '1900-01-01' AND '2100-12-31'", name="basis_date_range"),
        Check("lost_on >= basis_date AND lost_on <= '2100-12-31'", name="lost_on_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    collective_code: Mapped[str] = mapped_column(sa.String(14))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id", ondelete="RESTRICT"))
    basis: Mapped[str] = mapped_column(sa.String(20), comment="R7.3")
    basis_date: Mapped[date] = mapped_column(sa.Date)
    basis_document: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(10), server_default="member")
    lost_on: Mapped[date | None] = mapped_column(sa.Date)
    loss_cause: Mapped[str | None] = mapped_column(sa.String(20), comment="R7.5 only")
    loss_document: Mapped[str | None] = mapped_column(sa.String(200))
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)


class ShareAccount(Base):
    """股权证: one share certificate per household and collective (一户一证, R7.10)."""

    __tablename__ = "share_accounts"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "code"),
        sa.UniqueConstraint("county_code", "household_code"),
        FK(["county_code", "household_code"], ["households.county_code", "households.code"],
           ondelete="RESTRICT"),
        Check("code = household_code || 'G'", name="code_is_household_g"),
        Check("county_code = left(household_code, 6)", name="county_prefix"),
        Check("issued_on BETWEEN '1978-01-01' AND '2100-12-31'", name="issued_on_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(sa.String(19), comment="household code + G")
    collective_code: Mapped[str] = mapped_column(sa.String(14))
    household_code: Mapped[str] = mapped_column(sa.String(18))
    issued_on: Mapped[date] = mapped_column(sa.Date)


class ShareHolding(Base):
    """Shares quantified to one member (or the collective share), versioned: a transfer, buy-back
    or inheritance closes a holding and opens the changed one; births and deaths change nothing
    ("生不增、死不减", static management, R7.10)."""

    __tablename__ = "share_holdings"
    __table_args__ = (
        sa.Index("ix_share_holdings_live", "county_code", "collective_code",
                 postgresql_where=sa.text("valid_to IS NULL")),
        Check("kind IN ('member', 'collective')", name="kind_known"),
        Check("(kind = 'collective') = (account_id IS NULL AND person_id IS NULL)", name="holder_matches"),
        Check("quantity > 0", name="quantity_positive"),
        Check("quantity <= 100000000", name="quantity_at_most"),  # ranges.SHARES_MAX
        Check("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    collective_code: Mapped[str] = mapped_column(sa.String(14))
    kind: Mapped[str] = mapped_column(sa.String(12))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("share_accounts.id", ondelete="RESTRICT"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4))
    valid_from: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    valid_to: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(sa.String(200))


class ShareTransfer(Base):
    """A share transfer: to another household of the same collective, or bought back by it (R7.11)."""

    __tablename__ = "share_transfers"
    __table_args__ = (
        Check("kind IN ('transfer', 'buy_back', 'inheritance')", name="kind_known"),
        Check("(kind = 'buy_back') = (to_household_code IS NULL)", name="buy_back_has_no_buyer"),
        # R7.11: never outside the collective
        Check("to_household_code IS NULL OR left(to_household_code, 14) = collective_code",
              name="inside_collective"),
        Check("left(from_household_code, 14) = collective_code", name="seller_inside"),
        Check("quantity > 0", name="quantity_positive"),
        Check("quantity <= 100000000", name="quantity_at_most"),
        Check("price_yuan >= 0", name="price_not_negative"),
        Check("price_yuan <= 1000000000", name="price_at_most"),  # ranges.AMOUNT_MAX
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    collective_code: Mapped[str] = mapped_column(sa.String(14))
    kind: Mapped[str] = mapped_column(sa.String(12))
    from_household_code: Mapped[str] = mapped_column(sa.String(18))
    from_person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id", ondelete="RESTRICT"))
    to_household_code: Mapped[str | None] = mapped_column(sa.String(18))
    to_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4))
    price_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    document: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Distribution(Base):
    """A yearly dividend (分红) decided by the members' assembly (R7.13)."""

    __tablename__ = "distributions"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "collective_code", "year"),
        FK(["county_code", "collective_code"], ["collectives.county_code", "collectives.code"],
           ondelete="RESTRICT"),
        Check("amount_per_share > 0", name="amount_positive"),
        Check("length(trim(document)) > 0", name="assembly_document"),
        # R7.13 with household contracting's start; the services add "at most next year"
        Check("year BETWEEN 1978 AND 2100", name="year_range"),
        Check("amount_per_share <= 100000", name="amount_at_most"),
        Check("decided_on BETWEEN '1978-01-01' AND '2100-12-31'", name="decided_on_range"),
        Check("total_yuan BETWEEN 0 AND 1000000000000", name="total_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    collective_code: Mapped[str] = mapped_column(sa.String(14))
    year: Mapped[int] = mapped_column(sa.Integer)
    amount_per_share: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4), comment="yuan per share")
    decided_on: Mapped[date] = mapped_column(sa.Date)
    document: Mapped[str] = mapped_column(sa.String(200), comment="members' assembly resolution")
    total_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2), comment="= sum of the payouts")


class Payout(Base):
    """What one household (or the collective share) receives from a distribution."""

    __tablename__ = "payouts"
    __table_args__ = (
        sa.UniqueConstraint("distribution_id", "account_id"),
        Check("amount_yuan >= 0", name="amount_not_negative"),
        Check("amount_yuan <= 10000000000", name="amount_at_most"),  # ranges.PAYOUT_MAX
        Check("shares BETWEEN 0 AND 1000000000", name="shares_range"),
        Check("paid_on BETWEEN '1978-01-01' AND '2100-12-31'", name="paid_on_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    distribution_id: Mapped[int] = mapped_column(sa.ForeignKey("distributions.id", ondelete="RESTRICT"))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("share_accounts.id", ondelete="RESTRICT"),
                                                   comment="NULL: the collective share")
    shares: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4))
    amount_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    paid_on: Mapped[date | None] = mapped_column(sa.Date)
