"""Journey 4 (issue 19): a transferee on a phone finds land on the market's map and in its list by
the township's *name*, sees the deposit the listing requires (the amount and how to pay it) and no
bid form until the township records the deposit, bids (an impossible price is said beside the
field, what was typed kept), sees "you are the highest bidder", is outbid and sees it on its bids
page and the listing, and bids again. Every step by links and buttons from the home page; the
farmer's listing, the officer's deposit and the rival's bid are prepared through the services."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from landrights import clock
from landrights.accounts.permissions import Actor
from landrights.extensions import db
from landrights.market import services as market
from landrights.market.pages import deposit_required
from tests.journeys.conftest import PHONE, SCREENSHOTS
from tests.journeys.layout import measure
from tests.market.conftest import make_bidder, parcels_of

pytestmark = pytest.mark.browser
HOUSEHOLD = "220421101201010001"
FARMER = Actor(role="farmer", name="杨春林", household_code=HOUSEHOLD)
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


def _farmer_lists(site) -> tuple[int, str]:
    with site.app.app_context():
        listing = market.create_listing(
            db.session, FARMER, household_code=HOUSEHOLD, parcel_codes=parcels_of(db.session, HOUSEHOLD)[:2],
            mode="lease", term_start=date(2027, 1, 1), term_end=date(2028, 12, 31),
            reserve_price=Decimal("500"), payment_schedule="每年1月15日前付清当年租金", land_use="grain")
        amount = deposit_required(db.session, listing)
        db.session.commit()
        return listing.id, f"{amount}"


def _deposit_recorded(site, listing_id: int, username: str = "transferee") -> None:
    from sqlalchemy import text

    with site.app.app_context():
        transferee = db.session.scalar(text("SELECT t.id FROM transferees t JOIN users u ON u.id = t.user_id "
                                            "WHERE u.username = :u"), {"u": username})
        market.record_deposit(db.session, OFFICER, listing_id=listing_id, transferee_id=transferee,
                              amount_yuan=Decimal("850"), receipt="收据 2026-088")
        db.session.commit()


def _rival_bids(site, listing_id: int, price: str) -> None:
    with site.app.app_context():
        rival = make_bidder(db.session, "agri_co", "company")
        market.record_deposit(db.session, OFFICER, listing_id=listing_id, transferee_id=rival.transferee_id,
                              amount_yuan=Decimal("850"), receipt="收据 2026-089")
        market.place_bid(db.session, rival.actor, listing_id=listing_id, price=Decimal(price))
        db.session.commit()


def _to_listing(page, listing_id: int) -> None:
    page.get_by_role("link", name="流转交易").click()
    page.locator(f'#listings tr[data-listing="{listing_id}"] a').click()


def test_transferee_finds_land_by_township_name_pays_the_deposit_bids_and_is_outbid(site, phone, journey):
    listing_id, amount = _farmer_lists(site)
    page = journey(phone, site).start("transferee")

    page.get_by_role("link", name="流转交易").click()
    page.locator(".lr-filter-box summary").click()
    page.select_option("#township", label="大阳镇")  # by its name, from the county's townships
    page.locator("#market-filter button[type=submit]").click()
    row = page.locator(f'#listings tr[data-listing="{listing_id}"]')
    expect(row).to_contain_text("大阳镇")
    for key in ("面积 (亩)", "流转期限", "最高价 / 底价", "竞价截止"):  # key columns, on the phone's card
        cell = row.locator(f'td[data-label="{key}"]')
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], key  # on screen, no swiping
    expect(page.locator("#market-map-legend")).to_be_visible()
    _fits_the_phone(page, "market")

    parcel = page.locator("#market-map path.lr-listing-parcel").first  # or on the map
    expect(parcel).to_be_visible(timeout=15_000)
    parcel.click(force=True)
    page.locator(".leaflet-popup-content a").click()
    expect(page.locator("h1")).to_contain_text(f"挂牌 {listing_id} 号")
    expect(page.locator("#deposit")).to_have_attribute("data-deposit", "none")
    expect(page.locator("#deposit")).to_contain_text(f"{amount} 元")
    expect(page.locator("#how-to-pay")).to_contain_text("大阳镇农村经营管理站")
    expect(page.locator("#how-to-pay")).to_contain_text(f"挂牌编号 {listing_id}")
    expect(page.locator("#bid-form")).to_have_count(0)  # no bid before the deposit is recorded
    page.locator("#deposit").scroll_into_view_if_needed()
    _shot(page, "transferee-1-deposit")

    _deposit_recorded(site, listing_id)
    _to_listing(page, listing_id)
    expect(page.locator("#deposit")).to_have_attribute("data-deposit", "held")
    page.fill("#price", "99999999999")
    page.locator("#bid-form button[type=submit]").click()
    expect(page.locator("#price-error")).to_contain_text("100000")
    expect(page.locator("#price")).to_have_value("99999999999")  # kept, to correct it
    expect(page.locator("body")).not_to_contain_text("22003")
    page.fill("#price", "560")
    page.locator("#bid-form button[type=submit]").click()
    expect(page.locator("#standing")).to_have_attribute("data-standing", "highest")
    expect(page.locator("#standing")).to_contain_text("您目前出价最高")
    _shot(page, "transferee-2-highest")
    _fits_the_phone(page, "listing (bidder)")

    _rival_bids(site, listing_id, "600")
    page.get_by_role("link", name="流转交易").click()
    page.get_by_role("link", name="我的出价").click()
    mine = page.locator(f'#bids tr[data-listing="{listing_id}"]')
    expect(mine).to_have_attribute("data-standing", "outbid")
    expect(mine).to_contain_text("已被超过")
    expect(mine).not_to_contain_text("agri_co")  # another bidder's name is not shown to bidders
    mine.locator("a").click()
    expect(page.locator("#standing")).to_have_attribute("data-standing", "outbid")
    expect(page.locator("#standing")).to_contain_text("600")
    page.fill("#price", "620")
    page.locator("#bid-form button[type=submit]").click()
    expect(page.locator("#standing")).to_have_attribute("data-standing", "highest")

    page.get_by_role("link", name="English").click()  # the key page in English
    expect(page.locator("#standing")).to_contain_text("You are the highest bidder")
    expect(page.locator("#deposit")).to_contain_text("Your deposit of 850.00 yuan is recorded")


def test_the_market_filter_in_english_offers_township_names(site, phone, journey):
    listing_id, amount = _farmer_lists(site)
    page = journey(phone, site).start("transferee")
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="Transfer market").click()
    page.locator(".lr-filter-box summary").click()
    expect(page.locator("#township option").filter(has_text="大阳镇")).to_have_count(1)
    page.select_option("#township", label="大阳镇")
    page.locator("#market-filter button[type=submit]").click()
    page.locator(f'#listings tr[data-listing="{listing_id}"] a').click()
    expect(page.locator("#deposit")).to_contain_text(f"first pay a deposit of {amount} yuan")
    expect(page.locator("#how-to-pay li")).to_have_count(3)
