"""every date and number within a range that makes sense in its domain

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

1. A CHECK for each range (landrights/ranges.py states them and /work/notes/ranges.md gives the
   reasons). CHECKs are immutable, so they hold fixed bounds; "not after today" is the services'.
   Rows an existing database may hold outside a range are neither changed nor deleted: a registry
   does not guess what a wrong birth date should have been. Such a constraint is added NOT VALID
   (it already refuses every new or changed row outside the range), the migration logs how many
   rows break it and the query that lists them, and the operator validates it once they are
   corrected: ALTER TABLE <table> VALIDATE CONSTRAINT <name>. On a clean database every
   constraint is validated here.
2. A listing that ends without a transfer frees its parcels: the trigger lr_listing_ended releases
   them whenever a listing becomes unsold or withdrawn, whatever path writes it; the listings that
   ended so before this migration are released here (they were stuck: issue 16).
3. A transfer contract whose award lapsed (the winner never signed) becomes 'void'.
"""
import logging

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

TERM = ("NOT lower_inf(term) AND NOT upper_inf(term) AND lower(term) >= '1978-01-01' "
        "AND upper(term) <= '2101-01-01'")
ID_NUMBER_SHAPE = (
    "CASE id_type WHEN 1 THEN true "
    "WHEN 2 THEN id_number ~ '^[0-9A-Za-z\\u4e00-\\u9fff-]{4,30}$' "
    "WHEN 3 THEN id_number ~ '^([0-9A-Z]{8}-?[0-9X]|[0-9A-HJ-NPQRTUWXY]{18})$' "
    "WHEN 4 THEN id_number ~ '^[0-9A-Za-z-]{4,30}$' "
    "WHEN 5 THEN id_number ~ '^[0-9A-Za-z]{5,20}$' "
    "ELSE id_number ~ '^\\S{2,30}$' END")

