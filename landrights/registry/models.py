"""Registry tables. Fields follow NY/T 2539 (R4.17-R4.20); the standard's name is in each comment.

Every table carries ``county_code`` and it leads every business key, so the schema can be
distributed by county (DESIGN.md, Runtime). Versioned tables (members, parcels, contracts,
register entries) never change a registered row: a change closes it (``valid_to``) and adds
a new version; triggers written in the migration refuse anything else.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint as Check
from sqlalchemy import ForeignKeyConstraint as FK
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from landrights import patterns
from landrights.db import Base

NOW = sa.text("now()")
LIVE = sa.text("valid_to IS NULL")
# R4.26 证件类型: each type's number has a shape (1, the resident ID card, by lr_id_card_valid);
# none is blank or holds a space. Mirrors registry.rules.ID_NUMBER_SHAPES; migration 0015.
ID_NUMBER_SHAPE_SQL = (
    "CASE id_type WHEN 1 THEN true "
    "WHEN 2 THEN id_number ~ '^[0-9A-Za-z\\u4e00-\\u9fff-]{4,30}$' "
    "WHEN 3 THEN id_number ~ '^([0-9A-Z]{8}-?[0-9X]|[0-9A-HJ-NPQRTUWXY]{18})$' "
    "WHEN 4 THEN id_number ~ '^[0-9A-Za-z-]{4,30}$' "
    "WHEN 5 THEN id_number ~ '^[0-9A-Za-z]{5,20}$' "
    "ELSE id_number ~ '^\\S{2,30}$' END")


def _county_checks(code_col: str = "code") -> tuple[Check, ...]:
    return (
        Check(f"county_code ~ '{patterns.COUNTY.anchored}'", name="county_shape"),
        Check(f"county_code = left({code_col}, 6)", name="county_prefix"),
    )


def _version_checks() -> tuple[Check, ...]:
    return (Check("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),)


class Versioned:
    """Columns of a registered fact that keeps its history."""

    valid_from: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    valid_to: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), comment="end of this version; NULL = current"
    )
    registered_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime(timezone=True), comment="set when this version entered the register; then immutable"
    )


def _handup_id():
    """The hand-up import (handup_imports.id) a version came from; NULL: entered in landrights.
    No foreign key: a county's import writes a million rows, and imports are never deleted."""
    return mapped_column(sa.BigInteger, nullable=True,
                         comment="handup_imports.id of the package this version came from")


class AdminUnit(Base):
    """Administrative unit: county 6 digits -> township 9 -> village 12 -> group 14 (R4.5)."""

    __tablename__ = "admin_units"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "code"),
        FK(["county_code", "parent_code"], ["admin_units.county_code", "admin_units.code"],
           ondelete="RESTRICT"),
        Check("code ~ '^[0-9]{6}([0-9]{3}([0-9]{3}([0-9]{2})?)?)?$'", name="code_shape"),
        Check("level BETWEEN 1 AND 4 AND length(code) = (ARRAY[6, 9, 12, 14])[level]",
              name="level_length"),
        Check("(level = 1 AND parent_code IS NULL) OR "
              "(level > 1 AND parent_code = left(code, (ARRAY[6, 9, 12, 14])[level - 1]))",
              name="parent_prefix"),
        Check("boundary IS NULL OR (ST_IsValid(boundary) AND NOT ST_IsEmpty(boundary))",
              name="boundary_valid"),
        *_county_checks(),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(
        sa.String(14), comment="GB/T 2260 county + township 3 + village 3 + group 2")
    level: Mapped[int] = mapped_column(sa.SmallInteger, comment="1 county, 2 township, 3 village, 4 group")
    name: Mapped[str] = mapped_column(sa.String(100))
    parent_code: Mapped[str | None] = mapped_column(sa.String(14))
    boundary = mapped_column(Geometry("MULTIPOLYGON", srid=4490), nullable=True)


