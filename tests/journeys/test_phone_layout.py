"""The shared pages on a 390 x 844 phone (issue 19), for each role that uses them: no page scrolls
sideways, every visible link and button is at least 44 x 44 px (a link inside a sentence
excepted), text keeps WCAG 2.1 AA contrast; and the map has a legend, in its corner, whose
colours are the map's own."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from landrights.extensions import db
from tests.conftest import PASSWORD
from tests.journeys.conftest import PHONE, SCREENSHOTS, _context
from tests.journeys.crawl_data import richer_demo
from tests.journeys.layout import measure

pytestmark = pytest.mark.browser
FARMER_HOUSEHOLD, GROUP = "220421101201010001", "22042110120101"
PARCEL = "2204211012010100014"  # the demo farmer's
# the pages of the shared templates (base, map, parcel, household(s), progress, roster, survey,
# error, accounts) and the officer's market pages (pledges, ledger, a listing's desk), each for
# the roles that open them
PAGES = {
    "anonymous": ["/login", "/no-such-page", "/activate"],
    "farmer": ["/", f"/households/{FARMER_HOUSEHOLD}", f"/parcels/{PARCEL}"],
    "migrant": ["/"],
    "clerk": ["/households", f"/households/{FARMER_HOUSEHOLD}", "/progress", f"/collectives/{GROUP}/members"],
    "officer": ["/", "/households", f"/parcels/{PARCEL}", "/progress", "/surveys/", "/surveys/rules",
                "/surveys/{import_id}", f"/collectives/{GROUP}/members",
                # the market's desk pages: their tables are cards on a phone too
                "/market/pledges", "/market/ledger", "/market/{listing_id}/desk"],
    "county": ["/progress", "/surveys/rules", "/accounts", "/accounts/users/officer", "/accounts/import",
               "/accounts/new", f"/accounts/households/{GROUP}"],
    "transferee": ["/"],
}


@pytest.fixture
def richer_site(site, tmp_path):
    with site.app.app_context():
        made = richer_demo(db.session, tmp_path)
        db.session.commit()
    site.made = made
    return site


def _phone_as(chromium, base: str, role: str):
    context = _context(chromium, PHONE, mobile=True, locale="zh-CN")
    page = context.new_page()
    if role != "anonymous":
        page.goto(base + "/login")
        page.fill("#username", role)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator(".lr-user")).to_be_visible()
    return context, page


def _open(page, url: str) -> None:
    page.goto(url)
    if page.locator("#map").count():  # the map draws its controls after the tiles come
        expect(page.locator("#map")).to_have_attribute("data-state", "ready", timeout=15_000)


def test_the_shared_pages_fit_a_phone_with_big_targets_and_readable_text(chromium, richer_site):
    problems = []
    for role, paths in PAGES.items():
        context, page = _phone_as(chromium, richer_site.base, role)
        try:
            for path in paths:
                url = richer_site.base + path.format(import_id=richer_site.made.import_id,
                                                     listing_id=richer_site.made.listing_id)
                _open(page, url)
                problems += measure(page, path).problems(PHONE["width"])
                if (role, path) == ("clerk", "/progress"):  # a table as cards, for the docs
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(SCREENSHOTS / "progress-cards.png"))
        finally:
            context.close()
    context, page = _phone_as(chromium, richer_site.base, "officer")  # and once in English
    try:
        _open(page, richer_site.base + "/")
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        for path in ("/", f"/parcels/{PARCEL}", "/progress", "/surveys/rules",
                     f"/surveys/{richer_site.made.import_id}"):
            _open(page, richer_site.base + path)
            problems += measure(page, f"{path} (en)").problems(PHONE["width"])
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_map_has_a_legend_in_its_colours_readable_on_a_phone(chromium, richer_site):
    context, page = _phone_as(chromium, richer_site.base, "farmer")
    try:
        _open(page, richer_site.base + "/")
        legend = page.locator(".leaflet-control-container #map-legend")  # in the map's corner
        summary = legend.locator("summary")  # on a phone: folded to one line of colours
        expect(summary).to_be_visible()
        expect(summary).to_contain_text("图例")
        for short in ("已登记", "已调查", "出租中"):
            expect(summary).to_contain_text(short)
        expect(legend.locator("li").first).to_be_hidden()
        summary.click()  # a tap opens it
        for item in ("已登记地块", "已调查、尚未登记的地块", "挂牌出租中"):
            expect(legend.locator("li").filter(has_text=item)).to_be_visible()
        expect(legend).not_to_contain_text("颜色越深")  # a household's map has no villages
        box = legend.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        drawn = page.locator("path.lr-parcel[data-status=registered]").first
        expect(drawn).to_be_visible()
        swatch = legend.locator("li .lr-swatch-registered")
        assert _rgb(drawn, "stroke") == _rgb(swatch, "borderTopColor")  # the map's own colour
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "map-legend.png"))
        summary.click()  # and folds it away again
        expect(legend.locator("li").first).to_be_hidden()
    finally:
        context.close()
    context, page = _phone_as(chromium, richer_site.base, "officer")
    try:
        _open(page, richer_site.base + "/")
        expect(page.locator("#map-legend")).to_contain_text("村、乡镇：颜色越深，已登记的地块越多")
    finally:
        context.close()


def _rgb(locator, prop: str) -> str:
    """Return a CSS colour of an element as the browser computes it (rgb(...))."""
    return locator.evaluate(f"(el) => getComputedStyle(el).{prop}")
