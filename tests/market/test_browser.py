"""The market map in headless Chromium on a phone-sized screen: anyone opens /market/ and sees the
open listing's parcels drawn, taps one and reaches the listing, whose page draws its parcels too."""
from __future__ import annotations

import threading
import uuid

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from landrights import create_app
from landrights.extensions import db
from tests.conftest import TEMPLATE_DB, _test_config
from tests.factories import make_listing
from tests.market.conftest import HOUSEHOLD, parcels_of
from tests.web.test_browser import PHONE, browser, phone  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def listed_server(server, template_url, instance_dir):
    """A live server on its own committed copy of the demo, with one open listing of two parcels."""
    name = f"lr_browser_{uuid.uuid4().hex[:8]}"
    app = create_app(_test_config(server.create_db(name, template=TEMPLATE_DB), instance_dir))
    with app.app_context():
        codes = parcels_of(db.session, HOUSEHOLD)[:2]
        listing_id = make_listing(db.session, parcel_codes=codes).id
        db.session.commit()
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{http.server_port}", listing_id, codes
    http.shutdown()
    app.extensions["landrights.db"].engine.dispose()
    server.drop_db(name)


def test_listing_parcels_are_drawn_on_a_phone(phone, listed_server, tmp_path):  # noqa: F811
    base, listing_id, codes = listed_server
    phone.goto(f"{base}/market/")
    drawn = phone.locator("#market-map path.lr-listing-parcel")
    expect(drawn.first).to_be_visible(timeout=15_000)
    expect(phone.locator("#market-map")).to_have_attribute("data-state", "ready")
    assert sorted(drawn.nth(i).get_attribute("data-code") for i in range(drawn.count())) == sorted(codes)
    box = phone.locator("#market-map").bounding_box()
    assert box["width"] <= PHONE["width"] and box["height"] >= 200  # fits the phone, big enough to use
    expect(phone.locator("#market-map-status")).to_contain_text("2")
    phone.screenshot(path=str(tmp_path / "market-phone.png"), full_page=True)
    drawn.first.click(force=True)
    popup = phone.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(f"挂牌 {listing_id} 号")  # as the list and the page say it
    with phone.expect_navigation(url=f"{base}/market/{listing_id}", timeout=15_000):
        popup.locator("a").click()
    expect(phone.locator("h1")).to_contain_text(f"挂牌 {listing_id} 号", timeout=15_000)
    mine = phone.locator("#market-map path.lr-listing-parcel")
    expect(mine.first).to_be_visible(timeout=15_000)
    assert {mine.nth(i).get_attribute("data-listing") for i in range(mine.count())} == {str(listing_id)}
