"""The transfer market for land-management rights (土地经营权流转, R1.20-R1.31, R2.1-R2.18, R8.1-R8.9):
transferees and their county review, entrustments, listings, deposits, bids, the award, the transfer
contract with its filing, the township ledger and the rent.

The database holds the races: one live listing or transfer of a parcel for overlapping terms
(EXCLUDE with btree_gist), one bid per price per listing, one accepted offer per listing.
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

NOW = sa.text("now()")
MODES = ("lease", "shares", "other")  # 出租（转包）, 入股, 其他 (R1.20)
LAND_USES = ("grain", "cash_crops", "vegetables", "livestock", "aquaculture")  # agricultural only (R1.21)
TRANSFEREE_KINDS = ("cooperative", "family_farm", "company", "individual")
TERMINATION_CAUSES = ("use_changed", "abandoned_two_years", "serious_damage", "serious_breach")  # R1.25
IDENTITY_METHODS = ("own_account", "officer_id_card")
# R2.4 "matters and authority": what an agent may do for the household, a closed set: list the land,
# withdraw its listing, sign the transfer contract. Never rent, termination, pledge or return, and
# never a withdrawal of rights (G3: only the holder's own request gives up a right): hence
# "withdraw_listing", never a bare "withdraw"
ENTRUSTED_ACTS = ("list", "withdraw_listing", "sign")
# ranges.py: a term lies between household contracting's start and the horizon, both ends bounded;
# prices per mu and year up to 100,000 yuan, areas up to 10 km² a parcel and 100 km² a transfer
TERM_RANGE = ("NOT lower_inf(term) AND NOT upper_inf(term) AND lower(term) >= '1978-01-01' "
              "AND upper(term) <= '2101-01-01'")


def term_range() -> Check:
    """Return the CHECK bounding a daterange column named term (migration 0015)."""
    return Check(TERM_RANGE, name="term_range")


class Transferee(Base):
    """A registered transferee (流入方): its kind and declared agricultural operating capacity."""

    __tablename__ = "transferees"
    __table_args__ = (
        Check("kind IN ('cooperative', 'family_farm', 'company', 'individual')", name="kind_known"),
        # R1.21(4): every transferee declares agricultural operating capacity
        Check("length(trim(operating_capacity)) > 0", name="capacity_declared"),
        Check("address IS NULL OR length(trim(address)) > 0", name="address_not_blank"),
        sa.UniqueConstraint("id", "kind"),  # the key an identity refers to, so it can require 'individual'
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(100))
    credit_code: Mapped[str | None] = mapped_column(sa.String(30), comment="统一社会信用代码 or ID")
    operating_capacity: Mapped[str] = mapped_column(sa.Text, comment="machinery, experience, staff")
    address: Mapped[str | None] = mapped_column(sa.String(200), comment=(
        "住所: domicile as on its licence or ID card, for the contract (R1.23(1)); its own word"))


class TransfereeIdentity(Base):
    """The registered person an individual transferee is, verified: by the person's own account
    (users.person_id) or by a township officer of the person's area who saw the ID card. Only a
    live identity carries a member's priority or the exemption from the county's review (R1.21(5),
    R1.28); a claim nobody verified is never stored. Migration 0018 adds the trigger
    lr_transferee_identity_check (own account really linked; officer of the person's township;
    only ended, never rewritten)."""

    __tablename__ = "transferee_identities"
    __table_args__ = (
        FK(["transferee_id", "kind"], ["transferees.id", "transferees.kind"], ondelete="RESTRICT",
           onupdate="RESTRICT"),
        # R1.28: a company, cooperative or family farm is social capital whoever owns it; only a
        # natural person is a member of the collective
        Check("kind = 'individual'", name="individual_only"),
        Check("method IN ('own_account', 'officer_id_card')", name="method_known"),
        Check("method = 'own_account' OR (verified_by IS NOT NULL AND length(trim(document)) > 0)",
              name="officer_saw_document"),
        Check("(ended_at IS NULL) = (end_reason IS NULL)", name="ended_with_reason"),
        Check("ended_at IS NULL OR ended_at >= verified_at", name="ends_after_verified"),
        # one person, one transferee identity; one identity per transferee
        sa.Index("uq_transferee_identities_one_per_person", "person_id", unique=True,
                 postgresql_where=sa.text("ended_at IS NULL")),
        sa.Index("uq_transferee_identities_one_per_transferee", "transferee_id", unique=True,
                 postgresql_where=sa.text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    transferee_id: Mapped[int] = mapped_column(sa.BigInteger)
    kind: Mapped[str] = mapped_column(sa.String(12), comment="the transferee's kind, for the CHECK")
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id", ondelete="RESTRICT"))
    method: Mapped[str] = mapped_column(sa.String(16), comment="own_account | officer_id_card")
    document: Mapped[str | None] = mapped_column(sa.String(200), comment="the ID document the officer saw")
    verified_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"),
                                                    comment="the officer (own_account: the account)")
    verified_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(sa.String(200))
    ended_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))

    transferee: Mapped[Transferee] = relationship(viewonly=True)


class CapitalReview(Base):
    """社会资本审查 (R1.28): the county's decision on a non-member transferee, up to an area."""

    __tablename__ = "capital_reviews"
    __table_args__ = (
        Check("decision IN ('approved', 'refused')", name="decision_known"),
        Check("decision = 'refused' OR max_area_mu > 0", name="approved_area"),
        Check("max_area_mu BETWEEN 0 AND 150000", name="max_area_at_most"),
        # R1.28 is the 2018 law's art. 45, in force 2019; the service adds "not in the past"
        Check("valid_until BETWEEN '2019-01-01' AND '2100-12-31'", name="valid_until_range"),
        Check("length(trim(qualification)) > 0 AND length(trim(project)) > 0 AND "
              "length(trim(risk_measures)) > 0", name="three_reviews"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    transferee_id: Mapped[int] = mapped_column(sa.ForeignKey("transferees.id", ondelete="RESTRICT"))
    decision: Mapped[str] = mapped_column(sa.String(10))
    max_area_mu: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), server_default="0")
    qualification: Mapped[str] = mapped_column(sa.Text, comment="资格审查")
    project: Mapped[str] = mapped_column(sa.Text, comment="项目审核")
    risk_measures: Mapped[str] = mapped_column(sa.Text, comment="风险防范")
    valid_until: Mapped[date] = mapped_column(sa.Date)
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)


