"""The county administrator, on a phone, checks the register (issue 20 §3): from the home page by
the header's 防篡改核验 link to the page of the last verification and the signed daily heads; a
record a rogue administrator changed with SQL is named there in plain Chinese, with China time;
the page fits a 390 px screen with its 64-character fingerprints."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from landrights.accounts.permissions import SYSTEM
from landrights.audit import services
from landrights.extensions import db
from tests.journeys.conftest import PHONE, SCREENSHOTS
from tests.journeys.layout import measure

pytestmark = pytest.mark.browser


def _signed_then_tampered(site) -> str:
    """Sign today's head, then edit a register entry behind the registry's back and verify."""
    pytest.importorskip("landrights.signing")
    with site.app.app_context():
        services.record_head(db.session, SYSTEM, "220421")
        db.session.commit()
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        code = db.session.scalar(sa.text("UPDATE register_entries SET registrar = '某人' WHERE id = "
                                         "(SELECT min(id) FROM register_entries) RETURNING code"))
        db.session.commit()
        services.verify_register(db.session, SYSTEM, "220421")
        db.session.commit()
    return code


def test_the_county_administrator_reads_the_tamper_check_on_a_phone(phone, site, journey):
    code = _signed_then_tampered(site)
    page = journey(phone, site).start("county")
    page.get_by_role("link", name="防篡改核验").click()
    expect(page.locator("h1")).to_have_text("登记簿防篡改核验")
    expect(page.locator("#last-check")).to_contain_text("发现1处问题")
    expect(page.locator("#first-finding")).to_contain_text(f"登记簿 {code} 第1版")
    expect(page.locator("#heads tbody tr")).to_have_count(1)
    expect(page.locator("#how-to-check")).to_contain_text("landrights audit verify --county 220421")
    problems = measure(page, "/register-heads").problems(PHONE["width"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tamper-check.png"), full_page=True)
    assert not problems, "\n".join(problems)
