"""The map in headless Chromium on a phone-sized screen: log in, see parcels, open one."""
import re
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def login(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_officer_sees_parcels_on_the_map_and_opens_one(phone, live_server, tmp_path):
    urls = []
    phone.on("request", lambda r: urls.append(r.url))
    login(phone, live_server, "officer")
    parcels = phone.locator("path.lr-parcel")
    expect(parcels.first).to_be_visible(timeout=15_000)
    expect(phone.locator("#map")).to_have_attribute("data-state", "ready", timeout=15_000)
    assert parcels.count() >= 50
    expect(phone.locator("#map-status")).to_contain_text("宗地块")
    assert phone.locator("path.lr-parcel[data-code][data-status=registered]").count() > 0
    assert any("/tiles/parcels/" in u and u.endswith(".mvt") for u in urls)
    assert not any("/api/v1/parcels?" in u for u in urls)  # the map never asks for parcel lists
    parcels.nth(parcels.count() // 2).click(force=True)
    popup = phone.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(re.compile(r"22042110120\d{8}"))
    expect(popup).to_contain_text("亩")
    expect(popup.locator("dd").nth(2)).not_to_have_text("…")  # the holder, asked of the API
    phone.screenshot(path=str(tmp_path / "map-phone.png"))
    popup.locator("a").click()
    expect(phone.locator("h1")).to_contain_text(re.compile(r"\d{19}"))


def test_farmer_sees_only_own_parcels(phone, live_server):
    urls = []
    phone.on("request", lambda r: urls.append(r.url))
    login(phone, live_server, "farmer")
    parcels = phone.locator("path.lr-parcel")
    expect(parcels.first).to_be_visible(timeout=15_000)
    assert 1 <= parcels.count() <= 8
    # zoomed out, a household's map has no village overview (its tiles would be empty)
    phone.evaluate("window.landrightsMap.map.setZoom(12, {animate: false})")
    expect(phone.locator("#map-status")).to_have_text("请放大地图以查看地块")
    assert phone.locator("path.lr-village").count() == 0
    assert not any("/tiles/villages/" in u or "/tiles/townships/" in u for u in urls)


def test_zoomed_out_the_county_sees_its_villages_and_zooms_into_one(phone, live_server, tmp_path):
    login(phone, live_server, "county")
    expect(phone.locator("path.lr-parcel").first).to_be_visible(timeout=15_000)
    phone.evaluate("window.landrightsMap.map.setZoom(12, {animate: false})")
    villages = phone.locator("path.lr-village")
    expect(villages.first).to_be_visible(timeout=15_000)
    assert phone.locator("path.lr-village[data-code^='220421']").count() >= 1
    expect(phone.locator("#map-status")).to_contain_text("村组")
    villages.first.click(force=True)
    popup = phone.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(re.compile(r"22042\d{9}"))
    expect(popup).to_contain_text("现势地块")
    expect(popup).to_contain_text("%")
    phone.screenshot(path=str(tmp_path / "villages-phone.png"))
    phone.locator(".leaflet-popup-close-button").click()
    expect(popup).to_have_count(0)
    village = villages.first
    assert village.get_attribute("role") == "button" and village.get_attribute("tabindex") == "0"
    village.focus()  # the keyboard opens it too
    phone.keyboard.press("Enter")
    expect(popup).to_have_count(1)
    expect(popup).to_contain_text("现势地块")
    popup.locator("button").click()
    expect(phone.locator("path.lr-parcel").first).to_be_visible(timeout=15_000)
    assert phone.evaluate("window.landrightsMap.map.getZoom()") == 14


def test_further_out_the_county_sees_its_townships_and_zooms_into_one(phone, live_server):
    login(phone, live_server, "county")
    expect(phone.locator("path.lr-parcel").first).to_be_visible(timeout=15_000)
    phone.evaluate("window.landrightsMap.map.setZoom(7, {animate: false})")
    townships = phone.locator("path.lr-township")
    expect(townships.first).to_be_visible(timeout=15_000)
    assert phone.locator("path.lr-village").count() == 0
    code = townships.first.get_attribute("data-code")
    assert re.fullmatch(r"220421\d{3}", code)
    townships.first.click(force=True)
    popup = phone.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(code)
    expect(popup).to_contain_text("村组数")
    expect(popup).to_contain_text("%")
    popup.locator("button").click()
    expect(phone.locator("path.lr-village").first).to_be_visible(timeout=15_000)
    assert phone.evaluate("window.landrightsMap.map.getZoom()") == 11