class Collective(Base):
    """发包方 FBF: the collective economic organization that lets the land (R4.5, R4.20)."""

    __tablename__ = "collectives"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "code"),
        FK(["county_code", "admin_code"], ["admin_units.county_code", "admin_units.code"],
           ondelete="RESTRICT"),
        Check(f"code ~ '{patterns.COLLECTIVE.anchored}'", name="code_shape"),
        # group "00" means the village itself is the collective (R4.5)
        Check("admin_code = CASE WHEN right(code, 2) = '00' THEN left(code, 12) ELSE code END",
              name="admin_code_matches"),
        Check("responsible_id_type IS DISTINCT FROM 1 OR responsible_id_number IS NULL "
              "OR lr_id_card_valid(responsible_id_number)", name="responsible_id_number"),
        Check("responsible_id_type IN (1, 2, 3, 4, 5, 9)", name="responsible_id_type_code"),  # R4.26
        *_county_checks(),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(sa.String(14), comment="FBFBM 发包方编码")
    name: Mapped[str] = mapped_column(sa.String(100), comment="FBFMC 发包方名称")
    admin_code: Mapped[str] = mapped_column(sa.String(14), comment="village (group 00) or group unit")
    responsible_name: Mapped[str | None] = mapped_column(sa.String(50), comment="FBFFZRXM 负责人姓名")
    responsible_id_type: Mapped[int | None] = mapped_column(sa.SmallInteger, comment="FZRZJLX")
    responsible_id_number: Mapped[str | None] = mapped_column(sa.String(30), comment="FZRZJHM")
    phone: Mapped[str | None] = mapped_column(sa.String(30), comment="LXDH 联系电话")
    address: Mapped[str | None] = mapped_column(sa.String(200), comment="FBFDZ 发包方地址")
    postcode: Mapped[str | None] = mapped_column(sa.String(6), comment="YZBM 邮政编码")


class Person(Base):
    """A natural person: household member, representative or account holder (JTCY, R4.20)."""

    __tablename__ = "persons"
    __table_args__ = (
        # one identity per number; a listing in conflict is a row of its own (migration 0020)
        sa.Index("uq_persons_county_code_id_type_id_number", "county_code", "id_type", "id_number",
                 unique=True, postgresql_where=sa.text("id_conflict_of IS NULL")),
        sa.Index("ix_persons_id_conflict_of", "id_conflict_of",
                 postgresql_where=sa.text("id_conflict_of IS NOT NULL")),
        # the household search by a part of a member's name, or by a document number (migration 0026)
        sa.Index("ix_persons_name_trgm", "name", postgresql_using="gin",
                 postgresql_ops={"name": "gin_trgm_ops"}),
        sa.Index("ix_persons_id_number", "id_number"),
        Check("id_conflict_of <> id", name="id_conflict_not_self"),
        Check(f"county_code ~ '{patterns.COUNTY.anchored}'", name="county_shape"),
        Check("sex IN (1, 2)", name="sex_code"),
        Check("id_type IN (1, 2, 3, 4, 5, 9)", name="id_type_code"),
        # GB 11643: shape, birth date and checksum; the 17th digit's parity gives the sex
        Check("id_type <> 1 OR lr_id_card_valid(id_number)", name="id_card_checksum"),
        Check("CASE WHEN id_type = 1 AND id_number ~ '^[0-9]{17}' "
              "THEN sex = 2 - mod(substr(id_number, 17, 1)::int, 2) ELSE true END", name="id_card_sex"),
        # R4.26: the other types' numbers, never blank or padded (registry.rules.ID_NUMBER_SHAPES)
        Check(ID_NUMBER_SHAPE_SQL, name="id_number_shape"),
        Check("birth_date BETWEEN '1900-01-01' AND '2100-12-31'", name="birth_date_range"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6), comment="county that registered the person")
    name: Mapped[str] = mapped_column(sa.String(50), comment="CYXM 成员姓名")
    sex: Mapped[int] = mapped_column(sa.SmallInteger, comment="CYXB 1 男 2 女")
    id_type: Mapped[int] = mapped_column(sa.SmallInteger, comment="CYZJLX 证件类型 (R4.26)")
    id_number: Mapped[str] = mapped_column(sa.String(30), comment="CYZJHM 证件号码")
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    phone: Mapped[str | None] = mapped_column(sa.String(30), comment="LXDH")
    hukou_address: Mapped[str | None] = mapped_column(sa.String(200), comment="户籍地址")
    residence_address: Mapped[str | None] = mapped_column(sa.String(200), comment="现居住地址")
    # a hand-up package listed this number for another person first: this row is that listing,
    # shown in its household as registered, and never an identity (no account, membership,
    # shares, settlement or transferee identity may name it: triggers of migration 0020)
    id_conflict_of: Mapped[int | None] = mapped_column(
        sa.ForeignKey("persons.id", ondelete="RESTRICT"),
        comment="a listing of an ID number the registry holds for this other person: never an "
                "identity (migration 0020)")


