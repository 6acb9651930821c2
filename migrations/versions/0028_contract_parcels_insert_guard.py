"""the parcels of a registered contract are checked once per INSERT statement, not once per row

A contract version's parcels are part of it: once the version is registered they cannot be added,
changed or removed (R3.6; migration 0001's contract_parcels_history). The INSERT check ran as a
row trigger, one lookup of the contract per new link; a county's hand-up import adds about
1,000,000 links in one statement (issue 18), where that was about 20 µs a row. It now runs once per
statement over the statement's new rows (a transition table), with the same constraint name and
message, so what is refused and how it is said do not change. UPDATE and DELETE keep the row
trigger (they are rare and touch few rows).

Revision ID: 0028
Revises: 0027
"""
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

INSERTED_FUNCTION = r"""
CREATE FUNCTION lr_protect_contract_parcels_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    registered bigint;
BEGIN
    SELECT c.id INTO registered FROM new_rows n JOIN contracts c ON c.id = n.contract_id
    WHERE c.registered_at IS NOT NULL ORDER BY c.id LIMIT 1;
    IF registered IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'P0001',
            CONSTRAINT = 'contract_parcels_history',
            TABLE = 'contract_parcels',
            MESSAGE = format('the parcels of registered contract id %s cannot be changed (%s); '
                             'add a new contract version instead', registered, 'INSERT');
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute("DROP TRIGGER contract_parcels_history ON contract_parcels")
    op.execute("CREATE TRIGGER contract_parcels_history BEFORE UPDATE OR DELETE ON contract_parcels "
               "FOR EACH ROW EXECUTE FUNCTION lr_protect_contract_parcels()")
    op.execute(INSERTED_FUNCTION)
    op.execute("CREATE TRIGGER contract_parcels_history_insert AFTER INSERT ON contract_parcels "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION lr_protect_contract_parcels_inserted()")


def downgrade() -> None:
    op.execute("DROP TRIGGER contract_parcels_history_insert ON contract_parcels")
    op.execute("DROP FUNCTION lr_protect_contract_parcels_inserted()")
    op.execute("DROP TRIGGER contract_parcels_history ON contract_parcels")
    op.execute("CREATE TRIGGER contract_parcels_history BEFORE INSERT OR UPDATE OR DELETE "
               "ON contract_parcels FOR EACH ROW EXECUTE FUNCTION lr_protect_contract_parcels()")
