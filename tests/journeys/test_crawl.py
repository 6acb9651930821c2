"""Issue 19's crawl: log in as each demo role, visit every page reachable by links from the home
page (a few of each route, at most 400), in Chinese and then in English, and fail on any link
answering 4xx/5xx and on what people must never read: "UTC", "+00:00", an SQLSTATE or the
database's words ("Key ("), a Python exception's name, a rule id (R1.22) outside an officer's
reference (class lr-ref). The demo is made richer first (tests/journeys/crawl_data.py) so the
crawl reaches notices, objections, listings with bids, contracts with rent due, survey reports.
No browser: the Flask test client, about a second per role."""
from __future__ import annotations

import re

import pytest

from tests.journeys.crawl import Crawl, PageText, offences
from tests.journeys.crawl_data import richer_demo

ROLES = ["anonymous", "farmer", "migrant", "clerk", "officer", "county", "transferee"]
# The pages each role's journeys need (issue 19), as path patterns: each must be reached by links
# alone from the home page ("never leave a page reachable only by typed URL").
REACHES = {
    "anonymous": [r"/login", r"/verify/", r"/activate"],
    "farmer": [r"/households/\d{18}", r"/parcels/\d{19}", r"/rights", r"/rights/\d{18}",
               r"/certificates/\d{18}[JQ]", r"/certificates/.+\.pdf", r"/market/", r"/market/mine",
               r"/market/\d+", r"/market/contracts/\d+", r"/market/entrustments/\d+/land"],
    "migrant": [r"/rights", r"/rights/\d{18}", r"/market/contracts/\d+"],
    "clerk": [r"/households", r"/households/\d{18}", r"/parcels/\d{19}", r"/progress",
              r"/collectives/\d{14}/members"],
    "officer": [r"/households", r"/surveys/", r"/surveys/rules", r"/surveys/\d+", r"/notices/",
                r"/notices/\d+", r"/objections/\d+", r"/progress", r"/collectives/\d{14}/members",
                r"/market/ledger", r"/market/pledges", r"/market/contracts/\d+", r"/accounts/households",
                r"/accounts/households/\d{14}", r"/account/password"],
    "county": [r"/households", r"/surveys/rules", r"/progress", r"/handups/", r"/accounts",
               r"/register-heads", r"/accounts/new", r"/accounts/import", r"/accounts/users/[^/]+",
               r"/accounts/households", r"/accounts/households/\d{14}", r"/account/password"],
    "transferee": [r"/market/", r"/market/\d+", r"/market/bids", r"/market/contracts/\d+"],
}


@pytest.fixture
def richer(session, tmp_path):
    return richer_demo(session, tmp_path)


def _crawl(app, client, auth, role: str) -> list[Crawl]:
    """Crawl as the role in Chinese, then switch to English by the header's link and crawl again
    (two pages of each route): the switch itself must answer."""
    if role != "anonymous":
        assert auth.login(role).status_code == 302
    chinese = Crawl(client, app, role).run()
    switch = client.get("/lang/en?next=/", follow_redirects=True)
    assert switch.status_code == 200 and '<html lang="en"' in switch.get_data(as_text=True)
    english = Crawl(client, app, role, per_route=2).run()
    client.get("/lang/zh?next=/")
    return [chinese, english]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_a_role_reaches_shows_what_people_must_not_see(app, client, auth, richer, role):
    crawls = _crawl(app, client, auth, role)
    findings = sorted({str(f) for crawl in crawls for f in crawl.findings})
    assert not findings, f"{len(findings)} problems as {role}:\n" + "\n".join(findings)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_the_pages_of_its_journeys_by_links(app, client, auth, richer, role):
    if role != "anonymous":
        auth.login(role)
    visited = [url.split("?")[0] for url in Crawl(client, app, role).run().visited]
    missing = [p for p in REACHES[role] if not any(re.fullmatch(p, url) for url in visited)]
    assert not missing, f"as {role}, no link leads to {missing}; reached {sorted(set(visited))}"


def test_the_crawl_sees_what_it_must_refuse():
    """The checks themselves: each forbidden thing is found in text, none in attributes, a rule
    id only in an officers' reference."""
    page = PageText()
    page.feed('<html><head><title>公示</title><script>var t = "UTC";</script></head><body>'
              '<p data-rule="R1.21" title="+00:00">公示至 2026年12月9日 16:00</p>'
              '<td><span class="lr-ref">code_format · R4.7</span></td>'
              '<p>Key (transferee_id)=(0) is not present in table "transferees"</p>'
              '<p>numeric field overflow (22003)</p><p>IntegrityError</p><p>违反 R1.22 的规定</p>'
              '<p>2026-12-12 00:07:48.327430+00:00（UTC）</p><a href="/parcels/1">地块</a></body></html>')
    text = " ".join(page.text)
    kinds = {found.split(": ")[0] for found in offences(text)}
    assert kinds == {"UTC", "+00:00", "SQLSTATE", "database text", "exception name", "rule id"}
    assert "R1.21" not in text and "R4.7" not in text and page.reference == ["code_format · R4.7"]
    assert page.links == ["/parcels/1"]
    assert not offences("公示至 2026年12月9日 16:00 · 承包期限 1999年1月1日 · 面积 7881.11 m² · Rural")
