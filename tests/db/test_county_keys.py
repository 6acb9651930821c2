"""Every registry table carries county_code and it leads every business key (DESIGN.md, Runtime),
so the schema can be distributed by county without a rewrite."""
import sqlalchemy as sa

REGISTRY_TABLES = {"admin_units", "collectives", "persons", "households", "household_members",
                   "parcels", "parcel_overviews", "contracts", "contract_parcels", "register_entries",
                   "change_events"}


def test_every_registry_table_has_a_county_code(session):
    tables = set(session.scalars(sa.text(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'county_code'")))
    assert REGISTRY_TABLES <= tables


def test_county_code_leads_every_unique_business_key(session):
    rows = session.execute(sa.text("""
        SELECT t.relname AS table_name, i.relname AS index_name,
               (SELECT array_agg(a.attname ORDER BY k.n)
                  FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE x.indisunique AND NOT x.indisprimary AND t.relname = ANY(:tables)"""),
        {"tables": list(REGISTRY_TABLES)}).all()
    business_keys = [r for r in rows if r.columns and any(c.endswith("code") for c in r.columns)]
    assert business_keys, "no business keys found"
    offenders = [(r.table_name, r.index_name, r.columns) for r in business_keys
                 if r.columns[0] != "county_code" and r.columns[0] != "id"
                 and r.columns[0] != "contract_id"]
    assert offenders == []


def test_confirmed_area_must_be_positive(session):
    from tests.factories import refused

    row = session.execute(sa.text("SELECT id, code FROM parcels WHERE valid_to IS NULL LIMIT 1")).one()
    session.execute(sa.text(
        "INSERT INTO contracts (county_code, code, version, household_code, mode, term_start, "
        "term_end, valid_to) VALUES ('220421', '220421101201010001J', 9, '220421101201010001', "
        "'110', '2029-01-01', '2058-12-31', now() + interval '1 day')"))
    state, name = refused(session, "INSERT INTO contract_parcels (county_code, contract_id, "
                          "parcel_id, parcel_code, confirmed_area_m2) SELECT '220421', c.id, :p, "
                          ":code, 0 FROM contracts c WHERE c.version = 9", p=row.id, code=row.code)
    assert (state, name) == ("23514", "ck_contract_parcels_confirmed_area_positive")


# Unique keys that do not begin with county_code, each unique within its county already (codes
# begin with the county; ids are per row); a move to Citus prefixes them (docs/scale.md).
KNOWN_KEYS_WITHOUT_COUNTY = {
    "uq_certificates_printed_no", "uq_contract_parcels_contract_id_parcel_code", "uq_contracts_id_code",
    "uq_household_members_live_person", "uq_memberships_one_live",
    "uq_notice_entries_notice_id_household_code_parcel_code", "uq_parcels_id_code",
    "uq_payouts_distribution_id_account_id", "uq_statements_code", "uq_transfer_contracts_listing_id",
    "uq_transfer_contracts_code",
    "uq_users_username_lower",  # users.county_code is a jurisdiction; accounts stay on the coordinator
    "uq_users_person_active",  # one active account per person, across counties (migration 0019)
}
# Tables without county_code: accounts and reference data (coordinator or reference tables on
# Citus), and four market tables that must gain it first (docs/scale.md).
KNOWN_TABLES_WITHOUT_COUNTY = {
    "alembic_version", "api_tokens", "login_sessions", "login_throttles", "quality_rules", "roles",
    "settings", "spatial_ref_sys",
    "transferees", "bids", "deposits", "offers", "rent_payments",
    "transferee_identities",  # with transferees: one identity per transferee and per person, across counties
}


def test_tables_without_county_code_are_the_documented_ones(session):
    tables = set(session.scalars(sa.text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_attribute a "
        "WHERE a.attrelid = c.oid AND a.attname = 'county_code' AND NOT a.attisdropped)")))
    assert tables == KNOWN_TABLES_WITHOUT_COUNTY


def test_every_unique_key_of_a_county_table_leads_with_county_or_is_documented(session):
    rows = session.execute(sa.text("""
        SELECT i.relname AS index_name, a0.attname AS first_column
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        LEFT JOIN pg_attribute a0 ON a0.attrelid = t.oid AND a0.attnum = x.indkey[0]
        WHERE n.nspname = 'public' AND x.indisunique AND NOT x.indisprimary
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid
                      AND a.attname = 'county_code' AND NOT a.attisdropped)""")).all()
    undocumented = {r.index_name for r in rows if r.first_column != "county_code"} - KNOWN_KEYS_WITHOUT_COUNTY
    assert undocumented == set()
    stale = KNOWN_KEYS_WITHOUT_COUNTY - {r.index_name for r in rows}
    assert stale == set(), "documented exceptions that no longer exist: update docs/scale.md"