# (table, constraint name without the ck_<table>_ prefix, expression)
CHECKS = [
    ("persons", "id_number_shape", ID_NUMBER_SHAPE),
    ("persons", "birth_date_range", "birth_date BETWEEN '1900-01-01' AND '2100-12-31'"),
    ("collectives", "responsible_id_type_code", "responsible_id_type IN (1, 2, 3, 4, 5, 9)"),
    ("households", "survey_date_range", "survey_date BETWEEN '1978-01-01' AND '2100-12-31'"),
    ("parcels", "area_at_most", "area_m2 <= 10000000"),
    ("parcels", "surveyed_area_at_most", "surveyed_area_m2 <= 10000000"),
    ("parcels", "surveyed_mu_range", "surveyed_area_mu BETWEEN 0 AND 15000"),
    ("contracts", "term_start_range", "term_start BETWEEN '1978-01-01' AND '2100-12-31'"),
    ("contracts", "term_at_most_70_years", "term_end <= term_start + interval '70 years'"),
    ("contracts", "signed_on_range", "signed_on BETWEEN '1978-01-01' AND '2100-12-31'"),
    ("contract_parcels", "areas_at_most",
     "confirmed_area_m2 <= 10000000 AND (contract_area_m2 IS NULL OR contract_area_m2 <= 10000000)"),
    ("claims", "contract_area_at_most", "contract_area_m2 <= 10000000"),
    ("notices", "min_days_at_most", "min_days <= 365"),
    ("notices", "period_at_most_a_year", "closes_at <= opened_at + interval '8808 hours'"),
    ("sign_offs", "contract_version_positive", "contract_version >= 1"),
    ("memberships", "basis_date_range", "basis_date BETWEEN '1900-01-01' AND '2100-12-31'"),
    ("memberships", "lost_on_range", "lost_on >= basis_date AND lost_on <= '2100-12-31'"),
    ("share_accounts", "issued_on_range", "issued_on BETWEEN '1978-01-01' AND '2100-12-31'"),
    ("share_holdings", "quantity_at_most", "quantity <= 100000000"),
    ("share_transfers", "quantity_at_most", "quantity <= 100000000"),
    ("share_transfers", "price_at_most", "price_yuan <= 1000000000"),
    ("distributions", "year_range", "year BETWEEN 1978 AND 2100"),
    ("distributions", "amount_at_most", "amount_per_share <= 100000"),
    ("distributions", "decided_on_range", "decided_on BETWEEN '1978-01-01' AND '2100-12-31'"),
    ("distributions", "total_range", "total_yuan BETWEEN 0 AND 1000000000000"),
    ("payouts", "amount_at_most", "amount_yuan <= 10000000000"),
    ("payouts", "shares_range", "shares BETWEEN 0 AND 1000000000"),
    ("payouts", "paid_on_range", "paid_on BETWEEN '1978-01-01' AND '2100-12-31'"),
    ("homesteads", "version_positive", "version >= 1"),
    ("homesteads", "approved_on_range", "approved_on BETWEEN '1949-10-01' AND '2100-12-31'"),
    ("homestead_standards", "max_area_at_most", "max_area_m2 <= 1000"),
    ("house_disposals", "disposed_on_range", "disposed_on BETWEEN '1949-10-01' AND '2100-12-31'"),
    ("settlements", "settled_on_range", "settled_on BETWEEN '1958-01-09' AND '2100-12-31'"),
    ("withdrawals", "compensation_at_most", "compensation_yuan <= 1000000000"),
    ("withdrawals", "improvement_within_compensation", "improvement_yuan <= compensation_yuan"),
    ("withdrawals", "share_quantity_range", "share_quantity > 0 AND share_quantity <= 100000000"),
    ("withdrawals", "notice_on_range", "notice_on BETWEEN '1978-01-01' AND '2100-12-31'"),
    ("withdrawals", "effective_on_range", "effective_on <= '2100-12-31'"),
    ("capital_reviews", "max_area_at_most", "max_area_mu BETWEEN 0 AND 150000"),
    ("capital_reviews", "valid_until_range", "valid_until BETWEEN '2019-01-01' AND '2100-12-31'"),
    ("entrustments", "dates_range", "valid_from >= '1978-01-01' AND valid_to <= '2100-12-31'"),
    ("listings", "anti_snipe_at_most", "anti_snipe_minutes <= 1440"),
    ("listings", "reserve_at_most", "reserve_price <= 100000"),
    ("listings", "best_price_range", "best_price > 0 AND best_price <= 100000"),
    ("listings", "area_range", "area_m2 > 0 AND area_m2 <= 100000000"),
    ("listings", "bid_count_not_negative", "bid_count >= 0"),
    ("listings", "term_range", TERM),
    ("listing_parcels", "area_range", "area_m2 > 0 AND area_m2 <= 10000000"),
    ("listing_parcels", "term_range", TERM),
    ("deposits", "amount_at_most", "amount_yuan <= 10000000"),
    ("bids", "price_at_most", "price <= 100000"),
    ("offers", "price_range", "price > 0 AND price <= 100000"),
    ("transfer_contracts", "price_range", "price > 0 AND price <= 100000"),
    ("transfer_contracts", "area_range", "area_m2 > 0 AND area_m2 <= 100000000"),
    ("transfer_contracts", "rent_range", "annual_rent_yuan BETWEEN 0 AND 100000000000"),
    ("transfer_contracts", "term_range", TERM),
    ("transfer_ledger", "area_range", "area_m2 > 0 AND area_m2 <= 100000000"),
    ("transfer_ledger", "rent_range", "annual_rent_yuan BETWEEN 0 AND 100000000000"),
    ("rent_payments", "amount_at_most", "amount_yuan <= 100000000000"),
    ("rent_payments", "due_on_range", "due_on BETWEEN '1978-01-01' AND '2100-12-31'"),
    ("rent_payments", "paid_on_range", "paid_on BETWEEN '1978-01-01' AND '2100-12-31'"),
    ("retransfer_consents", "until_range", "until BETWEEN '1978-01-01' AND '2100-12-31'"),
    ("retransfers", "price_at_most", "price <= 100000"),
    ("retransfers", "rent_range", "annual_rent_yuan BETWEEN 0 AND 100000000000"),
    ("retransfers", "term_range", TERM),
    ("pledges", "amount_at_most", "amount_yuan <= 1000000000"),
    ("pledges", "term_range", TERM),
    ("survey_imports", "counts_not_negative", "features >= 0 AND imported >= 0 AND rejected >= 0"),
    ("survey_findings", "row_no_positive", "row_no >= 1"),
]

