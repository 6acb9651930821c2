"""Journeys in headless Chromium: a person starts from the home page and finishes a task by links
and buttons alone (issue 19). Each test gets a live server on its own committed copy of the demo,
a phone (390 x 844, touch) or a desk (1366 x 768) browser, and a `Journey` that opens the site
once and then refuses any typed URL: a step that needs one fails the test."""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from landrights import create_app
from tests.conftest import PASSWORD, TEMPLATE_DB, _test_config

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 768}

pytestmark = pytest.mark.browser


@dataclass
class Site:
    """A live server on its own database: its address and its app (to prepare data)."""

    base: str
    app: object


@pytest.fixture
def site(server, template_url, instance_dir):
    """Serve a fresh committed copy of the demo on a free port for one test."""
    name = f"lr_journey_{uuid.uuid4().hex[:8]}"
    app = create_app(_test_config(server.create_db(name, template=TEMPLATE_DB), instance_dir))
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    yield Site(f"http://127.0.0.1:{http.server_port}", app)
    http.shutdown()
    app.extensions["landrights.db"].engine.dispose()
    server.drop_db(name)


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _context(chromium, viewport: dict, *, mobile: bool, locale: str):
    return chromium.new_context(viewport=viewport, device_scale_factor=2 if mobile else 1,
                                is_mobile=mobile, has_touch=mobile, locale=locale)


@pytest.fixture
def phone(chromium):
    """A cheap phone's screen: 390 x 844, touch, Chinese."""
    context = _context(chromium, PHONE, mobile=True, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def desk(chromium):
    """An office computer's screen: 1366 x 768, Chinese."""
    context = _context(chromium, DESK, mobile=False, locale="zh-CN")
    yield context.new_page()
    context.close()


class TypedUrl(AssertionError):
    """A journey step reached a page by typing its address instead of following a link."""


class Journey:
    """Drive a page from the home page by clicks alone: `start` opens the site once, and after
    that the page's `goto` is refused, so every later page must be reached by a link or button."""

    def __init__(self, page: Page, site: Site):
        self.page, self.site = page, site
        self._goto = page.goto

    def start(self, username: str | None = None, password: str = PASSWORD) -> Page:
        """Open the home page and, for a username, log in through the login form."""
        self._goto(self.site.base + "/")
        self.page.goto = self._refuse  # from here on: links and buttons only
        if username:
            login = self.page.get_by_role("link", name="登录")
            if login.count():
                login.first.click()
            self.page.fill("#username", username)
            self.page.fill("#password", password)
            self.page.click("button[type=submit]")
            expect(self.page.locator("body")).not_to_contain_text("用户名或密码错误")
        return self.page

    def _refuse(self, url: str, **_):
        raise TypedUrl(f"this step needs a typed URL ({url}): add a link or button to it")


@pytest.fixture
def journey():
    """Return a function making a Journey of a page on a site: journey(phone, site)."""
    return Journey


def _screenshot_folder():
    """docs/screenshots when LANDRIGHTS_SCREENSHOTS=1 (to renew the README's pictures), else a
    folder of this run's own, so a test run leaves the repository as it was."""
    import os
    import tempfile
    from pathlib import Path

    if os.environ.get("LANDRIGHTS_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    return Path(tempfile.mkdtemp(prefix="landrights-screenshots-"))


SCREENSHOTS = _screenshot_folder()
