"""Journey 7 (issue 19): anyone, on a phone and not logged in, checks a paper certificate: from the
home page to the verification page by a link, the code printed under the QR code typed into the
box (as a person types it: lower case, spaces), and the verdict; a mistyped code gets the same
"not verified" as any other. Scanning is the phone's own: the camera or WeChat's Scan opens the
QR's URL, which is the verification page itself (tests/certification/test_web_path.py scans it)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from landrights.accounts.permissions import Actor
from landrights.certification import certificates
from landrights.extensions import db
from tests.certification.helpers import FARMER_HOUSEHOLD
from tests.journeys.conftest import PHONE, SCREENSHOTS
from tests.journeys.layout import measure

pytestmark = pytest.mark.browser
COUNTY = Actor(role="county_admin", name="县农业农村局", county_code=FARMER_HOUSEHOLD[:6])


def _issued(site) -> tuple[str, str]:
    """The county issued the farmer's certificate; return its printed number and the code printed
    under its QR code."""
    with site.app.app_context():
        cert = certificates.issue_certificate(db.session, COUNTY, code=FARMER_HOUSEHOLD + "J")
        db.session.commit()
        return cert.printed_no, certificates.verification_code(
            site.app.config["CERTIFICATE_KEY"].encode(), cert)


def test_anyone_types_the_code_under_the_qr_and_sees_the_verdict(phone, site, journey):
    printed_no, code = _issued(site)
    page = journey(phone, site).start()
    page.get_by_role("link", name="证书查验").click()
    expect(page.locator("#scan-help")).to_contain_text("扫一扫")
    box = page.locator("#code")
    assert box.bounding_box()["height"] >= 44
    box.fill(code.lower().replace("-", " "))  # as typed from the paper: case and spacing do not matter
    page.get_by_role("button", name="核验").click()
    verdict = page.locator("[data-state]")
    expect(verdict).to_have_attribute("data-state", "valid")
    expect(page.locator(".lr-facts")).to_contain_text(printed_no)
    expect(page.locator(".lr-facts")).to_contain_text("杨**")  # the holder masked, nothing more
    problems = measure(page, "verify").problems(PHONE["width"])
    assert not problems, "\n".join(problems)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "verify-1-valid.png"))

    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")  # one character mistyped
    page.fill("#code", wrong)
    page.get_by_role("button", name="核验").click()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "unverified")
    expect(page.locator("main")).not_to_contain_text(printed_no)
    page.fill("#code", "随便写的")
    page.get_by_role("button", name="核验").click()
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "unverified")
    expect(page.locator("#code")).to_have_value("随便写的")  # what was typed stays in the box


def test_the_box_reads_in_english(phone, site, journey):
    _printed_no, code = _issued(site)
    page = journey(phone, site).start()
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="Verify a certificate").click()
    page.fill("#code", code)
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("[data-state]")).to_contain_text("Valid")
    with site.app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM certificates")) >= 1
