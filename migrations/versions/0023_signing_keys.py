"""public-key signing keys of a county, rotation and revocation (issue 20 §4)

The public half of each SM2 key that signs the county's documents (certificates, statements,
attestations, the register's daily head). The private half is never in the database: a file of
mode 600 in the signing key folder (landrights.signing.keys). A key row is evidence that what it
signed verifies, so it is never deleted and only revocation changes it, once.

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

PROTECT_FUNCTION = r"""
CREATE FUNCTION lr_protect_signing_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
       AND (to_jsonb(NEW) - ARRAY['revoked_at', 'revoke_reason'])
         = (to_jsonb(OLD) - ARRAY['revoked_at', 'revoke_reason']) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'P0001', CONSTRAINT = 'signing_keys_history', TABLE = 'signing_keys',
        MESSAGE = format('signing key %s is a record: it can only be revoked, once', OLD.key_id);
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("key_id", sa.String(15), nullable=False),
        sa.Column("algorithm", sa.String(8), server_default="SM2", nullable=False,
                  comment="SM2 with SM3, signer id 1234567812345678"),
        sa.Column("public_key", sa.String(130), nullable=False, comment="04 || x || y, hex"),
        sa.Column("valid_from", sa.Date(), nullable=False, comment="signs from this day (China time)"),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("county_code ~ '^[0-9]{6}$'", name=op.f("ck_signing_keys_county_code_shape")),
        sa.CheckConstraint("key_id ~ '^[0-9]{6}-[0-9a-f]{8}$' AND left(key_id, 6) = county_code",
                           name=op.f("ck_signing_keys_key_id_shape")),
        sa.CheckConstraint("algorithm = 'SM2'", name=op.f("ck_signing_keys_algorithm_known")),
        sa.CheckConstraint("public_key ~ '^04[0-9a-f]{128}$'",
                           name=op.f("ck_signing_keys_public_key_shape")),
        sa.CheckConstraint("(revoked_at IS NULL) = (revoke_reason IS NULL)",
                           name=op.f("ck_signing_keys_revoked_with_reason")),
        sa.CheckConstraint("revoke_reason IS NULL OR length(btrim(revoke_reason)) BETWEEN 1 AND 500",
                           name=op.f("ck_signing_keys_revoke_reason_length")),
        sa.PrimaryKeyConstraint("county_code", "key_id", name=op.f("pk_signing_keys")),
    )
    op.execute(PROTECT_FUNCTION)
    op.execute("CREATE TRIGGER signing_keys_history BEFORE UPDATE OR DELETE ON signing_keys "
               "FOR EACH ROW EXECUTE FUNCTION lr_protect_signing_keys()")


def downgrade() -> None:
    op.execute("DROP TRIGGER signing_keys_history ON signing_keys")
    op.execute("DROP FUNCTION lr_protect_signing_keys()")
    op.drop_table("signing_keys")
