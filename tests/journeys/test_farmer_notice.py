"""Journey 2 (issue 19): a farmer on a phone sees on the home page that the household is on public
notice until when (China time), opens the notice, objects to one of the household's parcels
(offered by 地块名称 and area, only the household's own; a mistake is said beside its field and
what was chosen stays chosen), and after the notice has closed and the township has decided,
confirms the result. Every step by links and buttons from the home page; the officer's steps are
prepared through the services, as they happen on the officer's own computer."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from landrights import clock
from landrights.accounts.permissions import Actor
from landrights.certification import objections
from landrights.certification.models import Objection
from landrights.extensions import db
from tests.certification.helpers import FARMER_HOUSEHOLD, farmer_on_notice
from tests.journeys.conftest import PHONE, SCREENSHOTS
from tests.journeys.layout import measure

pytestmark = pytest.mark.browser
OFFICER = Actor(role="township_officer", name="乡镇农经站", township_code=FARMER_HOUSEHOLD[:9])


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


def _on_notice(site) -> tuple[int, list[str]]:
    with site.app.app_context():
        notice, codes = farmer_on_notice(db.session, OFFICER)
        db.session.commit()
        return notice.id, codes


def _township_decides_and_the_notice_closes(site) -> None:
    """The officer checks the objection and dismisses it; a week later the notice has closed."""
    with site.app.app_context():
        filed = db.session.scalar(sa.select(Objection))
        objections.dismiss_objection(db.session, OFFICER, objection_id=filed.id,
                                     reason="经实地核实，东至无误")
        db.session.commit()
    clock.travel(timedelta(days=8))


def test_a_farmer_sees_the_notice_objects_to_a_parcel_and_confirms_the_result(phone, site, journey):
    notice_id, codes = _on_notice(site)
    page = journey(phone, site).start("farmer")

    # 1. the home page says the household is on public notice, until when, in China time
    banner = page.locator("#home-notice")
    expect(banner).to_have_attribute("data-state", "on_notice")
    expect(banner).to_contain_text("您家的承包信息正在公示，公示至")
    expect(banner).to_contain_text("日 00:00")  # the end of the last day, as people write it
    expect(banner).not_to_contain_text("UTC")
    _shot(page, "farmer-notice-1-home")
    banner.get_by_role("link", name="查看公示").click()

    # 2. the notice: the collective by name, the farmer's household first, parcels as cards
    expect(page.locator("h1")).to_contain_text("永安村一组")
    mine = page.locator(f'section[data-household="{FARMER_HOUSEHOLD}"]')
    expect(mine).to_have_class("lr-card lr-card-mine")
    first_row = mine.locator(f'tr[data-parcel="{codes[0]}"]')
    for label in ("地块名称", "面积", "四至", "土地用途", "地力等级"):
        cell = first_row.locator(f'td[data-label^="{label}"]')
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], label  # not hidden off screen
    expect(first_row).to_contain_text("新修水渠")  # the resurveyed north side, readable on the phone
    expect(first_row.locator('td[data-label="土地用途"]')).not_to_have_text("1")  # a name, not a code
    expect(page.locator('a[href^="/households/"][href$="/confirm"]')).to_have_count(1)  # own only
    _fits_the_phone(page, "notice")
    _shot(page, "farmer-notice-2-notice")

    # 3. object to one of the household's parcels: offered by name and area, own ones only
    page.locator("#mine-on-notice").get_by_role("link", name="提出异议").click()
    subject = page.locator("#subject")
    own = subject.locator(f'optgroup option[value^="{FARMER_HOUSEHOLD}/"]')
    expect(own).to_have_count(len(codes))
    label = own.nth(1).inner_text()
    assert "亩" in label and codes[1] not in label  # 地块名称 and area, not the code
    assert subject.input_value() == ""  # no household chosen for the farmer
    subject.select_option(label=label)
    page.get_by_role("button", name="提交异议").click()  # nothing said yet: refused beside its field
    expect(page.locator("#text-error")).to_contain_text("请说明哪里有误")
    assert page.locator("#subject").input_value() == f"{FARMER_HOUSEHOLD}/{codes[1]}"  # still chosen
    page.fill("#text", "东至应为李家地，不是道路")
    _shot(page, "farmer-notice-3-objection")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator("h1")).to_contain_text("号异议")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "open")
    expect(page.locator(".lr-facts")).to_contain_text(label.split(" · ")[0])

    # 4. later: the township decided, the notice closed; the home page asks to confirm
    _township_decides_and_the_notice_closes(site)
    page.locator(".lr-title").click()
    banner = page.locator("#home-notice")
    expect(banner).to_have_attribute("data-state", "to_confirm")
    banner.get_by_role("link", name="确认结果").click()
    table = page.locator("#confirmable")
    expect(table).to_contain_text(codes[0])  # the resurveyed parcel, by its name and code
    expect(table.locator('td[data-label="四至"]').first).to_contain_text("新修水渠")
    _fits_the_phone(page, "confirm")
    _shot(page, "farmer-notice-4-confirm")
    page.get_by_role("button", name="我确认").click()
    expect(page.locator(".lr-flash-success")).to_contain_text("已")
    with site.app.app_context():
        version = db.session.scalar(sa.text("SELECT max(version) FROM contracts WHERE household_code = :h"),
                                    {"h": FARMER_HOUSEHOLD})
    assert version == 2  # the contract was recorded anew with the confirmed parcel


def test_the_notice_reads_in_english_too(phone, site, journey):
    notice_id, _codes = _on_notice(site)
    page = journey(phone, site).start("farmer")
    page.get_by_role("link", name="English").click()
    banner = page.locator("#home-notice")
    expect(banner).to_contain_text("Your household is on public notice until")
    banner.get_by_role("link", name="See the public notice").click()
    expect(page.locator("h1")).to_contain_text("Public notice")
    expect(page.locator("#objection-form label[for=subject]")).to_contain_text("What is wrong")
    expect(page.locator("main")).not_to_contain_text("UTC")