# transfer contracts: 'void' once the award lapsed unsigned (market.endings.lapse_award)
CONTRACT_STATUS_OLD = "status IN ('draft', 'signed', 'filed', 'terminated')"
CONTRACT_STATUS_NEW = "status IN ('draft', 'signed', 'filed', 'terminated', 'void')"
SIGNED_OLD = ("status = 'draft' OR (household_signed_at IS NOT NULL AND "
              "transferee_signed_at IS NOT NULL)")
SIGNED_NEW = ("status IN ('draft', 'void') OR (household_signed_at IS NOT NULL AND "
              "transferee_signed_at IS NOT NULL)")

LISTING_ENDED = """
CREATE FUNCTION lr_listing_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- a listing that ends without a transfer (no qualified bid, its award lapsed, withdrawn)
    -- frees its parcels: the EXCLUDE listing_parcels_no_overlap counts only listed and
    -- transferred ones, so the household can list them again
    UPDATE listing_parcels SET status = 'released'
     WHERE listing_id = NEW.id AND status = 'listed';
    RETURN NULL;
END $$;
"""


def _replace_check(table: str, name: str, expression: str) -> None:
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT ck_{table}_{name}")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_{name} CHECK ({expression})")


def _add_range(conn, table: str, name: str, expression: str) -> None:
    """Add the CHECK; validate it unless existing rows break it, which are reported, not changed."""
    constraint = f"ck_{table}_{name}"
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {constraint} CHECK ({expression}) NOT VALID")
    broken = conn.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE NOT ({expression})"))
    if broken:
        log.warning("%s: %s row(s) outside the range of %s; it refuses new and changed rows only. "
                    "List them with SELECT * FROM %s WHERE NOT (%s); correct them, then run "
                    "ALTER TABLE %s VALIDATE CONSTRAINT %s.", table, broken, constraint, table,
                    expression, table, constraint)
    else:
        op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {constraint}")


def upgrade() -> None:
    conn = op.get_bind()
    for table, name, expression in CHECKS:
        _add_range(conn, table, name, expression)
    _replace_check("transfer_contracts", "status_known", CONTRACT_STATUS_NEW)
    _replace_check("transfer_contracts", "signed_by_both", SIGNED_NEW)
    op.execute(LISTING_ENDED)
    op.execute("CREATE TRIGGER listings_ended AFTER UPDATE OF status ON listings FOR EACH ROW "
               "WHEN (NEW.status IN ('unsold', 'withdrawn') AND OLD.status IS DISTINCT FROM NEW.status) "
               "EXECUTE FUNCTION lr_listing_ended()")
    freed = conn.execute(sa.text(
        "UPDATE listing_parcels lp SET status = 'released' FROM listings l "
        "WHERE l.id = lp.listing_id AND l.status IN ('unsold', 'withdrawn') AND lp.status = 'listed'"))
    if freed.rowcount:
        log.warning("listing_parcels: %s parcel(s) of listings that ended unsold or withdrawn were still "
                    "listed and are now released: their households can list them again.", freed.rowcount)


def downgrade() -> None:
    conn = op.get_bind()
    void = conn.scalar(sa.text("SELECT count(*) FROM transfer_contracts WHERE status = 'void'"))
    if void:
        raise RuntimeError(f"{void} transfer contract(s) are void (their award lapsed); revision 0014 "
                           "has no such state. Keep revision 0015, or delete those drafts first.")
    op.execute("DROP TRIGGER listings_ended ON listings")
    op.execute("DROP FUNCTION lr_listing_ended()")
    _replace_check("transfer_contracts", "signed_by_both", SIGNED_OLD)
    _replace_check("transfer_contracts", "status_known", CONTRACT_STATUS_OLD)
    for table, name, _expression in reversed(CHECKS):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT ck_{table}_{name}")
