"""Users, roles, API tokens, login sessions and the count of failed logins."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import CheckConstraint as Check
from sqlalchemy.orm import Mapped, mapped_column, relationship

from landrights import patterns
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
        # one person, one active account: the account's word is the person's (migration 0019)
        sa.Index("uq_users_person_active", "person_id", unique=True,
                 postgresql_where=sa.text("is_active AND person_id IS NOT NULL")),
        Check("role <> 'farmer' OR household_code IS NOT NULL", name="farmer_household"),
        Check("role <> 'township_officer' OR township_code IS NOT NULL", name="officer_township"),
        Check("role <> 'collective_clerk' OR collective_code IS NOT NULL", name="clerk_collective"),
        Check("role <> 'county_admin' OR county_code IS NOT NULL", name="admin_county"),
        Check(f"county_code IS NULL OR county_code ~ '{patterns.COUNTY.anchored}'", name="county_shape"),
        Check(f"township_code IS NULL OR township_code ~ '{patterns.TOWNSHIP.anchored}'",
              name="township_shape"),
        Check(f"collective_code IS NULL OR collective_code ~ '{patterns.COLLECTIVE.anchored}'",
              name="collective_shape"),
        Check(f"household_code IS NULL OR household_code ~ '{patterns.HOUSEHOLD.anchored}'",
              name="household_shape"),
        Check("county_code IS NULL OR township_code IS NULL OR left(township_code, 6) = county_code",
              name="township_in_county"),
        Check(f"username ~ '{patterns.USERNAME.anchored}'", name="username_shape"),
        Check(f"phone IS NULL OR phone ~ '{patterns.PHONE.anchored}'", name="phone_shape"),
        sa.Index("ix_users_household_code", "household_code"),  # a collective's household accounts
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
    # a mobile number the person gave when activating the account (optional), for the township
    # office to reach them; never shown to anyone but the account's administrators and itself
    phone: Mapped[str | None] = mapped_column(sa.String(11))
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    # the raw id of the login session this request runs in (never stored: the table keeps its
    # digest); set by accounts.login when a login starts or a session cookie is accepted
    login_token = None

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
        """Return what Flask-Login keeps in the session cookie: the login session's raw id, so a
        cookie is worth only as long as its session lives on the server (not the account id,
        which anyone holding SECRET_KEY could sign).

        Raises:
            RuntimeError: no login session was started for this account in this request.
        """
        if not self.login_token:
            raise RuntimeError("start a login session (accounts.login.start_session) first")
        return self.login_token


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))  # set on issue
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")


END_REASONS = ("logout", "expired", "password", "deactivated", "revoked", "key_rotated")


class LoginSession(Base):
    """One login in one browser. The cookie carries a random id; only its SHA-256 is kept here, so
    logging out, a password change, deactivation or `landrights users revoke` ends it on the
    server, and a copied cookie of an ended session is worth nothing."""

    __tablename__ = "login_sessions"
    __table_args__ = (
        Check("ended_at IS NULL OR ended_at >= created_at", name="ends_after_start"),
        Check("(ended_at IS NULL) = (end_reason IS NULL)", name="end_has_reason"),
        Check("end_reason IN " + str(END_REASONS), name="end_reason_known"),
        sa.Index("ix_login_sessions_live_user", "user_id", postgresql_where=sa.text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    # sessions are not part of the legal record: they go with their account
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                   server_default=sa.text("now()"))
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(sa.String(16))
    source_address: Mapped[str] = mapped_column(sa.String(64))  # as seen after the trusted proxies
    user_agent: Mapped[str] = mapped_column(sa.String(200))


class LoginThrottle(Base):
    """Failed logins of a user name (lower-cased as typed, whether or not an account has it) from
    one source address, or from every source when source is '*'. Unknown names are counted the
    same way, so a lock tells nothing about which names exist."""

    __tablename__ = "login_throttles"
    __table_args__ = (
        Check("failures >= 0", name="failures_not_negative"),
        sa.Index("ix_login_throttles_updated_at", "updated_at"),
    )

    username: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    window_started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))


CHANGE_ACTIONS = ("created", "edited", "deactivated", "reactivated", "letter_issued", "activated",
                  "unlocked", "password_set", "password_changed")


class AccountChange(Base):
    """One change of an account, as it was made: who (an account, or the command line), when, and
    what became of its role, area and state. Never a password: no column could hold one. Kept as
    recorded (a trigger refuses UPDATE and DELETE, migration 0024)."""

    __tablename__ = "account_changes"
    __table_args__ = (
        Check("action IN " + str(CHANGE_ACTIONS), name="action_known"),
        Check(f"county_code IS NULL OR county_code ~ '{patterns.COUNTY.anchored}'", name="county_shape"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    # the county of the account's area (none for an account without one, a transferee's)
    county_code: Mapped[str | None] = mapped_column(sa.String(6))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    actor_id: Mapped[int | None] = mapped_column(  # none: the system (the command line, a load)
        sa.ForeignKey("users.id", ondelete="RESTRICT"))
    actor_name: Mapped[str] = mapped_column(sa.String(100))
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.text("now()"))
    action: Mapped[str] = mapped_column(sa.String(24))
    role_before: Mapped[str | None] = mapped_column(sa.String(32))
    role_after: Mapped[str | None] = mapped_column(sa.String(32))
    area_before: Mapped[str | None] = mapped_column(sa.String(18))  # the code of the role's area
    area_after: Mapped[str | None] = mapped_column(sa.String(18))
    active_before: Mapped[bool | None] = mapped_column()
    active_after: Mapped[bool | None] = mapped_column()


class ActivationCode(Base):
    """A one-time code printed on an account's activation letter: whoever holds the letter sets the
    account's password with it. Only a password-style hash of the code is kept. A new letter voids
    the code before it; a code is used once, and expires."""

    __tablename__ = "activation_codes"
    __table_args__ = (
        Check("expires_at > issued_at", name="expires_after_issue"),
        Check("used_at IS NULL OR voided_at IS NULL", name="used_or_voided"),
        Check(f"county_code ~ '{patterns.COUNTY.anchored}'", name="county_shape"),
        # one code in force per account: issuing a new one voids the old one first
        sa.Index("uq_activation_codes_live", "county_code", "user_id", unique=True,
                 postgresql_where=sa.text("used_at IS NULL AND voided_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    county_code: Mapped[str] = mapped_column(sa.String(6))  # of the account's area
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(255))
    issued_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
