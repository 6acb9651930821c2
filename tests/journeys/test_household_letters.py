"""Issue 20 §1 in the browser: the township officer at a desk gives the households of a collective
their accounts by clicks (one PDF of activation letters); a household then activates its account
with the letter's code on a 390 x 844 phone, by clicks from the home page: a refused password is
shown beside its field with what was typed kept, and the first login works."""
from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import expect

from tests.journeys.conftest import PHONE, SCREENSHOTS
from tests.journeys.layout import measure

pytestmark = pytest.mark.browser
GROUP_01 = "22042110120101"
PASSWORD = "corn grows east of the well"


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _first_letter(path) -> tuple[str, str]:
    """Read the first page of the letters back: (user name, code as printed)."""
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    return (re.search(r"用户名\s+(\d{18})", text).group(1),
            re.search(r"激活码\s+(\d{4} \d{4} \d{4})", text).group(1))


def test_an_officer_issues_letters_and_a_household_activates_on_its_phone(site, desk, phone, journey,
                                                                          tmp_path):
    page = journey(desk, site).start("officer")
    page.get_by_role("link", name="农户账户").click()
    page.locator(f'#collectives tr[data-code="{GROUP_01}"] a').click()
    expect(page.locator("h1")).to_contain_text(GROUP_01)
    expect(page.locator('#household-accounts tr[data-state="none"]')).to_have_count(14)
    with page.expect_download() as download:
        page.locator("#issue-form button").click()
    letters = tmp_path / "letters.pdf"
    download.value.save_as(letters)
    assert download.value.suggested_filename.endswith(".pdf")
    household, code = _first_letter(letters)
    page.get_by_role("link", name="农户账户").click()  # the page again, by its link: letters out
    page.locator(f'#collectives tr[data-code="{GROUP_01}"] a').click()
    expect(page.locator(f'#household-accounts tr[data-code="{household}"]')).to_have_attribute(
        "data-state", "awaiting")
    expect(page.locator('#household-accounts tr[data-state="none"]')).to_have_count(0)
    _shot(page, "letters-1-officer")

    farmer = journey(phone, site).start()  # the household's phone: the home page asks to log in
    farmer.locator("#activate-link a").click()
    expect(farmer.locator("h1")).to_contain_text("激活账户")
    farmer.fill("#username", household)
    farmer.fill("#code", code)
    farmer.fill("#password", "1234567890")
    farmer.fill("#confirm", "1234567890")
    farmer.fill("#phone", "139 0000 7165")
    farmer.locator("#activate-form button[type=submit]").click()
    expect(farmer.locator("#password-error")).to_be_visible()  # beside its field, in plain words
    expect(farmer.locator("#code")).to_have_value(code)  # what was typed is kept
    expect(farmer.locator("#phone")).to_have_value("139 0000 7165")
    problems = measure(farmer, "/activate").problems(PHONE["width"])
    assert not problems, "\n".join(problems)
    _shot(farmer, "letters-2-activate-phone")
    farmer.fill("#password", PASSWORD)
    farmer.fill("#confirm", PASSWORD)
    farmer.locator("#activate-form button[type=submit]").click()
    expect(farmer.locator("#username")).to_have_value(household)  # the login page, name filled in
    expect(farmer.locator("body")).to_contain_text("账户已激活")
    farmer.fill("#password", PASSWORD)
    farmer.click("button[type=submit]")
    expect(farmer.locator(".lr-user")).to_be_visible()
    farmer.locator(".lr-user").click()  # and changing the password later is one click away
    expect(farmer.locator("h1")).to_contain_text("修改密码")
