"""Journey 3 (issue 19): a migrant who settled in town, on a phone, sees every right his household
still holds, downloads the verifiable statement, entrusts a relative to rent out two parcels (the
relative accepts it on his own home page, on his own phone), and later revokes it after a
confirmation. Every step by links and buttons from the home page; R2.4 (流转委托书)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.journeys.conftest import PHONE, SCREENSHOTS, _context
from tests.journeys.layout import measure

PARCELS = ("后大排7", "亩")  # the form names parcels by 地块名称 and area

pytestmark = pytest.mark.browser


@pytest.fixture
def relative(chromium):
    """The relative's own phone: another browser, another login."""
    context = _context(chromium, PHONE, mobile=True, locale="zh-CN")
    yield context.new_page()
    context.close()


def _shot(page, name: str) -> None:
    """Save the phone's screen, after checking the page fits it: no sideways scroll, targets of
    44 x 44 px, AA contrast (tests/journeys/layout.py)."""
    problems = measure(page, name).problems(PHONE["width"])
    assert not problems, "\n".join(problems)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_migrant_entrusts_a_relative_and_revokes(site, phone, relative, journey):
    page = journey(phone, site).start("migrant")
    page.get_by_role("link", name="我的权益").click()
    expect(page.locator("h1")).to_contain_text("赵振华")
    for held in ("#members", "#contract", "#homestead", "#shares", "#transfers"):
        expect(page.locator(held)).to_be_visible()
    _shot(page, "migrant-1-rights")

    with page.expect_download() as statement:
        page.locator("#statement-form button").click()
    assert statement.value.suggested_filename.endswith(".pdf")

    page.locator("#entrust-link").click()
    expect(page.locator("h1")).to_contain_text("委托他人代为出租")
    expect(page.locator("#parcel-choice")).to_contain_text(PARCELS[0])
    expect(page.locator("#parcel-choice")).to_contain_text(PARCELS[1])
    page.locator("#agent-other").check()
    page.fill("#agent_username", "farmer")
    free = page.locator("#parcel-choice label").filter(has_not_text="已出租至")
    expect(free).to_have_count(1)  # two of its three parcels are leased to the cooperative till 2028
    free.first.locator("input").check()
    page.locator("#act-choice input[value=sign]").check()
    page.locator("#entrust-form button[type=submit]").click()  # the lowest rent forgotten
    expect(page.locator("#min_price-error")).to_be_visible()
    expect(page.locator("#agent_username")).to_have_value("farmer")  # what was typed is kept
    expect(page.locator("#parcel-choice input:checked")).to_have_count(1)
    page.fill("#min_price", "480")
    _shot(page, "migrant-2-entrust")
    page.locator("#entrust-form button[type=submit]").click()
    expect(page.locator("#entrustment-status")).to_have_attribute("data-status", "awaiting_agent")

    agent = journey(relative, site).start("farmer")
    expect(agent.locator("#entrusted-to-me")).to_contain_text("赵振华")
    agent.locator("#entrusted-to-me a.lr-button").first.click()
    expect(agent.locator("#entrustment")).to_contain_text("480")
    _shot(agent, "migrant-3-agent-accepts")
    agent.locator("#accept-form button").click()
    expect(agent.locator("#entrustment-status")).to_have_attribute("data-status", "in_force")

    page.get_by_role("link", name="我的权益").click()
    page.locator("#entrustment-list a").first.click()
    expect(page.locator("#entrustment-status")).to_have_attribute("data-status", "in_force")
    page.locator("#revoke-link").click()
    expect(page.locator("#consequence")).to_contain_text("已经签订的合同继续有效")
    page.locator("#revoke-form button").click()  # no reason given: asked beside the field
    expect(page.locator("#reason-error")).to_be_visible()
    page.fill("#reason", "我自己回来办")
    _shot(page, "migrant-4-revoke")
    page.locator("#revoke-form button").click()
    expect(page.locator("#entrustment-status")).to_have_attribute("data-status", "revoked")

    agent.get_by_role("link", name="返回首页").click()
    expect(agent.locator("#entrusted-to-me")).to_have_count(0)  # nothing left to act on


def test_the_entrustment_pages_in_english(site, phone, journey):
    page = journey(phone, site).start("migrant")
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="My rights").click()
    expect(page.locator("#entrustments")).to_have_text("Entrusting someone to rent out the land")
    page.locator("#entrust-link").click()
    expect(page.locator("#agent-choice legend")).to_have_text("Who acts for you")
    expect(page.locator("#act-choice")).to_contain_text("sign the transfer contract for the household")
    box = page.locator("#act-choice label").first.bounding_box()
    assert box["height"] >= 44  # a tap target a thumb hits
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
