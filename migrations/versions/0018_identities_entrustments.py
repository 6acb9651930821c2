"""verified transferee identities (one person, one transferee) and entrustments (R2.4)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02

1. transferee_identities: the person an individual transferee is, only once verified (by the
   person's own account, or by a township officer of the person's area who saw the ID card: who,
   when, which document). One live identity per person and per transferee (partial unique
   indexes); only an individual has one (a CHECK on the transferee's kind, carried by a composite
   foreign key); the trigger lr_transferee_identity_check holds the two ways of verifying and
   refuses any change but the ending. transferees.person_id, a claim nobody verified, is dropped:
   a link whose account really is the person's (users.person_id) becomes an 'own_account'
   identity; every other link carried a member's priority on anyone's word and is not kept (the
   count is logged).
2. entrustments gain what R2.4 asks of a 委托书 and what the app needs to check it at each act:
   the acts (a closed set), the authority (latest transfer end, lowest price), how the household
   consented (in the app, or the officer's scan of the paper signed by both), both signatures'
   times, the revocation. The two booleans "signed by both" become the two signatures' times;
   existing rows (both signed) keep both, at the migration's time.
3. transfer_contracts.household_entrustment_id: the agent who signed for the household, if any.
"""
import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

IDENTITY_CHECK = """
CREATE FUNCTION lr_transferee_identity_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'P0001', CONSTRAINT = 'transferee_identities_history',
            TABLE = 'transferee_identities', MESSAGE = 'a verified identity is kept: end it instead';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.ended_at IS NOT NULL OR NEW.ended_at IS NULL
           OR (NEW.transferee_id, NEW.kind, NEW.person_id, NEW.method, NEW.verified_at)
              IS DISTINCT FROM (OLD.transferee_id, OLD.kind, OLD.person_id, OLD.method, OLD.verified_at)
           OR (NEW.document, NEW.verified_by) IS DISTINCT FROM (OLD.document, OLD.verified_by) THEN
            RAISE EXCEPTION USING ERRCODE = 'P0001', CONSTRAINT = 'transferee_identities_history',
                TABLE = 'transferee_identities',
                MESSAGE = 'a verified identity is only ended, never rewritten';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.method = 'own_account' AND NOT EXISTS (
        SELECT 1 FROM transferees t JOIN users u ON u.id = t.user_id
        WHERE t.id = NEW.transferee_id AND u.person_id = NEW.person_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'P0001', CONSTRAINT = 'transferee_identities_own_account',
            TABLE = 'transferee_identities',
            MESSAGE = 'own_account: the transferee''s account is not linked to this person';
    END IF;
    IF NEW.method = 'officer_id_card' AND NOT EXISTS (
        SELECT 1 FROM users o
        WHERE o.id = NEW.verified_by AND o.role = 'township_officer' AND o.is_active
          AND (EXISTS (SELECT 1 FROM household_members m JOIN households h ON h.id = m.household_id
                       WHERE m.person_id = NEW.person_id AND m.valid_to IS NULL
                         AND left(h.code, 9) = o.township_code)
               OR EXISTS (SELECT 1 FROM memberships ms
                          WHERE ms.person_id = NEW.person_id AND ms.status = 'member'
                            AND left(ms.collective_code, 9) = o.township_code))) THEN
        RAISE EXCEPTION USING ERRCODE = 'P0001', CONSTRAINT = 'transferee_identities_officer_of_area',
            TABLE = 'transferee_identities',
            MESSAGE = 'officer_id_card: verified_by is not an active township officer of the person''s area';
    END IF;
    RETURN NEW;
END $$;
"""

