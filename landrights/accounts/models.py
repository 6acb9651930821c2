"""Users, roles and API tokens."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import CheckConstraint as Check
from sqlalchemy.orm import Mapped, mapped_column, relationship

from landrights.db import Base

ROLES = {
    # code: (zh, en, jurisdiction column that must be set)
    "farmer": ("农户", "Farmer household", "household_code"),
    "township_officer": ("乡镇农经站人员", "Township officer", "township_code"),
    "collective_clerk": ("集体经济组织文书", "Collective clerk", "collective_code"),
    "county_admin": ("县级管理员", "County administrator", "county_code"),
    "transferee": ("流入方", "Transferee", None),
}


class Role(Base):
    """A role an account holds; the jurisdiction it needs is enforced on users."""

    __tablename__ = "roles"

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(50))
    name_en: Mapped[str] = mapped_column(sa.String(50))


class User(Base):
    """An account; role and jurisdiction decide what it may see and do."""

    __tablename__ = "users"
    __table_args__ = (
        sa.Index("uq_users_username_lower", sa.text("lower(username)"), unique=True),
        Check("role <> 'farmer' OR household_code IS NOT NULL", name="farmer_household"),
        Check("role <> 'township_officer' OR township_code IS NOT NULL", name="officer_township"),
        Check("role <> 'collective_clerk' OR collective_code IS NOT NULL", name="clerk_collective"),
        Check("role <> 'county_admin' OR county_code IS NOT NULL", name="admin_county"),
        Check("county_code IS NULL OR county_code ~ '^[0-9]{6}$'", name="county_shape"),
        Check("township_code IS NULL OR township_code ~ '^[0-9]{9}$'", name="township_shape"),
        Check("collective_code IS NULL OR collective_code ~ '^[0-9]{14}$'",
              name="collective_shape"),
        Check("household_code IS NULL OR household_code ~ '^[0-9]{18}$'",
              name="household_shape"),
        Check("county_code IS NULL OR township_code IS NULL OR left(township_code, 6) = county_code",
              name="township_in_county"),
        Check("username ~ '^[A-Za-z0-9_.-]{3,64}$'", name="username_shape"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(sa.ForeignKey("roles.code", ondelete="RESTRICT"))
    county_code: Mapped[str | None] = mapped_column(sa.String(6))
    township_code: Mapped[str | None] = mapped_column(sa.String(9))
    collective_code: Mapped[str | None] = mapped_column(sa.String(14))
    household_code: Mapped[str | None] = mapped_column(sa.String(18))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id", ondelete="RESTRICT"))
    is_active: Mapped[bool] = mapped_column(server_default=sa.true())
    failed_logins: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        """Tell Flask-Login a loaded user is logged in."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """Tell Flask-Login this is a real account."""
        return False

    def get_id(self) -> str:
        """Return the id Flask-Login keeps in the session."""
        return str(self.id)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")