class Entrustment(Base):
    """流转委托书 (R2.4): a household's written power of attorney to an agent's account, for some
    parcels, some acts and a term, signed by both: the household's consent in the app then the
    agent's acceptance, or a township officer's record of the paper signed by both with its scan.
    In force from the agent's signature, between valid_from and valid_to (both days included),
    until revoked; market.entrustments.require_agent_for checks it at every act of the agent."""

    __tablename__ = "entrustments"
    __table_args__ = (
        FK(["county_code", "household_code"], ["households.county_code", "households.code"],
           ondelete="RESTRICT"),
        Check("consent_method IN ('app', 'officer_scan')", name="consent_method_known"),
        Check("agent_signed_at IS NULL OR agent_signed_at >= household_signed_at", name="signed_in_order"),
        # the officer records the paper only with its scan, which carries both signatures
        Check("consent_method = 'app' OR (scan IS NOT NULL AND scan_name IS NOT NULL AND "
              "agent_signed_at IS NOT NULL)", name="scan_signed_by_both"),
        Check("valid_to > valid_from", name="valid_range"),
        Check("valid_from >= '1978-01-01' AND valid_to <= '2100-12-31'", name="dates_range"),
        Check("transfer_until >= valid_from AND transfer_until <= '2100-12-31'", name="transfer_until_range"),
        Check("min_price > 0 AND min_price <= 100000", name="min_price_range"),
        Check("cardinality(acts) >= 1 AND acts <@ ARRAY['list', 'withdraw_listing', 'sign']::varchar[]",
              name="acts_known"),
        Check("cardinality(parcel_codes) >= 1", name="parcels_named"),
        Check("length(trim(scope)) > 0", name="scope_stated"),
        Check("(revoked_at IS NULL) = (revocation_reason IS NULL)", name="revoked_with_reason"),
        sa.Index("ix_entrustments_agent_user_id", "agent_user_id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    household_code: Mapped[str] = mapped_column(sa.String(18), comment="the principal (委托方)")
    agent_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"),
                                               comment="the agent (受托方)")
    scope: Mapped[str] = mapped_column(sa.Text, comment="matters and authority, in the principal's words")
    parcel_codes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(19)))
    acts: Mapped[list[str]] = mapped_column(ARRAY(sa.String(16)), comment="ENTRUSTED_ACTS")
    transfer_until: Mapped[date] = mapped_column(sa.Date, comment="no transfer the agent makes ends later")
    min_price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), comment="yuan per mu and year, at least")
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date] = mapped_column(sa.Date, comment="the last day of the entrustment")
    consent_method: Mapped[str] = mapped_column(sa.String(12), comment="app | officer_scan")
    household_signed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    agent_signed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True),
                                                             comment="NULL: the agent has not accepted")
    document: Mapped[str | None] = mapped_column(sa.String(200), comment="the paper's reference")
    scan_name: Mapped[str | None] = mapped_column(sa.String(200))
    scan_type: Mapped[str | None] = mapped_column(sa.String(60))
    scan: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True, comment="the signed paper")
    recorded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    revocation_reason: Mapped[str | None] = mapped_column(sa.String(200))