ENTRUSTMENT_CHECKS = [
    ("consent_method_known", "consent_method IN ('app', 'officer_scan')"),
    ("signed_in_order", "agent_signed_at IS NULL OR agent_signed_at >= household_signed_at"),
    ("scan_signed_by_both", "consent_method = 'app' OR (scan IS NOT NULL AND scan_name IS NOT NULL AND "
                            "agent_signed_at IS NOT NULL)"),
    ("transfer_until_range", "transfer_until >= valid_from AND transfer_until <= '2100-12-31'"),
    ("min_price_range", "min_price > 0 AND min_price <= 100000"),
    ("acts_known", "cardinality(acts) >= 1 AND acts <@ ARRAY['list', 'withdraw_listing', 'sign']::varchar[]"),
    ("parcels_named", "cardinality(parcel_codes) >= 1"),
    ("scope_stated", "length(trim(scope)) > 0"),
    ("revoked_with_reason", "(revoked_at IS NULL) = (revocation_reason IS NULL)"),
]


def upgrade() -> None:
    _identities()
    _entrustments()
    op.add_column("transfer_contracts", sa.Column(
        "household_entrustment_id", sa.BigInteger(), nullable=True,
        comment="an agent signed for the household under this entrustment (R2.4)"))
    op.create_foreign_key(op.f("fk_transfer_contracts_household_entrustment_id_entrustments"),
                          "transfer_contracts", "entrustments", ["household_entrustment_id"], ["id"],
                          ondelete="RESTRICT")


