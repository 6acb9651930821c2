"""An agent rents out a household's land under its written entrustment (R2.4; the gap issue 19 left),
on a 390 x 844 phone, by clicks alone: the migrant's household entrusted the relative (the demo
farmer's account), who accepted; from the home page's "land entrusted to you" the relative opens the
parcels the entrustment covers, taps "rent out this parcel", fills the household's own listing form
(a rent below the entrustment's lowest is said beside the price, what was typed kept) and lists; the
listing says the relative listed it for the household. The household then revokes the entrustment:
the relative's next listing is refused plainly, and the home page no longer offers the land."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from landrights import clock
from landrights.extensions import db
from landrights.market import entrustment_queries, entrustments
from landrights.market.models import Entrustment
from tests.journeys.conftest import PHONE, SCREENSHOTS
from tests.journeys.layout import measure
from tests.market.conftest import farmer_of

pytestmark = pytest.mark.browser
MIGRANT = "220421101201020006"  # 赵振华's household


def _shot(page, name: str) -> None:
    """Check the page fits the phone (no sideways scroll, 44 px targets, AA contrast), then save it."""
    problems = measure(page, name).problems(PHONE["width"])
    assert not problems, "\n".join(problems)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _entrusted(site) -> tuple[int, str]:
    """The household entrusts the relative with listing and signing for all its parcels; he
    accepted it on his phone (test_migrant.py). Return its number and the free parcel's name."""
    from landrights.accounts.models import User
    from landrights.accounts.permissions import Actor

    with site.app.app_context():
        s = db.session
        parcels = entrustment_queries.entrust_form(s, farmer_of(MIGRANT), MIGRANT)["parcels"]
        made = entrustments.create_entrustment(
            s, farmer_of(MIGRANT), household_code=MIGRANT, agent_username="farmer",
            parcel_codes=[p["code"] for p in parcels], acts=["list", "sign"], valid_from=clock.today(),
            valid_to=date(2027, 12, 31), transfer_until=date(2028, 12, 31), min_price=Decimal("480"),
            scope="代我出租土地，租金每亩每年不低于480元")
        relative = Actor.of(s.query(User).filter_by(username="farmer").one())
        entrustments.accept_entrustment(s, relative, entrustment_id=made.id)
        s.commit()
        return made.id, next(p["name"] for p in parcels if not p["leased_until"])


def _revoke(site, entrustment_id: int) -> None:
    with site.app.app_context():
        entrustments.revoke_entrustment(db.session, farmer_of(MIGRANT), entrustment_id=entrustment_id,
                                        reason="我自己回来办")
        db.session.commit()
        assert db.session.get(Entrustment, entrustment_id).revoked_at is not None


def test_the_relative_lists_the_migrants_land_and_is_refused_once_revoked(site, phone, journey):
    entrustment_id, free = _entrusted(site)
    page = journey(phone, site).start("farmer")
    expect(page.locator("#entrusted-to-me")).to_contain_text("赵振华")
    page.locator("#entrusted-to-me a[data-act=list]").click()
    expect(page.locator("h1")).to_contain_text("代赵振华户出租土地")
    expect(page.locator("#entrusted-authority")).to_contain_text("480")
    expect(page.locator("#entrusted-parcels li")).to_have_count(3)  # all it covers, leased ones said
    expect(page.locator("#entrusted-parcels")).to_contain_text("已出租至")
    page.locator("#entrusted-parcels li", has_text=free).get_by_role("link", name="出租这块地").click()
    expect(page.locator("#listing-form input[name=parcel_codes]:checked")).to_have_count(1)
    page.fill("#term_start", "2027-03-01")
    page.fill("#term_end", "2028-12-31")
    page.fill("#reserve_price", "450")  # below the lowest rent the household allows
    page.locator("#listing-form button[type=submit]").click()
    expect(page.locator("#reserve_price-error")).to_contain_text("480")
    expect(page.locator("#reserve_price")).to_have_value("450")  # what was typed is kept
    expect(page.locator("#term_start")).to_have_value("2027-03-01")
    _shot(page, "agent-1-list-form")
    page.fill("#reserve_price", "500")
    page.locator("#listing-form button[type=submit]").click()

    expect(page.locator("#listing-status")).to_have_attribute("data-status", "open")
    expect(page.locator("#listed-by")).to_contain_text("受赵振华户书面委托代为挂牌")
    expect(page.locator("#deposit-required")).to_contain_text("元")
    expect(page.locator("#no-bids")).to_be_visible()  # the agent sees every bid, and bids none
    expect(page.locator("#bid-form")).to_have_count(0)
    _shot(page, "agent-2-listing")

    page.get_by_role("link", name="农村土地承包经营权登记").first.click()  # the header's home link
    page.locator("#entrusted-to-me a[data-act=list]").click()
    expect(page.locator("#agent-listings li")).to_have_count(1)  # what it listed for the household
    expect(page.locator("#entrusted-parcels li", has_text=free)).to_contain_text("挂牌中")

    _revoke(site, entrustment_id)  # meanwhile the household revokes it
    page.locator("#listing-form input[name=parcel_codes]").first.check()
    page.fill("#term_start", "2029-01-01")
    page.fill("#term_end", "2030-12-31")
    page.fill("#reserve_price", "500")
    page.locator("#listing-form button[type=submit]").click()
    expect(page.locator("#entrusted-refusal")).to_have_attribute("data-reason", "revoked")
    expect(page.locator("#entrusted-refusal")).to_contain_text("已被撤销")
    expect(page.locator("#listing-form")).to_have_count(0)
    _shot(page, "agent-3-revoked")
    page.get_by_role("link", name="返回首页").click()
    expect(page.locator("#entrusted-to-me")).to_have_count(0)
