"""The deposit a listing requires (保证金, R8.4 (4); the county's setting, landrights.market.deposits)
is enforced where it matters: the township officer records no less (the error beside the amount
names the sum, what was typed kept), and a bid needs a held deposit of at least that (the refusal
says how to pay). The service, the pages and the API alike; the API names rule R8.4."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from landrights.errors import ValidationFailed
from landrights.market import services as market
from landrights.market.deposits import deposit_for, deposit_required
from landrights.market.models import Deposit
from tests.factories import bearer, make_listing
from tests.market.conftest import HOUSEHOLD, make_bidder, parcels_of

REQUIRED = Decimal("850.00")  # make_listing: 16.99 mu at 500 yuan, 10 % of a year's rent up to 10 yuan


def _deposits(session, listing_id: int) -> list:
    return session.scalars(sa.select(Deposit.amount_yuan).where(Deposit.listing_id == listing_id)).all()


def _beside(html: str, field: str) -> str:
    found = re.search(rf'<p class="lr-field-error" id="{field}-error"[^>]*>(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)))


# --- the service -------------------------------------------------------------------------------

def test_the_officer_records_no_less_than_the_listing_requires(session, officer):
    listing = make_listing(session)
    bidder = make_bidder(session, "agri_co", "company")
    assert deposit_required(session, listing) == REQUIRED
    with pytest.raises(ValidationFailed) as refused:
        market.record_deposit(session, officer, listing_id=listing.id, transferee_id=bidder.transferee_id,
                              amount_yuan=REQUIRED - Decimal("0.01"), receipt="收据 1")
    assert (refused.value.field, refused.value.rule) == ("amount_yuan", "R8.4")
    assert "850" in str(refused.value.message)  # the sum it needs, said
    assert _deposits(session, listing.id) == []
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=bidder.transferee_id,
                          amount_yuan=REQUIRED, receipt="收据 1")
    assert _deposits(session, listing.id) == [REQUIRED]


def test_a_bid_without_a_deposit_is_refused_saying_how_to_pay(session):
    listing = make_listing(session)
    bidder = make_bidder(session, "agri_co", "company")
    with pytest.raises(ValidationFailed) as refused:
        market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal("600"))
    message = str(refused.value.message)
    assert (refused.value.field, refused.value.rule) == ("deposit", "R8.4")
    assert "850" in message and "大阳镇" in message and str(listing.id) in message  # how much, where, which
    assert listing.bid_count == 0


def test_the_deposit_announced_with_a_listing_holds_when_the_county_raises_its_setting(session, officer):
    """The listing announced 850 yuan and the bidder paid it; the county then doubled its share:
    the bidder still bids (R8.4 (4): what was announced is what is asked), and a listing published
    after the change asks the new sum (migration 0027)."""
    listing = make_listing(session)
    bidder = make_bidder(session, "agri_co", "company")
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=bidder.transferee_id,
                          amount_yuan=REQUIRED, receipt="收据 1")
    session.execute(sa.text("UPDATE settings SET value = '0.2' WHERE key = 'market_deposit_share'"))
    assert deposit_required(session, listing) == REQUIRED
    assert market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal("600")).price == 600
    # the new setting asks twice as much of the same land, but not of the listing already open
    assert deposit_for(session, listing.area_m2, listing.reserve_price) == Decimal("1700.00")
    later = make_listing(session, parcel_codes=parcels_of(session, HOUSEHOLD)[2:3])
    assert deposit_required(session, later) == deposit_for(session, later.area_m2, later.reserve_price)


def test_a_listing_published_before_the_deposit_was_fixed_is_priced_from_the_settings(session, officer):
    """A listing from before migration 0027 (no announced sum) asks what the settings ask today: a
    deposit recorded at the old setting is short once the county raised it."""
    listing = make_listing(session)
    bidder = make_bidder(session, "agri_co", "company")
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=bidder.transferee_id,
                          amount_yuan=REQUIRED, receipt="收据 1")
    listing.deposit_yuan = None
    session.execute(sa.text("UPDATE settings SET value = '0.2' WHERE key = 'market_deposit_share'"))
    with pytest.raises(ValidationFailed) as refused:
        market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal("600"))
    assert refused.value.rule == "R8.4" and "1700" in str(refused.value.message)


# --- the pages ---------------------------------------------------------------------------------

def test_the_desk_says_the_sum_beside_the_amount_and_keeps_what_was_typed(client, auth, session):
    listing = make_listing(session)
    company = make_bidder(session, "agri_co", "company")
    auth.login("officer")
    path = f"/market/{listing.id}/desk"
    page = client.get(path, query_string={"q": "agri"}).get_data(as_text=True)
    assert 'id="amount_yuan-hint"' in page and "850.00" in page
    refused = client.post(path, data={"csrf_token": auth.csrf(path), "action": "deposit", "q": "agri",
                                      "transferee_id": str(company.transferee_id), "amount_yuan": "500",
                                      "receipt": "收据 2026-09"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "850" in _beside(html, "amount_yuan")
    assert 'value="500"' in html and 'value="收据 2026-09"' in html  # what was typed is kept
    assert f'name="transferee_id" value="{company.transferee_id}" checked' in html
    assert "R8.4" not in _text(html) and 'aria-invalid="true"' in html
    assert _deposits(session, listing.id) == []


def test_the_listing_shows_the_deposit_to_anyone(client, session):
    listing = make_listing(session)
    html = client.get(f"/market/{listing.id}").get_data(as_text=True)
    assert re.search(r'id="deposit-required">850\.00 ', html)


def test_a_bid_page_without_a_deposit_says_how_to_pay(client, auth, session):
    listing = make_listing(session)
    auth.login("transferee")
    path = f"/market/{listing.id}"
    refused = client.post(path, data={"csrf_token": auth.csrf(path), "action": "bid", "price": "600"})
    text = _text(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "保证金 850.00 元" in text and "大阳镇农村经营管理站" in text and "R8.4" not in text


def test_a_short_deposit_shows_no_bid_form_and_says_so(client, auth, session, officer):
    listing = make_listing(session)
    transferee_id = session.scalar(sa.text("SELECT t.id FROM transferees t JOIN users u ON u.id = t.user_id "
                                           "WHERE u.username = 'transferee'"))
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=transferee_id,
                          amount_yuan=REQUIRED, receipt="收据 7")
    listing.deposit_yuan = None  # published before migration 0027: priced from today's settings
    session.flush()
    session.execute(sa.text("UPDATE settings SET value = '500' WHERE key = 'market_deposit_min_yuan'"))
    session.execute(sa.text("UPDATE settings SET value = '0.2' WHERE key = 'market_deposit_share'"))
    auth.login("transferee")
    html = client.get(f"/market/{listing.id}").get_data(as_text=True)
    assert 'data-deposit="short"' in html and 'id="bid-form"' not in html and "1700.00" in html


# --- the API -----------------------------------------------------------------------------------

def test_the_api_refuses_a_short_deposit_and_a_bid_without_one_naming_the_rule(client, session):
    listing = make_listing(session)
    bidder = make_bidder(session, "agri_co", "company")
    deposits = f"/api/v1/listings/{listing.id}/deposits"
    paid = {"transferee_id": bidder.transferee_id, "receipt": "收据 3"}
    short = client.post(deposits, headers=bearer(session, "officer"), json=paid | {"amount_yuan": "849.99"})
    error = short.get_json()["error"]
    assert short.status_code == 422 and (error["field"], error["rule"]) == ("amount_yuan", "R8.4")
    assert "850" in error["message"]
    bid = client.post(f"/api/v1/listings/{listing.id}/bids", headers=bearer(session, "agri_co"),
                      json={"price": "600.00"})
    error = bid.get_json()["error"]
    assert bid.status_code == 422 and (error["field"], error["rule"]) == ("deposit", "R8.4")
    assert "850" in error["message"]
    enough = client.post(deposits, headers=bearer(session, "officer"), json=paid | {"amount_yuan": "850.00"})
    assert enough.status_code == 201
    assert client.post(f"/api/v1/listings/{listing.id}/bids", headers=bearer(session, "agri_co"),
                       json={"price": "600.00"}).status_code == 201
