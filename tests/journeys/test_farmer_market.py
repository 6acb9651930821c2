"""Journey 1 (issue 19): a farmer on a phone sees the household's parcels and certificate, lists a
parcel for rent from the parcel's page (a mistake is said beside its field, what was typed kept),
withdraws that listing before anyone bids (after a confirmation naming what follows), lists again
from 流转交易 "我要出租", sees every bid, sees the award (who won, the price, the contract) and
signs in the app, and later sees the rent received and what is overdue. Every step by links and
buttons from the home page; the officer's and the transferee's steps are prepared through the
services, as they would happen on their own devices."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from landrights import clock
from landrights.accounts.models import User
from landrights.accounts.permissions import Actor
from landrights.extensions import db
from landrights.market import contracts
from landrights.market import services as market
from landrights.market.models import Listing
from tests.journeys.conftest import PHONE, SCREENSHOTS
from tests.journeys.layout import measure
from tests.market.conftest import make_bidder

pytestmark = pytest.mark.browser
HOUSEHOLD = "220421101201010001"  # the demo farmer's, contract until 2028-12-31
OFFICER = Actor(role="township_officer", name="乡镇农经站", township_code=HOUSEHOLD[:9])


@pytest.fixture(autouse=True)
def real_time():
    clock.reset()
    yield
    clock.reset()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _fits_the_phone(page, name: str) -> None:
    problems = measure(page, name).problems(PHONE["width"])
    assert not problems, "\n".join(problems)


def _parcels(session) -> list[str]:
    return session.scalars(sa.text(
        "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON c.id = cp.contract_id "
        "WHERE c.household_code = :h AND c.valid_to IS NULL ORDER BY 1"), {"h": HOUSEHOLD}).all()


def _bids_arrive(site, listing_id: int) -> None:
    """Two transferees pay their deposits at the township and bid from their own devices."""
    with site.app.app_context():
        s = db.session
        cooperative = Actor.of(s.scalar(sa.select(User).where(User.username == "transferee")))
        company = make_bidder(s, "agri_co", "company")
        coop_id = s.scalar(sa.text("SELECT id FROM transferees WHERE user_id = :u"),
                           {"u": cooperative.user_id})
        for transferee_id, receipt in ((coop_id, "收据 101"), (company.transferee_id, "收据 102")):
            market.record_deposit(s, OFFICER, listing_id=listing_id, transferee_id=transferee_id,
                                  amount_yuan=Decimal("900"), receipt=receipt)
        market.place_bid(s, company.actor, listing_id=listing_id, price=Decimal("520"))
        market.place_bid(s, cooperative, listing_id=listing_id, price=Decimal("560"))
        s.commit()


def _officer_awards(site, listing_id: int) -> None:
    """After the bidding and the members' window the township officer awards and drafts."""
    clock.travel(timedelta(days=11))
    with site.app.app_context():
        contracts.award(db.session, OFFICER, listing_id=listing_id)
        contracts.draft_contract(db.session, OFFICER, listing_id=listing_id,
                                 transferee_address="吉林省辽源市东丰县大阳镇永安村")
        db.session.commit()


def _transferee_signs_and_a_year_passes(site, listing_id: int) -> None:
    """The cooperative signs; a year on, the officer records the first rent, the second is late."""
    with site.app.app_context():
        s = db.session
        code = s.scalar(sa.text("SELECT code FROM transfer_contracts WHERE listing_id = :l"),
                        {"l": listing_id})
        cooperative = Actor.of(s.scalar(sa.select(User).where(User.username == "transferee")))
        contracts.sign_contract(s, cooperative, code=code)
        clock.travel(clock.start_of(date(2028, 2, 1)) - clock.now())
        contracts.record_rent(s, OFFICER, code=code, due_on=date(2027, 1, 1), paid_on=date(2027, 1, 8))
        s.commit()


def _open_market_page(page, name: str) -> None:
    page.get_by_role("link", name="流转交易").click()
    page.get_by_role("link", name=name).click()