class Listing(Base):
    """挂牌: the management right of some parcels of one household, for a term, open for bids."""

    __tablename__ = "listings"
    __table_args__ = (
        FK(["county_code", "household_code"], ["households.county_code", "households.code"],
           ondelete="RESTRICT"),
        Check("mode IN ('lease', 'shares', 'other')", name="mode_known"),
        Check("land_use IN ('grain', 'cash_crops', 'vegetables', 'livestock', 'aquaculture')",
              name="agricultural_use"),
        Check("reserve_price > 0", name="reserve_positive"),
        Check("NOT isempty(term)", name="term_not_empty"),
        Check("closes_at > opens_at AND priority_until >= closes_at", name="windows_in_order"),
        Check("status IN ('open', 'awarded', 'contracted', 'withdrawn', 'unsold')", name="status_known"),
        Check("anti_snipe_minutes >= 0", name="anti_snipe_not_negative"),
        Check("anti_snipe_minutes <= 1440", name="anti_snipe_at_most"),
        Check("reserve_price <= 100000", name="reserve_at_most"),
        Check("best_price > 0 AND best_price <= 100000", name="best_price_range"),
        Check("area_m2 > 0 AND area_m2 <= 100000000", name="area_range"),
        Check("bid_count >= 0", name="bid_count_not_negative"),
        Check("deposit_yuan IS NULL OR deposit_yuan >= 0", name="deposit_yuan_not_negative"),
        term_range(),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    household_code: Mapped[str] = mapped_column(sa.String(18))
    listed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    entrustment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entrustments.id", ondelete="RESTRICT"))
    mode: Mapped[str] = mapped_column(sa.String(10))
    term = mapped_column(DATERANGE, nullable=False, comment="[start, end) of the transfer")
    reserve_price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), comment="yuan per mu per year")
    payment_schedule: Mapped[str] = mapped_column(sa.String(200))
    land_use: Mapped[str] = mapped_column(sa.String(20))
    conditions: Mapped[str | None] = mapped_column(sa.Text)
    opens_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), comment="moves by anti-sniping")
    priority_until: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                     comment="end of the members' matching window")
    anti_snipe_minutes: Mapped[int] = mapped_column(sa.Integer)
    area_m2: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2))
    best_price: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    bid_count: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    status: Mapped[str] = mapped_column(sa.String(12), server_default="open")
    deposit_yuan: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(12, 2),
        comment="the deposit announced with the listing (R8.4 (4)); NULL: published before 0027")
    renewal_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("transfer_contracts.id", ondelete="RESTRICT", use_alter=True),
        comment="the filed transfer of these parcels ending just before: its transferee may match (R2.6)")

    parcels: Mapped[list[ListingParcel]] = relationship(back_populates="listing")


