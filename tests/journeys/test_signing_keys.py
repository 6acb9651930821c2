"""Issue 20 §4, on a phone and not logged in: from the verification page to the county's public
signing keys by a link, a key's PEM opened, the keys file and the offline checker offered; the
page fits a 390 px screen with tap targets of 44 px."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.journeys.conftest import PHONE
from tests.journeys.layout import measure

pytestmark = pytest.mark.browser


def test_anyone_finds_the_public_keys_from_the_verification_page(phone, site, journey):
    page = journey(phone, site).start()
    page.get_by_role("link", name="证书查验").click()
    page.get_by_role("link", name="签名公钥，以及不联网核验二维码的方法").click()
    expect(page.locator("h1")).to_have_text("签名公钥")
    key = page.locator(".lr-signing-key").first
    expect(key.locator("h2")).to_contain_text("220421-")
    key.locator("summary").click()
    expect(key.locator("pre")).to_contain_text("BEGIN PUBLIC KEY")
    expect(page.get_by_role("link", name="landrights-keys.json")).to_be_visible()
    expect(page.get_by_role("link", name="verify-offline.py")).to_be_visible()
    problems = measure(page, "verify/keys").problems(PHONE["width"])
    assert not problems, "\n".join(problems)