class Household(Base):
    """承包方 CBF: the contracting party, a household of the collective (R1.3, R4.6)."""

    __tablename__ = "households"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "code"),
        FK(["county_code", "collective_code"], ["collectives.county_code", "collectives.code"],
           ondelete="RESTRICT"),
        Check(f"code ~ '{patterns.HOUSEHOLD.anchored}'", name="code_shape"),
        Check("left(code, 14) = collective_code", name="collective_prefix"),
        Check("type IN (1, 2, 3)", name="type_code"),
        Check("survey_date BETWEEN '1978-01-01' AND '2100-12-31'", name="survey_date_range"),
        *_county_checks(),
        # the household search by a part of the head's name (pg_trgm, migration 0026)
        sa.Index("ix_households_name_trgm", "name", postgresql_using="gin",
                 postgresql_ops={"name": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(sa.String(18), comment="CBFBM 承包方编码")
    collective_code: Mapped[str] = mapped_column(sa.String(14), comment="FBFBM")
    type: Mapped[int] = mapped_column(sa.SmallInteger, comment="CBFLX 1 农户 2 个人 3 单位")
    name: Mapped[str] = mapped_column(sa.String(100), comment="CBFMC 承包方名称 (户主)")
    representative_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("persons.id", ondelete="RESTRICT"), comment="承包方代表")
    address: Mapped[str | None] = mapped_column(sa.String(200), comment="CBFDZ")
    postcode: Mapped[str | None] = mapped_column(sa.String(6), comment="YZBM")
    phone: Mapped[str | None] = mapped_column(sa.String(30), comment="LXDH")
    survey_date: Mapped[date | None] = mapped_column(sa.Date, comment="CBFDCRQ 调查日期")
    surveyor: Mapped[str | None] = mapped_column(sa.String(50), comment="CBFDCY 调查员")

    representative: Mapped[Person | None] = relationship()


class HouseholdMember(Versioned, Base):
    """家庭成员 JTCY: a person's membership of a household, versioned (R1.3, R4.20)."""

    __tablename__ = "household_members"
    __table_args__ = (
        sa.Index("uq_household_members_live_person", "person_id", unique=True,
                 postgresql_where=LIVE),
        Check("relation ~ '^[0-9]{2}$'", name="relation_code"),
        Check(f"county_code ~ '{patterns.COUNTY.anchored}'", name="county_shape"),
        *_version_checks(),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id", ondelete="RESTRICT"),
                                              index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id", ondelete="RESTRICT"))
    relation: Mapped[str] = mapped_column(sa.String(2), comment="YHZGX 与户主关系 (GB/T 4761)")
    is_co_holder: Mapped[bool] = mapped_column(comment="SFGYR 是否共有人")
    remark_code: Mapped[str | None] = mapped_column(sa.String(2), comment="CYBZ 成员备注 (R4.28)")
    remark_text: Mapped[str | None] = mapped_column(sa.String(200), comment="CYBZSM 成员备注说明")
    handup_id: Mapped[int | None] = _handup_id()

    person: Mapped[Person] = relationship()
    household: Mapped[Household] = relationship()


class Parcel(Versioned, Base):
    """承包地块 DK: a surveyed parcel version, CGCS2000 geographic (R4.7, R4.18)."""

    __tablename__ = "parcels"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "code", "version"),
        sa.UniqueConstraint("id", "code"),
        sa.Index("uq_parcels_live_code", "county_code", "code", unique=True, postgresql_where=LIVE),
        # the closed versions only (a new live row adds no entry): a village's first version for
        # its overview (migration 0013)
        sa.Index("ix_parcels_closed_code", "county_code", "code",
                 postgresql_where=sa.text("valid_to IS NOT NULL")),
        FK(["county_code", "collective_code"], ["collectives.county_code", "collectives.code"],
           ondelete="RESTRICT"),
        Check(f"code ~ '{patterns.PARCEL.anchored}'", name="code_shape"),
        Check("left(code, 14) = collective_code", name="collective_prefix"),
        Check("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="geom_valid"),
        # named to sort after geom_valid: PostgreSQL checks in name order, and an invalid
        # bow-tie has zero area, so the validity message is the one the user should see
        Check("area_m2 > 0", name="positive_area"),
        Check("surveyed_area_m2 IS NULL OR surveyed_area_m2 > 0", name="surveyed_area_positive"),
        Check("version >= 1", name="version_positive"),
        Check("status IN ('surveyed', 'registered')", name="status_known"),
        Check("category IS NULL OR category IN ('10', '21', '22', '23', '24', '99')",
              name="category_code"),  # DKLB, R4.22 (both 24 and 99 accepted)
        Check("soil_grade IS NULL OR soil_grade ~ '^(0[1-9]|10)$'", name="soil_grade_code"),
        Check("land_use IS NULL OR land_use IN ('1', '2', '3', '4', '5')", name="land_use_code"),
        # no contracted parcel exceeds 10 km² (15,000 mu); the columns hold far more
        Check("area_m2 <= 10000000", name="area_at_most"),
        Check("surveyed_area_m2 <= 10000000", name="surveyed_area_at_most"),
        # SCMJM as delivered: vendors leave 0 when only SCMJ is filled
        Check("surveyed_area_mu BETWEEN 0 AND 15000", name="surveyed_mu_range"),
        *_county_checks(),
        *_version_checks(),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(sa.String(19), comment="DKBM 地块代码")
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    collective_code: Mapped[str] = mapped_column(sa.String(14), comment="FBFBM")
    name: Mapped[str | None] = mapped_column(sa.String(100), comment="DKMC 地块名称")
    ownership: Mapped[str | None] = mapped_column(sa.String(2), comment="SYQXZ 所有权性质 (R4.21)")
    category: Mapped[str | None] = mapped_column(sa.String(2), comment="DKLB 地块类别 (R4.22)")
    land_use_type: Mapped[str | None] = mapped_column(sa.String(4), comment="TDLYLX (R4.31)")
    soil_grade: Mapped[str | None] = mapped_column(sa.String(2), comment="DLDJ 地力等级 (R4.23)")
    land_use: Mapped[str | None] = mapped_column(sa.String(1), comment="TDYT 土地用途 (R4.24)")
    is_basic_farmland: Mapped[bool | None] = mapped_column(comment="SFJBNT 是否基本农田")
    east: Mapped[str | None] = mapped_column(sa.String(100), comment="DKDZ 东至")
    south: Mapped[str | None] = mapped_column(sa.String(100), comment="DKNZ 南至")
    west: Mapped[str | None] = mapped_column(sa.String(100), comment="DKXZ 西至")
    north: Mapped[str | None] = mapped_column(sa.String(100), comment="DKBZ 北至")
    pointer_name: Mapped[str | None] = mapped_column(sa.String(50), comment="ZJRXM 指界人姓名")
    remark: Mapped[str | None] = mapped_column(sa.String(200), comment="DKBZXX 地块备注信息")
    surveyed_area_m2: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(16, 2), comment="SCMJ 实测面积 (m², plane area as delivered)")
    surveyed_area_mu: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(16, 2), comment="SCMJM 实测面积亩 (as delivered)")
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4490), nullable=False)
    area_m2: Mapped[float] = mapped_column(
        sa.Double, sa.Computed("ST_Area(geom::geography)", persisted=True),
        comment="geodesic area in m², computed by the database")
    status: Mapped[str] = mapped_column(sa.String(16), server_default="surveyed")
    extra: Mapped[dict | None] = mapped_column(JSONB, comment="attributes outside NY/T 2539, kept")
    handup_id: Mapped[int | None] = _handup_id()


