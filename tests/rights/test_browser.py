"""The migrant checks the retained rights on a phone: every section readable without zooming."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.test_browser import PHONE, browser, live_server, login, phone  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_migrant_sees_every_right_on_a_phone(phone, live_server):  # noqa: F811
    login(phone, live_server, "migrant")
    phone.get_by_role("link", name="我的权益").click()
    for section in ("#contract", "#homestead", "#shares", "#dividends", "#members"):
        expect(phone.locator(section)).to_be_visible()
    expect(phone.locator("#members")).to_contain_text("落户")
    expect(phone.locator(".lr-flash-info")).to_contain_text("进城落户不会失去这些权益")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1  # nothing wider than the phone
    button = phone.get_by_role("button", name="下载可核验的权益证明（PDF）")
    expect(button).to_be_visible()