class ListingParcel(Base):
    """A parcel of a listing; while listed or transferred its term blocks any overlapping one."""

    __tablename__ = "listing_parcels"
    __table_args__ = (
        # STYLE.md: one live transfer of a parcel's management right at a time, in the database
        ExcludeConstraint(("county_code", "="), ("parcel_code", "="), ("term", "&&"),
                          where=sa.text("status IN ('listed', 'transferred')"), using="gist",
                          name="listing_parcels_no_overlap"),
        Check("status IN ('listed', 'transferred', 'released')", name="status_known"),
        Check("area_m2 > 0 AND area_m2 <= 10000000", name="area_range"),
        term_range(),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="RESTRICT"))
    parcel_code: Mapped[str] = mapped_column(sa.String(19))
    term = mapped_column(DATERANGE, nullable=False)
    area_m2: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2))
    status: Mapped[str] = mapped_column(sa.String(12), server_default="listed")

    listing: Mapped[Listing] = relationship(back_populates="parcels")


class Deposit(Base):
    """保证金: recorded before bidding; the winner's applied, the others' released."""

    __tablename__ = "deposits"
    __table_args__ = (
        sa.UniqueConstraint("listing_id", "transferee_id"),
        Check("amount_yuan > 0", name="amount_positive"),
        Check("amount_yuan <= 10000000", name="amount_at_most"),
        Check("status IN ('held', 'applied', 'released')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="RESTRICT"))
    transferee_id: Mapped[int] = mapped_column(sa.ForeignKey("transferees.id", ondelete="RESTRICT"))
    amount_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    receipt: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(10), server_default="held")
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)


