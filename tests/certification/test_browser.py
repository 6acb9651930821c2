"""A farmer confirms the notice result on a phone (R5.5): the confirmation page lists the parcels
in large type, one button, and afterwards the household page shows the registered contract."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from werkzeug.serving import make_server

from landrights import clock, create_app
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.certification import services
from landrights.extensions import db
from tests.certification.conftest import COLLECTIVE, PENDING
from tests.conftest import FAST_HASH, PASSWORD, TEMPLATE_DB, _test_config
from tests.web.test_browser import browser, login, phone  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
HOUSEHOLD = PENDING[0]


@pytest.fixture
def closed_notice_server(server, template_url, instance_dir):
    """A live server on its own committed copy of the demo, with a notice that has closed."""
    name = f"lr_browser_{uuid.uuid4().hex[:8]}"
    app = create_app(_test_config(server.create_db(name, template=TEMPLATE_DB), instance_dir))
    officer = Actor(role="township_officer", name="officer", township_code="220421101")
    with app.app_context():
        accounts.create_user(db.session, SYSTEM, username="pending", password=PASSWORD, role="farmer",
                             display_name="待确认农户", household_code=HOUSEHOLD, hash_method=FAST_HASH)
        services.open_notice(db.session, officer, collective_code=COLLECTIVE)
        codes = db.session.scalars(sa.text("SELECT parcel_code FROM claims WHERE household_code = :h"),
                                   {"h": HOUSEHOLD}).all()
        db.session.commit()
    clock.travel(timedelta(days=8))
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{http.server_port}", codes
    http.shutdown()
    clock.reset()
    app.extensions["landrights.db"].engine.dispose()
    server.drop_db(name)


def test_farmer_confirms_on_a_phone(phone, closed_notice_server):  # noqa: F811
    base, codes = closed_notice_server
    login(phone, base, "pending")
    phone.goto(f"{base}/households/{HOUSEHOLD}")
    phone.get_by_role("link", name="调查结果确认").click()
    table = phone.locator("#confirmable")
    for code in codes:
        expect(table).to_contain_text(code)
    button = phone.get_by_role("button", name="我确认")
    box = button.bounding_box()
    assert box["width"] <= 390 and box["height"] >= 36  # fits the phone, big enough to tap
    button.click()
    expect(phone.locator(".lr-flash-success")).to_contain_text("已确认")
    expect(phone.locator("body")).to_contain_text(HOUSEHOLD + "J")
