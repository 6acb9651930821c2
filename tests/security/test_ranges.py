"""Issue 16, section 5: wrong data was stored with 201 (a person born 9999-12-31; id_type 9 with 30
spaces as the number; a settlement dated 2999-01-01; a dividend for year 99999; a capital review
valid until 1900-01-01) and an amount past its column's precision came back as a database error.

Every date and number has a range (landrights/ranges.py): the API answers 422 naming the field, the
service refuses the same value (so the web forms and the CLI do too), a web form shows the error
beside its field, and the database stays as it was. The CHECKs themselves: tests/db."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from shapely.geometry import box

from landrights import clock
from landrights.accounts.permissions import SYSTEM
from landrights.collective import services as collective
from landrights.db import flush_or_raise
from landrights.errors import ValidationFailed
from landrights.homestead.models import HomesteadStandard
from landrights.market import services as market
from landrights.registry import services as registry
from landrights.registry.rules import id_check_char
from landrights.rights import services as rights
from tests.factories import bearer
from tests.market.conftest import parcels_of

HOUSEHOLD = "220421101201010001"  # the demo farmer's household, group 01
HEAD = "220421196101240233"  # its head, 杨春林, born 1961-01-24
GROUP_01 = "22042110120101"
TRANSFEREE_ID = sa.text("SELECT t.id FROM transferees t JOIN users u ON u.id = t.user_id "
                        "WHERE u.username = 'transferee'")


def count(session, table: str) -> int:
    return session.scalar(sa.text(f"SELECT count(*) FROM {table}"))


def person(**overrides) -> dict:
    body17 = "22042119850315123"
    return {"county_code": "220421", "name": "测试人", "sex": 1, "id_type": 1,
            "id_number": body17 + id_check_char(body17)} | overrides


def review(**overrides) -> dict:
    return {"transferee_id": 1, "county_code": "220421", "approved": True, "max_area_mu": "300.00",
            "qualification": "合作社登记证", "project": "玉米种植", "risk_measures": "预付租金",
            "valid_until": "2030-01-01"} | overrides


def dividend(**overrides) -> dict:
    return {"year": 2026, "amount_per_share": "100.0000", "decided_on": "2026-11-20",
            "document": "成员大会决议"} | overrides


def listing(session, **overrides) -> dict:
    return {"household_code": HOUSEHOLD, "parcel_codes": parcels_of(session, HOUSEHOLD)[:1], "mode": "lease",
            "term_start": "2027-01-01", "term_end": "2027-12-31", "reserve_price": "480.00",
            "payment_schedule": "每年一次", "land_use": "grain"} | overrides


def withdrawal(**overrides) -> dict:
    return {"household_code": HOUSEHOLD, "kind": "homestead", "homestead_code": HOUSEHOLD + "Z01",
            "compensation_yuan": "50000.00", "notice_on": "2026-11-01",
            "effective_on": "2027-01-01"} | overrides


ISSUE = [  # (user, path, body, field, tables that must not change): the five of the issue first
    ("officer", "/api/v1/persons", lambda s: person(birth_date="9999-12-31"), "birth_date", ("persons",)),
    ("officer", "/api/v1/persons", lambda s: person(id_type=9, id_number=" " * 30), "id_number",
     ("persons",)),
    ("officer", "/api/v1/settlements", lambda s: {"id_number": HEAD, "settled_on": "2999-01-01",
                                                  "city": "长春市", "document": "户口迁移证"},
     "settled_on", ("settlements",)),
    ("clerk", f"/api/v1/collectives/{GROUP_01}/distributions", lambda s: dividend(year=99999), "year",
     ("distributions", "payouts")),
    ("county", "/api/v1/capital-reviews", lambda s: review(transferee_id=s.scalar(TRANSFEREE_ID),
                                                           valid_until="1900-01-01"),
     "valid_until", ("capital_reviews",)),
    # more of the same: past "today", before the earliest date the domain allows, out of shape
    ("officer", "/api/v1/persons", lambda s: person(birth_date="1899-12-31"), "birth_date", ("persons",)),
    ("officer", "/api/v1/persons", lambda s: person(id_type=5, id_number="E 1234567"), "id_number",
     ("persons",)),
    ("officer", "/api/v1/persons", lambda s: person(id_type=3, id_number="12"), "id_number", ("persons",)),
    ("officer", "/api/v1/settlements", lambda s: {"id_number": HEAD, "settled_on": "1950-01-01",
                                                  "city": "长春市", "document": "户口迁移证"},
     "settled_on", ("settlements",)),
    ("clerk", f"/api/v1/collectives/{GROUP_01}/distributions", lambda s: dividend(year=1900), "year",
     ("distributions", "payouts")),
    ("clerk", f"/api/v1/collectives/{GROUP_01}/distributions", lambda s: dividend(decided_on="2999-01-01"),
     "decided_on", ("distributions", "payouts")),
    # amounts past their column's precision: a clear 422, never a numeric-overflow error
    ("clerk", f"/api/v1/collectives/{GROUP_01}/distributions",
     lambda s: dividend(amount_per_share="9999999999.0000"), "amount_per_share",
     ("distributions", "payouts")),
    ("county", "/api/v1/capital-reviews", lambda s: review(transferee_id=s.scalar(TRANSFEREE_ID),
                                                           max_area_mu="9999999999.00"),
     "max_area_mu", ("capital_reviews",)),
    ("farmer", "/api/v1/listings", lambda s: listing(s, reserve_price="99999999999.00"), "reserve_price",
     ("listings",)),
    ("farmer", "/api/v1/listings", lambda s: listing(s, term_end="9999-12-31"), "term_end", ("listings",)),
    ("farmer", "/api/v1/withdrawals", lambda s: withdrawal(compensation_yuan="99999999999999999999.00"),
     "compensation_yuan", ("withdrawals",)),
    ("farmer", "/api/v1/withdrawals", lambda s: withdrawal(notice_on="2999-01-01", effective_on="2999-12-01"),
     "notice_on", ("withdrawals",)),
    ("farmer", "/api/v1/withdrawals", lambda s: withdrawal(improvement_yuan="60000.00"), "improvement_yuan",
     ("withdrawals",)),
]


@pytest.mark.parametrize("user, path, body, field, tables", ISSUE,
                         ids=[f"{i}-{case[3]}" for i, case in enumerate(ISSUE)])
def test_the_api_refuses_a_value_out_of_range_naming_the_field(client, session, user, path, body, field,
                                                                tables):
    before = [count(session, t) for t in tables]
    response = client.post(path, json=body(session), headers=bearer(session, user))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == field
    assert not any(word in error["message"] for word in ("violates", "overflow", "numeric", "SQL"))
    assert [count(session, t) for t in tables] == before


def test_the_values_inside_the_ranges_still_pass(client, session):
    made = client.post("/api/v1/persons", json=person(birth_date="1985-03-15"),
                       headers=bearer(session, "officer"))
    assert made.status_code == 201
    other = client.post("/api/v1/persons", json=person(id_type=9, id_number="  港澳通行证H1234567  "),
                        headers=bearer(session, "officer"))
    assert other.status_code == 201 and other.get_json()["id_type"] == 9
    stored = session.scalar(sa.text("SELECT id_number FROM persons WHERE id = :i"),
                            {"i": other.get_json()["id"]})
    assert stored == "港澳通行证H1234567"  # trimmed


# The services refuse the same values: the web forms and the CLI (landrights ...) call them.
SERVICE_CASES = [
    (lambda s: registry.add_person(s, SYSTEM, **person(birth_date=date(9999, 12, 31))), "birth_date"),
    (lambda s: registry.add_person(s, SYSTEM, **person(id_type=9, id_number=" " * 30)), "id_number"),
    (lambda s: rights.record_settlement(s, SYSTEM, id_number=HEAD, settled_on=date(2999, 1, 1), city="长春市",
                                        document="户口迁移证"), "settled_on"),
    (lambda s: rights.record_settlement(s, SYSTEM, id_number=HEAD, settled_on=date(1960, 1, 1), city="长春市",
                                        document="户口迁移证"), "settled_on"),  # before the head was born
    (lambda s: collective.distribute(s, SYSTEM, collective_code=GROUP_01, year=99999,
                                     amount_per_share=Decimal(1), decided_on=date(2026, 11, 20),
                                     document="决议"),
     "year"),
    (lambda s: collective.distribute(s, SYSTEM, collective_code=GROUP_01, year=2026,
                                     amount_per_share=Decimal("100001"), decided_on=date(2026, 11, 20),
                                     document="决议"), "amount_per_share"),
    (lambda s: market.review_capital(s, SYSTEM, transferee_id=s.scalar(TRANSFEREE_ID), county_code="220421",
                                     approved=True, max_area_mu=Decimal(300), qualification="x", project="x",
                                     risk_measures="x", valid_until=date(1900, 1, 1)), "valid_until"),
    (lambda s: market.review_capital(s, SYSTEM, transferee_id=s.scalar(TRANSFEREE_ID), county_code="220421",
                                     approved=True, max_area_mu=Decimal(300), qualification="x", project="x",
                                     risk_measures="x", valid_until=clock.today() - timedelta(days=1)),
     "valid_until"),  # already expired
    (lambda s: registry.add_parcel(s, SYSTEM, code=GROUP_01 + "99901", surveyed_area_m2=1e20,  # JSON: a float
                                   geometry=box(126.5, 43.5, 126.501, 43.501)), "surveyed_area_m2"),
]


@pytest.mark.parametrize("call, field", SERVICE_CASES,
                         ids=[f"{i}-{c[1]}" for i, c in enumerate(SERVICE_CASES)])
def test_the_service_refuses_the_same_values(session, call, field):
    with pytest.raises(ValidationFailed) as refused:
        call(session)
    assert refused.value.field == field


def test_not_in_the_future_means_after_today_by_the_apps_clock(session):
    tomorrow = clock.today() + timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        rights.record_settlement(session, SYSTEM, id_number=HEAD, settled_on=tomorrow, city="长春市",
                                 document="户口迁移证")
    assert refused.value.field == "settled_on"
    assert rights.record_settlement(session, SYSTEM, id_number=HEAD, settled_on=clock.today(), city="长春市",
                                    document="户口迁移证").settled_on == clock.today()


def test_a_database_overflow_reaches_no_one_as_database_text(session):
    """flush_or_raise: a value no service checked that does not fit its column (NUMERIC(10,2))."""
    session.add(HomesteadStandard(county_code="220499", land_source="original",
                                  max_area_m2=Decimal("123456789012.00"), placeholder=True, note="x"))
    with pytest.raises(ValidationFailed) as refused:
        flush_or_raise(session)
    message = str(refused.value.message)
    assert "overflow" not in message and "22003" not in message and "homestead_standards" not in message


# The web forms: the same refusal, shown beside the field; nothing written.

def _post(client, auth, page: str, path: str, data: dict):
    return client.post(path, data={"csrf_token": auth.csrf(page), **data}, follow_redirects=True)


def test_the_settlement_form_shows_the_error_beside_the_date(client, auth, session):
    auth.login("officer")
    page = f"/rights/{HOUSEHOLD}"
    before = count(session, "settlements")
    response = _post(client, auth, page, page + "/settlement", {
        "id_number": HEAD, "settled_on": "2999-01-01", "city": "长春市", "document": "户口迁移证"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="settled_on-error"' in html
    assert count(session, "settlements") == before
    assert "settled_on)" not in html  # no internal field name in the message


def test_the_withdrawal_form_refuses_an_amount_past_its_column(client, auth, session):
    auth.login("farmer")
    page = f"/rights/{HOUSEHOLD}"
    before = count(session, "withdrawals")
    response = _post(client, auth, page, page + "/withdrawals", {
        "kind": "homestead", "homestead_code": HOUSEHOLD + "Z01", "compensation_yuan": "1e30",
        "notice_on": "2026-11-01", "effective_on": "2027-01-01"})
    html = response.get_data(as_text=True)
    assert 'id="compensation_yuan-error"' in html and "overflow" not in html
    assert count(session, "withdrawals") == before


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400", "99999999999"])
def test_the_listing_form_refuses_a_price_that_is_no_price(client, auth, session, value):
    auth.login("farmer")
    before = count(session, "listings")
    response = _post(client, auth, "/market/mine", "/market/mine", {
        "parcel_codes": parcels_of(session, HOUSEHOLD)[:1], "mode": "lease", "land_use": "grain",
        "term_start": "2027-01-01", "term_end": "2027-12-31", "reserve_price": value,
        "payment_schedule": "每年一次"})
    assert response.status_code == 422  # the form shown again, as typed (issue 19)
    assert 'id="reserve_price-error"' in response.get_data(as_text=True)
    assert count(session, "listings") == before


def test_the_officers_deposit_form_refuses_a_number_that_is_no_number(client, auth, session):
    listing_id = session.scalar(sa.text("SELECT id FROM listings LIMIT 1"))
    auth.login("officer")
    page = f"/market/{listing_id}"
    before = count(session, "deposits")
    response = _post(client, auth, page, page + "/officer", {"action": "deposit", "transferee_id": "²",
                                                             "amount_yuan": "1000", "receipt": "收据"})
    assert response.status_code == 200 and "lr-flash-error" in response.get_data(as_text=True)
    assert count(session, "deposits") == before
