"""account changes recorded, household activation codes (issue 20 §1)

Revision ID: 0024
Revises: 0023

1. account_changes: every change of an account (created, role or area edited, deactivated,
   reactivated, a letter issued, activated, a lock lifted, a password set), who made it and when,
   with the role, area and state before and after. No column can hold a password. Kept as
   recorded: a trigger refuses UPDATE and DELETE.
2. activation_codes: the one-time codes of activation letters, as password-style hashes only;
   one code in force per account (a new letter voids the old one), each used once, and expiring.
3. users.phone: the mobile number a person may give when activating the account; an index on
   users.household_code (a collective's household accounts, at county scale).
"""
import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ACTIONS = ("created", "edited", "deactivated", "reactivated", "letter_issued", "activated",
           "unlocked", "password_set", "password_changed")


def _stamp(name: str, **kw) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def upgrade() -> None:
    op.add_column("users", sa.Column("phone", sa.String(11), nullable=True))
    op.create_check_constraint(op.f("ck_users_phone_shape"), "users",
                               "phone IS NULL OR phone ~ '^1[3-9][0-9]{9}$'")
    op.create_index(op.f("ix_users_household_code"), "users", ["household_code"])

    op.create_table(
        "account_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_name", sa.String(100), nullable=False),
        _stamp("changed_at", server_default=sa.text("now()"), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("role_before", sa.String(32), nullable=True),
        sa.Column("role_after", sa.String(32), nullable=True),
        sa.Column("area_before", sa.String(18), nullable=True),
        sa.Column("area_after", sa.String(18), nullable=True),
        sa.Column("active_before", sa.Boolean(), nullable=True),
        sa.Column("active_after", sa.Boolean(), nullable=True),
        sa.CheckConstraint("action IN " + str(ACTIONS), name=op.f("ck_account_changes_action_known")),
        sa.CheckConstraint("county_code IS NULL OR county_code ~ '^[0-9]{6}$'",
                           name=op.f("ck_account_changes_county_shape")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="RESTRICT",
                                name=op.f("fk_account_changes_user_id_users")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="RESTRICT",
                                name=op.f("fk_account_changes_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_changes")),
    )
    op.create_index(op.f("ix_account_changes_user_id"), "account_changes", ["user_id"])
    op.execute("""
        CREATE FUNCTION lr_account_changes_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'account changes are kept as recorded' USING ERRCODE = 'P0001';
        END $$""")
    op.execute("CREATE TRIGGER account_changes_kept BEFORE UPDATE OR DELETE ON account_changes "
               "FOR EACH ROW EXECUTE FUNCTION lr_account_changes_kept()")

    op.create_table(
        "activation_codes",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("code_hash", sa.String(255), nullable=False),
        _stamp("issued_at", nullable=False),
        sa.Column("issued_by_id", sa.BigInteger(), nullable=True),
        _stamp("expires_at", nullable=False),
        _stamp("used_at", nullable=True),
        _stamp("voided_at", nullable=True),
        sa.CheckConstraint("expires_at > issued_at", name=op.f("ck_activation_codes_expires_after_issue")),
        sa.CheckConstraint("used_at IS NULL OR voided_at IS NULL",
                           name=op.f("ck_activation_codes_used_or_voided")),
        sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f("ck_activation_codes_county_shape")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="RESTRICT",
                                name=op.f("fk_activation_codes_user_id_users")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"], ondelete="RESTRICT",
                                name=op.f("fk_activation_codes_issued_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_codes")),
    )
    op.create_index(op.f("ix_activation_codes_user_id"), "activation_codes", ["user_id"])
    op.create_index("uq_activation_codes_live", "activation_codes", ["county_code", "user_id"],
                    unique=True, postgresql_where=sa.text("used_at IS NULL AND voided_at IS NULL"))


def downgrade() -> None:
    op.drop_index("uq_activation_codes_live", table_name="activation_codes")
    op.drop_index(op.f("ix_activation_codes_user_id"), table_name="activation_codes")
    op.drop_table("activation_codes")
    op.execute("DROP TRIGGER account_changes_kept ON account_changes")
    op.execute("DROP FUNCTION lr_account_changes_kept()")
    op.drop_index(op.f("ix_account_changes_user_id"), table_name="account_changes")
    op.drop_table("account_changes")
    op.drop_index(op.f("ix_users_household_code"), table_name="users")
    op.drop_constraint(op.f("ck_users_phone_shape"), "users", type_="check")
    op.drop_column("users", "phone")
