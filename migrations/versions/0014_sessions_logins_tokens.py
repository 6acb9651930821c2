"""server-side login sessions, login throttling by account and source, token lifetimes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

- login_sessions: a session cookie now carries the random id of a row here (kept as its SHA-256),
  so logout, a password change, deactivation and `landrights users revoke` end a session on the
  server; a copied cookie of an ended session is refused (issue 16, section 4).
- login_throttles: failed logins counted per (user name as typed, source address) and per user
  name over every source ('*'), for names that exist and names that do not alike. It replaces
  users.failed_logins / users.locked_until, which locked the account for every source and only for
  names that exist (so the lock told which names exist, and anyone could lock anyone out).
- api_tokens.expires_at is required: every token gets a lifetime when it is issued; tokens issued
  before this revision expire 90 days after it.
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

END_REASONS = "('logout', 'expired', 'password', 'deactivated', 'revoked', 'key_rotated')"


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.Column("source_address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(200), nullable=False),
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= created_at",
                           name=op.f("ck_login_sessions_ends_after_start")),
        sa.CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)",
                           name=op.f("ck_login_sessions_end_has_reason")),
        sa.CheckConstraint("end_reason IN " + END_REASONS,
                           name=op.f("ck_login_sessions_end_reason_known")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_login_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_sessions_token_hash")),
    )
    op.create_index("ix_login_sessions_live_user", "login_sessions", ["user_id"],
                    postgresql_where=sa.text("ended_at IS NULL"))

    op.create_table(
        "login_throttles",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_login_throttles_failures_not_negative")),
        sa.PrimaryKeyConstraint("username", "source", name=op.f("pk_login_throttles")),
    )
    op.create_index("ix_login_throttles_updated_at", "login_throttles", ["updated_at"])

    op.drop_column("users", "failed_logins")
    op.drop_column("users", "locked_until")

    op.execute("UPDATE api_tokens SET expires_at = now() + interval '90 days' "
               "WHERE expires_at IS NULL")
    op.alter_column("api_tokens", "expires_at", nullable=False)


def downgrade() -> None:
    op.alter_column("api_tokens", "expires_at", nullable=True)
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("failed_logins", sa.Integer(), server_default="0",
                                     nullable=False))
    op.drop_index("ix_login_throttles_updated_at", table_name="login_throttles")
    op.drop_table("login_throttles")
    op.drop_index("ix_login_sessions_live_user", table_name="login_sessions")
    op.drop_table("login_sessions")
