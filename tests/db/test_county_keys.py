"""Every registry table carries county_code and it leads every business key (DESIGN.md, Runtime),
so the schema can be distributed by county without a rewrite."""
import sqlalchemy as sa

REGISTRY_TABLES = {"admin_units", "collectives", "persons", "households", "household_members",
                   "parcels", "contracts", "contract_parcels", "register_entries", "change_events"}


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
    from tests.db.test_constraints import refused

    row = session.execute(sa.text("SELECT id, code FROM parcels WHERE valid_to IS NULL LIMIT 1")).one()
    session.execute(sa.text(
        "INSERT INTO contracts (county_code, code, version, household_code, mode, term_start, "
        "term_end, valid_to) VALUES ('220421', '220421101201010001J', 9, '220421101201010001', "
        "'110', '2029-01-01', '2058-12-31', now() + interval '1 day')"))
    state, name = refused(session, "INSERT INTO contract_parcels (county_code, contract_id, "
                          "parcel_id, parcel_code, confirmed_area_m2) SELECT '220421', c.id, :p, "
                          ":code, 0 FROM contracts c WHERE c.version = 9", p=row.id, code=row.code)
    assert (state, name) == ("23514", "ck_contract_parcels_confirmed_area_positive")
