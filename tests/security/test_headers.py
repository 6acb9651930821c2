"""Security headers on every response (issue 16, section 4): a content security policy with no
inline script, no framing, no MIME sniffing, no Referer to other sites, HSTS in production, no
cache of a logged-in user's pages, and a Server header that names no software version."""
import http.client
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from landrights.web.security import serve
from tests.web.test_browser import PHONE, browser, live_server, login, phone  # noqa: F401  (fixtures)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PDF_ONLY = re.compile(r"_pdf(_style)?\.html$")  # rendered to PDF on the server, never served


def check_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "script-src 'self';" in csp and "unsafe" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer",
                                                   "strict-origin-when-cross-origin")


@pytest.mark.parametrize("path", ["/login", "/", "/no/such/page", "/api/v1/parcels",
                                  "/api/v1/openapi.json", "/static/css/app.css",
                                  "/verify/ZZZ", "/market/"])
def test_every_kind_of_response_has_the_security_headers(client, path):
    response = client.get(path)
    check_headers(response)
    assert "Strict-Transport-Security" not in response.headers  # development answers over HTTP


def test_production_sends_hsts(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "HSTS_SECONDS", 31536000)
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_logged_in_users_pages_and_data_are_not_cached(client, auth):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    auth.login("officer")
    assert client.get("/households").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/households?limit=1").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_each_response_has_its_own_style_nonce(client):
    first = client.get("/login").headers["Content-Security-Policy"]
    second = client.get("/login").headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", first).group(1)
    assert len(nonce) >= 16 and nonce not in second


def test_templates_hold_no_inline_script_handler_or_style_attribute():
    for template in TEMPLATES.rglob("*.html"):
        if PDF_ONLY.search(template.name):
            continue
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert not re.search(r"\sstyle\s*=", text), template
        for tag in re.findall(r"<style[^>]*>", text):
            assert 'nonce="{{ csp_nonce() }}"' in tag, template


def test_the_server_names_no_software_version(app):
    server = serve("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        conn.request("GET", "/login")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Server") == "landrights"
        assert len(response.headers.get_all("Server")) == 1
    finally:
        server.shutdown()


@pytest.mark.browser
def test_the_maps_work_under_the_policy(phone, live_server):  # noqa: F811
    refused = []
    phone.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None)
    login(phone, live_server, "officer")
    parcels = phone.locator("path.lr-parcel")
    expect(parcels.first).to_be_visible(timeout=15_000)
    parcels.nth(parcels.count() // 2).click(force=True)
    expect(phone.locator(".leaflet-popup-content")).to_contain_text("亩")
    assert refused == []
