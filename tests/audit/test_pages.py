"""The county administrator's tamper-check page (issue 20 §3): reached from the header, in Chinese
with China time; the last verification and the recent signed heads; the public JSON of the heads.
Only county administrators see the page."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from landrights.accounts.permissions import SYSTEM
from landrights.audit import services
from tests.audit.conftest import COUNTY_CODE, rogue


def _page(client, auth, who: str = "county"):
    auth.login(who)
    home = client.get("/").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" id="nav-tamper-check">', home)
    return home, (client.get(link.group(1)) if link else None)


def test_the_county_administrator_reaches_the_page_from_the_header(client, auth, session):
    _, page = _page(client, auth)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "登记簿防篡改核验" in text
    assert "尚未核验" in text and "尚无签名摘要" in text  # nothing run yet
    assert "landrights audit verify --county 220421 --heads" in text  # how to check a backup
    assert 'href="/register-heads/220421.json"' in text


def test_the_page_shows_the_last_check_and_names_the_first_problem(app, client, auth, session):
    with app.app_context():
        services.verify_register(session, SYSTEM, COUNTY_CODE)
    _, page = _page(client, auth)
    text = page.get_data(as_text=True)
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}核验：共\d+条链记录，"
                     r"没有发现绕过系统的改动", text)
    entry = session.execute(sa.text("SELECT id, code FROM register_entries ORDER BY id LIMIT 1")).one()
    rogue(session, "UPDATE register_entries SET registrar = '某人' WHERE id = :i", i=entry.id)
    with app.app_context():
        services.verify_register(session, SYSTEM, COUNTY_CODE)
    text = client.get("/register-heads").get_data(as_text=True)
    assert "发现1处问题" in text and f"登记簿 {entry.code} 第1版" in text and "被绕过系统改动过" in text
    assert "UTC" not in text and "register_entries" not in text


@pytest.mark.usefixtures("signing_module")
def test_signed_heads_are_listed_and_published(app, client, auth, session):
    with app.app_context():
        head = services.record_head(session, SYSTEM, COUNTY_CODE).head
    _, page = _page(client, auth)
    text = page.get_data(as_text=True)
    assert bytes(head.head_hash).hex() in text and head.key_id in text
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    published = client.get("/register-heads/220421.json")  # anyone, no login
    assert published.status_code == 200 and published.headers["Access-Control-Allow-Origin"] == "*"
    body = json.loads(published.get_data())
    (one,) = body["heads"]
    assert (one["date"], one["entries"], one["head_hash"], one["signature"]) == (
        head.day.isoformat(), head.entries, bytes(head.head_hash).hex(), head.signature)
    assert body["keys"].endswith("/.well-known/landrights-keys.json")
    assert client.get("/register-heads/22042x.json").status_code == 404


@pytest.mark.parametrize("who", ["officer", "clerk", "farmer", "transferee"])
def test_only_county_administrators_see_the_page(client, auth, session, who):
    home, page = _page(client, auth, who)
    assert page is None and "/register-heads" not in home
    assert client.get("/register-heads").status_code == 403