class Contract(Versioned, Base):
    """承包合同 CBHT: a household's contract, versioned; its code is household + J/Q (R4.8)."""

    __tablename__ = "contracts"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "code", "version"),
        sa.UniqueConstraint("id", "code"),
        sa.Index("uq_contracts_live_code", "county_code", "code", unique=True, postgresql_where=LIVE),
        FK(["county_code", "household_code"], ["households.county_code", "households.code"],
           ondelete="RESTRICT"),
        Check(f"code ~ '{patterns.CONTRACT.anchored}'", name="code_shape"),
        Check("left(code, 18) = household_code", name="household_prefix"),
        Check("mode IN ('100', '110', '120', '200', '300')", name="mode_code"),
        # J = family contracting (110), Q = other modes (R4.8)
        Check("(right(code, 1) = 'J') = (mode = '110')", name="suffix_matches_mode"),
        Check("term_end > term_start", name="term_order"),
        # R1.5: household contracting began in 1978; forest land, the longest, is 30-70 years
        Check("term_start BETWEEN '1978-01-01' AND '2100-12-31'", name="term_start_range"),
        Check("term_end <= term_start + interval '70 years'", name="term_at_most_70_years"),
        Check("signed_on BETWEEN '1978-01-01' AND '2100-12-31'", name="signed_on_range"),
        Check("status IN ('draft', 'registered', 'cancelled')", name="status_known"),
        Check("version >= 1", name="version_positive"),
        *_county_checks(),
        *_version_checks(),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(sa.String(19), comment="CBHTBM 承包合同编码")
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    household_code: Mapped[str] = mapped_column(sa.String(18), comment="CBFBM")
    mode: Mapped[str] = mapped_column(sa.String(3), comment="CBFS 承包方式 (R4.25)")
    term_start: Mapped[date] = mapped_column(sa.Date, comment="CBQXQ 承包期限起")
    term_end: Mapped[date] = mapped_column(sa.Date, comment="CBQXZ 承包期限止")
    signed_on: Mapped[date | None] = mapped_column(sa.Date, comment="QDSJ 签订时间")
    original_code: Mapped[str | None] = mapped_column(sa.String(19), comment="YCBHTBM 原承包合同编码")
    status: Mapped[str] = mapped_column(sa.String(16), server_default="draft")
    handup_id: Mapped[int | None] = _handup_id()

    parcels: Mapped[list[ContractParcel]] = relationship(back_populates="contract")


