"""Homestead use rights (宅基地使用权): one active homestead per household (R6.1), the county's area
standard by land source (R6.8), and disposals of a house that bar a new homestead (R6.5).

Homestead titles are registered in the unified real-estate register (R6.9); landrights keeps the
record and links it by the real-estate unit number (不动产单元号) instead of issuing titles.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint as Check
from sqlalchemy import ForeignKeyConstraint as FK
from sqlalchemy.orm import Mapped, mapped_column

from landrights import patterns
from landrights.db import Base
from landrights.registry.models import Versioned

LAND_SOURCES = ("original", "vacant", "cultivated")  # 原有宅基地, 村内空闲地, 耕地


class Homestead(Versioned, Base):
    """A household's homestead, versioned like every registered fact."""

    __tablename__ = "homesteads"
    __table_args__ = (
        # R6.1 一户一宅: one active live homestead per household, race-free
        sa.Index("uq_homesteads_one_active", "county_code", "household_code", unique=True,
                 postgresql_where=sa.text("status = 'active' AND valid_to IS NULL")),
        sa.Index("uq_homesteads_live_code", "county_code", "code", unique=True,
                 postgresql_where=sa.text("valid_to IS NULL")),
        FK(["county_code", "household_code"], ["households.county_code", "households.code"],
           ondelete="RESTRICT"),
        Check(f"code ~ '{patterns.HOMESTEAD.anchored}'", name="code_shape"),
        Check("left(code, 18) = household_code", name="household_prefix"),
        Check("county_code = left(household_code, 6)", name="county_prefix"),
        Check("land_source IN ('original', 'vacant', 'cultivated')", name="land_source_known"),
        Check("status IN ('active', 'withdrawn')", name="status_known"),
        Check("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="geom_valid"),
        Check("real_estate_unit IS NULL OR real_estate_unit ~ '^[0-9]{12}[A-Z]{2}[0-9]{5}[A-Z][0-9]{8}$'",
              name="real_estate_unit_shape"),
        Check("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
        Check("version >= 1", name="version_positive"),
        # ranges.APPROVED_ON: no approval before the People's Republic; "not after today" in the service
        Check("approved_on BETWEEN '1949-10-01' AND '2100-12-31'", name="approved_on_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(sa.String(21), comment="household code + Z + 2 digits")
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    household_code: Mapped[str] = mapped_column(sa.String(18))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4490), nullable=False)
    area_m2: Mapped[float] = mapped_column(
        sa.Double, sa.Computed("ST_Area(geom::geography)", persisted=True), comment="geodesic m²")
    land_source: Mapped[str] = mapped_column(sa.String(12), comment="original, vacant, cultivated")
    approval_document: Mapped[str] = mapped_column(sa.String(200), comment="township approval (R6.4)")
    approved_on: Mapped[date] = mapped_column(sa.Date)
    real_estate_unit: Mapped[str | None] = mapped_column(
        sa.String(28), comment="不动产单元号 in the unified real-estate register (R6.9)")
    status: Mapped[str] = mapped_column(sa.String(12), server_default="active")


class HomesteadStandard(Base):
    """The county's maximum homestead area by land source (R6.1, R6.8)."""

    __tablename__ = "homestead_standards"
    __table_args__ = (
        Check(f"county_code ~ '{patterns.COUNTY.anchored}'", name="county_shape"),
        Check("land_source IN ('original', 'vacant', 'cultivated')", name="land_source_known"),
        Check("max_area_m2 > 0", name="max_area_positive"),
        # R6.8: above every provincial standard found (at most 264 m²), well inside NUMERIC(10,2)
        Check("max_area_m2 <= 1000", name="max_area_at_most"),
    )

    county_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    land_source: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    max_area_m2: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2))
    placeholder: Mapped[bool] = mapped_column(comment="true while no confirmed provincial figure")
    note: Mapped[str] = mapped_column(sa.Text)


class HouseDisposal(Base):
    """A household sold, leased or gave away its house: no new homestead afterwards (R6.5)."""

    __tablename__ = "house_disposals"
    __table_args__ = (
        FK(["county_code", "household_code"], ["households.county_code", "households.code"],
           ondelete="RESTRICT"),
        Check("kind IN ('sold', 'leased', 'gifted')", name="kind_known"),
        Check("disposed_on BETWEEN '1949-10-01' AND '2100-12-31'", name="disposed_on_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    household_code: Mapped[str] = mapped_column(sa.String(18))
    kind: Mapped[str] = mapped_column(sa.String(10))
    disposed_on: Mapped[date] = mapped_column(sa.Date)
    document: Mapped[str] = mapped_column(sa.String(200))
