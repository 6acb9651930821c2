"""One input contract per use case (issue 21 §4): the market's pages load their forms through the
schema the JSON API loads its body with (landrights.market.inputs), so a value the API refuses, the
form refuses too: the same field, the same words beside it, what was typed kept, nothing written."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from landrights import clock
from landrights.market import services as market
from tests.factories import make_listing, same_refusal
from tests.market.conftest import HOUSEHOLD, make_bidder, parcels_of

MIGRANT = "220421101201020006"  # 赵振华: entrusts an agent from the rights page
LEFT_OUT = None  # the field is left out of the body, and left blank in the form


def _without(values: dict, change: dict) -> dict:
    return {k: v for k, v in (values | change).items() if v is not LEFT_OUT}


def _json(values: dict, whole: tuple[str, ...] = ()) -> dict:
    """The body an API client sends: whole numbers as numbers when the form's text is one."""
    return {k: int(v) if k in whole and isinstance(v, str) and v.isdecimal() else v
            for k, v in values.items()}


LISTING = {"mode": "lease", "land_use": "grain", "term_start": "2027-01-01", "term_end": "2028-12-31",
           "reserve_price": "450", "payment_schedule": "每年一次"}


@pytest.mark.parametrize("change, field", [
    ({"term_start": "2027-13-01"}, "term_start"),
    ({"term_end": "明年"}, "term_end"),
    ({"reserve_price": "五百"}, "reserve_price"),
    ({"reserve_price": "0"}, "reserve_price"),  # above 0 (R1.22)
    ({"reserve_price": "100000.01"}, "reserve_price"),
    ({"mode": "sell"}, "mode"),  # lease, shares or other (R1.20)
    ({"land_use": "housing"}, "land_use"),  # agricultural only (R1.21)
    ({"parcel_codes": ["2204211012"]}, "parcel_codes"),  # 19 digits (R4.7)
    ({"parcel_codes": LEFT_OUT}, "parcel_codes"),
    ({"payment_schedule": LEFT_OUT}, "payment_schedule"),
])
def test_a_listing_the_api_refuses_the_form_refuses_beside_the_same_field(client, auth, session, change,
                                                                          field):
    values = _without({**LISTING, "parcel_codes": parcels_of(session, HOUSEHOLD)[:1]}, change)
    html = same_refusal(client, auth, session, user="farmer", api="/api/v1/listings",
                        body={"household_code": HOUSEHOLD, **values}, page="/market/mine", form=values,
                        field=field, table="listings")
    for kept in ("payment_schedule", "term_end"):  # what was typed stays in the form
        if kept in values:
            assert f'value="{values[kept]}"' in html


@pytest.mark.parametrize("price", ["abc", "0", "-1", "100000.01", "1e400", LEFT_OUT])
def test_a_bid_the_api_refuses_the_form_refuses_beside_the_price(client, auth, session, officer, price):
    listing = make_listing(session)
    company = make_bidder(session, "agri_co", "company")
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=company.transferee_id,
                          amount_yuan=Decimal("100000"), receipt="收据 001")  # the bid form is shown
    values = _without({"price": price}, {})
    same_refusal(client, auth, session, user="agri_co", api=f"/api/v1/listings/{listing.id}/bids",
                 body=values, page=f"/market/{listing.id}", form=values, field="price", table="bids")


DEPOSIT = {"amount_yuan": "2000", "receipt": "收据 2026-09"}


@pytest.mark.parametrize("change, field", [
    ({"transferee_id": "abc"}, "transferee_id"),
    ({"transferee_id": "0"}, "transferee_id"),
    ({"transferee_id": "99999999999999999999"}, "transferee_id"),
    ({"transferee_id": LEFT_OUT}, "transferee_id"),
    ({"amount_yuan": "-5"}, "amount_yuan"),
    ({"amount_yuan": "两千"}, "amount_yuan"),
    ({"amount_yuan": "99999999999"}, "amount_yuan"),
    ({"receipt": "x" * 101}, "receipt"),
    ({"receipt": LEFT_OUT}, "receipt"),
])
def test_a_deposit_the_api_refuses_the_desk_refuses_beside_the_same_field(client, auth, session, change,
                                                                          field):
    listing = make_listing(session)
    company = make_bidder(session, "agri_co", "company")
    values = _without({**DEPOSIT, "transferee_id": str(company.transferee_id)}, change)
    html = same_refusal(client, auth, session, user="officer", api=f"/api/v1/listings/{listing.id}/deposits",
                        body=_json(values, ("transferee_id",)), page=f"/market/{listing.id}/desk",
                        form={"action": "deposit", "q": "agri_co", **values}, field=field, table="deposits")
    if "receipt" in values and len(values["receipt"]) < 100:
        assert f'value="{values["receipt"]}"' in html


