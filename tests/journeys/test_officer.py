"""Journey 5 (issue 19): the township officer at a desk (1366 x 768) finds a household by name,
records a bidder's deposit by choosing the transferee from a search (no number to know), awards the
listing once the members' window has closed, drafts and files the contract from the scan of the
paper both parties signed, and records a rent payment received. Every step by links and buttons."""
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
from landrights.market import services as market
from landrights.market.models import Transferee
from tests.journeys.conftest import SCREENSHOTS
from tests.market.conftest import HOUSEHOLD, farmer_of, parcels_of

HEAD = "杨春林"  # the head of the demo farmer's household
COOPERATIVE = "永安农机合作社"  # the demo transferee, approved by the county

pytestmark = pytest.mark.browser


@pytest.fixture
def listed(site):
    """An open listing of two parcels of the demo farmer's household; the clock put back after."""
    with site.app.app_context():
        listing = market.create_listing(
            db.session, farmer_of(HOUSEHOLD), household_code=HOUSEHOLD,
            parcel_codes=parcels_of(db.session, HOUSEHOLD)[:2], mode="lease", term_start=date(2027, 3, 1),
            term_end=date(2028, 12, 31), reserve_price=Decimal("450"),
            payment_schedule="每年3月1日前付清当年租金", land_use="grain")
        db.session.commit()
        yield listing.id
    clock.reset()


def _bid_and_close(site, listing_id: int) -> None:
    """The cooperative bids (its deposit recorded); then the bidding and the members' window close."""
    with site.app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "transferee"))
        market.place_bid(db.session, Actor.of(user), listing_id=listing_id, price=Decimal("520"))
        db.session.commit()
    clock.travel(timedelta(days=11))


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_officer_records_deposit_awards_files_and_records_rent(site, desk, journey, listed):
    page = journey(desk, site).start("officer")
    page.get_by_role("link", name="承包方").click()
    page.fill("#q", HEAD)
    page.locator("#household-search button").click()
    expect(page.locator("#households tbody tr")).to_have_count(1)
    expect(page.locator("#households [data-status]")).to_have_attribute("data-status", "confirmed")
    _shot(page, "officer-1-households")
    page.get_by_role("link", name=HEAD).click()
    page.locator(f'#household-listings tr[data-listing="{listed}"] a').first.click()
    expect(page.locator("h1")).to_contain_text("乡镇办理")

    page.fill("#q", "永安")
    page.locator("#transferee-search button").click()
    page.fill("#amount_yuan", "2000")
    page.fill("#receipt", "收据 2026-118")
    page.locator("#deposit-form button[value=deposit]").click()  # no transferee chosen yet
    expect(page.locator("#transferee_id-error")).to_be_visible()
    expect(page.locator("#receipt")).to_have_value("收据 2026-118")
    expect(page.locator("body")).not_to_contain_text("Key (")
    page.locator("#deposit-form label", has_text=COOPERATIVE).locator("input").check()
    expect(page.locator("#amount_yuan-hint")).to_contain_text("770")  # 16.99 mu x 450 x 10 %, up to 10 yuan
    page.fill("#amount_yuan", "500")  # less than the listing requires (R8.4 (4))
    page.locator("#deposit-form button[value=deposit]").click()
    expect(page.locator("#amount_yuan-error")).to_contain_text("770")
    expect(page.locator("#amount_yuan")).to_have_value("500")  # what was typed is kept
    expect(page.locator("#deposit-form label", has_text=COOPERATIVE).locator("input")).to_be_checked()
    page.fill("#amount_yuan", "2000")
    _shot(page, "officer-2-deposit")
    page.locator("#deposit-form button[value=deposit]").click()
    expect(page.locator("#deposits")).to_contain_text(COOPERATIVE)

    _bid_and_close(site, listed)
    page.get_by_role("link", name="公开的挂牌页面").click()
    page.locator("#officer-desk a").click()
    expect(page.locator("#bids")).to_contain_text("520")
    page.locator("#award-form button").click()
    expect(page.locator("#winner")).to_contain_text(COOPERATIVE)
    page.fill("#transferee_address", "吉林省辽源市东丰县大阳镇永安村")
    page.locator("#contract-form button").click()
    page.locator("#contract-link").click()
    expect(page.locator("#contract")).to_have_attribute("data-status", "draft")

    paper = {"name": "流转合同（双方签字）.pdf", "mimeType": "application/pdf",
             "buffer": b"%PDF-1.4\n% signed by both parties\n"}
    page.locator("#scan").set_input_files(files=[paper])
    page.locator("#scan-form button").click()
    expect(page.locator("#contract")).to_have_attribute("data-status", "filed")
    page.locator("#rent-link").click()
    first = page.locator("#rent tbody tr").first
    expect(first).to_have_attribute("data-state", "due")
    amount = first.locator("td").nth(1).inner_text()  # a year's rent of the two parcels at 520 a mu
    first.locator("button").click()
    expect(page.locator("#rent tbody tr").first).to_have_attribute("data-state", "paid")
    expect(page.locator("#received")).to_contain_text(amount)
    _shot(page, "officer-3-rent")


def test_the_household_search_in_english(site, desk, journey):
    page = journey(desk, site).start("officer")
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="Households").click()
    expect(page.locator("label[for=q]")).to_contain_text("Find a household")
    page.fill("#q", "220421196101240233")  # the head's ID number
    page.locator("#household-search button").click()
    expect(page.locator("#households tbody tr")).to_have_count(1)
    expect(page.locator("#households")).to_contain_text("confirmed, no certificate yet")


def test_the_transferee_number_is_never_asked(site, desk, journey, listed):
    page = journey(desk, site).start("officer")
    page.get_by_role("link", name="流转交易").click()
    page.locator(f'a[href="/market/{listed}"]').first.click()
    expect(page.locator("#officer-desk")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("受让方编号")
    with site.app.app_context():  # the cooperative is found by its name, never by its number
        number = db.session.scalar(sa.select(Transferee.id).where(Transferee.name == COOPERATIVE))
    page.locator("#officer-desk a").click()
    page.fill("#q", str(number))
    page.locator("#transferee-search button").click()
    expect(page.locator("#no-transferee")).to_be_visible()