def _identities() -> None:
    op.create_unique_constraint(op.f("uq_transferees_id_kind"), "transferees", ["id", "kind"])
    op.create_table(
        "transferee_identities",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("transferee_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False,
                  comment="the transferee's kind, for the CHECK"),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False, comment="own_account | officer_id_card"),
        sa.Column("document", sa.String(length=200), nullable=True,
                  comment="the ID document the officer saw"),
        sa.Column("verified_by", sa.BigInteger(), nullable=True,
                  comment="the officer (own_account: the account)"),
        sa.Column("verified_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
        sa.Column("ended_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind = 'individual'", name=op.f("ck_transferee_identities_individual_only")),
        sa.CheckConstraint("method IN ('own_account', 'officer_id_card')",
                           name=op.f("ck_transferee_identities_method_known")),
        sa.CheckConstraint("method = 'own_account' OR "
                           "(verified_by IS NOT NULL AND length(trim(document)) > 0)",
                           name=op.f("ck_transferee_identities_officer_saw_document")),
        sa.CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)",
                           name=op.f("ck_transferee_identities_ended_with_reason")),
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= verified_at",
                           name=op.f("ck_transferee_identities_ends_after_verified")),
        sa.ForeignKeyConstraint(["transferee_id", "kind"], ["transferees.id", "transferees.kind"],
                                name=op.f("fk_transferee_identities_transferee_id_kind_transferees"),
                                ondelete="RESTRICT", onupdate="RESTRICT"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name=op.f("fk_transferee_identities_person_id_persons"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["verified_by"], ["users.id"],
                                name=op.f("fk_transferee_identities_verified_by_users"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["ended_by"], ["users.id"],
                                name=op.f("fk_transferee_identities_ended_by_users"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transferee_identities")),
    )
    op.create_index("uq_transferee_identities_one_per_person", "transferee_identities", ["person_id"],
                    unique=True, postgresql_where=sa.text("ended_at IS NULL"))
    op.create_index("uq_transferee_identities_one_per_transferee", "transferee_identities",
                    ["transferee_id"], unique=True, postgresql_where=sa.text("ended_at IS NULL"))
    op.execute(IDENTITY_CHECK)
    op.execute("CREATE TRIGGER transferee_identities_check BEFORE INSERT OR UPDATE OR DELETE "
               "ON transferee_identities "
               "FOR EACH ROW EXECUTE FUNCTION lr_transferee_identity_check()")
    conn = op.get_bind()
    kept = conn.execute(sa.text(
        "INSERT INTO transferee_identities (transferee_id, kind, person_id, method, verified_by) "
        "SELECT DISTINCT ON (t.person_id) t.id, t.kind, t.person_id, 'own_account', u.id "
        "FROM transferees t JOIN users u ON u.id = t.user_id "
        "WHERE t.kind = 'individual' AND t.person_id IS NOT NULL AND u.person_id = t.person_id "
        "ORDER BY t.person_id, t.id")).rowcount
    dropped = conn.scalar(sa.text("SELECT count(*) FROM transferees WHERE person_id IS NOT NULL")) - kept
    if dropped:
        log.warning("0018: %s unverified transferee-person links dropped (they carried a member's "
                    "priority on the account's word); a township officer verifies the ID card anew", dropped)
    op.drop_constraint(op.f("fk_transferees_person_id_persons"), "transferees", type_="foreignkey")
    op.drop_column("transferees", "person_id")


def _entrustments() -> None:
    add = op.add_column
    add("entrustments", sa.Column("acts", postgresql.ARRAY(sa.String(length=16)), nullable=True,
                                  comment="ENTRUSTED_ACTS"))
    add("entrustments", sa.Column("transfer_until", sa.Date(), nullable=True,
                                  comment="no transfer the agent makes ends later"))
    add("entrustments", sa.Column("min_price", sa.Numeric(12, 2), nullable=True,
                                  comment="yuan per mu and year, at least"))
    add("entrustments", sa.Column("consent_method", sa.String(length=12), nullable=True,
                                  comment="app | officer_scan"))
    add("entrustments", sa.Column("household_signed_at", sa.DateTime(timezone=True), nullable=True))
    add("entrustments", sa.Column("agent_signed_at", sa.DateTime(timezone=True), nullable=True,
                                  comment="NULL: the agent has not accepted"))
    add("entrustments", sa.Column("scan_name", sa.String(length=200), nullable=True))
    add("entrustments", sa.Column("scan_type", sa.String(length=60), nullable=True))
    add("entrustments", sa.Column("scan", sa.LargeBinary(), nullable=True, comment="the signed paper"))
    add("entrustments", sa.Column("recorded_by", sa.BigInteger(), nullable=True))
    add("entrustments", sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                                  nullable=False))
    add("entrustments", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    add("entrustments", sa.Column("revoked_by", sa.BigInteger(), nullable=True))
    add("entrustments", sa.Column("revocation_reason", sa.String(length=200), nullable=True))
    # the rows before: signed by both (their CHECK), for listing (their only use), any price
    op.execute("UPDATE entrustments SET acts = ARRAY['list', 'withdraw_listing']::varchar[], "
               "transfer_until = valid_to, min_price = 0.01, consent_method = 'app', "
               "household_signed_at = now(), agent_signed_at = now()")
    for column in ("acts", "transfer_until", "min_price", "consent_method", "household_signed_at"):
        op.alter_column("entrustments", column, nullable=False)
    op.drop_constraint(op.f("ck_entrustments_signed_by_both"), "entrustments", type_="check")
    op.drop_column("entrustments", "signed_by_household")
    op.drop_column("entrustments", "signed_by_agent")
    op.alter_column("entrustments", "document", nullable=True, comment="the paper's reference",
                    existing_type=sa.String(200))
    op.alter_column("entrustments", "household_code", comment="the principal (委托方)",
                    existing_type=sa.String(18), existing_nullable=False)
    op.alter_column("entrustments", "agent_user_id", comment="the agent (受托方)",
                    existing_type=sa.BigInteger(), existing_nullable=False)
    op.alter_column("entrustments", "scope", comment="matters and authority, in the principal's words",
                    existing_type=sa.Text(), existing_nullable=False)
    op.alter_column("entrustments", "valid_to", comment="the last day of the entrustment",
                    existing_type=sa.Date(), existing_nullable=False)
    for name, column in (("recorded_by", "recorded_by"), ("revoked_by", "revoked_by")):
        op.create_foreign_key(op.f(f"fk_entrustments_{name}_users"), "entrustments", "users", [column],
                              ["id"], ondelete="RESTRICT")
    for name, expression in ENTRUSTMENT_CHECKS:
        op.create_check_constraint(op.f(f"ck_entrustments_{name}"), "entrustments", expression)
    op.create_index("ix_entrustments_agent_user_id", "entrustments", ["agent_user_id"])


def downgrade() -> None:
    op.drop_constraint(op.f("fk_transfer_contracts_household_entrustment_id_entrustments"),
                       "transfer_contracts", type_="foreignkey")
    op.drop_column("transfer_contracts", "household_entrustment_id")
    _entrustments_down()
    _identities_down()


def _entrustments_down() -> None:
    op.drop_index("ix_entrustments_agent_user_id", table_name="entrustments")
    for name, _expression in ENTRUSTMENT_CHECKS:
        op.drop_constraint(op.f(f"ck_entrustments_{name}"), "entrustments", type_="check")
    for name in ("recorded_by", "revoked_by"):
        op.drop_constraint(op.f(f"fk_entrustments_{name}_users"), "entrustments", type_="foreignkey")
    # the old table knew only entrustments signed by both and never revoked: the others end here
    op.execute("UPDATE listings SET entrustment_id = NULL WHERE entrustment_id IN (SELECT id FROM "
               "entrustments WHERE agent_signed_at IS NULL OR revoked_at IS NOT NULL)")
    op.execute("DELETE FROM entrustments WHERE agent_signed_at IS NULL OR revoked_at IS NOT NULL")
    op.add_column("entrustments", sa.Column("signed_by_household", sa.Boolean(), server_default=sa.true(),
                                            nullable=False))
    op.add_column("entrustments", sa.Column("signed_by_agent", sa.Boolean(), server_default=sa.true(),
                                            nullable=False))
    op.alter_column("entrustments", "signed_by_household", server_default=None)
    op.alter_column("entrustments", "signed_by_agent", server_default=None)
    op.create_check_constraint(op.f("ck_entrustments_signed_by_both"), "entrustments",
                               "signed_by_household AND signed_by_agent")
    op.execute("UPDATE entrustments SET document = coalesce(document, scan_name, '')")
    op.alter_column("entrustments", "document", nullable=False, comment=None, existing_type=sa.String(200))
    for column, kind in (("household_code", sa.String(18)), ("agent_user_id", sa.BigInteger()),
                         ("valid_to", sa.Date())):
        op.alter_column("entrustments", column, comment=None, existing_type=kind, existing_nullable=False)
    op.alter_column("entrustments", "scope", comment="matters and authority", existing_type=sa.Text(),
                    existing_nullable=False)
    for column in ("acts", "transfer_until", "min_price", "consent_method", "household_signed_at",
                   "agent_signed_at", "scan_name", "scan_type", "scan", "recorded_by", "created_at",
                   "revoked_at", "revoked_by", "revocation_reason"):
        op.drop_column("entrustments", column)


def _identities_down() -> None:
    op.add_column("transferees", sa.Column("person_id", sa.BigInteger(), nullable=True,
                                           comment="an individual: the registered person"))
    op.create_foreign_key(op.f("fk_transferees_person_id_persons"), "transferees", "persons", ["person_id"],
                          ["id"], ondelete="RESTRICT")
    op.execute("UPDATE transferees t SET person_id = i.person_id FROM transferee_identities i "
               "WHERE i.transferee_id = t.id AND i.ended_at IS NULL")
    op.execute("DROP TRIGGER transferee_identities_check ON transferee_identities")
    op.execute("DROP FUNCTION lr_transferee_identity_check()")
    op.drop_index("uq_transferee_identities_one_per_transferee", table_name="transferee_identities")
    op.drop_index("uq_transferee_identities_one_per_person", table_name="transferee_identities")
    op.drop_table("transferee_identities")
    op.drop_constraint(op.f("uq_transferees_id_kind"), "transferees", type_="unique")
