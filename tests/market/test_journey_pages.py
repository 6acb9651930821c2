"""The market pages of issue 19's journeys 1 and 4 through the test client: every market page is
reached from 流转交易; forms keep what was typed and say each error beside its field in plain words;
the household sees every bid, withdraws an unbid listing after a confirmation, sees the award and
signs; a transferee sees the deposit to pay and whether it leads; rent overdue is said as overdue."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.market import contracts
from landrights.market import services as market
from landrights.market.deposits import deposit_for, deposit_required
from tests.factories import make_listing, pay_deposit
from tests.market.conftest import HOUSEHOLD, farmer_of, make_bidder, parcels_of

FORBIDDEN_WORDS = re.compile(r"R\d+\.\d+|term_start|term_end|reserve_price|22003|overflow|Key \(|UTC|\+00:00")


def visible(html: str) -> str:
    """Return the text a person reads: no tags, attributes, scripts or styles."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def beside(html: str, field: str) -> str:
    """Return the error shown beside a field (its lr-field-error paragraph), or ''."""
    found = re.search(rf'<p class="lr-field-error" id="{field}-error"[^>]*>(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def _transferee(session):
    return session.scalar(sa.text("SELECT t.id FROM transferees t JOIN users u ON u.id = t.user_id "
                                  "WHERE u.username = 'transferee'"))


def _listing_id(session) -> int:
    return session.scalar(sa.text("SELECT max(id) FROM listings WHERE household_code = :h"), {"h": HOUSEHOLD})


@pytest.fixture(autouse=True)
def real_time():
    clock.reset()
    yield
    clock.reset()


def test_market_page_leads_each_role_to_its_own_pages(client, auth):
    expected = {"farmer": ["/market/mine"], "transferee": ["/market/bids"],
                "officer": ["/market/ledger", "/market/pledges"]}
    for username, links in expected.items():
        auth.login(username)
        page = client.get("/market/").get_data(as_text=True)
        for link in links:
            assert f'href="{link}' in page, (username, link)
            assert client.get(link).status_code == 200
    assert 'id="rent-out"' not in page  # an officer lists no land of its own


def test_listing_form_keeps_what_was_typed_and_says_each_error_beside_its_field(client, auth, session):
    auth.login("farmer")
    code = parcels_of(session, HOUSEHOLD)[0]
    response = client.post("/market/mine", data={
        "csrf_token": auth.csrf("/market/mine"), "parcel_codes": [code], "mode": "shares",
        "land_use": "vegetables", "term_start": "2027-13-01", "term_end": "明年", "reserve_price": "五百",
        "payment_schedule": "每年3月1日前", "conditions": "不得改变用途"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("term_start", "term_end", "reserve_price"):  # every field at once, not only the first
        assert beside(page, field), field
    assert 'value="2027-13-01"' in page and 'value="明年"' in page and 'value="五百"' in page
    assert 'value="每年3月1日前"' in page and 'value="不得改变用途"' in page
    assert f'value="{code}" checked' in page
    assert '<option value="shares" selected>' in page and '<option value="vegetables" selected>' in page
    assert not FORBIDDEN_WORDS.search(visible(page))
    assert session.scalar(sa.text("SELECT count(*) FROM listings WHERE household_code = :h"),
                          {"h": HOUSEHOLD}) == 0  # nothing written


def test_a_term_past_the_contract_is_said_beside_the_end_date_without_a_rule_id(client, auth, session):
    auth.login("farmer")
    code = parcels_of(session, HOUSEHOLD)[0]
    page = client.post("/market/mine", data={
        "csrf_token": auth.csrf("/market/mine"), "parcel_codes": [code], "mode": "lease", "land_use": "grain",
        "term_start": "2027-01-01", "term_end": "2030-12-31", "reserve_price": "450",
        "payment_schedule": "每年一次"}).get_data(as_text=True)
    assert "2028" in beside(page, "term_end") and 'value="2030-12-31"' in page
    assert not FORBIDDEN_WORDS.search(visible(page))


def test_the_household_lists_from_its_parcel_and_lands_on_its_listing(client, auth, session):
    auth.login("farmer")
    code = parcels_of(session, HOUSEHOLD)[1]
    parcel = client.get(f"/parcels/{code}").get_data(as_text=True)
    link = re.search(r'id="rent-out-parcel" href="([^"]+)"', parcel).group(1).replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    assert f'value="{code}" checked' in form  # the parcel the farmer came from is chosen
    assert f'value="{parcels_of(session, HOUSEHOLD)[0]}" checked' not in form
    response = client.post("/market/mine", data={
        "csrf_token": auth.csrf("/market/mine"), "parcel_codes": [code], "mode": "lease", "land_use": "grain",
        "term_start": "2027-01-01", "term_end": "2028-12-31", "reserve_price": "450",
        "payment_schedule": "每年一次"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/market/{_listing_id(session)}#listing-status")
    auth.login("migrant")  # another household's parcel page offers no rent-out link
    assert client.get(f"/parcels/{code}").status_code in (403, 404)


def test_the_owner_sees_every_bid_and_no_bid_form(client, auth, session, officer):
    listing = make_listing(session)
    one, two = make_bidder(session, "agri_co", "company"), make_bidder(session, "farm_two", "family_farm")
    for bidder, price in ((one, "520"), (two, "560")):
        pay_deposit(session, officer, listing, bidder)
        market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal(price))
    auth.login("farmer")
    page = client.get(f"/market/{listing.id}").get_data(as_text=True)
    assert 'id="bid-form"' not in page and "您无权" not in page
    bids = re.search(r'<table[^>]*id="all-bids".*?</table>', page, re.S).group(0)
    assert bids.index("farm_two") < bids.index("agri_co") and "560" in bids and "520" in bids
    assert 'id="withdraw"' not in page  # bids placed: the officer decides it


def test_the_owner_withdraws_an_unbid_listing_after_a_confirmation(client, auth, session):
    listing = make_listing(session)
    auth.login("farmer")
    page = client.get(f"/market/{listing.id}").get_data(as_text=True)
    confirm = re.search(r'id="withdraw" href="([^"]+)"', page).group(1)
    asked = client.get(confirm).get_data(as_text=True)
    assert 'id="withdraw-consequence"' in asked and "重新挂牌" in asked  # names what follows
    assert market.get_listing(session, listing.id).status == "open"  # asking changes nothing
    done = client.post(confirm, data={"csrf_token": auth.csrf(confirm)}, follow_redirects=True)
    assert market.get_listing(session, listing.id).status == "withdrawn"
    assert 'data-status="withdrawn"' in done.get_data(as_text=True)
    again = client.post(confirm, data={"csrf_token": auth.csrf(confirm)})
    assert again.status_code == 409 and not FORBIDDEN_WORDS.search(visible(again.get_data(as_text=True)))


def test_a_transferee_sees_the_deposit_and_how_to_pay_and_cannot_bid_before_it_is_recorded(client, auth,
                                                                                            session):
    listing = make_listing(session)
    auth.login("transferee")
    path = f"/market/{listing.id}"
    page = client.get(path).get_data(as_text=True)
    amount = deposit_required(session, listing)
    assert amount == Decimal("850.00")  # 10 % of a year's rent at the reserve (16.99 mu x 500), up to 10 yuan
    assert f"{amount}" in page and 'id="how-to-pay"' in page and "大阳镇" in page
    assert 'id="bid-form"' not in page
    refused = client.post(path, data={"csrf_token": auth.csrf(path), "action": "bid", "price": "600"})
    assert refused.status_code == 422 and listing.bid_count == 0


def test_deposit_follows_the_county_setting_for_listings_published_after_it(session):
    session.execute(sa.text("UPDATE settings SET value = '0.5' WHERE key = 'market_deposit_share'"))
    listing = make_listing(session)
    assert deposit_required(session, listing) == Decimal("4250.00")
    session.execute(sa.text("UPDATE settings SET value = '5000' WHERE key = 'market_deposit_min_yuan'"))
    assert deposit_required(session, listing) == Decimal("4250.00")  # announced: it stays (R8.4)
    assert deposit_for(session, listing.area_m2, listing.reserve_price) == Decimal("5000.00")


def test_an_overflowing_bid_is_a_plain_error_beside_the_price_and_kept(client, auth, session, officer):
    listing = make_listing(session)
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=_transferee(session),
                          amount_yuan=Decimal("850"), receipt="收据 7")
    auth.login("transferee")
    path = f"/market/{listing.id}"
    response = client.post(path, data={"csrf_token": auth.csrf(path), "action": "bid",
                                       "price": "99999999999"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "100000" in beside(page, "price")
    assert 'value="99999999999"' in page and 'aria-invalid="true"' in page
    assert not FORBIDDEN_WORDS.search(visible(page))
    low = client.post(path, data={"csrf_token": auth.csrf(path), "action": "bid", "price": "400"})
    assert low.status_code == 422 and "500" in beside(low.get_data(as_text=True), "price")


def test_a_transferee_sees_it_leads_then_that_it_was_outbid(client, auth, session, officer):
    listing = make_listing(session)
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=_transferee(session),
                          amount_yuan=Decimal("850"), receipt="收据 7")
    auth.login("transferee")
    path = f"/market/{listing.id}"
    client.post(path, data={"csrf_token": auth.csrf(path), "action": "bid", "price": "610"})
    assert 'data-standing="highest"' in client.get(path).get_data(as_text=True)
    rival = make_bidder(session, "agri_co", "company")
    pay_deposit(session, officer, listing, rival)
    market.place_bid(session, rival.actor, listing_id=listing.id, price=Decimal("650"))
    page = client.get(path).get_data(as_text=True)
    assert 'data-standing="outbid"' in page and "650" in page and 'id="bid-form"' in page
    mine = client.get("/market/bids").get_data(as_text=True)
    assert f'data-listing="{listing.id}" data-standing="outbid"' in mine and "agri_co" not in mine


def test_the_household_sees_the_award_and_signs_only_after_saying_it_read_the_contract(client, auth, session,
                                                                                      officer):
    listing = make_listing(session)
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=_transferee(session),
                          amount_yuan=Decimal("850"), receipt="收据 7")
    market.place_bid(session, _transferee_actor(session), listing_id=listing.id, price=Decimal("580"))
    clock.travel(timedelta(days=11))
    contracts.award(session, officer, listing_id=listing.id)
    auth.login("farmer")
    page = client.get(f"/market/{listing.id}").get_data(as_text=True)
    assert "永安农机合作社" in page and "580" in page and 'id="contract-state" data-status="none"' in page
    contract = contracts.draft_contract(session, officer, listing_id=listing.id, transferee_address="辽源市")
    page = client.get(f"/market/{listing.id}").get_data(as_text=True)
    assert f'href="/market/contracts/{contract.code}"' in page and 'data-status="draft"' in page
    sheet = f"/market/contracts/{contract.code}"
    unticked = client.post(f"{sheet}/sign", data={"csrf_token": auth.csrf(sheet), "back": sheet},
                           follow_redirects=True).get_data(as_text=True)
    assert beside(unticked, "agree") and contract.household_signed_at is None
    client.post(f"{sheet}/sign", data={"csrf_token": auth.csrf(sheet), "back": sheet, "agree": "1"})
    assert contract.household_signed_at is not None and contract.status == "draft"


def _transferee_actor(session):
    from landrights.accounts.models import User
    from landrights.accounts.permissions import Actor

    return Actor.of(session.scalar(sa.select(User).where(User.username == "transferee")))


def test_rent_overdue_is_said_as_overdue_with_its_amount(client, auth, session, officer):
    listing = make_listing(session, term_start=date(2027, 1, 1), term_end=date(2028, 12, 31))
    bidder = make_bidder(session, "agri_co", "company")
    session.execute(sa.text("UPDATE settings SET value = '1000' WHERE key = 'capital_review_from_mu'"))
    pay_deposit(session, officer, listing, bidder)
    market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal("600"))
    clock.travel(timedelta(days=11))
    contracts.award(session, officer, listing_id=listing.id)
    contract = contracts.draft_contract(session, officer, listing_id=listing.id, transferee_address="辽源市")
    contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
    contracts.sign_contract(session, bidder.actor, code=contract.code)
    clock.travel(clock.start_of(date(2028, 2, 1)) - clock.now())
    contracts.record_rent(session, officer, code=contract.code, due_on=date(2027, 1, 1),
                          paid_on=date(2027, 1, 10))
    auth.login("farmer")
    page = client.get("/market/mine").get_data(as_text=True)
    card = re.search(rf'<section class="lr-card" id="rent-{contract.code}".*?</section>', page, re.S).group(0)
    rent = f"{contract.annual_rent_yuan}"
    assert 'data-overdue="1"' in card and "逾期" in card and f"{rent} 元，应于 2028年1月1日 支付" in card
    assert f"已收 {rent} 元" in card and "下期" not in card


def test_the_market_filters_by_township_name(client, auth, session):
    listing = make_listing(session)
    anyone = client
    page = anyone.get("/market/").get_data(as_text=True)
    assert '<option value="220421101" >大阳镇</option>' in page.replace("  ", " ")
    assert f'data-listing="{listing.id}"' in anyone.get("/market/?township=220421101").get_data(as_text=True)
    typed = anyone.get("/market/?township=大阳镇").get_data(as_text=True)  # a name typed into the address
    assert f'data-listing="{listing.id}"' in typed and "没有竞价中的挂牌" not in typed
    other = anyone.get("/market/?township=平岗镇").get_data(as_text=True)
    assert f'data-listing="{listing.id}"' not in other and 'id="no-listings"' in other
    wrong = anyone.get("/market/?max_price=abc")
    assert wrong.status_code == 422 and beside(wrong.get_data(as_text=True), "max_price")


def test_listing_and_contract_pages_say_transfer_term(client, auth, session):
    listing = make_listing(session)
    auth.login("farmer")
    page = visible(client.get(f"/market/{listing.id}").get_data(as_text=True))
    assert "流转期限" in page and "承包期限" not in page and "2027年1月1日" in page
    listed = visible(client.get("/market/").get_data(as_text=True))
    assert "流转期限" in listed and "承包期限" not in listed
    client.get("/lang/en")
    english = visible(client.get(f"/market/{listing.id}").get_data(as_text=True))
    assert "Transfer term" in english and "All bids" in english


def test_the_rights_page_says_rent_overdue_since_its_day(client, auth, session):
    """The demo's lease: the 2026-04-01 instalment is unpaid (the finding: shown as "下期…到期")."""
    clock.travel(clock.start_of(date(2026, 12, 2)) - clock.now())  # the day the finding was seen
    auth.login("migrant")
    page = client.get("/rights", follow_redirects=True).get_data(as_text=True)
    transfers = re.search(r'<ul id="transfers">.*?</ul>', page, re.S).group(0)
    assert 'data-rent="overdue"' in transfers and "逾期未付" in transfers and "2026年4月1日" in transfers
    assert "下期 2026-04-01" not in transfers and "2027年4月1日" in transfers  # the next one, by its day