class Bid(Base):
    """An open ascending bid; the server's time is the only time."""

    __tablename__ = "bids"
    __table_args__ = (
        sa.UniqueConstraint("listing_id", "price"),  # never two bids at one price
        Check("price > 0", name="price_positive"),
        Check("price <= 100000", name="price_at_most"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="RESTRICT"), index=True)
    transferee_id: Mapped[int] = mapped_column(sa.ForeignKey("transferees.id", ondelete="RESTRICT"))
    price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), comment="yuan per mu per year")
    placed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Offer(Base):
    """The best bid, or a member's match of it at equal terms (R1.21(5)); one accepted per listing."""

    __tablename__ = "offers"
    __table_args__ = (
        sa.Index("uq_offers_one_accepted", "listing_id", unique=True,
                 postgresql_where=sa.text("status = 'accepted'")),
        sa.UniqueConstraint("listing_id", "transferee_id", "kind"),
        # R1.21(5) members' match; R2.6 the current transferee's match when the land is listed again
        Check("kind IN ('best_bid', 'member_match', 'renewal_match')", name="kind_known"),
        Check("status IN ('pending', 'accepted', 'declined')", name="status_known"),
        Check("price > 0 AND price <= 100000", name="price_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="RESTRICT"))
    transferee_id: Mapped[int] = mapped_column(sa.ForeignKey("transferees.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(sa.String(14))
    price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    status: Mapped[str] = mapped_column(sa.String(10), server_default="pending")
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class TransferContract(Base):
    """流转合同 (R1.23) with its 18-character code (R4.10): county 6 + year 4 + serial 8."""

    __tablename__ = "transfer_contracts"
    __table_args__ = (
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("listing_id"),
        Check(f"code ~ '{patterns.TRANSFER_CONTRACT.anchored}' AND left(code, 6) = county_code",
              name="code_shape"),
        # void: the award lapsed before both signed (market.endings.lapse_award)
        Check("status IN ('draft', 'signed', 'filed', 'terminated', 'void')", name="status_known"),
        Check("status IN ('draft', 'void') OR (household_signed_at IS NOT NULL AND "
              "transferee_signed_at IS NOT NULL)", name="signed_by_both"),
        Check("status NOT IN ('filed', 'terminated') OR filed_at IS NOT NULL", name="filed_when"),
        Check("NOT registrable OR upper(term) - lower(term) >= 5 * 365", name="registrable_five_years"),
        # R1.24: only a filed transfer of five years or more enters the register of management rights
        Check("registered_at IS NULL OR (registrable AND filed_at IS NOT NULL)",
              name="registered_when_registrable"),
        Check("termination_cause IS NULL OR termination_cause IN ('use_changed', 'abandoned_two_years', "
              "'serious_damage', 'serious_breach')", name="statutory_termination_only"),
        Check("(status = 'terminated') = (termination_cause IS NOT NULL)", name="terminated_with_cause"),
        Check("signature_method IN ('app', 'officer_scan')", name="signature_method_known"),
        # the officer records signatures only with the scan of the signed paper contract
        Check("signature_method = 'app' OR (signature_scan IS NOT NULL AND signature_scan_name IS NOT NULL "
              "AND household_signed_at IS NOT NULL AND transferee_signed_at IS NOT NULL)",
              name="signature_scan_given"),
        Check("price > 0 AND price <= 100000", name="price_range"),
        Check("area_m2 > 0 AND area_m2 <= 100000000", name="area_range"),
        Check("annual_rent_yuan BETWEEN 0 AND 100000000000", name="rent_range"),
        term_range(),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(sa.String(18), comment="LZHTBM 流转合同编码")
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="RESTRICT"))
    household_code: Mapped[str] = mapped_column(sa.String(18))
    transferee_id: Mapped[int] = mapped_column(sa.ForeignKey("transferees.id", ondelete="RESTRICT"))
    parcel_codes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(19)))
    area_m2: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2))
    mode: Mapped[str] = mapped_column(sa.String(10))
    land_use: Mapped[str] = mapped_column(sa.String(20))
    term = mapped_column(DATERANGE, nullable=False)
    price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), comment="yuan per mu per year")
    annual_rent_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    payment_schedule: Mapped[str] = mapped_column(sa.String(200))
    expropriation_to: Mapped[str] = mapped_column(sa.String(100), comment="who receives compensation (R1.23)")
    clauses: Mapped[dict] = mapped_column(sa.JSON, comment="the statutory clauses as generated")
    household_signed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    transferee_signed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    filed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), comment="备案 (R2.9)")
    registrable: Mapped[bool] = mapped_column(server_default=sa.false(), comment="term >= 5 years (R1.24)")
    registered_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), comment="土地经营权登记 on the parties' application (R1.24)")
    status: Mapped[str] = mapped_column(sa.String(12), server_default="draft")
    termination_cause: Mapped[str | None] = mapped_column(sa.String(24))
    termination_evidence: Mapped[str | None] = mapped_column(sa.String(200))
    signature_method: Mapped[str] = mapped_column(sa.String(12), server_default="app",
                                                  comment="app: both signed in the app; officer_scan")
    signature_scan_name: Mapped[str | None] = mapped_column(sa.String(200))
    signature_scan_type: Mapped[str | None] = mapped_column(sa.String(60))
    signature_scan: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True,
                                                         comment="the signed paper contract")
    signatures_recorded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    household_entrustment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entrustments.id", ondelete="RESTRICT"),
        comment="an agent signed for the household under this entrustment (R2.4)")


class LedgerEntry(Base):
    """流转台账 (R2.12): the township's append-only record of every filed transfer event."""

    __tablename__ = "transfer_ledger"
    __table_args__ = (
        Check("area_m2 > 0 AND area_m2 <= 100000000", name="area_range"),
        Check("annual_rent_yuan BETWEEN 0 AND 100000000000", name="rent_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    township_code: Mapped[str] = mapped_column(sa.String(9), index=True)
    contract_code: Mapped[str] = mapped_column(sa.String(18))
    event: Mapped[str] = mapped_column(sa.String(20), comment="filed, terminated")
    parcel_codes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(19)))
    area_m2: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2))
    annual_rent_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class RentPayment(Base):
    """One year's rent of a transfer contract; the proceeds belong to the household (R1.22)."""

    __tablename__ = "rent_payments"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "due_on"),
        Check("amount_yuan > 0", name="amount_positive"),
        Check("amount_yuan <= 100000000000", name="amount_at_most"),
        Check("due_on BETWEEN '1978-01-01' AND '2100-12-31'", name="due_on_range"),
        Check("paid_on BETWEEN '1978-01-01' AND '2100-12-31'", name="paid_on_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("transfer_contracts.id", ondelete="RESTRICT"))
    due_on: Mapped[date] = mapped_column(sa.Date)
    amount_yuan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    paid_on: Mapped[date | None] = mapped_column(sa.Date)