class ContractParcel(Base):
    """承包地块信息 CBDKXX: a parcel in a contract version, with its three areas (R4.19)."""

    __tablename__ = "contract_parcels"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "parcel_code"),
        FK(["parcel_id", "parcel_code"], ["parcels.id", "parcels.code"], ondelete="RESTRICT"),
        Check("contract_area_m2 IS NULL OR contract_area_m2 > 0", name="contract_area_positive"),
        Check("confirmed_area_m2 > 0", name="confirmed_area_positive"),
        Check("confirmed_area_m2 <= 10000000 AND (contract_area_m2 IS NULL OR contract_area_m2 <= 10000000)",
              name="areas_at_most"),
        Check("county_code = left(parcel_code, 6)", name="county_prefix"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="RESTRICT"))
    parcel_id: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    parcel_code: Mapped[str] = mapped_column(sa.String(19), comment="DKBM")
    acquisition: Mapped[str] = mapped_column(sa.String(3), server_default="110",
                                             comment="CBJYQQDFS 取得方式")
    contract_area_m2: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(16, 2), comment="HTMJ 合同面积 (second-round ledger)")
    confirmed_area_m2: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2), comment="确权面积")

    contract: Mapped[Contract] = relationship(back_populates="parcels")
    parcel: Mapped[Parcel] = relationship(foreign_keys=[parcel_id],
                                          primaryjoin="ContractParcel.parcel_id == Parcel.id")


