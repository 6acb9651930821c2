"""Quality rules (data, switchable per county and moment), survey imports and their findings."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint as Check
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from landrights import patterns
from landrights.db import Base


class QualityRule(Base):
    """A quality rule: what it checks, when, how bad a breach is, and its body (SQL or Python)."""

    __tablename__ = "quality_rules"
    __table_args__ = (
        Check("severity IN ('critical', 'warning')", name="severity_known"),
        Check("kind IN ('sql', 'python')", name="kind_known"),
        Check("moment IN ('import', 'confirmation', 'handup')", name="moment_known"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    moment: Mapped[str] = mapped_column(sa.String(20), primary_key=True,
                                        comment="when it runs: import, confirmation")  # handup: issue 18
    target: Mapped[str] = mapped_column(sa.String(20), comment="parcel or file")
    severity: Mapped[str] = mapped_column(sa.String(10), comment="critical keeps the parcel out")
    description_zh: Mapped[str] = mapped_column(sa.Text)
    description_en: Mapped[str] = mapped_column(sa.Text)
    message_zh: Mapped[str] = mapped_column(sa.Text, comment="finding text, {placeholders} from params")
    message_en: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(10))
    body: Mapped[str] = mapped_column(sa.Text, comment="SELECT row_no, parcel_code, params, location "
                                                       "over survey_stage; or a Python rule name")
    params: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"),
                                         comment="tolerances the body reads as :params")
    rule_ref: Mapped[str | None] = mapped_column(sa.String(40), comment="domain-rules.md id")


class QualityRuleSwitch(Base):
    """A county's choice to switch a rule off (or back on) at a moment."""

    __tablename__ = "quality_rule_switches"
    __table_args__ = (
        sa.ForeignKeyConstraint(["rule_id", "moment"], ["quality_rules.id", "quality_rules.moment"],
                                ondelete="RESTRICT"),
        Check(f"county_code ~ '{patterns.COUNTY.anchored}'", name="county_shape"),
    )

    county_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    rule_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    moment: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    enabled: Mapped[bool]
    changed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))


class SurveyImport(Base):
    """One import of a survey file: where from, how it was read, what came of it."""

    __tablename__ = "survey_imports"
    __table_args__ = (
        sa.Index("ix_survey_imports_county_collective", "county_code", "collective_code"),
        Check("county_code = left(collective_code, 6)", name="county_prefix"),
        Check("features >= 0 AND imported >= 0 AND rejected >= 0", name="counts_not_negative"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    collective_code: Mapped[str] = mapped_column(sa.String(14))
    filename: Mapped[str] = mapped_column(sa.String(255))
    file_format: Mapped[str] = mapped_column(sa.String(20))
    encoding: Mapped[str | None] = mapped_column(sa.String(20))
    source_crs: Mapped[str] = mapped_column(sa.String(20))
    all_or_nothing: Mapped[bool]
    features: Mapped[int] = mapped_column(sa.Integer)
    imported: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    rejected: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    classes: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"),
                                          comment="new / missing / geometry_changed / ...")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))


class SurveyFinding(Base):
    """One finding of a rule about one parcel (or the file) of an import."""

    __tablename__ = "survey_findings"
    __table_args__ = (
        Check("severity IN ('critical', 'warning', 'info')", name="severity_known"),
        Check("row_no >= 1", name="row_no_positive"),  # 1-based; NULL: the file as a whole
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_imports.id", ondelete="RESTRICT"),
                                           index=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))
    row_no: Mapped[int | None] = mapped_column(sa.Integer, comment="feature number in the file, 1-based")
    parcel_code: Mapped[str | None] = mapped_column(sa.String(40))
    rule_id: Mapped[str] = mapped_column(sa.String(40))
    severity: Mapped[str] = mapped_column(sa.String(10))
    params: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    location = mapped_column(Geometry(srid=4490), nullable=True)