@pytest.mark.parametrize("change, field", [
    ({"valid_to": "2026-02-30"}, "valid_to"),
    ({"min_price": "abc"}, "min_price"),
    ({"min_price": "99999999999"}, "min_price"),
    ({"acts": ["withdraw_rights"]}, "acts"),  # never a withdrawal of rights (G3)
    ({"acts": LEFT_OUT}, "acts"),
    ({"parcel_codes": ["1"]}, "parcel_codes"),
    ({"scope": LEFT_OUT}, "scope"),
])
def test_an_entrustment_the_api_refuses_the_form_refuses_beside_the_same_field(client, auth, session,
                                                                               change, field):
    codes = parcels_of(session, MIGRANT)
    values = _without({"agent_username": "farmer", "parcel_codes": codes[2:], "acts": ["list", "sign"],
                       "valid_from": clock.today().isoformat(), "valid_to": "2027-12-31",
                       "transfer_until": "2028-12-31", "min_price": "480", "scope": "代我出租这两块地"},
                      change)
    html = same_refusal(client, auth, session, user="migrant", api="/api/v1/entrustments",
                        body={"household_code": MIGRANT, **values},
                        page=f"/market/households/{MIGRANT}/entrust", form={"agent": "other", **values},
                        field=field, table="entrustments")
    assert 'value="farmer"' in html and 'value="480"' in html or "min_price" in change


PLEDGE = {"creditor": "辽源农商银行", "amount_yuan": "40000", "term_start": "2027-01-01",
          "term_end": "2028-12-31", "document": "抵押合同 7"}


@pytest.mark.parametrize("between", ["、", "，", ", ", "\n", " "])
def test_the_pledge_page_reads_its_parcel_codes_as_the_api_reads_a_list(client, auth, session, between):
    import sqlalchemy as sa

    codes = parcels_of(session, HOUSEHOLD)[:2]
    auth.login("officer")
    client.post("/market/pledges", data={"csrf_token": auth.csrf("/market/pledges"), **PLEDGE,
                                         "household_code": HOUSEHOLD, "parcel_codes": between.join(codes)})
    assert session.scalar(sa.text("SELECT parcel_codes FROM pledges WHERE household_code = :h"),
                          {"h": HOUSEHOLD}) == sorted(codes)


@pytest.mark.parametrize("change, field", [
    ({"parcel_codes": "{good}、2204211012"}, "parcel_codes"),  # 19 digits each (R4.7)
    ({"parcel_codes": "{good}，{good}x"}, "parcel_codes"),
    ({"parcel_codes": LEFT_OUT}, "parcel_codes"),
    ({"amount_yuan": "四万"}, "amount_yuan"),
])
def test_a_pledge_the_api_refuses_the_page_refuses_beside_the_same_field(client, auth, session, change,
                                                                        field):
    good = parcels_of(session, HOUSEHOLD)[0]
    values = _without(PLEDGE | {"parcel_codes": "{good}"}, change)
    if "parcel_codes" in values:  # the page's one box; the API's list of the same codes
        values["parcel_codes"] = values["parcel_codes"].format(good=good)
    body = values | ({"parcel_codes": re.split("[、，]", values["parcel_codes"])} if "parcel_codes" in values
                     else {})
    same_refusal(client, auth, session, user="officer", api="/api/v1/pledges",
                 body={"household_code": HOUSEHOLD, **body}, page="/market/pledges",
                 form={"household_code": HOUSEHOLD, **values}, field=field, table="pledges", status=200)


@pytest.mark.parametrize("query, field", [
    ({"max_price": "abc"}, "max_price"),
    ({"max_price": "100000.004"}, "max_price"),  # at most 100,000, checked as sent
    ({"min_area_mu": "-1"}, "min_area_mu"),
    ({"land_use": "housing"}, "land_use"),
    ({"township": "2204211"}, "township"),  # 9 digits
])
def test_a_filter_the_api_refuses_the_market_page_refuses_beside_the_same_field(client, session, query,
                                                                                field):
    from tests.factories import said_beside

    listing = make_listing(session)
    assert client.get("/market/").status_code == 200  # commits the listing (a refusal rolls back)
    page = client.get("/market/", query_string=query)
    html = page.get_data(as_text=True)
    api = client.get("/api/v1/listings", query_string=query)
    assert api.status_code == 422
    error = api.get_json()["error"]
    assert (error["field"], page.status_code) == (field, 422)
    assert said_beside(html, field) == error["message"]
    assert f'data-listing="{listing.id}"' in html  # the refused filter is left out
    if field in ("max_price", "min_area_mu"):
        assert f'value="{query[field]}"' in html  # what was typed stays in the box


def test_the_other_filters_still_filter_beside_a_refused_one(client, session):
    listing = make_listing(session)
    assert client.get("/market/").status_code == 200  # commits the listing (a refusal rolls back)
    elsewhere = client.get("/market/", query_string={"township": "220421199", "max_price": "abc"})
    html = elsewhere.get_data(as_text=True)
    assert elsewhere.status_code == 422 and f'data-listing="{listing.id}"' not in html
    assert 'id="no-listings"' in html
    here = client.get("/market/", query_string={"township": "大阳镇", "land_use": "grain",
                                                "max_price": "5000"})
    assert here.status_code == 200 and f'data-listing="{listing.id}"' in here.get_data(as_text=True)