def test_farmer_lists_withdraws_lists_again_sees_bids_signs_and_sees_rent(site, phone, journey):
    with site.app.app_context():
        first, second = _parcels(db.session)[:2]
    page = journey(phone, site).start("farmer")

    page.get_by_role("link", name="我的权益").click()  # my parcels and certificate
    expect(page.locator("#contract")).to_be_visible()
    page.locator(f'a[href="/parcels/{first}"]').first.click()
    page.locator("#rent-out-parcel").click()  # from the parcel page
    expect(page.locator(f'#listing-form input[value="{first}"]')).to_be_checked()
    page.fill("#term_start", "2027-01-01")
    page.fill("#term_end", "2030-12-31")  # past the contract's end
    page.fill("#reserve_price", "450")
    page.locator("#listing-form button[type=submit]").click()
    expect(page.locator("#term_end-error")).to_contain_text("2028")
    expect(page.locator("#reserve_price")).to_have_value("450")  # what was typed is kept
    expect(page.locator(f'#listing-form input[value="{first}"]')).to_be_checked()
    _shot(page, "farmer-1-list-form")
    page.fill("#term_end", "2028-12-31")
    page.locator("#listing-form button[type=submit]").click()
    expect(page.locator("#listing-status")).to_have_attribute("data-status", "open")
    expect(page.locator("#no-bids")).to_be_visible()

    page.locator("#withdraw").click()  # before the first bid, after a confirmation
    expect(page.locator("#withdraw-consequence")).to_contain_text("重新挂牌")
    page.locator("#withdraw-form button").click()
    expect(page.locator("#listing-status")).to_have_attribute("data-status", "withdrawn")

    _open_market_page(page, "我要出租")  # 流转交易 → 我要出租
    page.locator(f'#listing-form input[value="{first}"]').check()
    page.locator(f'#listing-form input[value="{second}"]').check()
    page.fill("#term_start", "2027-01-01")
    page.fill("#term_end", "2028-12-31")
    page.fill("#reserve_price", "500")
    page.locator("#listing-form button[type=submit]").click()
    expect(page.locator("#listing-status")).to_have_attribute("data-status", "open")
    listing_id = int(page.url.split("#")[0].rsplit("/", 1)[1])

    _bids_arrive(site, listing_id)
    _open_market_page(page, "我的挂牌和租金")
    page.locator(f'#my-listings tr[data-listing="{listing_id}"] a').click()
    bids = page.locator("#all-bids tbody tr")
    expect(bids).to_have_count(2)  # every bid, best first, with the bidder's name
    expect(bids.first).to_contain_text("永安农机合作社")
    expect(bids.first).to_contain_text("560")
    expect(page.locator("#bid-form")).to_have_count(0)  # no bid form on one's own listing
    expect(page.locator("#withdraw")).to_have_count(0)  # bids placed: no withdrawal
    page.locator("#all-bids").scroll_into_view_if_needed()
    _shot(page, "farmer-2-bids")
    _fits_the_phone(page, "listing (household)")

    _officer_awards(site, listing_id)
    _open_market_page(page, "我的挂牌和租金")
    page.locator(f'#my-listings tr[data-listing="{listing_id}"] a').click()
    expect(page.locator("#winner")).to_have_text("永安农机合作社")
    expect(page.locator("#award-price")).to_contain_text("560")
    expect(page.locator("#contract-state")).to_have_attribute("data-status", "draft")
    page.locator("#open-contract").click()
    page.locator("#sign-form button").click()  # the box not ticked: the browser asks for it
    expect(page.locator("#contract")).to_have_attribute("data-status", "draft")
    page.locator("#agree").check()
    page.locator("#sign-form").scroll_into_view_if_needed()
    _shot(page, "farmer-3-sign")
    page.locator("#sign-form button").click()
    expect(page.locator(".lr-flash-success")).to_contain_text("另一方签署后")
    _fits_the_phone(page, "contract (household)")

    _transferee_signs_and_a_year_passes(site, listing_id)
    _open_market_page(page, "我的挂牌和租金")
    rent = page.locator("section.lr-card").filter(has_text="永安农机合作社")
    expect(rent.locator('[data-rent="overdue"]')).to_contain_text("逾期")
    expect(rent.locator('[data-rent="overdue"]')).to_contain_text("2028年1月1日")
    expect(rent).to_contain_text("已收")
    expect(rent).not_to_contain_text("下期")
    rent.scroll_into_view_if_needed()
    _shot(page, "farmer-4-rent")
    _fits_the_phone(page, "my listings and rent")

    page.get_by_role("link", name="English").click()  # the same page in English
    expect(rent.locator('[data-rent="overdue"]')).to_contain_text("Overdue")
    expect(page.locator("#my-listings")).to_contain_text("Transfer term")


def test_the_owner_has_no_bid_form_and_sees_the_market_tasks_in_english(site, phone, journey):
    page = journey(phone, site).start("farmer")
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="Transfer market").click()
    expect(page.locator("#rent-out")).to_have_text("Rent out my land")
    page.locator("#rent-out").click()
    expect(page.locator("#listing-form legend")).to_have_text("Parcels to rent out")
    page.locator("#listing-form input[name=parcel_codes]").first.check()
    page.fill("#term_start", "2027-01-01")
    page.fill("#term_end", "2027-12-31")
    page.fill("#reserve_price", "480")
    page.locator("#listing-form button[type=submit]").click()
    expect(page.locator("#term")).to_contain_text("January 1, 2027")  # 流转期限, as people write a date
    expect(page.locator("#listing")).to_contain_text("Transfer term")
    expect(page.locator("#bid-form")).to_have_count(0)
    with site.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)
                                 .where(Listing.household_code == HOUSEHOLD)) == 1