class RegisterEntry(Versioned, Base):
    """登记簿 CBJYQZDJB: the register entry; its code equals the contract code (R3.6, R4.9)."""

    __tablename__ = "register_entries"
    __table_args__ = (
        sa.UniqueConstraint("county_code", "code", "version"),
        sa.Index("uq_register_entries_live_code", "county_code", "code", unique=True,
                 postgresql_where=LIVE),
        FK(["contract_id", "code"], ["contracts.id", "contracts.code"], ondelete="RESTRICT"),
        Check("registered_at IS NOT NULL", name="registered"),
        Check("version >= 1", name="version_positive"),
        *_county_checks(),
        *_version_checks(),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    code: Mapped[str] = mapped_column(sa.String(19), comment="CBJYQZBM 登记簿编码 = 合同编码")
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    contract_id: Mapped[int] = mapped_column(sa.BigInteger)
    registrar: Mapped[str] = mapped_column(sa.String(50), comment="登簿人")
    note: Mapped[str | None] = mapped_column(sa.Text, comment="登记簿附记")
    document: Mapped[str | None] = mapped_column(sa.String(200), comment="权属来源资料")
    handup_id: Mapped[int | None] = _handup_id()

    contract: Mapped[Contract] = relationship(foreign_keys=[contract_id],
                                              primaryjoin="RegisterEntry.contract_id == Contract.id")


class Setting(Base):
    """A tunable registry rule read by triggers and services (e.g. overlap tolerance, R4.15)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)


class ChangeEvent(Base):
    """Who changed which right, when, why and on what document."""

    __tablename__ = "change_events"
    __table_args__ = (sa.Index("ix_change_events_entity", "county_code", "entity", "entity_code"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str | None] = mapped_column(sa.String(6))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=NOW)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(sa.String(40))
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_code: Mapped[str] = mapped_column(sa.String(40))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    document: Mapped[str | None] = mapped_column(sa.String(200))
    details: Mapped[dict | None] = mapped_column(JSONB)


class ParcelOverview(Base):
    """One collective's live parcels at a glance, for the map below zoom 14: outline (convex hull),
    counts and area, and when its first parcel version began (the OGC temporal extent). Written
    only by the statement triggers on parcels (migrations 0012, 0013)."""

    __tablename__ = "parcel_overviews"
    __table_args__ = (
        Check("county_code = left(collective_code, 6)", name="county_prefix"),
        Check("registered BETWEEN 0 AND parcels", name="registered_counted"),
        sa.Index("idx_parcel_overviews_geom", "geom", postgresql_using="gist"),
    )

    county_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    collective_code: Mapped[str] = mapped_column(
        sa.String(14), primary_key=True, comment="FBFBM: one row per collective with live parcels")
    geom = mapped_column(Geometry("GEOMETRY", srid=4490, spatial_index=False), nullable=False,
                         comment="convex hull covering the collective's live parcels")
    parcels: Mapped[int] = mapped_column(sa.Integer)
    registered: Mapped[int] = mapped_column(sa.Integer)
    area_m2: Mapped[float] = mapped_column(sa.Float)
    since: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True),
        comment="when the first version (closed ones included) of the collective's parcels began")
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
