"""Journey 6 (issue 19): the county administrator at a desk finds a household, issues its
certificate, cancels it (the page first says what cancelling does; a missing reason is said
beside its field, what was typed kept), and issues a new one with the reason. At each step only
the acts that apply are offered, each a distinct, labelled button. By links and buttons alone."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from landrights.extensions import db
from tests.certification.helpers import FARMER_HOUSEHOLD
from tests.journeys.conftest import DESK, PHONE, SCREENSHOTS
from tests.journeys.layout import measure

pytestmark = pytest.mark.browser
CONTRACT = FARMER_HOUSEHOLD + "J"


def _acts(page) -> list[str]:
    return page.locator("#certificate-actions [data-act]").evaluate_all(
        "els => els.map(e => e.dataset.act)")


def _phone_shot(page, name: str) -> None:
    """Save the page as a phone shows it (the screenshots of the README are phone-sized)."""
    page.set_viewport_size(PHONE)
    problems = measure(page, name).problems(PHONE["width"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size(DESK)
    assert not problems, "\n".join(problems)


def _statuses(site) -> list[tuple[int, str]]:
    with site.app.app_context():
        return [tuple(r) for r in db.session.execute(sa.text(
            "SELECT serial, status FROM certificates WHERE code = :c ORDER BY serial"), {"c": CONTRACT})]


def test_the_county_issues_cancels_and_issues_anew_with_a_reason(desk, site, journey):
    page = journey(desk, site).start("county")
    page.get_by_role("link", name="承包方").first.click()
    page.fill("#q", "杨春林")
    page.get_by_role("button", name="查找").click()
    page.locator(f'tr[data-code="{FARMER_HOUSEHOLD}"] a').first.click()
    page.get_by_role("link", name="证书", exact=True).click()

    # no certificate yet: 颁发 is the one act offered
    expect(page.locator("#no-certificate")).to_be_visible()
    assert _acts(page) == ["issue"]
    page.get_by_role("link", name="颁发证书").click()
    expect(page.locator("#consequence")).to_contain_text(CONTRACT)
    page.get_by_role("button", name="确认颁发").click()
    expect(page.locator(".lr-flash-success")).to_contain_text("证书已颁发")
    assert _statuses(site) == [(1, "valid")]

    # in force: 补发, 换发 and 注销, each its own button; 注销 asks first, naming what follows
    assert _acts(page) == ["reissue", "replace", "cancel"]
    labels = [page.locator(f'[data-act="{a}"]').inner_text() for a in ("reissue", "replace", "cancel")]
    assert len(set(labels)) == 3 and all(labels)
    assert "lr-button-danger" in page.locator('[data-act="cancel"]').get_attribute("class")
    printed_no = page.locator('tr[data-serial="1"] td[data-label="印制编号"]').inner_text().strip()
    page.locator('[data-act="cancel"]').click()
    consequence = page.locator("#consequence")
    expect(consequence).to_contain_text(printed_no)
    expect(consequence).to_contain_text("立即注销")
    assert _statuses(site) == [(1, "valid")]  # asking did nothing
    page.fill("#document", "退地决定 第2号")
    page.get_by_role("button", name="确认注销").click()  # no reason: said beside the field
    expect(page.locator("#reason-error")).to_be_visible()
    expect(page.locator("#document")).to_have_value("退地决定 第2号")
    _phone_shot(page, "county-certificate-1-cancel")
    page.fill("#reason", "登记错误，先行注销")
    page.get_by_role("button", name="确认注销").click()
    expect(page.locator(".lr-flash-success")).to_contain_text("证书已注销")
    assert _statuses(site) == [(1, "cancelled")]

    # every certificate cancelled: the household can get a certificate again, with a reason
    assert _acts(page) == ["issue"]
    page.get_by_role("link", name="重新颁发证书").click()
    expect(page.locator("#consequence")).to_contain_text(printed_no)
    page.fill("#reason", "更正登记后重新颁发")
    page.fill("#document", "县农业农村局决定 第5号")
    _phone_shot(page, "county-certificate-2-anew")
    page.get_by_role("button", name="确认颁发").click()
    expect(page.locator(".lr-flash-success")).to_contain_text("证书已颁发")
    assert _statuses(site) == [(1, "cancelled"), (2, "valid")]
    expect(page.locator('tr[data-serial="2"]')).to_contain_text("更正登记后重新颁发")
    assert _acts(page) == ["reissue", "replace", "cancel"]
    _phone_shot(page, "county-certificate-3-list")


def test_the_certificate_page_reads_in_english(desk, site, journey):
    page = journey(desk, site).start("county")
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="Households").first.click()
    page.locator(f'tr[data-code="{FARMER_HOUSEHOLD}"] a').first.click()
    page.get_by_role("link", name="Certificates", exact=True).click()
    expect(page.get_by_role("link", name="Issue the certificate")).to_be_visible()
    page.get_by_role("link", name="Issue the certificate").click()
    expect(page.get_by_role("button", name="Yes, issue it")).to_be_visible()
    expect(page.get_by_role("link", name="No, go back")).to_be_visible()
