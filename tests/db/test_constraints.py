"""The law in the database: every CHECK, FK, unique index and trigger refuses bad rows with its
SQLSTATE, whatever path writes them (raw SQL here, not the services)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import COLLECTIVE, FAR, PARCEL_SQL, id_number, insert_parcel, refused, square


@pytest.mark.parametrize("code, level, parent, constraint", [
    ("22042", 1, None, "ck_admin_units_code_shape"),
    ("220421101", 3, "220421", "ck_admin_units_level_length"),
    ("220421999", 2, "220422", "ck_admin_units_parent_prefix"),
])
def test_admin_unit_codes(session, code, level, parent, constraint):
    state, name = refused(session, "INSERT INTO admin_units (county_code, code, level, name, "
                          "parent_code) VALUES (left(:code, 6), :code, :level, 'x', :parent)",
                          code=code, level=level, parent=parent)
    assert (state, name) == ("23514", constraint)


def test_collective_code_must_have_14_digits(session):
    state, name = refused(session, "INSERT INTO collectives (county_code, code, name, admin_code) "
                          "VALUES ('220421', '2204211012019', 'x', '2204211012019')")
    assert (state, name) == ("23514", "ck_collectives_code_shape")


def test_collective_needs_known_admin_unit(session):
    state, name = refused(session, "INSERT INTO collectives (county_code, code, name, admin_code) "
                          "VALUES ('220421', '22042110120199', 'x', '22042110120199')")
    assert (state, name) == ("23503", "fk_collectives_county_code_admin_code_admin_units")


@pytest.mark.parametrize("number, sex, constraint", [
    ("220421199001011235", 1, "ck_persons_id_card_checksum"),  # wrong check character
    ("22042119901301123X", 1, "ck_persons_id_card_checksum"),  # month 13
    ("2204211990010112", 1, "ck_persons_id_card_checksum"),  # too short
    (id_number("22042119900101123"), 2, "ck_persons_id_card_sex"),  # 17th digit odd = male
])
def test_person_id_card_rules(session, number, sex, constraint):
    state, name = refused(session, "INSERT INTO persons (county_code, name, sex, id_type, "
                          "id_number) VALUES ('220421', '测试', :sex, 1, :num)", sex=sex, num=number)
    assert (state, name) == ("23514", constraint)


def test_person_other_id_types_skip_the_checksum(session):
    session.execute(sa.text("INSERT INTO persons (county_code, name, sex, id_type, id_number) "
                            "VALUES ('220421', '测试', 1, 5, 'E12345678')"))


@pytest.mark.parametrize("code, collective, state_constraint", [
    ("2204211012010100", COLLECTIVE, ("23514", "ck_households_code_shape")),
    ("220421101201020001", COLLECTIVE, ("23514", "ck_households_collective_prefix")),
    ("220421101201990001", "22042110120199", ("23503",
                                              "fk_households_county_code_collective_code_collectives")),
])
def test_household_codes(session, code, collective, state_constraint):
    result = refused(session, "INSERT INTO households (county_code, code, collective_code, type, "
                     "name) VALUES ('220421', :code, :coll, 1, 'x')", code=code, coll=collective)
    assert result == state_constraint


@pytest.mark.parametrize("code, collective, constraint", [
    ("220421101201019990", COLLECTIVE, "ck_parcels_code_shape"),
    ("2204211012010299901", COLLECTIVE, "ck_parcels_collective_prefix"),
])
def test_parcel_codes(session, code, collective, constraint):
    state, name = refused(session, PARCEL_SQL, county=code[:6], code=code, collective=collective,
                          geom=square(*FAR))
    assert (state, name) == ("23514", constraint)


def test_parcel_county_code_must_lead_its_code(session):
    state, name = refused(session, PARCEL_SQL, county="220422", code=COLLECTIVE + "99901",
                          collective=COLLECTIVE, geom=square(*FAR))
    assert state in ("23514", "23503")
    assert name in ("ck_parcels_county_prefix",
                    "fk_parcels_county_code_collective_code_collectives")


def test_parcel_geometry_must_be_valid(session):
    bowtie = ("SRID=4490;MULTIPOLYGON(((125.3 42.6,125.301 42.601,125.301 42.6,"
              "125.3 42.601,125.3 42.6)))")
    assert refused(session, PARCEL_SQL, county="220421", code=COLLECTIVE + "99901",
                   collective=COLLECTIVE, geom=bowtie) == ("23514", "ck_parcels_geom_valid")


def test_parcel_geometry_must_not_be_empty(session):
    assert refused(session, PARCEL_SQL, county="220421", code=COLLECTIVE + "99901",
                   collective=COLLECTIVE, geom="SRID=4490;MULTIPOLYGON EMPTY") == \
        ("23514", "ck_parcels_geom_valid")


@pytest.mark.parametrize("geom", [
    "SRID=4326;MULTIPOLYGON(((125.3 42.6,125.301 42.6,125.301 42.601,125.3 42.6)))",
    "SRID=4490;POINT(125.3 42.6)",
    "SRID=4490;POLYGON((125.3 42.6,125.301 42.6,125.301 42.601,125.3 42.6))",
])
def test_parcel_geometry_type_and_srid(session, geom):
    state, _ = refused(session, PARCEL_SQL, county="220421", code=COLLECTIVE + "99901",
                       collective=COLLECTIVE, geom=geom)
    assert state == "22023"


def test_parcel_area_is_geodesic_and_stored(session):
    insert_parcel(session, COLLECTIVE + "99901", square(*FAR))
    area = session.scalar(sa.text("SELECT area_m2 FROM parcels WHERE code = :c"),
                          {"c": COLLECTIVE + "99901"})
    # 0.001° × 0.001° at 42.6°N: about 111 m × 82 m
    assert 9000 < area < 9300


def test_surveyed_area_must_be_positive(session):
    state, name = refused(session, "INSERT INTO parcels (county_code, code, collective_code, "
                          "version, geom, surveyed_area_m2) VALUES ('220421', :code, :coll, 1, "
                          "ST_GeomFromEWKT(:geom), -5)", code=COLLECTIVE + "99901",
                          coll=COLLECTIVE, geom=square(*FAR))
    assert (state, name) == ("23514", "ck_parcels_surveyed_area_positive")


def test_two_live_versions_of_one_code_are_refused(session):
    insert_parcel(session, COLLECTIVE + "99901", square(*FAR))
    state, name = refused(session, "INSERT INTO parcels (county_code, code, collective_code, "
                          "version, geom) VALUES ('220421', :code, :coll, 2, "
                          "ST_GeomFromEWKT(:geom))", code=COLLECTIVE + "99901", coll=COLLECTIVE,
                          geom=square(FAR[0] + 0.01, FAR[1]))
    assert (state, name) == ("23505", "uq_parcels_live_code")


@pytest.mark.parametrize("code, mode, start, end, constraint", [
    ("220421101201010001X", "110", "1999-01-01", "2028-12-31", "ck_contracts_code_shape"),
    ("220421101201010002J", "110", "1999-01-01", "2028-12-31", "ck_contracts_household_prefix"),
    ("220421101201010001Q", "110", "1999-01-01", "2028-12-31",
     "ck_contracts_suffix_matches_mode"),
    ("220421101201010001J", "110", "2028-12-31", "1999-01-01", "ck_contracts_term_order"),
])
def test_contract_rules(session, code, mode, start, end, constraint):
    state, name = refused(session, "INSERT INTO contracts (county_code, code, version, "
                          "household_code, mode, term_start, term_end) VALUES ('220421', :code, "
                          "9, '220421101201010001', :mode, :start, :end)",
                          code=code, mode=mode, start=start, end=end)
    assert (state, name) == ("23514", constraint)


def test_user_role_needs_its_jurisdiction(session):
    state, name = refused(session, "INSERT INTO users (username, password_hash, display_name, "
                          "role) VALUES ('nobody', 'x', 'x', 'township_officer')")
    assert (state, name) == ("23514", "ck_users_officer_township")


# Issue 16: every date and number within a range that makes sense (migration 0015). Each CHECK
# refuses a raw INSERT, whatever path writes it: a copy of a demo row with one value out of range,
# or, for a table the demo leaves empty, a row written here.

def copy_row(table: str, **values: str) -> str:
    """Return SQL inserting a copy of one row of table with some columns set to SQL expressions."""
    import landrights.models  # noqa: F401  (the whole schema)
    from landrights.db import Base

    columns = [c.name for c in Base.metadata.tables[table].columns
               if c.computed is None and c.identity is None]
    chosen = ", ".join(values.get(c, c) for c in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} FROM {table} LIMIT 1"


TERM_1970 = "daterange('1970-01-01', '2000-01-01')"
COPIES = [
    ("persons", {"id_type": "9", "id_number": "repeat(' ', 30)"}, "ck_persons_id_number_shape"),
    ("persons", {"id_type": "5", "id_number": "'E 1234567'"}, "ck_persons_id_number_shape"),
    ("persons", {"id_type": "3", "id_number": "'abc'"}, "ck_persons_id_number_shape"),
    ("persons", {"birth_date": "'9999-12-31'"}, "ck_persons_birth_date_range"),
    ("persons", {"birth_date": "'1899-12-31'"}, "ck_persons_birth_date_range"),
    ("collectives", {"responsible_id_type": "7"}, "ck_collectives_responsible_id_type_code"),
    ("households", {"survey_date": "'1900-01-01'"}, "ck_households_survey_date_range"),
    ("contract_parcels", {"contract_id": "-1", "confirmed_area_m2": "100000000"},
     "ck_contract_parcels_areas_at_most"),
    ("claims", {"contract_area_m2": "100000000"}, "ck_claims_contract_area_at_most"),
    ("memberships", {"basis_date": "'1800-01-01'"}, "ck_memberships_basis_date_range"),
    ("memberships", {"status": "'lost'", "loss_cause": "'death'", "loss_document": "'x'",
                     "lost_on": "basis_date - 1"}, "ck_memberships_lost_on_range"),
    ("share_accounts", {"issued_on": "'1970-01-01'"}, "ck_share_accounts_issued_on_range"),
    ("share_holdings", {"quantity": "1000000000"}, "ck_share_holdings_quantity_at_most"),
    ("distributions", {"year": "99999"}, "ck_distributions_year_range"),
    ("distributions", {"amount_per_share": "1000000"}, "ck_distributions_amount_at_most"),
    ("distributions", {"decided_on": "'1970-01-01'"}, "ck_distributions_decided_on_range"),
    ("distributions", {"total_yuan": "-1"}, "ck_distributions_total_range"),
    ("payouts", {"amount_yuan": "100000000000"}, "ck_payouts_amount_at_most"),
    ("payouts", {"shares": "-1"}, "ck_payouts_shares_range"),
    ("payouts", {"paid_on": "'2999-01-01'"}, "ck_payouts_paid_on_range"),
    ("homesteads", {"version": "0"}, "ck_homesteads_version_positive"),
    ("homesteads", {"approved_on": "'1900-01-01'"}, "ck_homesteads_approved_on_range"),
    ("homestead_standards", {"max_area_m2": "5000"}, "ck_homestead_standards_max_area_at_most"),
    ("settlements", {"settled_on": "'2999-01-01'"}, "ck_settlements_settled_on_range"),
    ("settlements", {"settled_on": "'1950-01-01'"}, "ck_settlements_settled_on_range"),
    ("capital_reviews", {"valid_until": "'1900-01-01'"}, "ck_capital_reviews_valid_until_range"),
    ("capital_reviews", {"max_area_mu": "1000000"}, "ck_capital_reviews_max_area_at_most"),
    ("listings", {"anti_snipe_minutes": "5000"}, "ck_listings_anti_snipe_at_most"),
    ("listings", {"reserve_price": "1000000"}, "ck_listings_reserve_at_most"),
    ("listings", {"best_price": "1000000"}, "ck_listings_best_price_range"),
    ("listings", {"area_m2": "0"}, "ck_listings_area_range"),
    ("listings", {"bid_count": "-1"}, "ck_listings_bid_count_not_negative"),
    ("listings", {"term": TERM_1970}, "ck_listings_term_range"),
    ("listings", {"term": "daterange('2027-01-01', NULL)"}, "ck_listings_term_range"),
    ("listing_parcels", {"area_m2": "100000000"}, "ck_listing_parcels_area_range"),
    ("listing_parcels", {"term": "daterange('2027-01-01', '2200-01-01')"}, "ck_listing_parcels_term_range"),
    ("deposits", {"amount_yuan": "100000000"}, "ck_deposits_amount_at_most"),
    ("bids", {"price": "1000000"}, "ck_bids_price_at_most"),
    ("offers", {"price": "0"}, "ck_offers_price_range"),
    ("transfer_contracts", {"price": "1000000"}, "ck_transfer_contracts_price_range"),
    ("transfer_contracts", {"area_m2": "0"}, "ck_transfer_contracts_area_range"),
    ("transfer_contracts", {"annual_rent_yuan": "-1"}, "ck_transfer_contracts_rent_range"),
    ("transfer_contracts", {"term": TERM_1970}, "ck_transfer_contracts_term_range"),
    ("transfer_ledger", {"area_m2": "0"}, "ck_transfer_ledger_area_range"),
    ("transfer_ledger", {"annual_rent_yuan": "200000000000"}, "ck_transfer_ledger_rent_range"),
    ("rent_payments", {"amount_yuan": "200000000000"}, "ck_rent_payments_amount_at_most"),
    ("rent_payments", {"due_on": "'2200-01-01'"}, "ck_rent_payments_due_on_range"),
    ("rent_payments", {"paid_on": "'2999-01-01'"}, "ck_rent_payments_paid_on_range"),
]


@pytest.mark.parametrize("table, values, constraint", COPIES,
                         ids=[f"{c}-{i}" for i, (_t, _v, c) in enumerate(COPIES)])
def test_a_value_out_of_its_range_is_refused(session, table, values, constraint):
    assert refused(session, copy_row(table, **values)) == ("23514", constraint)


BIG = square(126.5, 43.5, 0.05)  # about 22 km², far from the demo village


@pytest.mark.parametrize("extra, value, constraint", [
    ("surveyed_area_m2", "100000000", "ck_parcels_surveyed_area_at_most"),
    ("surveyed_area_mu", "-1", "ck_parcels_surveyed_mu_range"),
    ("surveyed_area_mu", "20000", "ck_parcels_surveyed_mu_range"),
])
def test_parcel_areas_have_a_ceiling(session, extra, value, constraint):
    sql = (f"INSERT INTO parcels (county_code, code, collective_code, version, geom, {extra}) "
           f"VALUES ('220421', :code, :coll, 1, ST_GeomFromEWKT(:geom), {value})")
    assert refused(session, sql, code=COLLECTIVE + "99901", coll=COLLECTIVE, geom=square(*FAR)) == \
        ("23514", constraint)


def test_no_contracted_parcel_is_larger_than_10_km2(session):
    assert refused(session, PARCEL_SQL, county="220421", code=COLLECTIVE + "99901", collective=COLLECTIVE,
                   geom=BIG) == ("23514", "ck_parcels_area_at_most")


@pytest.mark.parametrize("start, end, signed, constraint", [
    ("1970-01-01", "1999-12-31", None, "ck_contracts_term_start_range"),  # before household contracting
    ("2000-01-01", "2070-01-02", None, "ck_contracts_term_at_most_70_years"),  # R1.5: 70 at most
    ("1999-01-01", "2028-12-31", "1970-01-01", "ck_contracts_signed_on_range"),
])
def test_contract_dates_have_ranges(session, start, end, signed, constraint):
    assert refused(session, "INSERT INTO contracts (county_code, code, version, household_code, mode, "
                   "term_start, term_end, signed_on) VALUES ('220421', '220421101201010001J', 9, "
                   "'220421101201010001', '110', :start, :end, :signed)",
                   start=start, end=end, signed=signed) == ("23514", constraint)


NOTICE = ("INSERT INTO notices (county_code, collective_code, round, opened_at, closes_at, min_days) "
          "VALUES ('220421', '22042110120101', 1, now(), now() + make_interval(days => :days), :min)")
SIGN_OFF = ("INSERT INTO sign_offs (county_code, household_code, signed_at, method, signer_name, "
            "contract_code, contract_version, confirmed_codes) VALUES ('220421', '220421101201010001', "
            "now(), 'farmer', 'x', '220421101201010001J', 0, '{}')")
SHARE_TRANSFER = ("INSERT INTO share_transfers (county_code, collective_code, kind, from_household_code, "
                  "from_person_id, to_household_code, to_person_id, quantity, price_yuan, document, at) "
                  "VALUES ('220421', '22042110120101', 'transfer', '220421101201010001', 1, "
                  "'220421101201010002', 2, :q, :p, 'x', now())")
# filed on the notice's day (China Standard Time): a request in the app is the notice (0016)
WITHDRAWAL = ("INSERT INTO withdrawals (county_code, household_code, kind, homestead_code, request_method, "
              "request_signed_by, requested_at, compensation_yuan, improvement_yuan, notice_on, "
              "effective_on, status, review) VALUES ('220421', '220421101201010001', 'homestead', "
              "'220421101201010001Z01', 'holder', 'x', "
              "(CAST(:notice AS date) + time '12:00') AT TIME ZONE 'Asia/Shanghai', :c, :i, "
              "CAST(:notice AS date), :effective, 'requested', 'none')")
GOOD_WITHDRAWAL = {"c": 1000, "i": 0, "notice": "2026-01-01", "effective": "2026-02-01"}
WITHDRAWAL_SHARES = ("INSERT INTO withdrawals (county_code, household_code, kind, share_person_id, "
                     "share_quantity, request_method, request_signed_by, requested_at, compensation_yuan, "
                     "notice_on, effective_on, status, review) VALUES ('220421', '220421101201010001', "
                     "'shares', 1, :q, 'holder', 'x', '2026-01-01 12:00+08', 1000, '2026-01-01', "
                     "'2026-02-01', 'requested', 'none')")
ENTRUSTMENT = ("INSERT INTO entrustments (county_code, household_code, agent_user_id, scope, parcel_codes, "
               "acts, transfer_until, min_price, valid_from, valid_to, consent_method, household_signed_at, "
               "document) VALUES ('220421', '220421101201010001', 1, 'x', '{2204211012010100001}', "
               "'{list}', :start, 500, :start, :end, 'app', now(), 'x')")
CONSENT = ("INSERT INTO retransfer_consents (county_code, contract_id, until, method, signer_name, "
           "consented_at) VALUES ('220421', 1, '2200-01-01', 'farmer', 'x', now())")
RETRANSFER = ("INSERT INTO retransfers (county_code, code, contract_id, consent_id, to_transferee_id, term, "
              "price, annual_rent_yuan, payment_schedule, status) VALUES ('220421', '220421202700000099', 1, "
              "1, 1, daterange(:start, :end), :price, :rent, 'x', 'draft')")
PLEDGE = ("INSERT INTO pledges (county_code, household_code, pledgor, creditor, amount_yuan, term, document, "
          "status, parcel_codes) VALUES ('220421', '220421101201010001', 'household', '银行', :amount, "
          "daterange(:start, :end), 'x', 'active', '{}')")
SURVEY = ("INSERT INTO survey_imports (county_code, collective_code, filename, file_format, source_crs, "
          "all_or_nothing, features) VALUES ('220421', '22042110120101', 'x', 'gpkg', 'EPSG:4490', "
          "false, -1)")
FINDING = ("INSERT INTO survey_findings (import_id, county_code, row_no, rule_id, severity) "
           "VALUES (1, '220421', 0, 'x', 'warning')")


@pytest.mark.parametrize("sql, params, constraint", [
    (NOTICE, {"days": 400, "min": 400}, "ck_notices_min_days_at_most"),
    (NOTICE, {"days": 400, "min": 7}, "ck_notices_period_at_most_a_year"),
    (SIGN_OFF, {}, "ck_sign_offs_contract_version_positive"),
    (SHARE_TRANSFER, {"q": 1000000000, "p": 0}, "ck_share_transfers_quantity_at_most"),
    (SHARE_TRANSFER, {"q": 1, "p": 10000000000}, "ck_share_transfers_price_at_most"),
    ("INSERT INTO house_disposals (county_code, household_code, kind, disposed_on, document) "
     "VALUES ('220421', '220421101201010001', 'sold', '1900-01-01', 'x')", {},
     "ck_house_disposals_disposed_on_range"),
    (WITHDRAWAL, GOOD_WITHDRAWAL | {"c": 10000000000}, "ck_withdrawals_compensation_at_most"),
    (WITHDRAWAL, GOOD_WITHDRAWAL | {"i": 2000}, "ck_withdrawals_improvement_within_compensation"),
    (WITHDRAWAL, GOOD_WITHDRAWAL | {"notice": "1970-01-01"}, "ck_withdrawals_notice_on_range"),
    (WITHDRAWAL, GOOD_WITHDRAWAL | {"effective": "2200-01-01"}, "ck_withdrawals_effective_on_range"),
    (WITHDRAWAL_SHARES, {"q": 1000000000}, "ck_withdrawals_share_quantity_range"),
    (ENTRUSTMENT, {"start": "1970-01-01", "end": "2000-01-01"}, "ck_entrustments_dates_range"),
    (ENTRUSTMENT, {"start": "2026-01-01", "end": "2200-01-01"}, "ck_entrustments_dates_range"),
    (CONSENT, {}, "ck_retransfer_consents_until_range"),
    (RETRANSFER, {"start": "2027-01-01", "end": "2028-01-01", "price": 1000000, "rent": 1},
     "ck_retransfers_price_at_most"),
    (RETRANSFER, {"start": "2027-01-01", "end": "2028-01-01", "price": 500, "rent": -1},
     "ck_retransfers_rent_range"),
    (RETRANSFER, {"start": "1970-01-01", "end": "2028-01-01", "price": 500, "rent": 1},
     "ck_retransfers_term_range"),
    (PLEDGE, {"amount": 10000000000, "start": "2027-01-01", "end": "2028-01-01"},
     "ck_pledges_amount_at_most"),
    (PLEDGE, {"amount": 1000, "start": "2027-01-01", "end": "2300-01-01"}, "ck_pledges_term_range"),
    (SURVEY, {}, "ck_survey_imports_counts_not_negative"),
    (FINDING, {}, "ck_survey_findings_row_no_positive"),
], ids=lambda v: v if isinstance(v, str) and v.startswith("ck_") else "")
def test_a_value_out_of_its_range_is_refused_in_an_empty_table(session, sql, params, constraint):
    assert refused(session, sql, **params) == ("23514", constraint)


def test_every_range_the_app_translates_exists_in_the_database(session):
    from landrights import ranges

    names = set(session.scalars(sa.text("SELECT conname FROM pg_constraint WHERE contype = 'c'")))
    assert set(ranges.CONSTRAINTS) <= names


def test_the_check_constraints_of_the_models_are_those_of_the_database(session):
    """Alembic's drift check does not compare CHECKs: a CHECK declared on a model but missing from
    the migrations (or the other way round) would pass it unnoticed."""
    import landrights.models  # noqa: F401
    from landrights.db import Base

    declared = {str(c.name) for t in Base.metadata.tables.values() for c in t.constraints
                if isinstance(c, sa.CheckConstraint)}
    present = set(session.scalars(sa.text(
        "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE contype = 'c' AND nspname = 'public' AND conname LIKE 'ck\\_%'")))
    assert declared == present
