"""Hand-up imports (汇交成果导入) and their findings; which hand-up import brought a record in."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import CheckConstraint as Check
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from landrights import patterns
from landrights.db import Base

NY_T_TABLES = ("FBF", "CBF", "CBF_JTCY", "CBHT", "CBDKXX", "CBJYQZDJB", "CBJYQZ", "CBJYQZ_QZBF",
               "CBJYQZ_QZHF", "CBJYQZ_QZZX", "DK")


class HandupImport(Base):
    """One import of a county's hand-up package: where from, how it was read, what came of it."""

    __tablename__ = "handup_imports"
    __table_args__ = (
        sa.Index("ix_handup_imports_county", "county_code", "id"),
        Check(f"county_code ~ '{patterns.COUNTY.anchored}'", name="county_shape"),
        Check("households_kept_out >= 0", name="kept_out_not_negative"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    filename: Mapped[str] = mapped_column(sa.String(255))
    ownership_format: Mapped[str] = mapped_column(sa.String(20), comment="mdb, dbf or gpkg")
    layer_format: Mapped[str] = mapped_column(sa.String(20), comment="shapefile, geopackage, …")
    encoding: Mapped[str | None] = mapped_column(sa.String(20), comment="of the DK layer's DBF")
    source_crs: Mapped[str] = mapped_column(sa.String(20))
    all_or_nothing: Mapped[bool]
    counts: Mapped[dict] = mapped_column(
        JSONB, server_default=sa.text("'{}'::jsonb"),
        comment="per NY/T 2539 table: read, entered, changed, unchanged, kept_out")
    households_kept_out: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    changed_nothing: Mapped[bool] = mapped_column(server_default=sa.false(),
                                                  comment="the registry already held all of it")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))


class HandupFinding(Base):
    """One finding of a hand-up rule: the table, the record's key, the household it keeps out."""

    __tablename__ = "handup_findings"
    __table_args__ = (
        Check("severity IN ('critical', 'warning')", name="severity_known"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    import_id: Mapped[int] = mapped_column(
        sa.ForeignKey("handup_imports.id", ondelete="RESTRICT"), index=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    table_name: Mapped[str] = mapped_column(sa.String(20), comment="FBF, CBF, … or DK")
    row_no: Mapped[int | None] = mapped_column(
        sa.Integer, comment="the row in its table (1-based, as read); NULL: the table as a whole")
    record_key: Mapped[str] = mapped_column(sa.String(80), comment="the row's codes; ID masked")
    household_code: Mapped[str | None] = mapped_column(
        sa.String(18), comment="CBFBM of the household the finding concerns (kept out if critical)")
    rule_id: Mapped[str] = mapped_column(sa.String(40))
    severity: Mapped[str] = mapped_column(sa.String(10))
    params: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
